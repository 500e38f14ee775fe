"""Pages of periodic reporting (issue 10): the reporter's inbox and one report, and what the
other pages share (admin_views.py: forms and assignments; follow_views.py: periods,
completion, reminders, aggregate, trend).

- the reporter's inbox: the reports of the officer's agencies for open periods, with status
  and deadline;
- a report: the grid with the form's headings (merged group headings), pre-filled cells
  marked "tính từ hồ sơ", a Vietnamese message next to each wrong cell, notes, and the verbs
  (start, save draft, submit, approve, return, replace, enter a paper report), the versions
  with who/when/hash;
- shared: who may do what (the gates and `Access`), the grid (`build_grid`, `header_rows`,
  `grid_sections`, `shown_value`) and file downloads.

Who may do what (portal.permissions, inherited down the agency tree): submit_periodic_report
edits and submits, approve_periodic_report approves and returns, view_reports reads sent
reports, completion, aggregates and trends; staff with baocao.change_reportform (or a
superuser) define forms and assign them. A report the user may not read answers 404, the same
as a missing one. Views parse input and call one service or selector (STYLE.md §4.2); list
pages cost a constant number of queries.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods

from baocao import handling
from baocao.definitions import ROMAN
from baocao.models import AgencyReport, FormColumn, ReportForm, ReportingPeriod, ReportVersion
from baocao.periodic import exports, selectors, services, validation
from baocao.periodic import forms as f
from baocao.periodic.prefill import prefill
from portal.errors import DomainError, NotFoundError
from portal.permissions import agency_ids_with_perm

SUBMIT = "portal.submit_periodic_report"
APPROVE = "portal.approve_periodic_report"
VIEW = "portal.view_reports"
PAGE_SIZE = 50

NOT_FOUND = "Không tìm thấy báo cáo, hoặc Ông/Bà không có quyền xem báo cáo này."
ADMINS_ONLY = ("Chỉ quản trị hệ thống (có quyền sửa biểu mẫu báo cáo) được định nghĩa và giao "
               "biểu mẫu báo cáo định kỳ.")
VIEWERS_ONLY = "Ông/Bà chưa được phân quyền xem báo cáo, chỉ số tại đơn vị nào."
MAY_NOT = "Ông/Bà không có quyền thực hiện thao tác này đối với báo cáo của đơn vị."
SAVED = "Đã lưu bản nháp."
PAPER = "Đã ghi nhận báo cáo giấy của đơn vị (nhập hộ); báo cáo được tính là đã gửi."
SUBMITTED = "Đã trình lãnh đạo duyệt báo cáo."
APPROVED = "Đã duyệt và gửi báo cáo tới %(receiver)s."
RETURNED = "Đã trả lại báo cáo để đơn vị lập lại."
STARTED = "Đã lập bản nháp báo cáo."
STARTED_PREFILLED = ("Đã lập bản nháp; số liệu được tính sẵn từ hồ sơ trên hệ thống, vui lòng "
                     "rà soát.")
REPLACING = ("Đã mở phiên bản thay thế. Báo cáo đã gửi vẫn có hiệu lực cho đến khi bản thay thế "
             "được duyệt.")
INVALID = "Chưa lưu: còn ô chưa hợp lệ, xem thông báo bên cạnh từng ô."
INVALID_SUBMIT = ("Chưa trình được: báo cáo còn ô chưa hợp lệ hoặc chưa nhập, xem thông báo "
                  "bên cạnh từng ô.")
NO_DRAFT = "Báo cáo không có bản nháp để lưu; hãy lập báo cáo trước."
NO_FILE = "Phiên bản này không có tệp lưu trữ."
NOT_SENT = (AgencyReport.Status.NOT_STARTED, AgencyReport.Status.DRAFT,
            AgencyReport.Status.SUBMITTED, AgencyReport.Status.RETURNED)
STATUS_BADGES = {
    AgencyReport.Status.NOT_STARTED: "left-red",
    AgencyReport.Status.DRAFT: "left-amber",
    AgencyReport.Status.SUBMITTED: "left-amber",
    AgencyReport.Status.RETURNED: "left-red",
    AgencyReport.Status.APPROVED: "left-green",
}


# --- who may do what --------------------------------------------------------------------------

def is_form_admin(user) -> bool:
    """Administrators define forms and assign them: staff with baocao.change_reportform, or a
    superuser."""
    return bool(user.is_authenticated and (
        user.is_superuser or (user.is_staff and user.has_perm("baocao.change_reportform"))))


def admin_required(view):
    @functools.wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not is_form_admin(request.user):
            return render(request, "403.html", {"message": ADMINS_ONLY}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def viewer_required(view):
    @functools.wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not agency_ids_with_perm(request.user, VIEW):
            return render(request, "403.html", {"message": VIEWERS_ONLY}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


@dataclass(frozen=True)
class Access:
    """What the user may do with one agency's report."""

    edit: bool      # submit_periodic_report on the agency: start, save, submit, replace
    approve: bool   # approve_periodic_report on the agency: approve, return
    view: bool      # view_reports on the agency: read the sent versions

    @property
    def own(self) -> bool:
        """The reporting agency's reporter or leader: sees drafts and every version."""
        return self.edit or self.approve


def get_report_for(user, pk: int) -> tuple[AgencyReport, Access]:
    """The report and what the user may do with it; 404 for missing and forbidden alike
    (a commune's reporter never learns that another commune's draft exists)."""
    try:
        report = selectors.get_report_for(user, pk)
    except NotFoundError as exc:
        raise Http404(exc.message) from None
    return report, Access(edit=report.agency_id in agency_ids_with_perm(user, SUBMIT),
                          approve=report.agency_id in agency_ids_with_perm(user, APPROVE),
                          view=selectors.may_view_sent(user, report.agency))


def period_for(user, pk: int) -> ReportingPeriod:
    try:
        return selectors.get_period_for(user, pk)
    except NotFoundError as exc:
        raise Http404(exc.message) from None


# --- the reporter's inbox ---------------------------------------------------------------------

@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The reports of the officer's agencies: open periods first (not yet sent), then sent ones;
    one page of 50, a constant number of queries."""
    shown = request.GET.get("xem", "")
    reports = (selectors.reports_for_user(request.user)
               .select_related("agency", "period__assignment__form",
                               "period__assignment__receiving_agency"))
    if shown == "da-gui":
        reports = reports.filter(status=AgencyReport.Status.APPROVED)
    elif shown != "tat-ca":
        reports = reports.exclude(status=AgencyReport.Status.APPROVED)
    reports = reports.order_by("period__deadline_at", "agency__path", "pk")
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("trang"))
    now = timezone.now()
    rows = [{"report": r, "badge": STATUS_BADGES.get(r.status, ""),
             "late": r.status in NOT_SENT and r.period.deadline_at < now}
            for r in page.object_list]
    user = request.user
    return render(request, "baocao/periodic/inbox.html", {
        "page": page, "rows": rows, "shown": shown,
        "may_view": bool(agency_ids_with_perm(user, VIEW)),
        "may_administer": is_form_admin(user),
        "may_report": bool(agency_ids_with_perm(user, SUBMIT) or
                           agency_ids_with_perm(user, APPROVE)),
    })


# --- one report -------------------------------------------------------------------------------

def lead_headings(form: ReportForm) -> list[str]:
    """The headings before the form's own columns: TT, the row's name (and its unit)."""
    if form.layout == ReportForm.Layout.INDICATORS:
        return [exports.NUMBER_HEADING, exports.INDICATOR_HEADING, exports.UNIT_HEADING]
    if form.source == ReportForm.Source.HANDLING:  # Biểu II.06a's own (1) and (2)
        return [handling.COLUMN_HEADINGS[1], handling.COLUMN_HEADINGS[2]]
    return [exports.NUMBER_HEADING, exports.TABLE_HEADING]


def _rows(form: ReportForm, stored_rows: list[dict] | None) -> list[dict]:
    """The rows of the grid, each with the object its cell rules come from: the form's fixed
    rows, else the rows stored with the version (a computable form's rows come from the
    data: fields by level, then the total)."""
    fixed = list(form.rows.all())
    if fixed:
        return [{"code": r.code, "label": r.label, "section": r.section, "unit": r.unit,
                 "number": "", "total": False, "source": r} for r in fixed]
    return [{"code": str(r["code"]), "label": r.get("label") or str(r["code"]),
             "section": r.get("section", ""), "unit": r.get("unit", ""),
             "number": r.get("number", ""), "total": bool(r.get("total")), "source": r}
            for r in (stored_rows or [])]


@dataclass(frozen=True)
class Content:
    """What a grid shows: the rows stored with the version (computable forms), its cells
    {(row, column): ReportValue or Cell}, the values computed from the portal's data
    {row: {column: value}} and when, and its general note."""

    rows: list[dict]
    cells: dict
    computed: dict
    as_of: object = None
    note: str = ""

    @classmethod
    def of(cls, version: ReportVersion | None) -> Content:
        if version is None:
            return cls(rows=[], cells={}, computed={})
        prefill = version.prefill or {}
        return cls(rows=version.rows or [],
                   cells={(v.row, v.column): v for v in version.values.all()},
                   computed=prefill.get("values", {}), as_of=_as_of(prefill.get("as_of")),
                   note=version.note)


@dataclass(frozen=True)
class Cell:
    number: Decimal | None = None
    text: str = ""
    note: str = ""


def _paper_content(report: AgencyReport) -> Content:
    """A paper report is entered over the figures computed from the portal's data (a
    computable form), never over the agency's own draft."""
    form = report.period.assignment.form
    if not form.source:
        return Content(rows=[], cells={}, computed={})
    rows, values = prefill(report)
    return Content(rows=rows, computed=values, as_of=timezone.now(),
                   cells={(r, c): Cell(number=v) for r, by_column in values.items()
                          for c, v in by_column.items()})


def header_rows(columns: list[FormColumn], lead: list[str]) -> dict:
    """The header of the grid: a top row where consecutive columns of one group share a
    merged heading (colspan) and the lead and ungrouped columns span both rows, the
    sub-headings under the groups, and the column numbers "(1) (2) …"."""
    grouped = any(c.group for c in columns)
    span = 2 if grouped else 1
    top: list[dict] = [{"text": text, "colspan": 1, "rowspan": span} for text in lead]
    sub: list[FormColumn] = []
    for column in columns:
        if column.group and top[-1].get("group") == column.group:
            top[-1]["colspan"] += 1
            sub.append(column)
        elif column.group:
            top.append({"text": column.group, "group": column.group, "colspan": 1,
                        "rowspan": 1})
            sub.append(column)
        else:
            top.append({"text": column.heading, "colspan": 1, "rowspan": span})
    numbers = [str(i) for i in range(1, len(lead) + 1)] + [c.code for c in columns]
    return {"top": top, "sub": sub, "numbers": numbers}


def grid_sections(rows: list[dict]) -> list[dict]:
    """Consecutive rows of one section under one heading (marked I, II …); rows without a
    section (the total) under none. Rows are numbered within their section."""
    sections: list[dict] = []
    for row in rows:
        if not sections or sections[-1]["title"] != row["section"]:
            titled = [s for s in sections if s["title"]]
            mark = ROMAN.get(len(titled) + 1, str(len(titled) + 1)) if row["section"] else ""
            sections.append({"title": row["section"], "mark": mark, "rows": []})
        section = sections[-1]
        section["rows"].append({**row, "number": row["number"] or (
            "" if row["total"] else str(len(section["rows"]) + 1))})
    return sections


def shown_value(value, rule: validation.CellRule) -> str:
    """A value as printed: 12.500; 850,5; a text as it is."""
    if value is None or value == "":
        return ""
    if not rule.is_number:
        return str(value)
    try:
        return validation.format_number(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def _typed(value, rule: validation.CellRule) -> str:
    """A stored number as the officer types it, without thousands dots: 12500; 850,5."""
    shown = shown_value(value, rule)
    return shown.replace(".", "") if rule.is_number else shown


def _same(a, b) -> bool:
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError):
        return str(a or "") == str(b or "")


def build_grid(form: ReportForm, content: Content, *, editable: bool,
               posted: tuple[dict, dict] | None = None, errors: dict | None = None) -> dict:
    """What the grid template needs: the header and the sections of rows with their cells
    (input name, value, note, the "tính từ hồ sơ" mark with the computed value, messages).
    `posted`: the values and notes just typed, shown again with `errors` next to the cells."""
    columns = list(form.columns.all())
    lead = lead_headings(form)
    typed_values, typed_notes = posted or ({}, {})
    errors = errors or {}
    rows = _rows(form, content.rows)
    for row in rows:
        computed_row = content.computed.get(row["code"], {})
        row["cells"] = []
        for column in columns:
            rule = validation.cell_rule(form, row["source"], column)
            key = (row["code"], column.code)
            cell = content.cells.get(key)
            value = None if cell is None else (cell.number if cell.number is not None
                                               else cell.text or None)
            typed = typed_values.get(key[0], {}).get(key[1])
            if posted:  # compare what was just typed, when it reads as a value
                value = _typed_value(typed, rule, value)
            prefilled, computed = column.code in computed_row, computed_row.get(column.code)
            row["cells"].append({
                "name": f.cell_name("v", *key), "note_name": f.cell_name("n", *key),
                "raw": (typed or "") if posted else _typed(value, rule),
                "note": (typed_notes.get(key[0], {}).get(key[1], "") if posted
                         else (cell.note if cell else "")),
                "shown": shown_value(value, rule), "is_number": rule.is_number,
                "prefilled": prefilled, "computed": shown_value(computed, rule),
                "changed": prefilled and value is not None and not _same(value, computed),
                "errors": errors.get(key, []), "label": f"{row['label']} — {column.heading}",
            })
    return {"header": header_rows(columns, lead), "sections": grid_sections(rows),
            "indicators": form.layout == ReportForm.Layout.INDICATORS, "editable": editable,
            "width": len(lead) + len(columns),
            "general_errors": errors.get(validation.ALL, []),
            "prefill_as_of": content.as_of if content.computed else None}


def _typed_value(raw, rule: validation.CellRule, otherwise):
    try:
        return validation.parse_value(raw, rule) if raw is not None else otherwise
    except validation.CellError:
        return otherwise


def _as_of(raw):
    return parse_datetime(raw) if isinstance(raw, str) else raw


def _choose(versions: list[ReportVersion], raw: str | None) -> ReportVersion | None:
    """The version asked for (?phien_ban=N), else the latest the user may read."""
    if raw:
        chosen = next((v for v in versions if str(v.number) == raw), None)
        if chosen is None:
            raise Http404(NOT_FOUND)
        return chosen
    return versions[-1] if versions else None


def _report_context(request: HttpRequest, report: AgencyReport, access: Access, *,
                    number: str | None = None, posted=None, errors=None,
                    reason_form=None, reason_action: str = "", paper: bool = False) -> dict:
    versions = selectors.versions_of(report, request.user)
    version = _choose(versions, number)
    form = (ReportForm.objects.prefetch_related("columns", "rows")
            .get(pk=report.period.assignment.form_id))
    if version is not None:
        version = (ReportVersion.objects.prefetch_related("values")
                   .select_related("created_by", "submitted_by", "decided_by")
                   .get(pk=version.pk))
    has_draft = any(v.status == ReportVersion.Status.DRAFT for v in versions)
    may_paper = _may_record_paper(report, access)
    paper = paper and may_paper
    if paper:
        content = _paper_content(report)
        grid = build_grid(form, content, editable=True, posted=posted, errors=errors)
    else:
        content = Content.of(version)
        grid = build_grid(form, content, posted=posted, errors=errors,
                          editable=access.edit and version is not None
                          and not version.is_frozen)
    status, period = report.status, report.period
    return {
        "report": report, "period": period, "form": form, "access": access,
        "version": version, "versions": versions, "grid": grid,
        "latest": versions[-1] if versions else None, "paper": paper,
        "may_paper": may_paper and not paper,
        "may_start": access.edit and not has_draft and status in (
            AgencyReport.Status.NOT_STARTED, AgencyReport.Status.RETURNED),
        "may_replace": access.edit and not has_draft and status == AgencyReport.Status.APPROVED,
        "may_decide": access.approve and version is not None
        and version.status == ReportVersion.Status.SUBMITTED,
        "late": status in NOT_SENT and period.deadline_at < timezone.now(),
        "badge": STATUS_BADGES.get(status, ""),
        "reason_form": reason_form or f.ReasonForm(), "reason_action": reason_action,
        "note": request.POST.get("note", "") if posted else content.note,
    }


def _may_record_paper(report: AgencyReport, access: Access) -> bool:
    """The office that follows the agency (not its own reporter or leader) enters a report
    the agency sent on paper, while nothing was sent or submitted."""
    return access.view and not access.own and report.status not in (
        AgencyReport.Status.APPROVED, AgencyReport.Status.SUBMITTED)


@require_http_methods(["GET", "POST"])
@login_required
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One agency's report: GET shows it (?phien_ban=N an older version); POST runs one verb
    (`action`): start, save, submit, approve, return, replace, paper."""
    report, access = get_report_for(request.user, pk)
    if request.method == "GET":
        context = _report_context(request, report, access,
                                  number=request.GET.get("phien_ban"),
                                  paper=bool(request.GET.get("nhap_giay")))
        return render(request, "baocao/periodic/report.html", context)
    return _act(request, report, access)


def _act(request: HttpRequest, report: AgencyReport, access: Access) -> HttpResponse:
    action = request.POST.get("action", "")
    handlers = {"start": (access.edit, _start), "save": (access.edit, _save),
                "submit": (access.edit, _save),
                "paper": (_may_record_paper(report, access), _paper),
                "approve": (access.approve, _approve),
                "return": (access.approve, _return), "replace": (access.edit, _replace)}
    if action not in handlers:
        messages.error(request, f.NOT_SUBMITTED)
        return redirect("baocao:periodic_report", pk=report.pk)
    allowed, handler = handlers[action]
    if not allowed:
        return render(request, "403.html", {"message": MAY_NOT}, status=403)
    try:
        return handler(request, report, access)
    except (PermissionDenied, services.ReportForbidden):
        return render(request, "403.html", {"message": MAY_NOT}, status=403)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("baocao:periodic_report", pk=report.pk)


def _start(request, report, access) -> HttpResponse:
    version = services.start_report(report=report, by=request.user)
    messages.success(request, STARTED_PREFILLED if version.prefill else STARTED)
    return redirect("baocao:periodic_report", pk=report.pk)


def _save(request, report, access) -> HttpResponse:
    """Save the draft's cells; with action "submit", then submit it. Wrong cells: the page
    again with the typed values and a message next to each cell, nothing changed."""
    version = report.versions.filter(status=ReportVersion.Status.DRAFT).first()
    if version is None:
        messages.error(request, NO_DRAFT)
        return redirect("baocao:periodic_report", pk=report.pk)
    form = report.period.assignment.form
    values, notes = f.read_grid(request.POST, [r["code"] for r in _rows(form, version.rows)],
                                form.columns.values_list("code", flat=True))
    submitting = request.POST.get("action") == "submit"
    try:
        services.save_draft(report=report, values=values, notes=notes,
                            note=request.POST.get("note", "").strip(), by=request.user)
        if submitting:
            services.submit_report(report=report, by=request.user)
    except services.ReportInvalid as exc:
        context = _report_context(request, report, access, posted=(values, notes),
                                  errors=exc.errors)
        context["error"] = INVALID_SUBMIT if submitting else INVALID
        return render(request, "baocao/periodic/report.html", context, status=400)
    messages.success(request, SUBMITTED if submitting else SAVED)
    return redirect("baocao:periodic_report", pk=report.pk)


def _paper(request, report, access) -> HttpResponse:
    """The receiving office enters the report the agency sent on paper: checked as a
    submission, frozen and counted as sent (channel paper)."""
    form = report.period.assignment.form
    rows = _rows(form, _paper_content(report).rows if form.source else [])
    values, notes = f.read_grid(request.POST, [r["code"] for r in rows],
                                form.columns.values_list("code", flat=True))
    try:
        services.record_paper_report(report=report, values=values, notes=notes,
                                     by=request.user, note=request.POST.get("note", "").strip())
    except services.ReportInvalid as exc:
        context = _report_context(request, report, access, posted=(values, notes),
                                  errors=exc.errors, paper=True)
        context["error"] = INVALID_SUBMIT
        return render(request, "baocao/periodic/report.html", context, status=400)
    messages.success(request, PAPER)
    return redirect("baocao:periodic_report", pk=report.pk)


def _approve(request, report, access) -> HttpResponse:
    services.approve_report(report=report, by=request.user)
    messages.success(request, APPROVED % {
        "receiver": report.period.assignment.receiving_agency.name})
    return redirect("baocao:periodic_report", pk=report.pk)


def _with_reason(request, report, access, verb, done: str) -> HttpResponse:
    reason_form = f.ReasonForm(request.POST)
    if not reason_form.is_valid():
        context = _report_context(request, report, access, reason_form=reason_form,
                                  reason_action=request.POST.get("action", ""))
        context["error"] = f.NO_REASON
        return render(request, "baocao/periodic/report.html", context, status=400)
    verb(report=report, reason=reason_form.cleaned_data["reason"], by=request.user)
    messages.success(request, done)
    return redirect("baocao:periodic_report", pk=report.pk)


def _return(request, report, access) -> HttpResponse:
    return _with_reason(request, report, access, services.return_report, RETURNED)


def _replace(request, report, access) -> HttpResponse:
    return _with_reason(request, report, access, services.replace_report, REPLACING)


def _frozen_version(request: HttpRequest, pk: int, number: int
                    ) -> tuple[AgencyReport, ReportVersion]:
    report, _access = get_report_for(request.user, pk)
    version = next((v for v in selectors.versions_of(report, request.user)
                    if v.number == number), None)
    if version is None or not version.is_frozen:
        raise Http404(NOT_FOUND)
    return report, version


@require_GET
@login_required
def version_file(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The PDF stored when the version was submitted (its SHA-256 is on the page)."""
    report, version = _frozen_version(request, pk, number)
    if not version.file:
        raise Http404(NO_FILE)
    name = exports.file_name(form=report.period.assignment.form, agency=report.agency,
                             period=report.period, fmt="pdf", version=version)
    return FileResponse(version.file.open("rb"), as_attachment=True, filename=name,
                        content_type=exports.CONTENT_TYPES["pdf"])


@require_GET
@login_required
def version_export(request: HttpRequest, pk: int, number: int, fmt: str) -> HttpResponse:
    """A frozen version as XLSX or PDF, drawn again from its stored cells."""
    if fmt not in ("xlsx", "pdf"):
        raise Http404(NOT_FOUND)
    report, version = _frozen_version(request, pk, number)
    content = exports.report_xlsx(version) if fmt == "xlsx" else exports.report_pdf(version)
    return download(content, exports.file_name(
        form=report.period.assignment.form, agency=report.agency, period=report.period,
        fmt=fmt, version=version), fmt)


def download(content: bytes, name: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
