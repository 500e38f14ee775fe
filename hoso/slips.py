"""WeasyPrint slips of dossier processing, after receipt: Mẫu 02 (yêu cầu bổ sung, hoàn thiện),
the refusal to decide (Mẫu 03 wording), Mẫu 05 of TT 03/2025 (thông báo dừng giải quyết),
Mẫu 04 (xin lỗi, hẹn lại / đề nghị gia hạn) and the control sheet (phiếu kiểm soát quá trình
giải quyết: Mẫu 05 of TT 01/2018, Mẫu 06 of TT 03/2025).

Rendered as Mẫu 01 is (hoso/pdf.py): the shared font faces, the static-only URL fetcher, and
the form set the dossier was received under (`dossier.slip_version`, DOMAIN-2025.md N49).
Pure functions (STYLE.md §4.7): they read and return bytes, and never write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from hoso.choices import Action, SlipVersion, StepOutcome
from hoso.models import Apology, Dossier, DossierStep, SupplementRequest
from hoso.pdf import (
    _SEQUENCE,
    NOTICE_BASIS,
    _fetcher,
    _place,
    moment_text,
    processing_time_text,
)
from tthc.choices import ClockRule

SUPPLEMENT = "supplement"
REFUSAL = "refusal"
STOP = "stop"
APOLOGY = "apology"
CONTROL = "control"


@dataclass(frozen=True)
class SlipForm:
    number: str  # the form's number in its set, "02"
    title: str
    template: str


TT01, TT03 = SlipVersion.TT01_2018, SlipVersion.TT03_2025
_SUPPLEMENT_TITLE = "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
_REFUSAL_TITLE = "Phiếu từ chối giải quyết hồ sơ"
_CONTROL_TITLE = "Phiếu kiểm soát quá trình giải quyết hồ sơ"
_STOP = SlipForm("05", "Thông báo dừng giải quyết hồ sơ", "pdf/stop_notice_tt03_2025.html")

# Mẫu 02 and 03 read the same in both sets but for the basis line, so they share a template;
# Mẫu 04 (renamed and joined to an extension request) and the control sheet (renumbered 05 →
# 06) have one template per set. Mẫu 05 "dừng giải quyết" is new in TT 03/2025 and has no
# TT 01/2018 counterpart: a dossier received under the old set gets the TT 03 form.
FORMS: dict[tuple[str, str], SlipForm] = {
    (SUPPLEMENT, TT01): SlipForm("02", _SUPPLEMENT_TITLE, "pdf/supplement_request.html"),
    (SUPPLEMENT, TT03): SlipForm("02", _SUPPLEMENT_TITLE, "pdf/supplement_request.html"),
    (REFUSAL, TT01): SlipForm("03", _REFUSAL_TITLE, "pdf/refusal.html"),
    (REFUSAL, TT03): SlipForm("03", _REFUSAL_TITLE, "pdf/refusal.html"),
    (STOP, TT01): _STOP,
    (STOP, TT03): _STOP,
    (APOLOGY, TT01): SlipForm("04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
                              "pdf/apology_tt01_2018.html"),
    (APOLOGY, TT03): SlipForm("04", "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
                              "pdf/apology_tt03_2025.html"),
    (CONTROL, TT01): SlipForm("05", _CONTROL_TITLE, "pdf/control_sheet_tt01_2018.html"),
    (CONTROL, TT03): SlipForm("06", _CONTROL_TITLE, "pdf/control_sheet_tt03_2025.html"),
}
# The basis printed at the foot of each form: the set it belongs to.
FORM_SET = {(STOP, TT01): TT03}

# The control sheet's result column (DOMAIN.md §2 Mẫu 05, §6 reports).
EARLY = "Trước hạn"
ON_TIME = "Đúng hạn"
LATE = "Quá hạn"
IN_PROGRESS = "Đang xử lý"

CLOCK_RULE_TEXT = {
    ClockRule.RESTART: "Thời hạn giải quyết được tính lại từ đầu kể từ khi nhận đủ hồ sơ "
                       "bổ sung, hoàn thiện.",
    ClockRule.PAUSE: "Thời gian chờ bổ sung, hoàn thiện hồ sơ không tính vào thời hạn giải "
                     "quyết.",
}


def short_moment(value: dt.datetime | None) -> str:
    """"08:05 23/11/2026" in local time; "" when there is no time."""
    return f"{timezone.localtime(value):%H:%M %d/%m/%Y}" if value is not None else ""


def _person(user) -> str:
    return user.get_full_name() if user is not None else ""


def _form(kind: str, dossier: Dossier) -> tuple[SlipForm, str]:
    """The form and the basis line of `kind` in the dossier's form set."""
    if not dossier.code or dossier.received_at is None:
        raise ValueError("processing slips are issued only for a received dossier")
    try:
        form = FORMS[kind, dossier.slip_version]
    except KeyError:
        raise ValueError(f"no {kind} form for slip version {dossier.slip_version!r}") from None
    version = FORM_SET.get((kind, dossier.slip_version), dossier.slip_version)
    return form, NOTICE_BASIS[version] % form.number


def _context(kind: str, dossier: Dossier, *, agency, issued_at: dt.datetime) -> dict:
    """What every slip prints: the issuing agency and its parent, the motto line with the
    place and day, the dossier and its applicant, the basis line."""
    form, basis = _form(kind, dossier)
    terms = dossier.terms or {}
    return {
        "form": form, "basis": basis, "version": dossier.slip_version,
        "dossier": dossier, "agency": agency, "agency_parent": agency.parent,
        "receiving": dossier.receiving_agency, "deciding": dossier.deciding_agency,
        "place": _place(), "issued_local": timezone.localtime(issued_at),
        "procedure_name": terms.get("procedure", {}).get("name") or dossier.procedure.name,
        "processing_time": processing_time_text(terms),
        "received_text": moment_text(dossier.received_at),
        "due_text": moment_text(dossier.due_at),
    }


def _render(template: str, context: dict) -> bytes:
    return HTML(string=render_to_string(template, context), url_fetcher=_fetcher()).write_pdf()


# --- Mẫu 02 --------------------------------------------------------------------------------

def supplement_request_pdf(request: SupplementRequest) -> bytes:
    """Mẫu 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ, for a received dossier: every item
    with its reason (N21); a second or later request also prints its reason and approver
    (N22). Issued through the receiving desk."""
    dossier = request.dossier
    context = _context(SUPPLEMENT, dossier, agency=dossier.receiving_agency,
                       issued_at=request.requested_at)
    context.update({
        "request": request,
        "items": [{"name": item.get("name", ""), "reason": item.get("reason", "")}
                  for item in request.items],
        "requested_text": moment_text(request.requested_at),
        "officer_name": _person(request.requested_by),
        "approver_name": _person(request.approved_by) if request.number > 1 else "",
        "clock_text": CLOCK_RULE_TEXT.get(request.clock_rule, ""),
    })
    return _render(context["form"].template, context)


# --- refusal and stop ------------------------------------------------------------------------

def _decision_context(kind: str, dossier: Dossier, action: str) -> dict:
    """The context of a decision printed with its latest event: when, by whom, where; the
    deciding agency and the present time when the event is missing."""
    event = (dossier.events.filter(action=action).select_related("actor", "agency")
             .order_by("-at", "-pk").first())
    agency = (event.agency if event and event.agency else None) or dossier.deciding_agency
    issued_at = event.at if event else timezone.now()
    context = _context(kind, dossier, agency=agency, issued_at=issued_at)
    context.update({"officer_name": _person(event.actor) if event else "",
                    "issued_text": moment_text(issued_at)})
    return context


def refusal_pdf(dossier: Dossier) -> bytes:
    """Phiếu từ chối giải quyết hồ sơ (Mẫu 03 wording) with the dossier's refusal reason,
    which must be human-readable (N26)."""
    reason = dossier.refusal_reason.strip()
    if not reason:
        raise ValueError("the dossier has no refusal reason")
    context = _decision_context(REFUSAL, dossier, Action.REFUSE)
    context["reason"] = reason
    return _render(context["form"].template, context)


def stop_notice_pdf(dossier: Dossier) -> bytes:
    """Mẫu 05 of TT 03/2025 — Thông báo dừng giải quyết hồ sơ, with the stop reason (N33)."""
    reason = dossier.stop_reason.strip()
    if not reason:
        raise ValueError("the dossier has no stop reason")
    context = _decision_context(STOP, dossier, Action.STOP)
    context["reason"] = reason
    return _render(context["form"].template, context)


# --- Mẫu 04 --------------------------------------------------------------------------------

def apology_pdf(apology: Apology) -> bytes:
    """Mẫu 04 — the apology and new appointment (TT 01/2018) or the apology and extension
    request (TT 03/2025). The due time it apologises for is the previous apology's new date,
    else the receipt's due time, which is never overwritten (N32)."""
    dossier = apology.dossier
    previous = (Apology.objects.filter(dossier=dossier, issued_at__lt=apology.issued_at)
                .order_by("-issued_at", "-pk").first())
    context = _context(APOLOGY, dossier, agency=dossier.deciding_agency,
                       issued_at=apology.issued_at)
    context.update({
        "apology": apology,
        "original_due_text": moment_text(previous.new_due_at if previous else dossier.due_at),
        "new_due_text": moment_text(apology.new_due_at),
        "officer_name": _person(apology.issued_by),
    })
    return _render(context["form"].template, context)


# --- the control sheet -----------------------------------------------------------------------

@dataclass(frozen=True)
class HandoverRow:
    """One row of the control sheet: the hand-over that opened a step and how it ended."""

    number: int
    step_name: str
    giver_agency: str
    giver_officer: str
    receiver_agency: str
    receiver_officer: str
    started: str
    due: str
    finished: str
    mark: str
    note: str


def step_mark(step: DossierStep) -> str:
    """Trước hạn / Đúng hạn / Quá hạn from the end against the step's due time, or "Đang xử
    lý" while open. Days compare in local time (DOMAIN.md §6): ended on an earlier day is
    early, on the due day is on time; but ending after the due time is late even on the same
    day. A step without a due time is on time (DOMAIN.md §6)."""
    if step.finished_at is None:
        return IN_PROGRESS
    if step.due_at is None:
        return ON_TIME
    if step.finished_at > step.due_at:
        return LATE
    finished, due = timezone.localdate(step.finished_at), timezone.localdate(step.due_at)
    return EARLY if finished < due else ON_TIME


def _step_note(step: DossierStep) -> str:
    parts = []
    if step.transfer_from_id is not None:
        parts.append(f"Chuyển liên thông từ {step.transfer_from.name}")
    if step.outcome in (StepOutcome.SENT_BACK, StepOutcome.TRANSFERRED, StepOutcome.CLOSED):
        parts.append(step.get_outcome_display())
    if step.note.strip():
        parts.append(step.note.strip())
    return ". ".join(parts)


def handover_rows(dossier: Dossier) -> list[HandoverRow]:
    """The steps in the order they were entered, each read as a hand-over from the holder of
    the step before (the receiving desk and its officer for the first step; the sending agency
    of a liên thông transfer) to the step's agency and officer. Two queries whatever the
    number of steps."""
    steps = list(DossierStep.objects.filter(dossier=dossier)
                 .select_related("agency", "assignee", "transfer_from")
                 .order_by("started_at", "pk"))
    receive = (dossier.events.filter(action=Action.RECEIVE).select_related("actor")
               .order_by("at", "pk").first())
    giver_agency = dossier.receiving_agency
    giver_officer = receive.actor if receive else None
    rows = []
    for number, step in enumerate(steps, start=1):
        rows.append(HandoverRow(
            number=number, step_name=step.name,
            giver_agency=(step.transfer_from or giver_agency).name,
            giver_officer=_person(giver_officer),
            receiver_agency=step.agency.name, receiver_officer=_person(step.assignee),
            started=short_moment(step.started_at), due=short_moment(step.due_at),
            finished=short_moment(step.finished_at), mark=step_mark(step),
            note=_step_note(step)))
        giver_agency, giver_officer = step.agency, step.assignee
    return rows


def control_sheet_pdf(dossier: Dossier) -> bytes:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05 TT 01/2018, Mẫu 06 TT 03/2025): the
    dossier's code, receipt and due times, then one row per hand-over (N27)."""
    context = _context(CONTROL, dossier, agency=dossier.receiving_agency,
                       issued_at=dossier.received_at)
    rows = handover_rows(dossier)
    sequence = _SEQUENCE.search(dossier.code)
    named = {dossier.receiving_agency.name, dossier.deciding_agency.name}
    context.update({
        "rows": rows,
        "extended_due_text": moment_text(dossier.extended_due_at),
        "partners": sorted({row.receiver_agency for row in rows} - named),
        "ledger_book": timezone.localtime(dossier.received_at).year,
        "ledger_number": int(sequence.group(1)) if sequence else "",
    })
    return _render(context["form"].template, context)
