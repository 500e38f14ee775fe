"""The provincial overdue board: open dossiers the overdue sweep found past due, in the
viewer's agencies only; a summary per agency that equals the list; constant queries."""

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from baocao import selectors
from baocao.views import AGENCY_NOT_YOURS
from hoso.choices import DossierStatus
from hoso.services import intake, processing
from portal.choices import Role
from portal.jobs import run_job
from tests.conftest import make_officer
from tests.hoso.conftest import intake_request
from tests.hoso.test_processing import (  # noqa: F401
    at,
    five_day_procedure,
    people,
    received,
    result_in,
    started,
)

pytestmark = pytest.mark.django_db

BOARD = reverse("baocao:overdue_board")
RECEIVED = at(2026, 11, 30, 9, 0)  # five working days: due 07/12/2026 09:00
SWEEP = at(2026, 12, 9, 9, 0)


@pytest.fixture
def procedure(db):
    return five_day_procedure()


@pytest.fixture
def desk_b1(province):
    return make_officer(province.commune_b1, Role.DESK_OFFICER, username="desk_b1")


@pytest.fixture
def district_a_viewer(province):
    return make_officer(province.district_a, Role.REPORT_VIEWER, username="theo_doi_huyen_a")


def received_in(agency, desk, procedure, when=RECEIVED):
    with time_machine.travel(when, tick=False):
        return intake.intake_at_desk(officer=desk, request=intake_request(
            procedure, agency, form_data={}, papers=[intake.PaperIn(position=1, originals=1)]))


def sweep(when=SWEEP):
    with time_machine.travel(when, tick=False):
        return run_job("overdue_sweep")


def board(client, user, agency=None, **params):
    client.force_login(user)
    return client.get(BOARD, {**params, **({"co_quan": agency} if agency else {})})


def codes(response) -> list[str]:
    return [d.code for d in response.context["page"].object_list]


def summary(response) -> dict[str, int]:
    return {row.agency_name: row.count for row in response.context["summary"]}


def test_a_viewer_sees_only_the_overdue_dossiers_of_their_agencies(
        client, province, people, procedure, desk_b1, district_a_viewer,
        province_viewer):  # noqa: F811
    in_a1 = received(province, people, procedure=procedure)
    in_b1 = received_in(province.commune_b1, desk_b1, procedure)
    sweep()
    response = board(client, district_a_viewer)
    assert response.status_code == 200
    assert codes(response) == [in_a1.code]
    assert summary(response) == {"UBND xã A1": 1}
    page = response.content.decode()
    assert in_b1.code not in page
    assert "07/12/2026 09:00" in page  # the due time, local time
    assert "09/12/2026 09:00" in page  # "phát hiện quá hạn lúc": when the sweep found it
    assert "Đã tiếp nhận" in page
    assert reverse("baocao:dossier_trace", args=[in_a1.pk]) in page
    everything = board(client, province_viewer)
    assert sorted(codes(everything)) == sorted([in_a1.code, in_b1.code])
    assert summary(everything) == {"UBND xã A1": 1, "UBND xã B1": 1}


def test_a_dossier_not_yet_past_due_is_absent(client, province, people, procedure,
                                              province_viewer):  # noqa: F811
    late = received(province, people, procedure=procedure)
    on_time = received(province, people, procedure=procedure, when=at(2026, 12, 8, 9, 0))
    sweep()
    response = board(client, province_viewer)
    assert codes(response) == [late.code]
    assert on_time.code not in response.content.decode()


def test_a_resolved_dossier_leaves_the_board(client, province, people, procedure,
                                             province_viewer):  # noqa: F811
    dossier = started(province, people, procedure=procedure)
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        processing.forward(dossier_id=dossier.pk, officer=people["specialist"],
                           assignee=people["leader"])
    sweep()
    response = board(client, province_viewer)
    assert codes(response) == [dossier.code]
    assert people["leader"].full_name in response.content.decode()  # the officer holding it
    with time_machine.travel(at(2026, 12, 9, 10, 0), tick=False):
        processing.add_result(dossier_id=dossier.pk, officer=people["leader"],
                              result=result_in())
        processing.resolve(dossier_id=dossier.pk, officer=people["leader"])
    response = board(client, province_viewer)
    assert codes(response) == []
    assert summary(response) == {}
    assert "Không có hồ sơ quá hạn" in response.content.decode()


def test_the_counts_per_agency_equal_the_list(client, province, people, procedure, desk_b1,
                                              province_viewer):  # noqa: F811
    in_a1 = [received(province, people, procedure=procedure) for _ in range(2)]
    in_b1 = [received_in(province.commune_b1, desk_b1, procedure) for _ in range(2)]
    transferred = started(province, people, procedure=procedure)  # held by district B now
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        processing.forward(dossier_id=transferred.pk, officer=people["specialist"],
                           assignee=people["leader"])
    with time_machine.travel(at(2026, 12, 1, 14, 0), tick=False):
        processing.transfer(dossier_id=transferred.pk, officer=people["leader"],
                            agency=province.district_b, note="Xác minh")
    sweep()
    response = board(client, province_viewer)
    rows = response.context["summary"]
    assert {row.agency_name: row.count for row in rows} == {
        "UBND xã A1": 2, "UBND xã B1": 2, "UBND huyện B": 1}
    assert sum(row.count for row in rows) == response.context["page"].paginator.count == 5
    expected = {province.commune_a1.pk: {d.code for d in in_a1},
                province.commune_b1.pk: {d.code for d in in_b1},
                province.district_b.pk: {transferred.code}}
    for row in rows:
        listed = client.get(BOARD, {"co_quan": row.agency_id})
        assert listed.context["page"].paginator.count == row.count
        assert set(codes(listed)) == expected[row.agency_id]
        assert row.oldest_due_at == min(d.due_at for d in listed.context["page"].object_list)


def test_an_agency_outside_the_viewers_set_changes_nothing_and_says_so(
        client, province, people, procedure, desk_b1, district_a_viewer):  # noqa: F811
    mine = received(province, people, procedure=procedure)
    received_in(province.commune_b1, desk_b1, procedure)
    sweep()
    for foreign in (province.commune_b1.pk, province.root.pk, "abc", "-1"):
        response = board(client, district_a_viewer, agency=foreign)
        assert response.status_code == 200
        assert response.context["notice"] == AGENCY_NOT_YOURS
        assert AGENCY_NOT_YOURS in response.content.decode()
        assert codes(response) == [mine.code]
    chosen = board(client, district_a_viewer, agency=province.commune_a2.pk)  # mine, empty
    assert chosen.context["notice"] == ""
    assert codes(chosen) == []


def test_the_list_runs_by_due_time_and_pages_keep_the_agency(client, monkeypatch, province,
                                                             people, procedure,
                                                             province_viewer):  # noqa: F811
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    first = received(province, people, procedure=procedure, when=at(2026, 11, 27, 9, 0))
    later = [received(province, people, procedure=procedure) for _ in range(2)]  # same due
    sweep()
    a1 = province.commune_a1.pk
    page_1 = board(client, province_viewer, agency=a1)
    assert codes(page_1) == [first.code, later[0].code]
    assert f"?co_quan={a1}&amp;trang=2" in page_1.content.decode()
    page_2 = client.get(BOARD, {"co_quan": a1, "trang": 2})
    assert codes(page_2) == [later[1].code]
    assert selectors.overdue_by_agency({a1})[0].oldest_due_at == first.due_at


def test_the_page_runs_the_same_number_of_queries_for_3_and_30_dossiers(
        client, province, people, procedure, province_viewer):  # noqa: F811
    def measure():
        client.get(BOARD)  # warm the per-user caches (permissions, roles)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(BOARD)
        assert response.status_code == 200
        return len(queries), response

    client.force_login(province_viewer)
    for _ in range(3):  # started: each has an assigned officer, shown by name
        started(province, people, procedure=procedure)
    sweep()
    with_3, response = measure()
    assert len(codes(response)) == 3
    for _ in range(27):
        started(province, people, procedure=procedure)
    sweep()
    with_30, response = measure()
    assert len(codes(response)) == 30
    assert with_30 == with_3
    assert with_3 <= 10


def test_an_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get(BOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_a_citizen_is_refused(client, citizen):
    client.force_login(citizen)
    assert client.get(BOARD).status_code == 403


def test_the_reports_home_links_to_the_board(client, province_viewer):
    client.force_login(province_viewer)
    assert BOARD in client.get(reverse("portal:reports_home")).content.decode()


def test_the_dossier_behind_a_number_shows_its_progress_without_personal_data(
        client, province, people, procedure, desk_b1, district_a_viewer):  # noqa: F811
    """A report viewer follows a number to the dossier's progress (agencies, times, history)
    but not to the applicant's name, ID number, phone or papers; another district's dossier
    does not exist for them; an officer who may open the dossier is sent to its own page."""
    in_a1 = received(province, people, procedure=procedure)
    in_b1 = received_in(province.commune_b1, desk_b1, procedure)
    client.force_login(district_a_viewer)
    response = client.get(reverse("baocao:dossier_trace", args=[in_a1.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert in_a1.code in page
    assert procedure.name in page
    assert "UBND xã A1" in page
    assert "09:00 07/12/2026" in page  # the due time
    assert str(DossierStatus.RECEIVED.label) in page
    for private in (in_a1.owner_name, in_a1.owner_id_number, in_a1.owner_phone):
        assert private not in page
    assert client.get(reverse("baocao:dossier_trace", args=[in_b1.pk])).status_code == 404
    for officer in (people["leader"], people["desk"]):  # may open the dossier itself
        client.force_login(officer)
        sent = client.get(reverse("baocao:dossier_trace", args=[in_a1.pk]))
        assert sent.status_code == 302
        assert sent.url == reverse("hoso:officer_dossier", args=[in_a1.pk])
    client.force_login(desk_b1)  # an officer of another commune, no report role: nothing
    assert client.get(reverse("baocao:dossier_trace", args=[in_a1.pk])).status_code == 404
