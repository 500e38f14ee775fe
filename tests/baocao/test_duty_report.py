"""The 2-day duty report: its numbers equal a hand count over 30 dossiers in mixed states;
stored as taken, e-mailed to the configured recipients, shown per viewer's agencies."""

import datetime as dt

import pytest
from django.urls import reverse

from baocao.models import DutyReport
from baocao.services import duty_report_rows, take_duty_report
from hoso.models import Apology, Dossier
from portal.calendar import TZ
from portal.choices import Role
from portal.models import Notification
from tests.conftest import make_officer
from tests.hoso.conftest import birth_procedure, desk_a1, desk_b1, desk_receive  # noqa: F401

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 30, 16, 30, tzinfo=TZ)
END = dt.datetime(2026, 12, 2, 16, 30, tzinfo=TZ)


def moment(day, hour=9):
    return dt.datetime(2026, 11 if day > 15 else 12, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def thirty(province, birth_procedure, desk_a1, desk_b1):  # noqa: F811
    """30 dossiers: 15 at commune A1, 15 at commune B1, in the states the report counts."""
    made = [desk_receive(desk_a1 if i < 15 else desk_b1, birth_procedure,
                         province.commune_a1 if i < 15 else province.commune_b1)
            for i in range(30)]

    def state(dossier, **fields):
        Dossier.objects.filter(pk=dossier.pk).update(**fields)

    for i, dossier in enumerate(made):
        kind = i % 15
        if kind < 4:  # received in the period, open, still on time
            state(dossier, received_at=moment(1), due_at=moment(4), status="in_progress")
        elif kind < 6:  # received before, open, overdue at the end of the period
            state(dossier, received_at=moment(25), due_at=moment(1), status="in_progress")
        elif kind < 9:  # resolved in the period on time (received before)
            state(dossier, received_at=moment(27), due_at=moment(2, 15), status="resolved",
                  finished_at=moment(1))
        elif kind < 11:  # returned in the period, late
            state(dossier, received_at=moment(27), due_at=moment(30), status="returned",
                  finished_at=moment(2))
        elif kind < 13:  # finished before the period: not counted at all
            state(dossier, received_at=moment(20), due_at=moment(24), status="returned",
                  finished_at=moment(23))
        elif kind == 13:  # waiting for a supplement, overdue by the legal due time
            state(dossier, received_at=moment(26), due_at=moment(1), status="awaiting_supplement")
        else:  # received in the period and refused in it: received, nothing else
            state(dossier, received_at=moment(1), due_at=moment(3), status="refused",
                  finished_at=moment(2))
    apologised = made[0]
    Apology.objects.create(dossier=apologised, status="sent", reason_code="verification",
                           reason="Xác minh", new_due_at=moment(8), issued_at=moment(2))
    Apology.objects.create(dossier=made[1], status="draft", new_due_at=moment(8),
                           drafted_at=moment(2))  # a draft is not sent
    return made


def test_the_numbers_equal_the_hand_count(province, thirty):
    rows = {row["agency"]: row for row in duty_report_rows(START, END)}
    expected_per_commune = {
        "received": 4 + 1, "resolved_on_time": 3, "resolved_late": 2,
        "open_on_time": 4, "open_overdue": 2 + 1}
    assert set(rows) == {"UBND xã A1", "UBND xã B1"}
    for name, row in rows.items():
        for column, value in expected_per_commune.items():
            assert row[column] == value, (name, column)
    assert rows["UBND xã A1"]["apologies_sent"] == 1
    assert rows["UBND xã B1"]["apologies_sent"] == 0


def test_the_report_is_stored_once_and_emailed(settings, province, thirty):
    settings.PORTAL_DUTY_REPORT_RECIPIENTS = ["vanphong@example.gov.vn"]
    assert take_duty_report(now=END) == {"agencies": 2, "created": 1}
    assert take_duty_report(now=END) == {"agencies": 2, "created": 0}  # same moment: reused
    report = DutyReport.objects.get()
    assert report.emailed_to == ["vanphong@example.gov.vn"]
    mail = Notification.objects.get(template_code="duty_report")
    assert "UBND xã A1: tiếp nhận trong kỳ 5" in mail.body
    assert Notification.objects.filter(template_code="duty_report").count() == 1


def test_viewers_see_only_their_agencies_rows(client, province, thirty):
    take_duty_report(now=END)
    viewer = make_officer(province.commune_a1, Role.REPORT_VIEWER, username="theo_doi_a1")
    client.force_login(viewer)
    page = client.get(reverse("baocao:duty_reports")).content.decode()
    assert "UBND xã A1" in page
    assert "UBND xã B1" not in page
