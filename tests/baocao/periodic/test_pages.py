"""The pages of periodic reporting (issue 10), through the Django test client: the reporter's
inbox, the report grid (pre-filled marks, per-cell Vietnamese messages, notes, the verbs and
the versions), the forms and assignments of the administrator, the completion of a period with
reminders, the aggregate with its files and the trend — each for who may and who may not,
and the list pages in a constant number of queries.

Time: the fixtures open Quý IV/2026 at OPEN_AT (15/12/2026); the pages are read on
16/12/2026 09:00 (SEND_AT), before the deadline 16/12/2026 17:00 (tests.baocao.periodic
.conftest)."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from baocao.models import (
    AgencyReport,
    ReportAssignment,
    ReportForm,
    ReportingPeriod,
    ReportReminder,
    ReportValue,
    ReportVersion,
)
from portal.choices import AgencyLevel, Role
from portal.models import Notification
from tests.baocao.periodic.conftest import (
    APPROVE,
    DEADLINE,
    SEND_AT,
    SUBMIT,
    VIEW_REPORTS,
    grant,
    indicator_values,
    send_report,
)
from tests.conftest import make_officer
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_the_day_after_the_cut_off():
    with time_machine.travel(SEND_AT, tick=False):
        yield


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report_url(report) -> str:
    return reverse("baocao:periodic_report", args=[report.pk])


def text(response) -> str:
    return response.content.decode()


def grid_post(values: dict[str, dict[str, str]], action: str = "save", note: str = "",
              notes: dict | None = None) -> dict:
    data = {"action": action, "note": note}
    for row, cells in values.items():
        for column, raw in cells.items():
            data[f"v|{row}|{column}"] = raw
    for row, cells in (notes or {}).items():
        for column, raw in cells.items():
            data[f"n|{row}|{column}"] = raw
    return data


def queries_of(client, url) -> int:
    """The queries of a page once warm (content types and templates are cached on the
    first request of a process)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def add_commune(tree, setup, name):
    """One more commune in the assignment; the opening job gives it its reports of the
    periods already open."""
    from baocao.periodic.setup import open_periods

    commune = AgencyFactory(parent=tree.district, name=name, level=AgencyLevel.COMMUNE)
    setup.assignment.agencies.add(commune)
    open_periods(now=SEND_AT)
    return commune


# --- the reporter's inbox -------------------------------------------------------------------

def test_the_inbox_lists_my_agencys_reports_with_status_and_deadline(indicator_setup, people):
    a1 = list(indicator_setup.reports)[0]
    response = as_user(people.reporter).get(reverse("baocao:periodic_inbox"))
    assert response.status_code == 200
    page = text(response)
    assert "UBND xã A1" in page
    assert "UBND xã A2" not in page
    assert "TEST.KTXH.01" in page
    assert "Quý IV/2026" in page
    assert f"{DEADLINE:%H:%M %d/%m/%Y}" in page
    assert "Chưa lập" in page
    assert "Lập báo cáo" in page
    assert report_url(indicator_setup.report(a1)) in page


def test_the_inbox_moves_a_sent_report_to_the_sent_tab(indicator_setup, people):
    a1 = list(indicator_setup.reports)[0]
    report = indicator_setup.report(a1)
    send_report(report, indicator_values(0), reporter=people.reporter, leader=people.leader)
    client = as_user(people.reporter)
    waiting = text(client.get(reverse("baocao:periodic_inbox")))
    assert report_url(report) not in waiting
    assert "Quý I/2027" in waiting
    sent = text(client.get(reverse("baocao:periodic_inbox") + "?xem=da-gui"))
    assert report_url(report) in sent
    assert "Đã gửi" in sent
    assert "Quý I/2027" not in sent


def test_the_inbox_costs_the_same_queries_for_more_reports(indicator_setup, three_level_tree,
                                                           people):
    district_reporter = grant(UserFactory(), three_level_tree.district, SUBMIT)
    client = as_user(district_reporter)
    url = reverse("baocao:periodic_inbox")
    few = queries_of(client, url)
    for n in range(4):
        add_commune(three_level_tree, indicator_setup, f"UBND xã thêm {n}")
    assert queries_of(client, url) == few
    # 7 communes × (Quý IV/2026, and Quý I/2027 which started on 15/12/2026)
    assert text(client.get(url)).count(">Lập báo cáo<") == 14


# --- one report: who may see it ---------------------------------------------------------------

def test_a_commune_reporter_cannot_see_another_communes_draft(indicator_setup, people):
    a1, a2, _a3 = indicator_setup.reports
    as_user(people.reporter).post(report_url(indicator_setup.report(a1)), {"action": "start"})
    other = as_user(people.other_reporter)
    assert other.get(report_url(indicator_setup.report(a1))).status_code == 404
    assert other.post(report_url(indicator_setup.report(a1)),
                      grid_post({"DS": {"value": "1"}})).status_code == 404
    assert other.get(report_url(indicator_setup.report(a2))).status_code == 200
    assert as_user(UserFactory()).get(
        report_url(indicator_setup.report(a1))).status_code == 404
    assert other.get(reverse("baocao:periodic_report", args=[999999])).status_code == 404


def test_a_report_viewer_reads_the_sent_version_never_the_draft(indicator_setup,
                                                               three_level_tree, people):
    a1 = list(indicator_setup.reports)[0]
    report = indicator_setup.report(a1)
    viewer_only = grant(UserFactory(), three_level_tree.district, VIEW_REPORTS)
    client = as_user(viewer_only)
    reporter = as_user(people.reporter)
    reporter.post(report_url(report), {"action": "start"})
    reporter.post(report_url(report), grid_post({"DS": {"value": "4321"}}, action="save"))
    assert ReportValue.objects.get(version__report=report, row="DS").number == 4321
    page = text(client.get(report_url(report)))
    assert "Đơn vị chưa gửi báo cáo kỳ này." in page
    assert "4.321" not in page
    assert client.get(report_url(report) + "?phien_ban=1").status_code == 404
    send_report(indicator_setup.report(a1), indicator_values(0), reporter=people.reporter,
                leader=people.leader)
    page = text(client.get(report_url(report)))
    assert "12.500" in page
    assert 'name="v|DS|value"' not in page


# --- one report: the grid and the verbs ---------------------------------------------------------

def test_the_handling_form_shows_its_merged_group_headings_and_prefilled_cells(
        handling_setup, people):
    a1 = list(handling_setup.reports)[0]
    report = handling_setup.report(a1)
    client = as_user(people.reporter)
    page = text(client.get(report_url(report)))
    assert "Báo cáo kỳ này chưa được lập." in page
    assert 'value="start"' in page
    response = client.post(report_url(report), {"action": "start"}, follow=True)
    page = text(response)
    assert "số liệu được tính sẵn từ hồ sơ" in page
    assert re.search(r'<th colspan="4" scope="colgroup">Số hồ sơ nhận giải quyết</th>', page)
    assert re.search(r'<th colspan="4" scope="colgroup">Đã giải quyết</th>', page)
    assert re.search(r'<th colspan="3" scope="colgroup">Đang giải quyết</th>', page)
    assert "Lĩnh vực, công việc giải quyết theo cấp" in page
    assert "(13)" in page
    assert 'name="v|total|3"' in page
    assert page.count('<span class="computed"') == 11 * len(
        ReportVersion.objects.get(report=report).rows)


def test_a_changed_prefilled_cell_shows_the_computed_value(handling_setup, people):
    a1 = list(handling_setup.reports)[0]
    report = handling_setup.report(a1)
    client = as_user(people.reporter)
    client.post(report_url(report), {"action": "start"})
    response = client.post(report_url(report), grid_post(
        {"total": {"5": "2", "3": "2", "7": "2", "9": "2"}},
        notes={"total": {"5": "Hai hồ sơ giấy nhận trước khi có hệ thống."}}), follow=True)
    page = text(response)
    assert "Đã lưu bản nháp." in page
    assert "Tính từ hồ sơ: 0" in page
    assert "Hai hồ sơ giấy nhận trước khi có hệ thống." in page
    cell = ReportValue.objects.get(version__report=report, row="total", column="5")
    assert cell.number == 2
    assert cell.note.startswith("Hai hồ sơ")


def test_a_wrong_cell_gets_its_message_next_to_it_and_nothing_is_saved(indicator_setup,
                                                                        people):
    a1 = list(indicator_setup.reports)[0]
    report = indicator_setup.report(a1)
    client = as_user(people.reporter)
    client.post(report_url(report), {"action": "start"})
    response = client.post(report_url(report), grid_post(
        {"DS": {"value": "-5"}, "DS_NAM": {"value": "6100"}, "HO_NGHEO": {"value": "120"}}))
    assert response.status_code == 400
    page = text(response)
    assert "Chưa lưu: còn ô chưa hợp lệ" in page
    ds_cell = page[page.index('name="v|DS|value"'):]
    assert 'value="-5"' in ds_cell[:80]
    assert ds_cell.index("Phải là số nguyên không âm.") < ds_cell.index('name="v|DS_NAM|value"')
    assert "Phải là tỷ lệ phần trăm từ 0 đến 100." in page
    assert not ReportValue.objects.filter(version__report=report).exists()


def test_submitting_checks_required_cells_and_the_sum_rule(indicator_setup, people):
    a1 = list(indicator_setup.reports)[0]
    report = indicator_setup.report(a1)
    client = as_user(people.reporter)
    client.post(report_url(report), {"action": "start"})
    response = client.post(report_url(report), grid_post(
        {"DS": {"value": "100"}, "DS_NAM": {"value": "60"}, "DS_NU": {"value": "30"}},
        action="submit"))
    assert response.status_code == 400
    page = text(response)
    assert "Chưa trình được" in page
    assert "Chỉ tiêu DS phải bằng DS_NAM + DS_NU: 100 ≠ 90." in page
    assert "Chưa nhập." in page
    report.refresh_from_db()
    assert report.status == AgencyReport.Status.DRAFT  # the draft was saved, not submitted


def test_submit_approve_freezes_the_report_with_who_when_and_hash(indicator_setup, people):
    a1 = list(indicator_setup.reports)[0]
    report = indicator_setup.report(a1)
    reporter = as_user(people.reporter)
    reporter.post(report_url(report), {"action": "start"})
    response = reporter.post(report_url(report), grid_post(
        dict(indicator_values(0).items()), action="submit",
        note="Số liệu đến hết ngày chốt."), follow=True)
    page = text(response)
    assert "Đã trình lãnh đạo duyệt báo cáo." in page
    assert 'name="v|DS|value"' not in page
    assert "Phiên bản này đã khóa" in page
    assert 'value="approve"' not in page  # the reporter is not the leader
    assert reporter.post(report_url(report), {"action": "approve"}).status_code == 403

    leader = as_user(people.leader)
    page = text(leader.get(report_url(report)))
    assert 'value="approve"' in page
    assert "Trả lại để lập lại" in page
    assert leader.post(report_url(report), grid_post({"DS": {"value": "1"}})).status_code == 403
    page = text(leader.post(report_url(report), {"action": "approve"}, follow=True))
    assert "Đã duyệt và gửi báo cáo tới UBND tỉnh thử nghiệm." in page
    report.refresh_from_db()
    version = report.current_version
    assert report.status == AgencyReport.Status.APPROVED
    assert version.number == 1
    assert version.content_sha256 in page
    assert "Trần Thị Lan" in page
    assert "Nguyễn Văn Bình" in page
    assert "12.500" in page
    assert "850,5" in page
    assert "Số liệu đến hết ngày chốt." in page
    # the files of the frozen version
    xlsx = leader.get(reverse("baocao:periodic_version_export",
                              args=[report.pk, 1, "xlsx"]))
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    stored = leader.get(reverse("baocao:periodic_version_file", args=[report.pk, 1]))
    assert stored.status_code == 200
    assert b"".join(stored.streaming_content)[:4] == b"%PDF"


def test_the_leader_returns_with_a_reason_and_the_reporter_starts_again(indicator_setup,
                                                                        people):
    a1 = list(indicator_setup.reports)[0]
    report = indicator_setup.report(a1)
    send_report(report, indicator_values(0), reporter=people.reporter, leader=people.leader,
                approve=False)
    leader = as_user(people.leader)
    response = leader.post(report_url(report), {"action": "return", "reason": "  "})
    assert response.status_code == 400
    assert "Vui lòng nhập lý do." in text(response)
    assert ReportVersion.objects.get(report=report).status == ReportVersion.Status.SUBMITTED
    leader.post(report_url(report), {"action": "return",
                                     "reason": "Dân số nữ chưa khớp số liệu công an xã."})
    reporter = as_user(people.reporter)
    page = text(reporter.get(report_url(report)))
    assert "Lãnh đạo trả lại" in page
    assert "Dân số nữ chưa khớp số liệu công an xã." in page
    assert "Lập lại báo cáo" in page
    page = text(reporter.post(report_url(report), {"action": "start"}, follow=True))
    assert 'name="v|DS|value" value="12500"' in page  # a copy of the returned version
    assert [v.status for v in report.versions.order_by("number")] == [
        ReportVersion.Status.RETURNED, ReportVersion.Status.DRAFT]


def test_a_sent_report_is_replaced_with_a_reason_and_the_old_version_kept(indicator_setup,
                                                                         people):
    a1 = list(indicator_setup.reports)[0]
    report = indicator_setup.report(a1)
    send_report(report, indicator_values(0), reporter=people.reporter, leader=people.leader)
    reporter = as_user(people.reporter)
    page = text(reporter.get(report_url(report)))
    assert "Lập phiên bản thay thế" in page
    assert 'name="v|DS|value"' not in page
    assert reporter.post(report_url(report), {"action": "replace",
                                              "reason": ""}).status_code == 400
    page = text(reporter.post(report_url(report), {
        "action": "replace", "reason": "Cập nhật diện tích lúa sau thống kê lại."},
        follow=True))
    assert "Đã mở phiên bản thay thế." in page
    assert "Cập nhật diện tích lúa sau thống kê lại." in page
    assert 'name="v|LUA|value" value="850,5"' in page
    report.refresh_from_db()
    assert report.current_version.number == 1  # the sent version stays in force
    old = text(reporter.get(report_url(report) + "?phien_ban=1"))
    assert "Phiên bản 1 — Đã duyệt, đã gửi" in old
    assert 'name="v|DS|value"' not in old


def test_the_province_office_enters_a_paper_report_on_the_communes_behalf(indicator_setup,
                                                                         three_level_tree,
                                                                         people):
    a3 = indicator_setup.report(three_level_tree.communes[2])
    office = as_user(people.province_office)
    page = text(office.get(report_url(a3)))
    assert "Nhập hộ báo cáo giấy" in page
    page = text(office.get(report_url(a3) + "?nhap_giay=1"))
    assert 'name="v|DS|value"' in page
    assert 'value="paper"' in page
    response = office.post(report_url(a3), grid_post(
        {"DS": {"value": "7300"}, "DS_NAM": {"value": "3650"}}, action="paper"))
    assert response.status_code == 400  # checked as a submission: DS_NU is missing
    assert "Chưa nhập." in text(response)
    assert 'value="7300"' in text(response)
    page = text(office.post(report_url(a3), grid_post(
        dict(indicator_values(2).items()), action="paper",
        note="Theo Báo cáo số 12/BC-UBND ngày 15/12/2026."), follow=True))
    assert "Đã ghi nhận báo cáo giấy của đơn vị" in page
    a3.refresh_from_db()
    assert a3.status == AgencyReport.Status.APPROVED
    assert a3.channel == AgencyReport.Channel.PAPER
    assert "văn bản giấy" in page
    assert "Theo Báo cáo số 12/BC-UBND" in page
    assert office.post(report_url(a3), grid_post(indicator_values(2), action="paper")
                       ).status_code == 403  # already sent


def test_a_paper_report_takes_a_note_per_cell(indicator_setup, three_level_tree, people):
    a3 = indicator_setup.report(three_level_tree.communes[2])
    office = as_user(people.province_office)
    page = text(office.get(report_url(a3) + "?nhap_giay=1"))
    assert 'name="n|DS|value"' in page
    assert 'name="n|LUA|value"' in page
    response = office.post(report_url(a3), grid_post(
        {"DS": {"value": "7300"}}, action="paper",
        notes={"DS": {"value": "Theo số liệu của công an xã"}}))
    assert response.status_code == 400  # the other cells are missing
    assert "Theo số liệu của công an xã</textarea>" in text(response)  # typed again
    page = text(office.post(report_url(a3), grid_post(
        indicator_values(2), action="paper",
        notes={"LUA": {"value": "Ước tính của phòng Kinh tế"}}), follow=True))
    assert "Đã ghi nhận báo cáo giấy của đơn vị" in page
    version = ReportVersion.objects.get(report=a3)
    assert ReportValue.objects.get(version=version, row="LUA").note == (
        "Ước tính của phòng Kinh tế")
    assert "Ghi chú: Ước tính của phòng Kinh tế" in page


def test_a_paper_handling_report_is_entered_over_the_computed_figures(handling_setup,
                                                                      three_level_tree,
                                                                      people):
    a2 = handling_setup.report(three_level_tree.communes[1])
    office = as_user(people.province_office)
    page = text(office.get(report_url(a2) + "?nhap_giay=1"))
    assert 'name="v|total|3" value="0"' in page
    assert '<span class="computed"' in page
    page = text(office.post(report_url(a2), {**inputs_of(page), "action": "paper"},
                            follow=True))
    assert "Đã ghi nhận báo cáo giấy của đơn vị" in page
    version = ReportVersion.objects.get(report=a2)
    assert version.status == ReportVersion.Status.APPROVED
    assert version.submitted_by == people.province_office


def inputs_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="text" inputmode="decimal" name="([^"]+)" '
                           r'value="([^"]*)"', page))


def test_a_commune_cannot_record_its_own_report_as_paper(indicator_setup, people):
    report = indicator_setup.report(list(indicator_setup.reports)[0])
    own = grant(UserFactory(), report.agency, SUBMIT, VIEW_REPORTS)
    client = as_user(own)
    assert "Nhập hộ báo cáo giấy" not in text(client.get(report_url(report)))
    assert client.post(report_url(report), grid_post(indicator_values(0), action="paper")
                       ).status_code == 403
    report.refresh_from_db()
    assert report.status == AgencyReport.Status.NOT_STARTED


# --- administrators: forms and assignments ----------------------------------------------------

FORM_POST = {
    "code": "LRIS.NN.02", "title": "Chỉ tiêu nông nghiệp hằng tháng", "legal_basis": "",
    "system": "gris", "period_kind": "month", "layout": "indicators", "source": "",
    "unit_note": "", "description": "",
    "cot-TOTAL_FORMS": "1", "cot-INITIAL_FORMS": "0",
    "cot-0-code": "value", "cot-0-heading": "Số liệu", "cot-0-value_type": "decimal",
    "cot-0-aggregation": "sum", "cot-0-required": "on", "cot-0-min_value": "0",
    "dong-TOTAL_FORMS": "4", "dong-INITIAL_FORMS": "0",
    "dong-0-code": "LUA", "dong-0-label": "Diện tích lúa", "dong-0-section": "Trồng trọt",
    "dong-0-unit": "ha", "dong-0-value_type": "decimal", "dong-0-aggregation": "sum",
    "dong-0-required": "on", "dong-0-min_value": "0",
    "dong-1-code": "LUA_DONG", "dong-1-label": "Lúa đông xuân", "dong-1-section": "Trồng trọt",
    "dong-1-unit": "ha", "dong-1-value_type": "decimal", "dong-1-aggregation": "sum",
    "dong-1-required": "on", "dong-1-min_value": "0",
    "dong-2-code": "LUA_MUA", "dong-2-label": "Lúa mùa", "dong-2-section": "Trồng trọt",
    "dong-2-unit": "ha", "dong-2-value_type": "decimal", "dong-2-aggregation": "sum",
    "dong-2-required": "on", "dong-2-min_value": "0",
    # an untouched blank line is left out
    "dong-3-code": "", "dong-3-label": "", "dong-3-value_type": "integer",
    "dong-3-aggregation": "sum", "dong-3-required": "on", "dong-3-min_value": "0",
    "quytac-TOTAL_FORMS": "1", "quytac-INITIAL_FORMS": "0",
    "quytac-0-axis": "row", "quytac-0-target": "LUA", "quytac-0-kind": "sum",
    "quytac-0-parts": "LUA_DONG + LUA_MUA",
}


def test_an_administrator_defines_a_form_on_the_page(people):
    client = as_user(people.admin)
    assert client.get(reverse("baocao:periodic_form_new")).status_code == 200
    response = client.post(reverse("baocao:periodic_form_new"), FORM_POST, follow=True)
    assert "Đã lưu biểu mẫu “LRIS.NN.02”." in text(response)
    form = ReportForm.objects.get(code="LRIS.NN.02")
    assert list(form.rows.values_list("code", flat=True)) == ["LUA", "LUA_DONG", "LUA_MUA"]
    assert form.rules == [{"kind": "sum", "axis": "row", "target": "LUA",
                           "parts": ["LUA_DONG", "LUA_MUA"]}]
    page = text(client.get(reverse("baocao:periodic_forms")))
    assert "LRIS.NN.02" in page
    assert "Chỉ tiêu nông nghiệp hằng tháng" in page


def test_a_rule_naming_an_unknown_indicator_is_refused_with_a_message(people):
    client = as_user(people.admin)
    response = client.post(reverse("baocao:periodic_form_new"),
                           {**FORM_POST, "quytac-0-parts": "LUA_DONG, LUA_CHIEM"})
    assert response.status_code == 400
    assert "không có chỉ tiêu “LUA_CHIEM” trong biểu" in text(response)
    assert not ReportForm.objects.filter(code="LRIS.NN.02").exists()


def test_an_administrator_edits_a_form_and_the_code_stays(indicator_form, people):
    client = as_user(people.admin)
    url = reverse("baocao:periodic_form_edit", args=[indicator_form.pk])
    page = text(client.get(url))
    assert 'value="DS_NAM"' in page
    assert 'value="Dân số trung bình"' in page
    assert "Thêm dòng" in page
    response = client.get(url)
    data = {**dict(response.context["header"].initial.items()),
            "code": "KHAC"}
    for name, formset in (("cot", response.context["columns"]),
                          ("dong", response.context["rows"]),
                          ("quytac", response.context["rules"])):
        data[f"{name}-TOTAL_FORMS"] = str(len(formset.initial))
        data[f"{name}-INITIAL_FORMS"] = str(len(formset.initial))
        for i, item in enumerate(formset.initial):
            for key, value in item.items():
                if value is True:
                    data[f"{name}-{i}-{key}"] = "on"
                elif value not in (None, False):
                    data[f"{name}-{i}-{key}"] = str(value)
    data["dong-0-label"] = "Dân số trung bình năm"
    response = client.post(url, {k: v for k, v in data.items() if v is not None}, follow=True)
    assert "Đã lưu biểu mẫu “TEST.KTXH.01”." in text(response)
    assert indicator_form.rows.get(code="DS").label == "Dân số trung bình năm"
    assert not ReportForm.objects.filter(code="KHAC").exists()


def test_the_seeded_handling_form_opens_for_editing_with_its_groups(handling_form, people):
    page = text(as_user(people.admin).get(
        reverse("baocao:periodic_form_edit", args=[handling_form.pk])))
    assert 'value="Số hồ sơ nhận giải quyết"' in page
    assert 'value="Đang giải quyết"' in page
    assert 'name="quytac-0-target" value="3"' in page


def test_only_administrators_reach_the_form_and_assignment_pages(indicator_form, people):
    for user in (people.reporter, people.leader, people.province_office):
        client = as_user(user)
        assert client.get(reverse("baocao:periodic_forms")).status_code == 403
        assert client.post(reverse("baocao:periodic_form_new"), FORM_POST).status_code == 403
        assert client.get(reverse("baocao:periodic_assignments")).status_code == 403
    assert not ReportForm.objects.filter(code="LRIS.NN.02").exists()
    assert as_user(UserFactory(is_superuser=True)).get(
        reverse("baocao:periodic_forms")).status_code == 200


def test_an_administrator_assigns_a_form_to_every_commune_under_a_district(
        indicator_form, three_level_tree, people):
    client = as_user(people.admin)
    response = client.post(reverse("baocao:periodic_assignments"), {
        "form": indicator_form.pk, "scope": "level", "level": AgencyLevel.COMMUNE,
        "under": three_level_tree.district.pk, "receiving_agency": three_level_tree.root.pk,
        "deadline_working_days": "2", "remind_before_days": "1", "remind_after_days": "1",
        "first_year": "2026", "first_number": "4"}, follow=True)
    assert "Đã giao biểu “TEST.KTXH.01” cho 3 đơn vị." in text(response)
    assignment = ReportAssignment.objects.get(form=indicator_form)
    assert set(assignment.agencies.all()) == set(three_level_tree.communes)
    assert assignment.first_period_start == dt.date(2026, 9, 15)
    period = ReportingPeriod.objects.get(assignment=assignment, year=2026, number=4)
    assert period.reports.count() == 3
    assert "UBND tỉnh thử nghiệm" in text(client.get(reverse("baocao:periodic_assignments")))


def test_an_assignment_to_picked_agencies_and_its_mistakes(indicator_form, three_level_tree,
                                                          people):
    client = as_user(people.admin)
    base = {"form": indicator_form.pk, "receiving_agency": three_level_tree.root.pk,
            "deadline_working_days": "2", "remind_before_days": "1",
            "remind_after_days": "1", "first_year": "2026", "first_number": "4"}
    response = client.post(reverse("baocao:periodic_assignments"), {**base, "scope": "pick"})
    assert response.status_code == 400
    assert "Chọn ít nhất một đơn vị phải báo cáo." in text(
        response)
    response = client.post(reverse("baocao:periodic_assignments"),
                           {**base, "scope": "level", "level": "commune"})
    assert response.status_code == 400
    assert "Chọn đơn vị cấp trên" in text(response)
    response = client.post(reverse("baocao:periodic_assignments"),
                           {**base, "scope": "pick", "first_number": "7",
                            "agencies": [three_level_tree.communes[0].pk]})
    assert response.status_code == 400  # quý 7 does not exist
    assert not ReportAssignment.objects.exists()
    client.post(reverse("baocao:periodic_assignments"),
                {**base, "scope": "pick", "agencies": [c.pk for c in
                                                       three_level_tree.communes[:2]]})
    assert ReportAssignment.objects.get().agencies.count() == 2


# --- report viewers: periods, completion and reminders ----------------------------------------

def test_the_province_sees_who_has_sent_and_reminds_one_agency(sent_indicator_reports,
                                                              three_level_tree, people):
    setup = sent_indicator_reports
    client = as_user(people.province_office)
    periods = text(client.get(reverse("baocao:periodic_periods")))
    assert "2/3" in periods
    assert "Quý IV/2026" in periods
    url = reverse("baocao:periodic_completion", args=[setup.period.pk])
    page = text(client.get(url))
    assert "2/3" in page
    assert "Chưa lập" in page
    assert "UBND xã A3" in page
    a3 = setup.report(three_level_tree.communes[2])
    response = client.post(reverse("baocao:periodic_remind", args=[setup.period.pk]),
                           {"report": a3.pk}, follow=True)
    assert "Đã gửi nhắc nộp báo cáo tới 1 đơn vị." in text(response)
    reminder = ReportReminder.objects.get(report=a3)
    assert reminder.kind == ReportReminder.Kind.MANUAL
    assert reminder.sent_by == people.province_office
    sent_report = setup.report(three_level_tree.communes[0])
    response = client.post(reverse("baocao:periodic_remind", args=[setup.period.pk]),
                           {"report": sent_report.pk})
    assert response.status_code == 404  # a sent report is not reminded


def test_remind_all_reaches_every_agency_not_yet_sent_and_needs_a_post(indicator_setup,
                                                                      three_level_tree,
                                                                      people):
    a1 = three_level_tree.communes[0]
    send_report(indicator_setup.report(a1), indicator_values(0))
    reporter_a3 = grant(UserFactory(email="xa.a3@example.vn"), three_level_tree.communes[2],
                        SUBMIT)
    url = reverse("baocao:periodic_remind", args=[indicator_setup.period.pk])
    client = as_user(people.province_office)
    assert client.get(url).status_code == 405
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(people.province_office)
    assert csrf_client.post(url, {"all": "1"}).status_code == 403
    response = client.post(url, {"all": "1"}, follow=True)
    assert "Đã gửi nhắc nộp báo cáo tới 2 đơn vị." in text(response)
    reminded = set(ReportReminder.objects.values_list("report__agency", flat=True))
    assert reminded == {three_level_tree.communes[1].pk, three_level_tree.communes[2].pk}
    assert Notification.objects.filter(recipient=reporter_a3.email).exists()


def test_a_district_office_follows_only_its_subtree_and_reporters_not_at_all(
        sent_indicator_reports, three_level_tree, people):
    setup = sent_indicator_reports
    url = reverse("baocao:periodic_completion", args=[setup.period.pk])
    assert as_user(people.district_office).get(url).status_code == 200
    assert as_user(people.reporter).get(url).status_code == 403
    outsider = make_officer(AgencyFactory(name="Tỉnh khác"), Role.REPORT_VIEWER)
    assert as_user(outsider).get(url).status_code == 404
    assert as_user(outsider).post(reverse("baocao:periodic_remind", args=[setup.period.pk]),
                                  {"all": "1"}).status_code == 404
    assert not ReportReminder.objects.exists()


def test_the_completion_and_period_pages_cost_the_same_queries_for_more_agencies(
        indicator_setup, three_level_tree, people):
    client = as_user(people.province_office)
    completion_url = reverse("baocao:periodic_completion", args=[indicator_setup.period.pk])
    periods_url = reverse("baocao:periodic_periods")
    few = (queries_of(client, completion_url), queries_of(client, periods_url))
    for n in range(5):
        add_commune(three_level_tree, indicator_setup, f"UBND xã thêm {n}")
    assert (queries_of(client, completion_url), queries_of(client, periods_url)) == few
    assert "0/8" in text(client.get(completion_url))


def test_the_form_and_assignment_lists_cost_constant_queries(indicator_setup,
                                                             three_level_tree, people):
    from baocao.periodic.setup import assign_form, define_form

    client = as_user(people.admin)
    forms_url, assignments_url = (reverse("baocao:periodic_forms"),
                                  reverse("baocao:periodic_assignments"))
    few = (queries_of(client, forms_url), queries_of(client, assignments_url))
    for n in range(3):
        form = define_form(
            code=f"TEST.THEM.{n}", title=f"Biểu thêm {n}", period_kind="month",
            layout=ReportForm.Layout.INDICATORS, columns=[],
            rows=[{"code": "A", "label": "Chỉ tiêu A", "unit": "người"}], rules=[],
            by=people.admin)
        assign_form(form=form, agencies=three_level_tree.communes,
                    receiving_agency=three_level_tree.root,
                    first_period_start=dt.date(2026, 11, 15), by=people.admin, now=SEND_AT)
    assert (queries_of(client, forms_url), queries_of(client, assignments_url)) == few
    assert "TEST.THEM.2" in text(client.get(assignments_url))


# --- report viewers: aggregate and trend --------------------------------------------------------

def test_the_aggregate_page_sums_the_districts_communes_with_its_files(
        sent_indicator_reports, three_level_tree, people):
    setup = sent_indicator_reports
    client = as_user(people.province_office)
    url = reverse("baocao:periodic_aggregate",
                  args=[setup.period.pk, three_level_tree.district.pk])
    page = text(client.get(url))
    assert "22.300" in page  # 12 500 + 9 800
    assert "1.870,75" in page  # 850,5 + 1 020,25
    assert "5,1" in page  # (4,2 + 6) / 2: a rate is averaged
    assert "Chưa gửi (1)" in page
    assert "UBND xã A3" in page
    xlsx = client.get(url + "?xuat=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    assert 'filename="tong-hop-' in xlsx["Content-Disposition"]
    pdf = client.get(url + "?xuat=pdf")
    assert pdf.status_code == 200
    assert pdf.content[:4] == b"%PDF"
    # a commune's reporter does not follow the district
    assert as_user(people.reporter).get(url).status_code == 403
    elsewhere = reverse("baocao:periodic_aggregate",
                        args=[setup.period.pk, three_level_tree.root.pk])
    assert as_user(people.district_office).get(elsewhere).status_code == 404


def test_the_trend_page_draws_an_indicator_across_periods(sent_indicator_reports,
                                                          three_level_tree, people):
    setup = sent_indicator_reports
    client = as_user(people.province_office)
    response = client.get(reverse("baocao:periodic_trend"), {
        "bieu": setup.form.pk, "dong": "DS", "cot": "value",
        "co_quan": three_level_tree.district.pk})
    assert response.status_code == 200
    page = text(response)
    assert "vendor/chartjs/chart.umd.min.js" in page
    assert 'data-chart="trend"' in page
    chart = response.context["chart"]
    assert chart["labels"][:1] == ["Quý IV/2026"]
    assert chart["series"][0]["data"][0] == 22300.0
    assert "Dân số trung bình" in page
    assert "2/3" in page
    assert client.get(reverse("baocao:periodic_trend"), {
        "bieu": setup.form.pk, "co_quan": 999999}).status_code == 404


def test_the_navigation_leads_officers_to_periodic_reports(indicator_setup, people):
    page = text(as_user(people.reporter).get(reverse("portal:account")))
    assert reverse("baocao:periodic_inbox") in page
    reports_home = text(as_user(people.province_office).get(reverse("portal:reports_home")))
    assert reverse("baocao:periodic_periods") in reports_home


def test_a_leader_without_the_submit_right_cannot_start_a_report(indicator_setup, people):
    a1 = list(indicator_setup.reports)[0]
    leader_only = grant(UserFactory(), a1, APPROVE)
    response = as_user(leader_only).post(report_url(indicator_setup.report(a1)),
                                         {"action": "start"})
    assert response.status_code == 403
    assert not ReportVersion.objects.exists()
