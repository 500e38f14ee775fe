"""The verbs of an agency's periodic report (issue 10): start, save a draft, submit, approve,
return, replace, and enter a report sent on paper. Each is one transaction, checks the actor's
Agency permission, refuses bad input with a Vietnamese message and changes nothing then.
Defining and assigning forms and opening periods are in setup.py, reminders in reminders.py;
both use this module's errors and permission check.

Permissions (Agency object permissions, inherited down the tree, portal.permissions):
- start, save, submit, replace a report: `submit_periodic_report` on the report's agency;
- approve or return it: `approve_periodic_report` on the report's agency;
- enter a paper report: `view_reports` on the report's agency (the provincial office, Văn
  phòng UBND tỉnh).

The life of a report (AgencyReport.status is what the province sees):
not_started → draft (start, save) → submitted (submit: the version is frozen — values,
who, when, SHA-256 of its content and of its PDF) → approved (= sent, đã gửi) or returned
(→ a new draft copies the returned values). A sent report is never edited: `replace_report`
opens a new draft version with a reason; the report stays approved and its current version
stays the old one until the new one is approved, which supersedes it. Every version is kept.
A draft is the only version ever written to (`_editable`).

Submitting tells the agency's leaders who may approve, returning tells the reporter who
submitted (notices.py). The frozen PDF is stored during the transaction; a verb that fails
after storing it deletes the file (hoso.uploads.cleanup_on_failure), so no orphan file stays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from baocao.models import AgencyReport, ReportForm, ReportValue, ReportVersion
from baocao.periodic import notices, validation
from baocao.periodic.validation import ALL, Key
from hoso.uploads import cleanup_on_failure
from portal.errors import DomainError, InvalidInput
from portal.models import Agency
from portal.permissions import has_agency_perm

SUBMIT_PERM = "submit_periodic_report"
APPROVE_PERM = "approve_periodic_report"
VIEW_PERM = "view_reports"
MAX_REASON = 2000
MAX_NOTE = 2000

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
BAD_NOTES = "Ghi chú phải theo từng ô (dòng → cột → nội dung) của biểu."
BAD_VALUES = "Số liệu phải theo từng ô (dòng → cột → giá trị)."


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

def require_perm(user, perm: str, agency: Agency, message: str) -> None:
    """ReportForbidden (with the agency's name) unless the user holds `perm` on it."""
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
    require_perm(by, SUBMIT_PERM, report.agency, FORBIDDEN_SUBMIT)
    return _start(report, by)


def _notes_of(notes: Any) -> dict[tuple[str, str], str]:
    if not notes:
        return {}
    if not isinstance(notes, Mapping) or not all(isinstance(v, Mapping)
                                                 for v in notes.values()):
        raise InvalidInput("bad_notes", BAD_NOTES)
    return {(str(row), str(column)): _text(text, limit=MAX_NOTE)
            for row, by_column in notes.items() for column, text in by_column.items()}


def _cleaned(form: ReportForm, version: ReportVersion, values: Any, notes: Any
             ) -> tuple[dict, dict[tuple[str, str], str]]:
    """The typed values {row: {column: Decimal or text}} and the cells' notes of a draft
    being written: types and bounds checked, notes only on the form's cells (ReportInvalid
    with every message otherwise). Required cells and cross-cell rules are not checked."""
    if not isinstance(values, Mapping) or not all(isinstance(v, Mapping)
                                                  for v in values.values()):
        raise ReportInvalid({ALL: [BAD_VALUES]})
    rows = form_rows(form, version)
    parsed, errors = validation.clean(form, rows, values, final=False)
    cell_notes = _notes_of(notes)
    row_codes = {validation._code(r) for r in rows}  # noqa: SLF001 — the module's own helper
    column_codes = set(form.columns.values_list("code", flat=True))
    if any(row not in row_codes or column not in column_codes for row, column in cell_notes):
        errors.setdefault(ALL, []).append(BAD_NOTES)
    if errors:
        raise ReportInvalid(errors)
    return parsed, cell_notes


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
    require_perm(by, SUBMIT_PERM, report.agency, FORBIDDEN_SUBMIT)
    version = _editable(_start(report, by))
    parsed, cell_notes = _cleaned(report.period.assignment.form, version, values, notes)
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


def _freeze(version: ReportVersion, status: str, by, now: dt.datetime, *, approved: bool,
            stored: list[str]) -> None:
    """Freeze a draft: status, who and when, the SHA-256 of its content, its PDF (stored
    with its SHA-256; the file's name is added to `stored`, for cleanup_on_failure)."""
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
    stored.append(version.file.name)
    version.save(update_fields=["file", "file_sha256"])


def submit_report(*, report: AgencyReport, by) -> ReportVersion:
    """Submit the draft to the leader: every rule checked (required cells, identities;
    ReportInvalid, nothing changed), then the version is frozen and the agency's leaders
    who may approve are told by e-mail."""
    with cleanup_on_failure() as stored, transaction.atomic():
        report = _locked(report)
        require_perm(by, SUBMIT_PERM, report.agency, FORBIDDEN_SUBMIT)
        version = _draft(report)
        if version is None:
            raise InvalidInput("no_draft", NO_DRAFT)
        _validated(report, version)
        _freeze(version, ReportVersion.Status.SUBMITTED, by, timezone.now(), approved=False,
                stored=stored)
        if report.status != AgencyReport.Status.APPROVED:  # a replacement: still sent
            report.status = AgencyReport.Status.SUBMITTED
            _save_report(report, "status")
        leaders = notices.recipients([report.agency], (APPROVE_PERM,))[report.agency_id]
        notices.tell_submitted(report, version, leaders)
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
    require_perm(by, APPROVE_PERM, report.agency, FORBIDDEN_APPROVE)
    version = _submitted(report)
    now = timezone.now()
    version.status = ReportVersion.Status.APPROVED
    version.decided_by, version.decided_at = by, now
    version.save(update_fields=["status", "decided_by", "decided_at"])
    _mark_sent(report, version, AgencyReport.Channel.ONLINE, now)
    return version


@transaction.atomic
def return_report(*, report: AgencyReport, reason: str, by) -> ReportVersion:
    """The leader returns the submitted version with a reason; the reporter who submitted
    it is told by e-mail and starts a new draft from it. A returned replacement leaves the
    sent version in force."""
    reason = _text(reason, required=True)
    report = _locked(report)
    require_perm(by, APPROVE_PERM, report.agency, FORBIDDEN_APPROVE)
    version = _submitted(report)
    version.status = ReportVersion.Status.RETURNED
    version.return_reason = reason
    version.decided_by, version.decided_at = by, timezone.now()
    version.save(update_fields=["status", "return_reason", "decided_by", "decided_at"])
    if report.status != AgencyReport.Status.APPROVED:
        report.status = AgencyReport.Status.RETURNED
        _save_report(report, "status")
    notices.tell_returned(report, version)
    return version


@transaction.atomic
def replace_report(*, report: AgencyReport, reason: str, by) -> ReportVersion:
    """Open a replacement of a sent report: a new draft version, a copy of the version in
    force, with the reason. The sent version stays in force until the new one is
    approved."""
    reason = _text(reason, required=True)
    report = _locked(report)
    require_perm(by, SUBMIT_PERM, report.agency, FORBIDDEN_SUBMIT)
    if report.status != AgencyReport.Status.APPROVED or report.current_version is None:
        raise InvalidInput("not_sent", NOT_SENT)
    if _versions(report).filter(status__in=(ReportVersion.Status.DRAFT,
                                            ReportVersion.Status.SUBMITTED)).exists():
        raise InvalidInput("replacement_open", REPLACEMENT_OPEN)
    return _new_version(report, by, based_on=report.current_version, reason=reason)


def record_paper_report(*, report: AgencyReport, values: Mapping[str, Mapping[str, Any]], by,
                        notes: Mapping | None = None, note: str = "") -> ReportVersion:
    """The provincial office enters a report the agency sent on paper: the values (over the
    pre-filled figures of a computable form) and the cells' notes {row: {column: note}}, as
    save_draft takes them, are checked as a submission and the version is frozen as sent,
    channel paper."""
    with cleanup_on_failure() as stored, transaction.atomic():
        report = _locked(report)
        require_perm(by, VIEW_PERM, report.agency, FORBIDDEN_FOLLOW)
        if report.status == AgencyReport.Status.APPROVED:
            raise InvalidInput("report_sent", ALREADY_SENT)
        if report.status == AgencyReport.Status.SUBMITTED:
            raise InvalidInput("awaiting_approval", AWAITING_APPROVAL)
        version = _draft(report) or _new_version(report, by)
        parsed, cell_notes = _cleaned(report.period.assignment.form, version, values, notes)
        _write_cells(version, parsed, cell_notes)
        version.note = _text(note, limit=MAX_NOTE)
        version.save(update_fields=["note"])
        _validated(report, version)
        now = timezone.now()
        _freeze(version, ReportVersion.Status.APPROVED, by, now, approved=True, stored=stored)
        _mark_sent(report, version, AgencyReport.Channel.PAPER, now)
        return version
