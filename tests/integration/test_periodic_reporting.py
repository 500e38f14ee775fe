"""Issue 10 as a new user meets it, through the pages only:

the administrator assigns the handling-results form (Biểu II.06a/VPCP/KSTT) to every commune
of the province for Quý IV/2026; a commune's reporter opens it and finds it pre-filled from that
commune's dossiers, submits it; the commune's leader approves it; the provincial office sees
1 of 4 communes sent and reminds the other three at one click (the reminders are recorded and
the e-mails written); once a second commune of district A has sent, the aggregate of district
A sums its communes — and equals the live report of the district for the same quarter.
"""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from baocao.definitions import gris_period
from baocao.handling import handling_report
from baocao.models import AgencyReport, ReportForm, ReportReminder, ReportVersion
from hoso.models import Dossier
from portal.calendar import TZ
from portal.choices import AgencyLevel, Role
from portal.models import Notification
from tests.baocao.periodic.conftest import APPROVE, HANDLING_CODE, SUBMIT, grant, seed_report_forms
from tests.conftest import make_officer
from tests.hoso.conftest import birth_procedure, desk_receive  # noqa: F401

pytestmark = pytest.mark.django_db

QUARTER = gris_period("quarter", 2026, 4)  # 15/09/2026 → 14/12/2026
ASSIGNED_AT = dt.datetime(2026, 12, 15, 8, 0, tzinfo=TZ)  # the day after the cut-off
SENT_AT = dt.datetime(2026, 12, 16, 9, 0, tzinfo=TZ)  # before the deadline, 16/12 17:00
COLUMNS = [str(c) for c in range(3, 14)]


def at(month, day, hour=9):
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def inputs(page: str) -> dict[str, str]:
    """The grid's inputs as the browser would send them (name → value)."""
    return {html.unescape(name): html.unescape(value) for name, value in re.findall(
        r'<input type="text" inputmode="decimal" name="([^"]+)" value="([^"]*)"', page)}


def received(desk, procedure, agency, when, **fields):
    """A dossier received at the commune's desk by the real intake service, then (like
    tests/baocao/test_handling_report.py) set to the state the case needs."""
    with time_machine.travel(when, tick=False):
        dossier = desk_receive(desk, procedure, agency)
    if fields:
        Dossier.objects.filter(pk=dossier.pk).update(**fields)
    return dossier


@pytest.fixture
def officers(province):
    a1, a2 = province.commune_a1, province.commune_a2
    return {
        "admin": make_officer(province.root, Role.ADMINISTRATOR, username="qt_tinh",
                              full_name="Quản trị hệ thống tỉnh"),
        "office": make_officer(province.root, Role.REPORT_VIEWER, username="vp_tinh",
                               full_name="Văn phòng UBND tỉnh"),
        "desk_a1": make_officer(a1, Role.DESK_OFFICER, username="mc_a1"),
        "desk_a2": make_officer(a2, Role.DESK_OFFICER, username="mc_a2"),
        "reporter_a1": grant(make_officer(a1, Role.DESK_OFFICER, username="bc_a1",
                                          full_name="Lê Thị Thu"), a1, SUBMIT),
        "leader_a1": grant(make_officer(a1, Role.LEADER, username="ld_a1",
                                        full_name="Phạm Văn Hùng"), a1, APPROVE),
        "reporter_a2": grant(make_officer(a2, Role.DESK_OFFICER, username="bc_a2"), a2,
                             SUBMIT),
        "leader_a2": grant(make_officer(a2, Role.LEADER, username="ld_a2"), a2, APPROVE),
        "reporter_b1": grant(make_officer(province.commune_b1, Role.DESK_OFFICER,
                                          username="bc_b1"), province.commune_b1, SUBMIT),
    }


@pytest.fixture
def dossiers(province, officers, birth_procedure):  # noqa: F811
    """Commune A1: three walk-ins in the quarter (one resolved early, two still open within
    their due time) and one from the quarter before, still open (carried over). Commune A2:
    two walk-ins, one resolved late."""
    a1, a2 = province.commune_a1, province.commune_a2
    p = birth_procedure
    received(officers["desk_a1"], p, a1, at(10, 5), status="resolved",
             finished_at=at(10, 6), due_at=at(10, 9, 17))
    received(officers["desk_a1"], p, a1, at(11, 10), due_at=at(12, 30, 17),
             status="in_progress")
    received(officers["desk_a1"], p, a1, at(12, 1), due_at=at(12, 30, 17),
             status="in_progress")
    received(officers["desk_a1"], p, a1, at(9, 1), due_at=at(12, 30, 17),
             status="in_progress")
    received(officers["desk_a2"], p, a2, at(10, 20), status="returned",
             finished_at=at(10, 28), due_at=at(10, 22, 17))
    received(officers["desk_a2"], p, a2, at(11, 3), due_at=at(12, 30, 17),
             status="in_progress")


def send_through_the_pages(report, reporter, leader) -> tuple[str, str]:
    """The reporter opens the report from the inbox, starts it, submits it as pre-filled;
    the leader approves it. The page the reporter saw once started, and the page the leader
    saw after approving."""
    client = logged_in(reporter)
    url = reverse("baocao:periodic_report", args=[report.pk])
    assert url in page_of(client.get(reverse("baocao:periodic_inbox")))
    assert "Lập báo cáo" in page_of(client.get(url))
    page = page_of(client.post(url, {"action": "start"}, follow=True))
    submitted = page_of(client.post(url, {**inputs(page), "action": "submit",
                                          "note": "Số liệu tính từ hệ thống, đã rà soát."},
                                    follow=True))
    assert "Đã trình lãnh đạo duyệt báo cáo." in submitted
    boss = logged_in(leader)
    assert 'value="approve"' in page_of(boss.get(url))
    return page, page_of(boss.post(url, {"action": "approve"}, follow=True))


def test_a_quarter_of_the_handling_results_form_from_assignment_to_district_aggregate(
        province, officers, dossiers):
    seed_report_forms()
    form = ReportForm.objects.get(code=HANDLING_CODE)
    a1, a2 = province.commune_a1, province.commune_a2

    # 1. The administrator assigns the form to every commune of the province, from Quý IV/2026.
    with time_machine.travel(ASSIGNED_AT, tick=False):
        admin = logged_in(officers["admin"])
        assert HANDLING_CODE in page_of(admin.get(reverse("baocao:periodic_forms")))
        done = page_of(admin.post(reverse("baocao:periodic_assignments"), {
            "form": form.pk, "scope": "level", "level": AgencyLevel.COMMUNE,
            "under": province.root.pk, "receiving_agency": province.root.pk,
            "deadline_working_days": "2", "remind_before_days": "1",
            "remind_after_days": "1", "first_year": "2026", "first_number": "4"},
            follow=True))
    communes = [a1, a2, province.commune_b1, province.two_level_commune]
    assert f"Đã giao biểu “{HANDLING_CODE}” cho {len(communes)} đơn vị." in done
    reports = {r.agency_id: r for r in AgencyReport.objects.filter(
        period__assignment__form=form, period__year=2026, period__number=4)}
    assert set(reports) == {c.pk for c in communes}
    period = reports[a1.pk].period
    assert period.deadline_at == dt.datetime(2026, 12, 16, 17, 0, tzinfo=TZ)

    with time_machine.travel(SENT_AT, tick=False):
        # 2. Commune A1's reporter opens it: pre-filled from A1's dossiers, equal to the live
        #    report; submits it; the leader approves it.
        page, sent_page = send_through_the_pages(reports[a1.pk], officers["reporter_a1"],
                                                 officers["leader_a1"])
        live = handling_report(a1, QUARTER)
        typed = inputs(page)
        assert [typed[f"v|total|{c}"] for c in COLUMNS] == [
            str(live.total.cells[int(c)]) for c in COLUMNS]
        assert typed["v|total|3"] == "4"
        assert typed["v|total|6"] == "1"
        assert page.count('<span class="computed"') == len(typed)  # "tính từ hồ sơ"
        assert "Cấp xã" in page
        assert "Hộ tịch" in page
        assert "Đã duyệt và gửi báo cáo tới UBND tỉnh thử nghiệm." in sent_page
        version = ReportVersion.objects.get(report=reports[a1.pk])
        assert version.status == ReportVersion.Status.APPROVED
        assert version.submitted_by == officers["reporter_a1"]
        assert version.decided_by == officers["leader_a1"]
        assert version.content_sha256 in sent_page
        assert version.file_sha256
        told = Notification.objects.get(template_code="periodic_report_submitted")
        assert (told.recipient, told.subject) == (
            officers["leader_a1"].email,
            "[Cổng Một Cửa] Báo cáo II.06a/VPCP/KSTT Quý IV/2026 của "
            f"{a1.name} chờ duyệt")

        # 3. The province sees 1 of 4 sent and reminds the other three at one click.
        office = logged_in(officers["office"])
        assert "1/4" in page_of(office.get(reverse("baocao:periodic_periods")))
        completion_url = reverse("baocao:periodic_completion", args=[period.pk])
        completion = page_of(office.get(completion_url))
        assert "1/4" in completion
        assert "Nhắc tất cả đơn vị chưa gửi (3)" in completion
        reminded = page_of(office.post(reverse("baocao:periodic_remind", args=[period.pk]),
                                       {"all": "1"}, follow=True))
        assert "Đã gửi nhắc nộp báo cáo tới 3 đơn vị." in reminded
    reminders = ReportReminder.objects.filter(report__period=period)
    assert set(reminders.values_list("report__agency", flat=True)) == {
        a2.pk, province.commune_b1.pk, province.two_level_commune.pk}
    assert set(reminders.values_list("kind", flat=True)) == {ReportReminder.Kind.MANUAL}
    written = set(Notification.objects.filter(
        object_ref__startswith="agency_report:").values_list("recipient", flat=True))
    assert {officers["reporter_a2"].email, officers["leader_a2"].email,
            officers["reporter_b1"].email} <= written
    assert officers["reporter_a1"].email not in written  # A1 had sent

    # 4. Commune A2 sends too; the aggregate of district A sums its communes.
    with time_machine.travel(SENT_AT + dt.timedelta(hours=2), tick=False):
        send_through_the_pages(reports[a2.pk], officers["reporter_a2"], officers["leader_a2"])
        office = logged_in(officers["office"])
        assert "2/4" in page_of(office.get(completion_url))
        aggregate = office.get(reverse("baocao:periodic_aggregate",
                                       args=[period.pk, province.district_a.pk]))
        page = page_of(aggregate)
    found = aggregate.context["grid"]
    total = next(row for section in found["sections"] for row in section["rows"]
                 if row["code"] == "total")
    sums = [a + b for a, b in zip(handling_report(a1, QUARTER).total.values(),
                                  handling_report(a2, QUARTER).total.values(), strict=True)]
    assert [cell["shown"] for cell in total["cells"]] == [str(n) for n in sums]
    assert sums == handling_report(province.district_a, QUARTER).total.values()
    assert sums[0] == 6  # 4 in A1 + 2 in A2
    assert "Đã gửi (2)" in page
    assert "Chưa gửi (0)" in page
