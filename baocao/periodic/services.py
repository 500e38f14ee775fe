"""The verbs of periodic reporting (issue 10). Each is one transaction, checks the actor's
Agency permission, refuses bad input with a Vietnamese message and changes nothing then.

Permissions (Agency object permissions, inherited down the tree, portal.permissions):
- define a form: `manage_agency` on a root agency (the province's administrator);
- assign a form, remind, enter a paper report: `view_reports` on the agencies concerned (the
  provincial office, Văn phòng UBND tỉnh);
- start, save, submit, replace a report: `submit_periodic_report` on the report's agency;
- approve or return it: `approve_periodic_report` on the report's agency.

The life of a report (AgencyReport.status is what the province sees):
not_started → draft (start, save) → submitted (submit: the version is frozen — values,
who, when, SHA-256 of its content and of its PDF) → approved (= sent, đã gửi) or returned
(→ a new draft copies the returned values). A sent report is never edited: `replace_report`
opens a new draft version with a reason; the report stays approved and its current version
stays the old one until the new one is approved, which supersedes it. Every version is kept.
A draft is the only version ever written to (`_editable`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from baocao.models import (
    AgencyReport,
    Aggregation,
    FormColumn,
    FormRow,
    ReportAssignment,
    ReportForm,
    ReportingPeriod,
    ReportReminder,
    ReportValue,
    ReportVersion,
    ValueType,
)
from baocao.periodic import deadlines, validation
from baocao.periodic.validation import ALL, Key
from portal.calendar import TZ
from portal.errors import DomainError, InvalidInput
from portal.models import Agency, AgencyGroupObjectPermission, AgencyUserObjectPermission
from portal.permissions import agencies_with_perm, has_agency_perm

SUBMIT_PERM = "submit_periodic_report"
APPROVE_PERM = "approve_periodic_report"
VIEW_PERM = "view_reports"
MANAGE_PERM = "manage_agency"
REMINDER_CODE = "periodic_report_reminder"
MAX_REASON = 2000
MAX_NOTE = 2000
MAX_WORKING_DAYS = 60
OPEN_STATUSES = (AgencyReport.Status.NOT_STARTED, AgencyReport.Status.DRAFT,
                 AgencyReport.Status.SUBMITTED, AgencyReport.Status.RETURNED)

FORBIDDEN_DEFINE = "Chỉ quản trị hệ thống cấp tỉnh được định nghĩa biểu mẫu báo cáo."
FORBIDDEN_ASSIGN = "Bạn không có quyền giao báo cáo cho đơn vị “%(agency)s”."
FORBIDDEN_SUBMIT = "Bạn không có quyền lập báo cáo định kỳ của đơn vị “%(agency)s”."
FORBIDDEN_APPROVE = "Bạn không có quyền duyệt báo cáo định kỳ của đơn vị “%(agency)s”."
FORBIDDEN_FOLLOW = "Bạn không có quyền theo dõi báo cáo định kỳ của đơn vị “%(agency)s”."
REPORT_INVALID = "Báo cáo còn %(count)s lỗi, xem thông báo tại từng ô."
ALREADY_SENT = ("Báo cáo đã gửi, không sửa được. Muốn thay đổi số liệu, lập phiên bản thay "
                "thế và nêu lý do.")
AWAITING_APPROVAL = "Báo cáo đang chờ lãnh đạo duyệt, không sửa được."
FROZEN = ("Phiên bản %(number)s đã trình là bản cố định, không sửa được; lập phiên bản thay thế "
          "và nêu lý do.")
NO_DRAFT = "Chưa có bản nháp để trình. Hãy lập báo cáo trước."
NOT_SUBMITTED = "Báo cáo chưa được trình lãnh đạo duyệt."
NOT_SENT = "Chỉ thay thế được báo cáo đã gửi."
REPLACEMENT_OPEN = "Đang có phiên bản thay thế chưa được duyệt."
REASON_REQUIRED = "Vui lòng nêu lý do."
TOO_LONG = "Nội dung quá dài (tối đa %(max)s ký tự)."
FORM_INACTIVE = "Biểu mẫu “%(code)s” đang ngừng sử dụng."
NO_AGENCIES = "Chọn ít nhất một đơn vị phải báo cáo."
ALREADY_ASSIGNED = ("Biểu %(code)s đã được giao cho: %(agencies)s. Bỏ các đơn vị này ra rồi "
                    "giao lại.")
BAD_DAYS = "Số ngày làm việc phải từ 0 đến %(max)s."
BAD_FORM = "Biểu mẫu không hợp lệ: %(problems)s"
CODES_IN_USE = ("Không xóa được %(what)s “%(codes)s”: đã có báo cáo dùng biểu này. Hãy "
                "tạo biểu mới hoặc ngừng dùng biểu.")
BAD_NOTES = "Ghi chú phải theo từng ô (dòng → cột → nội dung) của biểu."
BAD_VALUES = "Số liệu phải theo từng ô (dòng → cột → giá trị)."

REMINDER_KINDS = {
    ReportReminder.Kind.BEFORE: "Nhắc gửi báo cáo sắp đến hạn",
    ReportReminder.Kind.AFTER: "Báo cáo đã quá hạn gửi",
    ReportReminder.Kind.MANUAL: "Nhắc gửi báo cáo",
}
# The built-in text of the reminder, exactly as portal/migrations/0014 installed it (a test
# keeps the two equal): used only when the row is missing, so a reminder never fails for want
# of a text. Administrators edit the row.
REMINDER_TEMPLATE = {
    "name": "Nhắc gửi báo cáo định kỳ",
    "email_subject": "[{{ site_name }}] {{ kind }}: báo cáo {{ form_code }} {{ period_name }}",
    "email_body": """Kính gửi: {{ recipient_name }}

{{ kind }}: báo cáo {{ form_code }} “{{ form_title }}”, {{ period_label }}, của {{ agency_name }}.
Hạn gửi: {{ deadline|date:"H:i d/m/Y" }}{% if overdue %} (đã quá hạn){% endif %}. Đơn vị nhận báo cáo: {{ receiving_agency }}.
Tình trạng hiện nay: {{ status }}.

Đề nghị Ông/Bà lập báo cáo, trình lãnh đạo duyệt và gửi trên hệ thống tại: {{ report_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
    "sms_body": ("{{ kind }}: báo cáo {{ form_code }} {{ period_name }}, hạn "
                 "{{ deadline|date:\"H:i d/m/Y\" }}. {{ report_url }}"),
}


class ReportForbidden(DomainError):
    """The actor lacks the Agency permission (views answer 403)."""

    status_code = 403

    def __init__(self, message: str) -> None:
        super().__init__("forbidden", message)


class ReportInvalid(InvalidInput):
    """Cells that do not validate: `errors` is {(row, column) or "__all__": [messages]}."""

    def __init__(self, errors: dict[Key, list[str]]) -> None:
        count = sum(len(m) for m in errors.values())
        super().__init__("report_invalid", REPORT_INVALID % {"count": count})
        self.errors = errors

    def as_list(self) -> list[dict]:
        """The errors as JSON-friendly items: {"row", "column", "messages"} (row and column
        empty for the report as a whole)."""
        return [{"row": "" if key == ALL else key[0], "column": "" if key == ALL else key[1],
                 "messages": messages} for key, messages in self.errors.items()]


# --- helpers ----------------------------------------------------------------------------------

def _require(user, perm: str, agency: Agency, message: str) -> None:
    if not has_agency_perm(user, perm, agency):
        raise ReportForbidden(message % {"agency": agency.name})


def _text(value: str | None, *, required: bool = False, limit: int = MAX_REASON) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput("reason_required", REASON_REQUIRED)
    if len(text) > limit:
        raise InvalidInput("too_long", TOO_LONG % {"max": limit})
    return text


def _locked(report: AgencyReport | int) -> AgencyReport:
    pk = report if isinstance(report, int) else report.pk
    return (AgencyReport.objects.select_for_update(of=("self",))
            .select_related("agency", "period__assignment__form", "current_version")
            .get(pk=pk))


def _versions(report: AgencyReport):
    return ReportVersion.objects.filter(report=report)


def _draft(report: AgencyReport) -> ReportVersion | None:
    return _versions(report).filter(status=ReportVersion.Status.DRAFT).first()


def _latest(report: AgencyReport) -> ReportVersion | None:
    return _versions(report).order_by("-number").first()


def _editable(version: ReportVersion) -> ReportVersion:
    """The only gate to writing a version's values: a frozen version is never written."""
    if version.is_frozen:
        raise InvalidInput("version_frozen", FROZEN % {"number": version.number})
    return version


def _save_report(report: AgencyReport, *fields: str) -> None:
    report.save(update_fields=[*fields, "updated_at"])


def form_rows(form: ReportForm, version: ReportVersion | None = None) -> list:
    """The rows of a version: its own (a computable form's rows come from the data) or the
    form's fixed rows."""
    if version is not None and version.rows:
        return list(version.rows)
    return list(form.rows.all())


def stored_values(version: ReportVersion) -> dict[str, dict[str, Decimal | str | None]]:
    """A version's cells as {row: {column: Decimal, text or None}}."""
    out: dict[str, dict[str, Decimal | str | None]] = {}
    for cell in version.values.all():
        out.setdefault(cell.row, {})[cell.column] = (
            cell.number if cell.number is not None else (cell.text or None))
    return out


# --- forms and assignments ------------------------------------------------------------------

def _decimal_or_none(value: Any, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise InvalidInput("bad_form", BAD_FORM % {"problems": f"{what} không phải là số."}
                           ) from None


def _cell_fields(item: Mapping, what: str, order: int) -> dict:
    value_type = item.get("value_type") or ValueType.INTEGER
    aggregation = item.get("aggregation") or Aggregation.SUM
    problems = []
    if value_type not in ValueType.values:
        problems.append(f"{what}: kiểu giá trị “{value_type}” không hợp lệ.")
    if aggregation not in Aggregation.values:
        problems.append(f"{what}: cách tổng hợp “{aggregation}” không hợp lệ.")
    if problems:
        raise InvalidInput("bad_form", BAD_FORM % {"problems": " ".join(problems)})
    default_min = None if value_type == ValueType.TEXT else 0
    return {"value_type": value_type, "aggregation": aggregation,
            "required": bool(item.get("required", True)),
            "min_value": _decimal_or_none(item.get("min_value", default_min), what),
            "max_value": _decimal_or_none(item.get("max_value"), what),
            "order": int(item.get("order") or order)}


def _check_items(items: list, what: str, label_key: str) -> list[str]:
    problems, seen = [], set()
    for number, item in enumerate(items, 1):
        code = str((item or {}).get("code") or "").strip() if isinstance(item, Mapping) else ""
        if not code or not str(item.get(label_key) or "").strip():
            problems.append(f"{what} thứ {number}: cần có mã và tên.")
        elif code in seen:
            problems.append(f"{what} “{code}” bị trùng.")
        seen.add(code)
    return problems


def _check_form_input(*, code, title, period_kind, layout, system, source, columns, rows,
                      rules) -> list[str]:
    problems = []
    if not (code or "").strip() or len(code) > 60:
        problems.append("Ký hiệu biểu không được để trống (tối đa 60 ký tự).")
    if not (title or "").strip():
        problems.append("Tên biểu không được để trống.")
    checks = ((period_kind, ReportForm.Kind, "Kỳ báo cáo"), (layout, ReportForm.Layout,
              "Dạng biểu"), (system, ReportForm.System, "Cách tính kỳ"),
              (source, ReportForm.Source, "Nguồn số liệu"))
    problems += [f"{what} “{value}” không hợp lệ." for value, choices, what in checks
                 if value not in choices.values]
    problems += _check_items(columns, "Cột", "heading") + _check_items(rows, "Chỉ tiêu", "label")
    if not columns:
        problems.append("Biểu phải có ít nhất một cột.")
    if not rows and not source:
        problems.append("Biểu nhập tay phải có ít nhất một dòng, chỉ tiêu.")
    if not problems:
        problems += validation.check_rules_shape(
            rules, {str(r["code"]).strip() for r in rows},
            {str(c["code"]).strip() for c in columns})
    return problems


@transaction.atomic
def define_form(*, code: str, title: str, period_kind: str, layout: str, system: str = "gris",
                source: str = "", legal_basis: str = "", unit_note: str = "",
                description: str = "", columns: list[dict], rows: list[dict],
                rules: list[dict], by) -> ReportForm:
    """Create a form, or replace the definition of the form with this code: its columns,
    rows (indicators) and cross-cell rules (validated: they must name existing codes). A
    column or row that reports already use cannot be removed."""
    if not (by and by.is_authenticated and (by.is_superuser or agencies_with_perm(
            by, MANAGE_PERM).filter(depth=1).exists())):
        raise ReportForbidden(FORBIDDEN_DEFINE)
    if layout == ReportForm.Layout.INDICATORS and not columns:
        columns = [{"code": "value", "heading": "Số liệu"}]
    columns, rows, rules = list(columns or []), list(rows or []), list(rules or [])
    problems = _check_form_input(code=code, title=title, period_kind=period_kind,
                                 layout=layout, system=system, source=source,
                                 columns=columns, rows=rows, rules=rules)
    if problems:
        raise InvalidInput("bad_form", BAD_FORM % {"problems": " ".join(problems)})
    fields = {"title": title.strip(), "period_kind": period_kind, "layout": layout,
              "system": system, "source": source, "legal_basis": legal_basis.strip(),
              "unit_note": unit_note.strip(), "description": description.strip(),
              "rules": rules}
    form = ReportForm.objects.select_for_update().filter(code=code.strip()).first()
    if form is None:
        form = ReportForm.objects.create(code=code.strip(), **fields)
    else:
        for name, value in fields.items():
            setattr(form, name, value)
        form.save()
    _replace_items(form, FormColumn, columns, "heading", "cột")
    _replace_items(form, FormRow, rows, "label", "chỉ tiêu")
    return form


def _replace_items(form: ReportForm, model, items: list[dict], label_key: str,
                   what: str) -> None:
    wanted = {str(item["code"]).strip(): (n, item) for n, item in enumerate(items, 1)}
    gone = set(model.objects.filter(form=form).values_list("code", flat=True)) - set(wanted)
    if gone:
        field = "column" if model is FormColumn else "row"
        used = sorted(set(ReportValue.objects.filter(
            version__report__period__assignment__form=form, **{f"{field}__in": gone})
            .values_list(field, flat=True)))
        if used:
            raise InvalidInput("form_in_use", CODES_IN_USE % {"what": what,
                                                              "codes": ", ".join(used)})
        model.objects.filter(form=form, code__in=gone).delete()
    for code, (order, item) in wanted.items():
        defaults = {label_key: str(item[label_key]).strip(),
                    **_cell_fields(item, f"{what} “{code}”", order)}
        if model is FormColumn:
            defaults["group"] = str(item.get("group") or "").strip()
        else:
            defaults.update(section=str(item.get("section") or "").strip(),
                            unit=str(item.get("unit") or "").strip())
        model.objects.update_or_create(form=form, code=code, defaults=defaults)


def agencies_at_level(level: str, under: Agency):
    """Every active agency of a level in `under`'s subtree, e.g. every commune of the
    province (for an assignment)."""
    return Agency.objects.filter(path__startswith=under.path, level=level,
                                 is_active=True).order_by("path")


@transaction.atomic
def assign_form(*, form: ReportForm, agencies: Iterable[Agency], receiving_agency: Agency,
                first_period_start: dt.date, deadline_working_days: int = 2,
                remind_before_days: int = 1, remind_after_days: int = 1, by,
                now: dt.datetime | None = None) -> ReportAssignment:
    """Assign a form to agencies from the period containing `first_period_start` on, due
    `deadline_working_days` working days after each cut-off; the periods that have already
    started are opened at once."""
    agencies = list(agencies)
    if not agencies:
        raise InvalidInput("no_agencies", NO_AGENCIES)
    if not form.is_active:
        raise InvalidInput("form_inactive", FORM_INACTIVE % {"code": form.code})
    for days in (deadline_working_days, remind_before_days, remind_after_days):
        if not 0 <= int(days) <= MAX_WORKING_DAYS:
            raise InvalidInput("bad_days", BAD_DAYS % {"max": MAX_WORKING_DAYS})
    for agency in [receiving_agency, *agencies]:
        _require(by, VIEW_PERM, agency, FORBIDDEN_ASSIGN)
    # one report per agency and period: an agency already given this form keeps that
    # assignment (its deadlines, its reports) — otherwise it would be counted twice
    taken = list(Agency.objects.filter(
        pk__in=[a.pk for a in agencies], report_assignments__form=form,
        report_assignments__is_active=True).order_by("path").values_list("name", flat=True))
    if taken:
        raise InvalidInput("already_assigned", ALREADY_ASSIGNED % {
            "code": form.code, "agencies": ", ".join(taken[:10])
            + (f" và {len(taken) - 10} đơn vị khác" if len(taken) > 10 else "")})
    assignment = ReportAssignment.objects.create(
        form=form, receiving_agency=receiving_agency,
        deadline_working_days=deadline_working_days, remind_before_days=remind_before_days,
        remind_after_days=remind_after_days, first_period_start=first_period_start,
        created_by=by)
    assignment.agencies.set(agencies)
    _open_assignment(assignment, now or timezone.now())
    return assignment


# --- opening periods ------------------------------------------------------------------------

_REPORT_TABLE = AgencyReport._meta.db_table
_PERIOD_TABLE = ReportingPeriod._meta.db_table
_ASSIGNED_TABLE = ReportAssignment.agencies.through._meta.db_table
# every assigned agency gets its report in every opened period of the assignment (an agency
# added to the assignment later gets the reports of the periods already open)
_CREATE_REPORTS_SQL = f"""
INSERT INTO {_REPORT_TABLE} (period_id, agency_id, status, channel, updated_at)
SELECT p.id, aa.agency_id, %(status)s, '', %(now)s
FROM {_PERIOD_TABLE} p
JOIN {_ASSIGNED_TABLE} aa ON aa.reportassignment_id = p.assignment_id
WHERE p.assignment_id = %(assignment)s
ON CONFLICT (period_id, agency_id) DO NOTHING
"""  # noqa: S608 — table names from the models, values are parameters


def _open_assignment(assignment: ReportAssignment, now: dt.datetime) -> int:
    """Open every started period of the assignment not opened yet, and every missing report;
    the number of periods opened. Idempotent (unique keys, ON CONFLICT DO NOTHING)."""
    form = assignment.form
    have = set(assignment.periods.values_list("year", "number"))
    new = []
    for period in deadlines.periods_between(form.system, form.period_kind,
                                            assignment.first_period_start, now):
        if (period.year, period.number) in have:
            continue
        new.append(ReportingPeriod(
            assignment=assignment, year=period.year, number=period.number,
            label=period.label[:100], start=period.start, end=period.end,
            deadline_at=deadlines.deadline_for(period.end, assignment.deadline_working_days,
                                               assignment.receiving_agency),
            opened_at=now))
        if len(new) >= deadlines.MAX_PERIODS_PER_RUN:
            break
    created = ReportingPeriod.objects.bulk_create(new, ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_REPORTS_SQL, {"status": AgencyReport.Status.NOT_STARTED,
                                             "now": now, "assignment": assignment.pk})
    return len(created) if new else 0


def open_periods(*, now: dt.datetime | None = None) -> int:
    """The job: for each active assignment, open every started period not yet opened (its
    deadline from the working-day calendar) with one not-started report per assigned agency.
    Idempotent; the number of periods opened."""
    now = now or timezone.now()
    opened = 0
    for assignment in (ReportAssignment.objects.filter(is_active=True, form__is_active=True)
                       .select_related("form", "receiving_agency").order_by("pk")):
        with transaction.atomic():
            opened += _open_assignment(assignment, now)
    return opened


# --- versions -------------------------------------------------------------------------------

def _new_version(report: AgencyReport, by, *, based_on: ReportVersion | None = None,
                 reason: str = "") -> ReportVersion:
    """A new draft: a copy of `based_on` (a returned or the approved version), else the
    figures computed by prefill.py when the form has a source, else empty."""
    from baocao.periodic.prefill import prefill

    now = timezone.now()
    number = (_versions(report).aggregate(n=Max("number"))["n"] or 0) + 1
    version = ReportVersion(report=report, number=number, reason=reason, created_by=by,
                            created_at=now, updated_at=now)
    cells: list[ReportValue] = []
    if based_on is not None:
        version.rows, version.prefill, version.note = (based_on.rows, based_on.prefill,
                                                       based_on.note)
        version.save()
        cells = [ReportValue(version=version, row=c.row, column=c.column, number=c.number,
                             text=c.text, note=c.note) for c in based_on.values.all()]
    else:
        form = report.period.assignment.form
        if form.source:
            rows, values = prefill(report)
            version.rows = rows
            version.prefill = {"as_of": now.isoformat(), "values": {
                row: {column: str(v) for column, v in cells_.items()}
                for row, cells_ in values.items()}}
            cells = [ReportValue(row=row, column=column, number=value)
                     for row, by_column in values.items()
                     for column, value in by_column.items()]
        version.save()
        for cell in cells:
            cell.version = version
    ReportValue.objects.bulk_create(cells)
    return version


def _start(report: AgencyReport, by) -> ReportVersion:
    draft = _draft(report)
    if draft is not None:
        return draft
    latest = _latest(report)
    if latest is not None and latest.status == ReportVersion.Status.SUBMITTED:
        raise InvalidInput("awaiting_approval", AWAITING_APPROVAL)
    if latest is not None and latest.status != ReportVersion.Status.RETURNED:
        raise InvalidInput("report_sent", ALREADY_SENT)
    version = _new_version(report, by, based_on=latest, reason=latest.reason if latest else "")
    if report.status in (AgencyReport.Status.NOT_STARTED, AgencyReport.Status.RETURNED):
        report.status = AgencyReport.Status.DRAFT
        _save_report(report, "status")
    return version


@transaction.atomic
def start_report(*, report: AgencyReport, by) -> ReportVersion:
    """Open the report's draft (the existing one if there is one): a new version, pre-filled
    from the portal's data when the form is computable, or a copy of the version the leader
    returned."""
    report = _locked(report)
    _require(by, SUBMIT_PERM, report.agency, FORBIDDEN_SUBMIT)
    return _start(report, by)


def _notes_of(notes: Any) -> dict[tuple[str, str], str]:
    if not notes:
        return {}
    if not isinstance(notes, Mapping) or not all(isinstance(v, Mapping)
                                                 for v in notes.values()):
        raise InvalidInput("bad_notes", BAD_NOTES)
    return {(str(row), str(column)): _text(text, limit=MAX_NOTE)
            for row, by_column in notes.items() for column, text in by_column.items()}


def _write_cells(version: ReportVersion, parsed: Mapping[str, Mapping[str, Any]],
                 notes: dict[tuple[str, str], str]) -> None:
    """Upsert the given cells (and notes) of a draft; a cell left with no value and no note
    is removed."""
    _editable(version)
    existing = {(c.row, c.column): c for c in version.values.all()}
    keys = {(row, column) for row, cells in parsed.items() for column in cells} | set(notes)
    upsert, empty = [], []
    for row, column in sorted(keys):
        cell = existing.get((row, column)) or ReportValue(version=version, row=row,
                                                          column=column)
        if column in parsed.get(row, {}):
            value = parsed[row][column]
            cell.number = value if isinstance(value, Decimal) else None
            cell.text = value if isinstance(value, str) else ""
        if (row, column) in notes:
            cell.note = notes[(row, column)]
        if cell.number is None and not cell.text and not cell.note:
            empty.append((row, column))
        else:
            upsert.append(cell)
    ReportValue.objects.bulk_create(
        upsert, update_conflicts=True, unique_fields=["version", "row", "column"],
        update_fields=["number", "text", "note"])
    for row, column in empty:
        ReportValue.objects.filter(version=version, row=row, column=column).delete()


@transaction.atomic
def save_draft(*, report: AgencyReport, values: Mapping[str, Mapping[str, Any]],
               notes: Mapping | None = None, note: str | None = None, by) -> ReportVersion:
    """Save cells of the draft (opened if needed): `values` {row: {column: raw string}} as
    typed (an empty string clears a cell), `notes` {row: {column: note}}, `note` the
    version's explanation. Types and bounds are checked (ReportInvalid, nothing saved);
    required cells and cross-cell rules wait for the submission."""
    report = _locked(report)
    _require(by, SUBMIT_PERM, report.agency, FORBIDDEN_SUBMIT)
    if not isinstance(values, Mapping) or not all(isinstance(v, Mapping)
                                                  for v in values.values()):
        raise ReportInvalid({ALL: [BAD_VALUES]})
    version = _editable(_start(report, by))
    form = report.period.assignment.form
    rows = form_rows(form, version)
    parsed, errors = validation.clean(form, rows, values, final=False)
    cell_notes = _notes_of(notes)
    row_codes = {validation._code(r) for r in rows}  # noqa: SLF001 — the module's own helper
    column_codes = set(form.columns.values_list("code", flat=True))
    for row, column in cell_notes:
        if row not in row_codes or column not in column_codes:
            errors.setdefault(ALL, []).append(BAD_NOTES)
            break
    if errors:
        raise ReportInvalid(errors)
    _write_cells(version, parsed, cell_notes)
    if note is not None:
        version.note = _text(note, limit=MAX_NOTE)
    version.updated_at = timezone.now()
    version.save(update_fields=["note", "updated_at"])
    return version


# --- freezing -------------------------------------------------------------------------------

def _canonical_number(value: Decimal) -> str:
    """1000.0000 → "1000", 12.5000 → "12.5"."""
    return format(value.normalize(), "f")


def canonical_content(version: ReportVersion) -> bytes:
    """What a frozen version's content_sha256 is the SHA-256 of: form, agency, period,
    version, rows and every cell (value and note) as canonical JSON (sorted keys, no
    spaces, numbers as plain decimal strings)."""
    report = version.report
    period = report.period
    form = period.assignment.form
    rows = [{"code": r["code"], "label": r["label"]} if isinstance(r, Mapping)
            else {"code": r.code, "label": r.label, "unit": r.unit}
            for r in form_rows(form, version)]
    cells: dict[str, dict[str, dict[str, str]]] = {}
    for cell in version.values.order_by("row", "column"):
        value = _canonical_number(cell.number) if cell.number is not None else cell.text
        cells.setdefault(cell.row, {})[cell.column] = {"value": value, "note": cell.note}
    data = {"form": form.code, "agency": report.agency.code,
            "period": {"year": period.year, "number": period.number,
                       "start": period.start.astimezone(dt.UTC).isoformat(),
                       "end": period.end.astimezone(dt.UTC).isoformat()},
            "version": version.number, "rows": rows, "values": cells,
            "note": version.note, "reason": version.reason}
    return json.dumps(data, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def _validated(report: AgencyReport, version: ReportVersion) -> None:
    form = report.period.assignment.form
    errors = validation.validate(form, form_rows(form, version), stored_values(version),
                                 final=True)
    if errors:
        raise ReportInvalid(errors)


def _freeze(version: ReportVersion, status: str, by, now: dt.datetime, *,
            approved: bool) -> None:
    """Freeze a draft: status, who and when, the SHA-256 of its content, its PDF (stored
    with its SHA-256)."""
    from baocao.periodic.exports import report_pdf

    _editable(version)
    version.status = status
    version.submitted_by, version.submitted_at = by, now
    if approved:
        version.decided_by, version.decided_at = by, now
    version.updated_at = now
    version.content_sha256 = hashlib.sha256(canonical_content(version)).hexdigest()
    version.save()
    pdf = report_pdf(version)
    version.file_sha256 = hashlib.sha256(pdf).hexdigest()
    version.file.save(f"bao-cao-{version.report_id}-v{version.number}.pdf", ContentFile(pdf),
                      save=False)
    version.save(update_fields=["file", "file_sha256"])


@transaction.atomic
def submit_report(*, report: AgencyReport, by) -> ReportVersion:
    """Submit the draft to the leader: every rule checked (required cells, identities;
    ReportInvalid, nothing changed), then the version is frozen."""
    report = _locked(report)
    _require(by, SUBMIT_PERM, report.agency, FORBIDDEN_SUBMIT)
    version = _draft(report)
    if version is None:
        raise InvalidInput("no_draft", NO_DRAFT)
    _validated(report, version)
    _freeze(version, ReportVersion.Status.SUBMITTED, by, timezone.now(), approved=False)
    if report.status != AgencyReport.Status.APPROVED:  # a replacement: still sent
        report.status = AgencyReport.Status.SUBMITTED
        _save_report(report, "status")
    return version


def _submitted(report: AgencyReport) -> ReportVersion:
    version = _versions(report).filter(status=ReportVersion.Status.SUBMITTED).first()
    if version is None:
        raise InvalidInput("not_submitted", NOT_SUBMITTED)
    return version


def _mark_sent(report: AgencyReport, version: ReportVersion, channel: str,
               now: dt.datetime) -> None:
    previous = report.current_version
    if previous is not None and previous.pk != version.pk:
        ReportVersion.objects.filter(pk=previous.pk).update(
            status=ReportVersion.Status.SUPERSEDED)
    report.current_version = version
    report.status = AgencyReport.Status.APPROVED
    report.channel = channel
    report.first_sent_at = report.first_sent_at or now
    report.sent_at = now
    _save_report(report, "current_version", "status", "channel", "first_sent_at", "sent_at")


@transaction.atomic
def approve_report(*, report: AgencyReport, by) -> ReportVersion:
    """The leader approves the submitted version: the report is sent (đã gửi); a replacement
    supersedes the version sent before."""
    report = _locked(report)
    _require(by, APPROVE_PERM, report.agency, FORBIDDEN_APPROVE)
    version = _submitted(report)
    now = timezone.now()
    version.status = ReportVersion.Status.APPROVED
    version.decided_by, version.decided_at = by, now
    version.save(update_fields=["status", "decided_by", "decided_at"])
    _mark_sent(report, version, AgencyReport.Channel.ONLINE, now)
    return version


@transaction.atomic
def return_report(*, report: AgencyReport, reason: str, by) -> ReportVersion:
    """The leader returns the submitted version with a reason; the reporter starts a new
    draft from it. A returned replacement leaves the sent version in force."""
    reason = _text(reason, required=True)
    report = _locked(report)
    _require(by, APPROVE_PERM, report.agency, FORBIDDEN_APPROVE)
    version = _submitted(report)
    version.status = ReportVersion.Status.RETURNED
    version.return_reason = reason
    version.decided_by, version.decided_at = by, timezone.now()
    version.save(update_fields=["status", "return_reason", "decided_by", "decided_at"])
    if report.status != AgencyReport.Status.APPROVED:
        report.status = AgencyReport.Status.RETURNED
        _save_report(report, "status")
    return version


@transaction.atomic
def replace_report(*, report: AgencyReport, reason: str, by) -> ReportVersion:
    """Open a replacement of a sent report: a new draft version, a copy of the version in
    force, with the reason. The sent version stays in force until the new one is
    approved."""
    reason = _text(reason, required=True)
    report = _locked(report)
    _require(by, SUBMIT_PERM, report.agency, FORBIDDEN_SUBMIT)
    if report.status != AgencyReport.Status.APPROVED or report.current_version is None:
        raise InvalidInput("not_sent", NOT_SENT)
    if _versions(report).filter(status__in=(ReportVersion.Status.DRAFT,
                                            ReportVersion.Status.SUBMITTED)).exists():
        raise InvalidInput("replacement_open", REPLACEMENT_OPEN)
    return _new_version(report, by, based_on=report.current_version, reason=reason)


@transaction.atomic
def record_paper_report(*, report: AgencyReport, values: Mapping[str, Mapping[str, Any]], by,
                        note: str = "") -> ReportVersion:
    """The provincial office enters a report the agency sent on paper: the values (over the
    pre-filled figures of a computable form) are checked as a submission and the version is
    frozen as sent, channel paper."""
    report = _locked(report)
    _require(by, VIEW_PERM, report.agency, FORBIDDEN_FOLLOW)
    if report.status == AgencyReport.Status.APPROVED:
        raise InvalidInput("report_sent", ALREADY_SENT)
    if report.status == AgencyReport.Status.SUBMITTED:
        raise InvalidInput("awaiting_approval", AWAITING_APPROVAL)
    version = _draft(report) or _new_version(report, by)
    form = report.period.assignment.form
    rows = form_rows(form, version)
    parsed, errors = validation.clean(form, rows, values, final=False)
    if errors:
        raise ReportInvalid(errors)
    _write_cells(version, parsed, {})
    version.note = _text(note, limit=MAX_NOTE)
    version.save(update_fields=["note"])
    _validated(report, version)
    now = timezone.now()
    _freeze(version, ReportVersion.Status.APPROVED, by, now, approved=True)
    _mark_sent(report, version, AgencyReport.Channel.PAPER, now)
    return version


# --- reminders --------------------------------------------------------------------------------

def _recipients(agencies: list[Agency]) -> dict[int, list[tuple[str, str, str]]]:
    """{agency id: [(key, name, e-mail)]}: the active users who submit or approve the
    agency's periodic reports — granted on the agency itself, directly or through a group (a
    leader of the province may approve below, but is not reminded of every commune's
    report) — and the agency's own mailbox. Three queries for any number of agencies."""
    from portal.models import User

    paths = {a.path for a in agencies}
    where = {"permission__codename__in": (SUBMIT_PERM, APPROVE_PERM),
             "permission__content_type__app_label": "portal",
             "content_object__path__in": sorted(paths)}
    grants = list(AgencyUserObjectPermission.objects.filter(**where)
                  .values_list("content_object__path", "user_id"))
    grants += [(path, user) for path, user in AgencyGroupObjectPermission.objects.filter(
        **where).values_list("content_object__path", "group__user") if user is not None]
    users = {u.pk: u for u in User.objects.filter(pk__in={u for _p, u in grants},
                                                  is_active=True)}
    out: dict[int, list[tuple[str, str, str]]] = {}
    for agency in agencies:
        found = {}
        for path, user_id in grants:
            user = users.get(user_id)
            if user is not None and path == agency.path and user.email:
                found[user.pk] = (f"user:{user.pk}", user.get_full_name() or user.username,
                                  user.email)
        people = [found[k] for k in sorted(found)]
        if agency.email:
            people.append((f"agency:{agency.pk}", agency.name, agency.email))
        out[agency.pk] = people
    return out


_REMINDER_TABLE = ReportReminder._meta.db_table
_REMINDER_SQL = (f"INSERT INTO {_REMINDER_TABLE} (report_id, kind, day, sent_at, sent_by_id, "  # noqa: S608 — table name from the model
                 "recipients) SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::date[], "
                 "%s::timestamptz[], %s::bigint[], %s::jsonb[]) "
                 "ON CONFLICT DO NOTHING RETURNING id, report_id")


def _report_url(report: AgencyReport) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/bao-cao-dinh-ky/{report.pk}/"


@transaction.atomic
def remind(*, reports: Iterable[AgencyReport], by=None, kind: str = "manual",
           now: dt.datetime | None = None) -> int:
    """Remind the agencies of these reports (the not yet sent ones) by e-mail: a
    ReportReminder row per report and a message per person who may submit or approve it.
    A scheduled kind ("before", "after") is sent at most once per report and local day;
    a manual reminder needs `view_reports` on the agency. The number of reports reminded."""
    from portal.models import MessageTemplate
    from portal.notifications import find_template, notify

    if kind not in ReportReminder.Kind.values:
        raise InvalidInput("bad_reminder_kind", "Loại nhắc không hợp lệ.")
    now = now or timezone.now()
    ids = sorted({r.pk if isinstance(r, AgencyReport) else int(r) for r in reports})
    found = list(AgencyReport.objects.filter(pk__in=ids).exclude(
        status=AgencyReport.Status.APPROVED).select_related(
            "agency", "period__assignment__form", "period__assignment__receiving_agency"))
    if kind == ReportReminder.Kind.MANUAL:
        for report in found:
            _require(by, VIEW_PERM, report.agency, FORBIDDEN_FOLLOW)
    if not found:
        return 0
    people = _recipients(list({r.agency for r in found}))
    day = now.astimezone(TZ).date()
    with connection.cursor() as cursor:
        cursor.execute(_REMINDER_SQL, [
            [r.pk for r in found], [kind] * len(found), [day] * len(found),
            [now] * len(found), [by.pk if by is not None else None] * len(found),
            [json.dumps([p[2] for p in people[r.agency_id]]) for r in found]])
        created = {report_id: pk for pk, report_id in cursor.fetchall()}
    template = find_template(REMINDER_CODE) or MessageTemplate(code=REMINDER_CODE,
                                                                **REMINDER_TEMPLATE)
    for report in found:
        if report.pk not in created:
            continue
        period, assignment = report.period, report.period.assignment
        for key, name, email in people[report.agency_id]:
            notify(code=REMINDER_CODE, template=template, email=email, phone=None,
                   object_ref=f"agency_report:{report.pk}",
                   event_key=f"agency_report:{report.pk}:reminder:{created[report.pk]}:{key}",
                   context={
                       "recipient_name": name, "kind": REMINDER_KINDS[kind],
                       "form_code": assignment.form.code, "form_title": assignment.form.title,
                       "period_label": period.label,
                       "period_name": period.label.split(" (")[0],
                       "agency_name": report.agency.name,
                       "receiving_agency": assignment.receiving_agency.name,
                       "deadline": period.deadline_at, "overdue": now > period.deadline_at,
                       "status": report.get_status_display(), "report_url": _report_url(report)})
    AgencyReport.objects.filter(pk__in=list(created)).update(last_reminded_at=now)
    return len(created)


def send_due_reminders(*, now: dt.datetime | None = None) -> dict:
    """The daily job: for each open period whose deadline is near or passed, remind the
    agencies that have not sent their report — "before" / "after" per
    deadlines.reminder_kind on the receiving agency's calendar, at most once per report, kind
    and day. {"before": n, "after": m} reports reminded."""
    now = now or timezone.now()
    window = dt.timedelta(days=2 * MAX_WORKING_DAYS)
    by_kind: dict[str, list[int]] = {ReportReminder.Kind.BEFORE: [],
                                     ReportReminder.Kind.AFTER: []}
    for period in (ReportingPeriod.objects
                   .filter(assignment__is_active=True, deadline_at__gte=now - window,
                           deadline_at__lte=now + window)
                   .select_related("assignment__receiving_agency").order_by("pk")):
        assignment = period.assignment
        kind = deadlines.reminder_kind(
            deadline=period.deadline_at, now=now, before_days=assignment.remind_before_days,
            after_every=assignment.remind_after_days, agency=assignment.receiving_agency)
        if kind:
            by_kind[kind].append(period.pk)
    counts = {}
    for kind, period_ids in by_kind.items():
        pending = AgencyReport.objects.filter(period_id__in=period_ids,
                                              status__in=OPEN_STATUSES).values_list("pk",
                                                                                    flat=True)
        counts[kind] = remind(reports=list(pending), kind=kind, now=now) if period_ids else 0
    return counts
