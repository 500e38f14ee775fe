"""Setting periodic reporting up (issue 10): an administrator defines a form, the provincial
office assigns it to agencies, and the `periodic_open` job opens its periods. Each verb is one
transaction, checks the actor's Agency permission, refuses bad input with a Vietnamese message
and changes nothing then.

Permissions (Agency object permissions, inherited down the tree, portal.permissions):
- define a form: `manage_agency` on a root agency (the province's administrator);
- assign a form: `view_reports` on the agencies concerned and on the receiving agency (the
  provincial office, Văn phòng UBND tỉnh).

A form is never assigned twice to the same agency (its reports would be counted twice).
Opening a period creates one not-started report per assigned agency (services.py has the
report's own verbs, reminders.py the reminders).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from baocao.models import (
    AgencyReport,
    Aggregation,
    FormColumn,
    FormRow,
    ReportAssignment,
    ReportForm,
    ReportingPeriod,
    ReportValue,
    ValueType,
)
from baocao.periodic import deadlines, validation
from baocao.periodic.services import VIEW_PERM, ReportForbidden, require_perm
from portal.errors import InvalidInput
from portal.models import Agency
from portal.permissions import agencies_with_perm

MANAGE_PERM = "manage_agency"
MAX_WORKING_DAYS = 60

FORBIDDEN_DEFINE = "Chỉ quản trị hệ thống cấp tỉnh được định nghĩa biểu mẫu báo cáo."
FORBIDDEN_ASSIGN = "Bạn không có quyền giao báo cáo cho đơn vị “%(agency)s”."
FORM_INACTIVE = "Biểu mẫu “%(code)s” đang ngừng sử dụng."
NO_AGENCIES = "Chọn ít nhất một đơn vị phải báo cáo."
ALREADY_ASSIGNED = ("Biểu %(code)s đã được giao cho: %(agencies)s. Bỏ các đơn vị này ra rồi "
                    "giao lại.")
BAD_DAYS = "Số ngày làm việc phải từ 0 đến %(max)s."
BAD_FORM = "Biểu mẫu không hợp lệ: %(problems)s"
CODES_IN_USE = ("Không xóa được %(what)s “%(codes)s”: đã có báo cáo dùng biểu này. Hãy "
                "tạo biểu mới hoặc ngừng dùng biểu.")


# --- forms ------------------------------------------------------------------------------------

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


# --- assignments ------------------------------------------------------------------------------

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
        require_perm(by, VIEW_PERM, agency, FORBIDDEN_ASSIGN)
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


# --- opening periods --------------------------------------------------------------------------

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
