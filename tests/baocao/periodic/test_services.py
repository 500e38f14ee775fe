"""The verbs of periodic reporting: defining and seeding forms, assigning them and opening
periods, idempotent (baocao/periodic/setup.py); drafts, submission with every rule checked,
freezing and versioning (a submitted report cannot be edited; a new version keeps the old),
approval, return, replacement, paper reports with their notes, no orphan PDF when a verb fails
(baocao/periodic/services.py); and who may do each."""

import datetime as dt
import hashlib
import importlib
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction

from baocao.models import (
    AgencyReport,
    FormColumn,
    FormRow,
    ReportAssignment,
    ReportForm,
    ReportingPeriod,
    ReportValue,
    ReportVersion,
)
from baocao.periodic import jobs, notices, reminders, services, setup
from baocao.periodic.services import ReportForbidden, ReportInvalid
from baocao.periodic.validation import ALL
from hoso.models import private_storage
from portal.calendar import TZ
from portal.choices import AgencyLevel, Role
from portal.errors import InvalidInput
from portal.jobs import run_job
from portal.models import MessageTemplate
from tests.baocao.periodic.conftest import (
    FIRST_PERIOD_START,
    HANDLING_CODE,
    INDICATOR_ROWS,
    INDICATOR_RULES,
    OPEN_AT,
    PROCEDURE_COUNT_CODE,
    SEND_AT,
    assign,
    indicator_values,
    seed_report_forms,
    send_report,
)
from tests.conftest import make_officer
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


def local(year, month, day, hour=0, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def cells(version):
    return {(v.row, v.column): (v.number, v.text, v.note) for v in version.values.all()}


def numbers(version):
    return {(v.row, v.column): v.number for v in version.values.all() if v.number is not None}


def stored_files() -> list[Path]:
    """The files in this test's private storage (conftest gives each test its own)."""
    root = Path(private_storage.location)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def a1_report(assigned):
    return assigned.report(next(iter(assigned.reports)))


# --- forms ---------------------------------------------------------------------------------------

def test_an_administrator_defines_an_indicator_form_with_its_rules(indicator_form):
    assert indicator_form.layout == "indicators"
    assert list(indicator_form.columns.values_list("code", flat=True)) == ["value"]
    rows = list(indicator_form.rows.all())
    assert [r.code for r in rows] == [r["code"] for r in INDICATOR_ROWS]
    assert rows[4].value_type == "percent"
    assert rows[4].aggregation == "avg"
    assert rows[4].max_value == Decimal(100)
    assert rows[4].min_value == Decimal(0)
    assert rows[5].required is False
    assert rows[5].min_value is None
    assert indicator_form.rules == INDICATOR_RULES


def test_a_rule_naming_an_unknown_row_is_refused_and_nothing_is_created(people):
    with pytest.raises(InvalidInput) as caught:
        setup.define_form(
            code="CT.LOI", title="Biểu lỗi", period_kind="month", layout="indicators",
            columns=[], rows=[{"code": "A", "label": "Chỉ tiêu A"}],
            rules=[{"kind": "sum", "axis": "row", "target": "A", "parts": ["B"]}],
            by=people.admin)
    assert caught.value.code == "bad_form"
    assert "Quy tắc 1: không có chỉ tiêu “B” trong biểu." in caught.value.message
    assert not ReportForm.objects.filter(code="CT.LOI").exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("period_kind", "week", "Kỳ báo cáo “week” không hợp lệ."),
    ("layout", "grid", "Dạng biểu “grid” không hợp lệ."),
    ("title", " ", "Tên biểu không được để trống."),
    ("rows", [{"code": "A", "label": "A"}, {"code": "A", "label": "A lần 2"}],
     "Chỉ tiêu “A” bị trùng."),
    ("rows", [], "Biểu nhập tay phải có ít nhất một dòng, chỉ tiêu."),
])
def test_a_bad_form_definition_says_what_is_wrong(people, field, value, message):
    spec = {"code": "CT.LOI", "title": "Biểu", "period_kind": "month",
            "layout": "indicators", "columns": [], "rows": [{"code": "A", "label": "A"}],
            "rules": [], field: value}
    with pytest.raises(InvalidInput) as caught:
        setup.define_form(**spec, by=people.admin)
    assert message in caught.value.message


def test_only_a_provincial_administrator_defines_forms(people, three_level_tree):
    commune_admin = make_officer(three_level_tree.communes[0], Role.ADMINISTRATOR)
    for user in (people.province_office, people.reporter, commune_admin):
        with pytest.raises(ReportForbidden):
            setup.define_form(code="CT.X", title="X", period_kind="month",
                                 layout="indicators", columns=[],
                                 rows=[{"code": "A", "label": "A"}], rules=[], by=user)
    assert not ReportForm.objects.filter(code="CT.X").exists()


def test_redefining_a_form_replaces_its_rows_but_never_drops_a_row_in_use(
        indicator_setup, people):
    form = indicator_setup.form
    send_report(a1_report(indicator_setup), indicator_values(0))
    spec = {"code": form.code, "title": "Tên mới", "period_kind": "quarter",
            "layout": "indicators", "columns": [{"code": "value", "heading": "Số liệu"}],
            "rules": [], "by": people.admin}
    with pytest.raises(InvalidInput) as caught:
        setup.define_form(**spec, rows=INDICATOR_ROWS[:3])
    assert caught.value.code == "form_in_use"
    assert "LUA" in caught.value.message
    assert form.rows.count() == len(INDICATOR_ROWS)
    setup.define_form(**spec, rows=[*INDICATOR_ROWS,
                                       {"code": "MOI", "label": "Chỉ tiêu mới"}])
    form.refresh_from_db()
    assert form.title == "Tên mới"
    assert form.rules == []
    assert form.rows.count() == len(INDICATOR_ROWS) + 1


# --- the seeded forms -----------------------------------------------------------------------

def test_the_seeded_handling_form_has_the_gris_columns_groups_and_identities(handling_form):
    form = handling_form
    assert (form.layout, form.source, form.system, form.period_kind) == (
        "table", "handling", "gris", "quarter")
    assert "01/2020/TT-VPCP" in form.legal_basis
    columns = list(form.columns.all())
    assert [c.code for c in columns] == [str(c) for c in range(3, 14)]
    assert [c.heading for c in columns] == [
        "Tổng số", "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước",
        "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn"]
    assert [c.group for c in columns] == (["Số hồ sơ nhận giải quyết"] * 4
                                          + ["Đã giải quyết"] * 4 + ["Đang giải quyết"] * 3)
    assert all(c.value_type == "integer" and c.min_value == 0 and c.aggregation == "sum"
               for c in columns)
    assert form.rows.count() == 0  # rows come from the data
    assert [(r["target"], r["parts"]) for r in form.rules] == [
        ("3", ["4", "5", "6"]), ("7", ["8", "9", "10"]), ("11", ["12", "13"]), ("3", ["7", "11"])]


def test_the_seeded_procedure_count_form(procedure_count_form):
    form = procedure_count_form
    assert form.source == "procedure_count"
    assert form.columns.count() == 12
    assert form.columns.get(code="7").group == ("TTHC tiếp nhận theo cơ chế một cửa, "
                                                "một cửa liên thông")


def test_the_sample_lris_set_has_thirty_indicators_across_sectors_with_units(db):
    seed_report_forms()
    form = ReportForm.objects.get(code="LRIS/KTXH-XA")
    rows = list(form.rows.all())
    assert form.layout == "indicators"
    assert form.source == ""
    assert len(rows) >= 30
    assert len({r.section for r in rows}) >= 6
    assert {"ha", "tấn", "người", "%", "tỷ đồng", "hộ"} <= {r.unit for r in rows}
    assert {r.value_type for r in rows} == {"integer", "decimal", "percent", "text"}
    assert {r.aggregation for r in rows if r.value_type == "percent"} == {"avg"}
    assert all(r.max_value == 100 for r in rows if r.value_type == "percent")
    assert all(r.min_value == 0 for r in rows if r.value_type != "text")
    codes = {r.code for r in rows}
    sums = [r for r in form.rules if r["kind"] == "sum"]
    assert len(sums) >= 3
    assert all({r["target"], *r["parts"]} <= codes for r in form.rules)


def test_seeding_is_idempotent_and_keeps_an_administrators_edits(handling_form):
    FormColumn.objects.filter(form=handling_form, code="4").update(heading="Trực tuyến (sửa)")
    FormRow.objects.filter(form__code="LRIS/KTXH-XA", code="KT01").delete()
    before = (ReportForm.objects.count(), FormColumn.objects.count())
    seed_report_forms()
    seed_report_forms()
    assert (ReportForm.objects.count(), FormColumn.objects.count()) == before
    assert FormColumn.objects.get(form=handling_form, code="4").heading == "Trực tuyến (sửa)"
    assert FormRow.objects.filter(form__code="LRIS/KTXH-XA", code="KT01").exists()
    assert ReportForm.objects.filter(code__in=[HANDLING_CODE, PROCEDURE_COUNT_CODE]).count() == 2


def test_the_reminder_template_is_installed_with_the_built_in_text(db):
    migration = importlib.import_module("portal.migrations.0014_periodic_report_templates")
    assert {k: v for k, v in migration.TEMPLATE.items() if k != "code"} == \
        reminders.REMINDER_TEMPLATE
    MessageTemplate.objects.filter(code=reminders.REMINDER_CODE).delete()
    migration.create_template(django_apps, None)
    row = MessageTemplate.objects.get(code=reminders.REMINDER_CODE)
    assert {field: getattr(row, field) for field in reminders.REMINDER_TEMPLATE} == \
        reminders.REMINDER_TEMPLATE


# --- assignments and periods ----------------------------------------------------------------

def test_assigning_opens_every_started_period_with_a_report_per_agency(indicator_setup):
    assignment = indicator_setup.assignment
    periods = list(assignment.periods.order_by("start"))
    assert [(p.year, p.number) for p in periods] == [(2026, 4), (2027, 1)]
    # cut-off Sun 14/03/2027: Mon 15 and Tue 16 are the two working days after it
    assert periods[1].deadline_at == local(2027, 3, 16, 17, 0)
    for period in periods:
        assert period.opened_at == OPEN_AT
        assert sorted(r.agency.name for r in period.reports.all()) == [
            "UBND xã A1", "UBND xã A2", "UBND xã A3"]
        assert set(period.reports.values_list("status", flat=True)) == {"not_started"}


def test_opening_periods_is_idempotent_and_opens_each_period_when_it_starts(indicator_setup):
    assignment = indicator_setup.assignment
    assert setup.open_periods(now=OPEN_AT) == 0
    assert setup.open_periods(now=local(2027, 3, 14, 23, 59)) == 0
    assert setup.open_periods(now=local(2027, 3, 15, 0, 15)) == 1  # Quý II/2027 starts
    assert setup.open_periods(now=local(2027, 3, 15, 0, 15)) == 0
    assert assignment.periods.count() == 3
    assert AgencyReport.objects.filter(period__assignment=assignment).count() == 9


def test_the_opening_job_runs_through_the_registry_and_is_idempotent(indicator_setup):
    run = run_job("periodic_open", now=local(2027, 3, 15, 0, 15))
    assert run.counts == {"opened": 1}
    assert jobs.open_reporting_periods(now=local(2027, 3, 15, 0, 15)) == {"opened": 0}


def test_an_agency_added_to_an_assignment_gets_the_open_periods_reports(indicator_setup,
                                                                        province):
    indicator_setup.assignment.agencies.add(province.commune_b1)
    setup.open_periods(now=OPEN_AT)
    assert AgencyReport.objects.filter(agency=province.commune_b1).count() == 2


def test_an_inactive_assignment_opens_nothing(indicator_setup):
    ReportAssignment.objects.filter(pk=indicator_setup.assignment.pk).update(is_active=False)
    assert setup.open_periods(now=local(2027, 3, 15, 1, 0)) == 0


def test_every_commune_of_the_province(three_level_tree, province):
    communes = setup.agencies_at_level(AgencyLevel.COMMUNE, province.root)
    assert [a.name for a in communes] == ["UBND xã A1", "UBND xã A2", "UBND xã A3",
                                          "UBND xã B1", "UBND phường mới"]
    assert setup.agencies_at_level(AgencyLevel.COMMUNE, province.district_a).count() == 3


def test_assigning_needs_view_reports_on_every_agency(indicator_form, people, three_level_tree,
                                                      province):
    with pytest.raises(ReportForbidden):
        assign(indicator_form, three_level_tree.communes, three_level_tree.root,
               people.reporter)
    with pytest.raises(ReportForbidden) as caught:  # district A's office, a commune of B
        assign(indicator_form, [province.commune_b1], province.district_a,
               people.district_office)
    assert "UBND xã B1" in caught.value.message
    assert not ReportAssignment.objects.exists()


def test_assigning_refuses_bad_input(indicator_form, people, three_level_tree):
    with pytest.raises(InvalidInput, match="Chọn ít nhất một đơn vị"):
        setup.assign_form(form=indicator_form, agencies=[],
                             receiving_agency=three_level_tree.root,
                             first_period_start=FIRST_PERIOD_START, by=people.province_office)
    with pytest.raises(InvalidInput, match="Số ngày làm việc phải từ 0 đến 60"):
        setup.assign_form(form=indicator_form, agencies=three_level_tree.communes,
                             receiving_agency=three_level_tree.root, deadline_working_days=99,
                             first_period_start=FIRST_PERIOD_START, by=people.province_office)


# --- drafts -------------------------------------------------------------------------------------

def test_starting_a_report_opens_one_draft(indicator_setup, people):
    report = a1_report(indicator_setup)
    draft = services.start_report(report=report, by=people.reporter)
    assert services.start_report(report=report, by=people.reporter) == draft
    assert (draft.number, draft.status, draft.created_by) == (1, "draft", people.reporter)
    report.refresh_from_db()
    assert report.status == "draft"
    with pytest.raises(IntegrityError), transaction.atomic():  # the DB keeps one draft
        ReportVersion.objects.create(report=report, number=2, created_by=people.reporter,
                                     created_at=OPEN_AT, updated_at=OPEN_AT)


def test_a_draft_may_be_incomplete_but_not_wrong(indicator_setup, people):
    report = a1_report(indicator_setup)
    version = services.save_draft(report=report, values={"DS": {"value": "12.500"},
                                                         "LUA": {"value": "850,5"}},
                                  notes={"LUA": {"value": "Theo số liệu thống kê"}},
                                  note="Bản đầu", by=people.reporter)
    assert numbers(version) == {("DS", "value"): Decimal(12500),
                                ("LUA", "value"): Decimal("850.5")}
    assert cells(version)[("LUA", "value")][2] == "Theo số liệu thống kê"
    assert version.note == "Bản đầu"
    with pytest.raises(ReportInvalid) as caught:
        services.save_draft(report=report, values={"DS": {"value": "-5"},
                                                   "HO_NGHEO": {"value": "120"},
                                                   "LUA": {"value": "900"}},
                            notes={}, note="", by=people.reporter)
    assert caught.value.errors == {("DS", "value"): ["Phải là số nguyên không âm."],
                                   ("HO_NGHEO", "value"): ["Phải là tỷ lệ phần trăm từ 0 "
                                                           "đến 100."]}
    assert caught.value.message == "Báo cáo còn 2 lỗi, xem thông báo tại từng ô."
    assert {"row": "DS", "column": "value", "messages": ["Phải là số nguyên không âm."]} in \
        caught.value.as_list()
    version.refresh_from_db()
    assert numbers(version)[("LUA", "value")] == Decimal("850.5")  # nothing changed
    assert version.note == "Bản đầu"


def test_clearing_a_cell_removes_it(indicator_setup, people):
    report = a1_report(indicator_setup)
    services.save_draft(report=report, values={"DS": {"value": "1"}}, by=people.reporter)
    version = services.save_draft(report=report, values={"DS": {"value": ""}},
                                  by=people.reporter)
    assert not version.values.exists()


def test_a_commune_reporter_cannot_touch_another_communes_report(indicator_setup, people):
    report = a1_report(indicator_setup)
    services.save_draft(report=report, values={"DS": {"value": "100"}}, by=people.reporter)
    for verb in (lambda: services.start_report(report=report, by=people.other_reporter),
                 lambda: services.save_draft(report=report, values={"DS": {"value": "1"}},
                                             by=people.other_reporter),
                 lambda: services.submit_report(report=report, by=people.other_reporter),
                 lambda: services.approve_report(report=report, by=people.reporter)):
        with pytest.raises(ReportForbidden) as caught:
            verb()
        assert caught.value.status_code == 403
    assert numbers(ReportVersion.objects.get(report=report)) == {("DS", "value"): 100}


# --- submission, freezing -------------------------------------------------------------------

def test_submission_checks_required_cells_and_sum_rules(indicator_setup, people):
    report = a1_report(indicator_setup)
    values = indicator_values(0)
    values["DS_NU"] = {"value": "6300"}  # 6100 + 6300 ≠ 12500
    del values["LUA"]
    services.save_draft(report=report, values=values, by=people.reporter)
    with pytest.raises(ReportInvalid) as caught:
        services.submit_report(report=report, by=people.reporter)
    assert caught.value.errors == {
        ("DS", "value"): ["Chỉ tiêu DS phải bằng DS_NAM + DS_NU: 12.500 ≠ 12.400."],
        ("LUA", "value"): ["Chưa nhập."],
    }
    report.refresh_from_db()
    assert report.status == "draft"
    assert ReportVersion.objects.get(report=report).status == "draft"


def test_submission_freezes_the_version_with_its_hashes_and_pdf(indicator_setup, people):
    report = a1_report(indicator_setup)
    services.save_draft(report=report, values=indicator_values(0), by=people.reporter)
    with time_machine.travel(SEND_AT, tick=False):
        version = services.submit_report(report=report, by=people.reporter)
    version.refresh_from_db()
    report.refresh_from_db()
    assert (report.status, version.status) == ("submitted", "submitted")
    assert version.is_frozen
    assert (version.submitted_by, version.submitted_at) == (people.reporter, SEND_AT)
    assert version.content_sha256 == hashlib.sha256(
        services.canonical_content(version)).hexdigest()
    pdf = version.file.read()
    assert pdf.startswith(b"%PDF")
    assert version.file_sha256 == hashlib.sha256(pdf).hexdigest()
    assert report.sent_at is None  # not sent until the leader approves


def test_a_submitted_report_cannot_be_edited(indicator_setup, people):
    report = a1_report(indicator_setup)
    version = send_report(report, indicator_values(0), reporter=people.reporter,
                          approve=False)
    frozen = cells(version)
    with pytest.raises(InvalidInput) as caught:
        services.save_draft(report=report, values={"DS": {"value": "1"}}, by=people.reporter)
    assert caught.value.message == "Báo cáo đang chờ lãnh đạo duyệt, không sửa được."
    with pytest.raises(InvalidInput):
        services.start_report(report=report, by=people.reporter)
    services.approve_report(report=report, by=people.leader)
    with pytest.raises(InvalidInput) as caught:
        services.save_draft(report=report, values={"DS": {"value": "1"}}, by=people.reporter)
    assert caught.value.code == "report_sent"
    version.refresh_from_db()
    assert cells(version) == frozen
    assert version.content_sha256 == hashlib.sha256(
        services.canonical_content(version)).hexdigest()


@pytest.mark.parametrize("status", ["submitted", "approved", "returned", "superseded"])
def test_a_frozen_version_is_never_written(indicator_setup, people, status):
    """The draft/frozen invariant: only a draft passes the gate every write goes through."""
    report = a1_report(indicator_setup)
    version = send_report(report, indicator_values(0), approve=False)
    ReportVersion.objects.filter(pk=version.pk).update(status=status)
    version.refresh_from_db()
    with pytest.raises(InvalidInput) as caught:
        services._write_cells(version, {"DS": {"value": Decimal(1)}}, {})  # noqa: SLF001
    assert caught.value.code == "version_frozen"
    assert numbers(version)[("DS", "value")] == 12500


def test_submitting_without_a_draft_is_refused(indicator_setup, people):
    with pytest.raises(InvalidInput, match="Chưa có bản nháp để trình"):
        services.submit_report(report=a1_report(indicator_setup), by=people.reporter)


# --- approval, return, replacement ------------------------------------------------------------

def test_the_leader_approves_and_the_report_is_sent(indicator_setup, people):
    report = a1_report(indicator_setup)
    version = send_report(report, indicator_values(0), reporter=people.reporter,
                          leader=people.leader)
    report.refresh_from_db()
    assert (report.status, report.channel) == ("approved", "online")
    assert report.current_version == version
    assert report.first_sent_at == report.sent_at == SEND_AT
    assert (version.status, version.decided_by) == ("approved", people.leader)
    with pytest.raises(InvalidInput, match="chưa được trình"):
        services.approve_report(report=report, by=people.leader)


def test_the_leader_returns_and_the_reporter_starts_again_from_the_returned_values(
        indicator_setup, people):
    report = a1_report(indicator_setup)
    first = send_report(report, indicator_values(0), reporter=people.reporter, approve=False)
    with pytest.raises(InvalidInput, match="Vui lòng nêu lý do"):
        services.return_report(report=report, reason="  ", by=people.leader)
    services.return_report(report=report, reason="Kiểm tra lại diện tích lúa",
                           by=people.leader)
    report.refresh_from_db()
    first.refresh_from_db()
    assert report.status == "returned"
    assert (first.status, first.return_reason) == ("returned", "Kiểm tra lại diện tích lúa")
    second = services.start_report(report=report, by=people.reporter)
    assert second.number == 2
    assert cells(second) == cells(first)
    services.save_draft(report=report, values={"LUA": {"value": "845"}}, by=people.reporter)
    services.submit_report(report=report, by=people.reporter)
    services.approve_report(report=report, by=people.leader)
    report.refresh_from_db()
    assert report.current_version.number == 2
    assert numbers(report.current_version)[("LUA", "value")] == 845
    assert numbers(first)[("LUA", "value")] == Decimal("850.5")


def test_a_replacement_keeps_the_old_version_in_force_until_it_is_approved(
        indicator_setup, people):
    report = a1_report(indicator_setup)
    first = send_report(report, indicator_values(0), reporter=people.reporter,
                        leader=people.leader)
    with pytest.raises(InvalidInput, match="Vui lòng nêu lý do"):
        services.replace_report(report=report, reason="", by=people.reporter)
    later = local(2026, 12, 22, 10, 0)
    with time_machine.travel(later, tick=False):
        second = services.replace_report(report=report, reason="Cập nhật số liệu dân số",
                                         by=people.reporter)
        with pytest.raises(InvalidInput, match="Đang có phiên bản thay thế"):
            services.replace_report(report=report, reason="Lần nữa", by=people.reporter)
        services.save_draft(report=report, values={"DS": {"value": "12600"},
                                                   "DS_NU": {"value": "6500"}},
                            by=people.reporter)
        services.submit_report(report=report, by=people.reporter)
        report.refresh_from_db()
        assert (report.status, report.current_version) == ("approved", first)
        services.approve_report(report=report, by=people.leader)
    report.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.number, second.reason, second.status) == (2, "Cập nhật số liệu dân số",
                                                             "approved")
    assert report.current_version == second
    assert first.status == "superseded"
    assert numbers(first)[("DS", "value")] == 12500  # the old version is kept as it was
    assert numbers(second)[("DS", "value")] == 12600
    assert (report.first_sent_at, report.sent_at) == (SEND_AT, later)
    assert first.content_sha256 != second.content_sha256


def test_a_returned_replacement_leaves_the_sent_version_in_force(indicator_setup, people):
    report = a1_report(indicator_setup)
    first = send_report(report, indicator_values(0), reporter=people.reporter,
                        leader=people.leader)
    services.replace_report(report=report, reason="Sửa", by=people.reporter)
    services.submit_report(report=report, by=people.reporter)
    services.return_report(report=report, reason="Không cần sửa", by=people.leader)
    report.refresh_from_db()
    assert (report.status, report.current_version) == ("approved", first)
    third = services.start_report(report=report, by=people.reporter)
    assert (third.number, third.reason) == (3, "Sửa")


def test_only_a_sent_report_can_be_replaced(indicator_setup, people):
    with pytest.raises(InvalidInput, match="Chỉ thay thế được báo cáo đã gửi"):
        services.replace_report(report=a1_report(indicator_setup), reason="Sửa",
                                by=people.reporter)


# --- paper reports ------------------------------------------------------------------------------

def test_the_provincial_office_enters_a_paper_report(indicator_setup, people):
    a1, a2, a3 = indicator_setup.reports
    report = indicator_setup.report(a3)
    with time_machine.travel(SEND_AT, tick=False):
        version = services.record_paper_report(report=report, values=indicator_values(2),
                                               by=people.province_office,
                                               note="Công văn số 12/UBND ngày 15/12/2026")
    report.refresh_from_db()
    assert (report.status, report.channel, report.current_version) == ("approved", "paper",
                                                                       version)
    assert (version.status, version.submitted_by, version.decided_by) == (
        "approved", people.province_office, people.province_office)
    assert version.note == "Công văn số 12/UBND ngày 15/12/2026"
    assert version.file_sha256
    assert version.content_sha256
    assert report.sent_at == SEND_AT
    with pytest.raises(InvalidInput, match="Báo cáo đã gửi"):
        services.record_paper_report(report=report, values=indicator_values(2),
                                     by=people.province_office)


def test_a_paper_report_is_checked_like_a_submission(indicator_setup, people):
    report = a1_report(indicator_setup)
    values = indicator_values(0)
    del values["DS"]
    with pytest.raises(ReportInvalid) as caught:
        services.record_paper_report(report=report, values=values, by=people.province_office)
    assert caught.value.errors == {("DS", "value"): ["Chưa nhập."]}
    assert not ReportVersion.objects.filter(report=report).exists()
    with pytest.raises(ReportForbidden):
        services.record_paper_report(report=report, values=indicator_values(0),
                                     by=people.reporter)


def test_a_paper_report_keeps_the_cells_notes(indicator_setup, people):
    report = a1_report(indicator_setup)
    version = services.record_paper_report(
        report=report, values=indicator_values(0), by=people.province_office,
        notes={"LUA": {"value": "Ước tính của phòng Kinh tế"}, "DS": {"value": ""}})
    assert {(v.row, v.column): v.note for v in version.values.all() if v.note} == {
        ("LUA", "value"): "Ước tính của phòng Kinh tế"}
    assert "Ước tính của phòng Kinh tế" in services.canonical_content(version).decode()


def test_paper_notes_go_only_on_the_forms_cells(indicator_setup, people):
    report = a1_report(indicator_setup)
    for notes in ({"KHONG_CO": {"value": "Ghi chú"}}, {"DS": {"cot_la": "Ghi chú"}}):
        with pytest.raises(ReportInvalid) as caught:
            services.record_paper_report(report=report, values=indicator_values(0),
                                         notes=notes, by=people.province_office)
        assert caught.value.errors == {ALL: [services.BAD_NOTES]}
    with pytest.raises(InvalidInput, match="Ghi chú phải theo từng ô"):
        services.record_paper_report(report=report, values=indicator_values(0),
                                     notes={"DS": "không theo ô"}, by=people.province_office)
    assert not ReportVersion.objects.filter(report=report).exists()


# --- no orphan file -----------------------------------------------------------------------------

def broken(*args, **kwargs):
    raise RuntimeError("máy chủ thư không phản hồi")


def test_a_submission_that_fails_after_storing_its_pdf_leaves_no_file(indicator_setup, people,
                                                                      monkeypatch):
    report = a1_report(indicator_setup)
    services.save_draft(report=report, values=indicator_values(0), by=people.reporter)
    monkeypatch.setattr(notices, "tell_submitted", broken)  # runs after the PDF is stored
    with pytest.raises(RuntimeError):
        services.submit_report(report=report, by=people.reporter)
    assert stored_files() == []
    version = ReportVersion.objects.get(report=report)
    assert (version.status, version.file.name, version.file_sha256) == ("draft", "", "")
    monkeypatch.undo()
    submitted = services.submit_report(report=report, by=people.reporter)
    assert stored_files() == [Path(private_storage.path(submitted.file.name))]


def test_a_paper_report_that_fails_after_storing_its_pdf_leaves_no_file(indicator_setup,
                                                                        people, monkeypatch):
    report = a1_report(indicator_setup)
    monkeypatch.setattr(services, "_mark_sent", broken)  # runs after the PDF is stored
    with pytest.raises(RuntimeError):
        services.record_paper_report(report=report, values=indicator_values(0),
                                     by=people.province_office)
    assert stored_files() == []
    assert not ReportVersion.objects.filter(report=report).exists()


def test_a_two_level_province_works_the_same(two_level_setup, two_level_people):
    c1 = next(iter(two_level_setup.reports))
    report = two_level_setup.report(c1)
    version = send_report(report, indicator_values(0), reporter=two_level_people.reporter,
                          leader=two_level_people.leader)
    report.refresh_from_db()
    assert report.current_version == version
    assert two_level_setup.period.deadline_at == local(2026, 12, 16, 17, 0)


def test_fixtures_leave_known_reports(sent_indicator_reports, sent_two_level_reports):
    statuses = {r.agency.name: AgencyReport.objects.get(pk=r.pk).status
                for r in sent_indicator_reports.reports.values()}
    assert statuses == {"UBND xã A1": "approved", "UBND xã A2": "approved",
                        "UBND xã A3": "not_started"}
    assert ReportValue.objects.filter(version__report__agency__name="UBND xã A2",
                                      row="LUA").get().number == Decimal("1020.25")
    assert sorted(AgencyReport.objects.filter(period=sent_two_level_reports.period)
                  .values_list("status", flat=True)) == ["approved", "approved", "not_started"]
    assert ReportingPeriod.objects.filter(year=2026, number=4).count() == 2
    assert AgencyFactory._meta.model.objects.filter(name="UBND tỉnh hai cấp").exists()
