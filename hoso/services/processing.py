"""Processing: start, assign, forward and send back along the workflow steps, liên thông
transfers, supplements and financial obligations (with their clock rules), apology and new
appointment, refusal, stop, result, resolve, return, withdrawal, rating.

Every verb is one transaction through `hoso.workflow.apply_transition` (which locks the row,
so of two officers acting at once exactly one wins and the other gets 409) and writes its
DossierEvent there. The clock (DOMAIN-2025.md N24, QĐ 766):
- `due_at` is the legal appointment: under the procedure's "restart" rule a supplement makes
  the whole processing time count again from the moment the complete dossier is back; under
  "pause" it moves by the working time the citizen took;
- `kpi_due_at` is the 766 measure: the receipt's due time moved by every pause, whatever the
  rule; a financial-obligation wait moves both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoso.choices import Action, ApologyStatus, DossierStatus, ReturnMethod, StepOutcome
from hoso.models import Apology, Dossier, Rating, Result, SupplementRequest, private_storage
from hoso.services import steps
from hoso.services.intake import PaperIn, add_papers, due_time
from hoso.uploads import check_upload, cleanup_on_failure
from hoso.workflow import TransitionRefused, apply_transition, may
from portal.calendar import get_calendar
from portal.errors import InvalidInput
from portal.models import Agency, User
from tthc.choices import ClockRule

RATING_CRITERIA = {
    # DOMAIN.md §1 "Evaluation": the citizen-facing criteria, 1–5 each.
    "time": "Thời gian giải quyết so với quy định",
    "contacts": "Số lần phải liên hệ để hoàn thiện hồ sơ",
    "attitude": "Thái độ, tinh thần phục vụ của cán bộ",
    "guidance": "Hướng dẫn, công khai thủ tục",
    "online": "Chất lượng dịch vụ công trực tuyến",
}


def _notify(dossier: Dossier, code: str) -> None:
    from hoso.notify import notify_applicant

    notify_applicant(dossier, code)


def _close_open_step(dossier: Dossier, at: dt.datetime, outcome: str = StepOutcome.CLOSED,
                     note: str = "") -> None:
    steps.finish(dossier.current_step, outcome, at, note)


# --- along the steps ------------------------------------------------------------------------

def start(*, dossier_id: int, officer: User, assignee: User | None = None) -> Dossier:
    """Begin processing: the reception step (if the workflow has one) is recorded as done at
    receipt, and the dossier enters its first processing step."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        flow = steps.workflow_of(dossier)
        first = flow[0]
        if first.get("role") == steps.DESK_ROLE and len(flow) > 1:
            desk = steps.enter(dossier, first["position"], at=dossier.received_at,
                               agency=dossier.receiving_agency)
            steps.finish(desk, StepOutcome.DONE, at)
            first = flow[1]
        step = steps.enter(dossier, first["position"], at=at,
                           assignee=assignee or dossier.assignee)
        return {"current_step": step, "handling_agency": step.agency,
                "assignee": step.assignee}

    with transaction.atomic():
        return apply_transition(dossier_id=dossier_id, action=Action.START, actor=officer,
                                compute=compute)


def assign(*, dossier_id: int, leader: User, assignee: User) -> Dossier:
    """A leader (re)assigns the current step to an officer of the handling agency."""
    def compute(dossier: Dossier) -> dict:
        if dossier.current_step is not None:
            dossier.current_step.assignee = assignee
            dossier.current_step.save(update_fields=["assignee"])
        return {"assignee": assignee}

    with transaction.atomic():
        dossier = apply_transition(dossier_id=dossier_id, action=Action.ASSIGN, actor=leader,
                                   payload={"assignee": assignee}, compute=compute,
                                   data={"assignee": assignee.pk},
                                   note=assignee.full_name or assignee.username)
        _notify_officer(dossier, assignee)
        return dossier


def forward(*, dossier_id: int, officer: User, assignee: User | None = None,
            note: str = "") -> Dossier:
    """Finish the current step (on time or late) and hand the dossier to the next one."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        current = dossier.current_step
        steps.finish(current, StepOutcome.DONE, at, note)
        following = min(s["position"] for s in steps.workflow_of(dossier)
                        if s["position"] > current.position)
        step = steps.enter(dossier, following, at=at, assignee=assignee)
        return {"current_step": step, "handling_agency": step.agency, "assignee": assignee}

    with transaction.atomic():
        dossier = apply_transition(dossier_id=dossier_id, action=Action.FORWARD, actor=officer,
                                   compute=compute, note=note)
        _notify_officer(dossier, assignee)
        return dossier


def send_back(*, dossier_id: int, officer: User, reason: str) -> Dossier:
    """Return the dossier to the previous step, with the reason."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        current = dossier.current_step
        steps.finish(current, StepOutcome.SENT_BACK, at, reason)
        previous = max(s["position"] for s in steps.workflow_of(dossier)
                       if s["position"] < current.position)
        earlier = dossier.steps.filter(position=previous).order_by("-started_at").first()
        step = steps.enter(dossier, previous, at=at,
                           assignee=earlier.assignee if earlier else None,
                           agency=earlier.agency if earlier else None)
        return {"current_step": step, "handling_agency": step.agency,
                "assignee": step.assignee}

    with transaction.atomic():
        return apply_transition(dossier_id=dossier_id, action=Action.SEND_BACK, actor=officer,
                                payload={"reason": reason}, compute=compute,
                                note=reason.strip())


def transfer(*, dossier_id: int, officer: User, agency: Agency, due_at: dt.datetime | None
             = None, note: str = "") -> Dossier:
    """Liên thông: hand the dossier to another agency (same level, or up or down a level) for
    its part, with its own time slot (default: the current step's due time; N28)."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        current = dossier.current_step
        steps.finish(current, StepOutcome.TRANSFERRED, at, note)
        step = steps.enter(dossier, current.position, at=at, agency=agency,
                           transfer_from=current.agency, due_at=due_at or current.due_at,
                           name=_("Liên thông: %(agency)s") % {"agency": agency.name},
                           note=note)
        return {"current_step": step, "handling_agency": agency, "assignee": None}

    with transaction.atomic():
        return apply_transition(dossier_id=dossier_id, action=Action.TRANSFER, actor=officer,
                                payload={"agency": agency}, compute=compute, note=note,
                                data={"to_agency": agency.code})


def transfer_back(*, dossier_id: int, officer: User, note: str = "") -> Dossier:
    """The other agency's part is done: the dossier goes back to the agency that sent it."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        current = dossier.current_step
        steps.finish(current, StepOutcome.DONE, at, note)
        sender = current.transfer_from
        before = (dossier.steps.filter(position=current.position, agency=sender,
                                       transfer_from__isnull=True)
                  .order_by("-started_at").first())
        step = steps.enter(dossier, current.position, at=at, agency=sender,
                           assignee=before.assignee if before else None)
        return {"current_step": step, "handling_agency": sender,
                "assignee": step.assignee}

    with transaction.atomic():
        dossier = apply_transition(dossier_id=dossier_id, action=Action.TRANSFER_BACK,
                                   actor=officer, compute=compute, note=note)
        _notify_officer(dossier, dossier.assignee)
        return dossier


# --- waiting for the citizen ----------------------------------------------------------------

@dataclass
class SupplementItem:
    name: str
    reason: str


def request_supplement(*, dossier_id: int, officer: User, items: list[SupplementItem],
                       reason: str = "", approver: User | None = None) -> Dossier:
    """Mẫu 02 after receipt: the clock pauses until the complete dossier is back. A second
    request needs a reason and an approver and counts the dossier overdue (N22)."""
    listed = [{"name": i.name.strip(), "reason": i.reason.strip()} for i in items]

    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        number = dossier.supplement_count + 1
        SupplementRequest.objects.create(
            dossier=dossier, number=number, items=listed, reason=reason.strip(),
            requested_by=officer, approved_by=approver if number > 1 else None,
            requested_at=at, due_at_before=dossier.due_at,
            clock_rule=_clock_rule(dossier))
        return {"paused_at": at, "supplement_count": number,
                "counted_overdue": dossier.counted_overdue or number > 1,
                "completion_request": "\n".join(f"{i['name']}: {i['reason']}" for i in listed)}

    with transaction.atomic():
        dossier = apply_transition(
            dossier_id=dossier_id, action=Action.REQUEST_SUPPLEMENT, actor=officer,
            payload={"items": listed, "reason": reason, "approver": approver},
            compute=compute, note=reason.strip(), data={"items": listed})
        _notify(dossier, "supplement_requested")
        return dossier


def supplement(*, dossier_id: int, actor: User, papers: list[PaperIn] | None = None
               ) -> Dossier:
    """The complete dossier is back (the citizen's uploads, or papers the desk took in):
    resume the clock by the procedure's rule."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        if papers:
            add_papers(dossier, papers, actor, stored,
                       supplement_number=dossier.supplement_count)
        calendar = get_calendar(dossier.deciding_agency)
        paused = int(calendar.between(dossier.paused_at, at).total_seconds())
        request = dossier.supplement_requests.order_by("-number").first()
        changes = {"paused_at": None, "kpi_due_at": steps.shift(dossier, dossier.kpi_due_at,
                                                                 paused)}
        if _clock_rule(dossier) == ClockRule.RESTART:
            # The whole processing time counts again from the supplement's receipt.
            changes["clock_start_at"] = calendar.next_working_moment(at)
            changes["due_at"] = due_time(dossier.procedure, dossier.terms, at,
                                         dossier.deciding_agency)
            changes["paused_seconds"] = 0
        else:
            changes["due_at"] = steps.shift(dossier, dossier.due_at, paused)
            changes["paused_seconds"] = dossier.paused_seconds + paused
        for name, value in changes.items():
            setattr(dossier, name, value)
        _reschedule_open_step(dossier)
        if request is not None:
            request.received_at, request.due_at_after = at, changes["due_at"]
            request.save(update_fields=["received_at", "due_at_after"])
        return changes

    with cleanup_on_failure() as stored, transaction.atomic():
        return apply_transition(dossier_id=dossier_id, action=Action.SUPPLEMENT, actor=actor,
                                compute=compute)


def request_obligation(*, dossier_id: int, officer: User, reason: str) -> Dossier:
    """Wait while the citizen pays the tax office (land and tax procedures): the clock
    pauses (national status 6)."""
    with transaction.atomic():
        dossier = apply_transition(
            dossier_id=dossier_id, action=Action.REQUEST_OBLIGATION, actor=officer,
            payload={"reason": reason}, changes={"paused_at": timezone.now()},
            note=reason.strip(), data={"reason": reason.strip()})
        _notify(dossier, "obligation_requested")
        return dossier


def obligation_met(*, dossier_id: int, officer: User) -> Dossier:
    """The obligation is paid: due times (legal and 766) move by the paused working time."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        paused = int(get_calendar(dossier.deciding_agency)
                     .between(dossier.paused_at, at).total_seconds())
        changes = {"paused_at": None,
                   "due_at": steps.shift(dossier, dossier.due_at, paused),
                   "kpi_due_at": steps.shift(dossier, dossier.kpi_due_at, paused),
                   "paused_seconds": dossier.paused_seconds + paused}
        for name, value in changes.items():
            setattr(dossier, name, value)
        _reschedule_open_step(dossier)
        return changes

    with transaction.atomic():
        return apply_transition(dossier_id=dossier_id, action=Action.OBLIGATION_MET,
                                actor=officer, compute=compute)


def _clock_rule(dossier: Dossier) -> str:
    return (dossier.terms or {}).get("procedure", {}).get("supplement_clock",
                                                            ClockRule.RESTART)


def _reschedule_open_step(dossier: Dossier) -> None:
    step = dossier.current_step
    if step is not None and step.outcome == StepOutcome.OPEN and step.transfer_from_id is None:
        step.due_at = steps.step_due(dossier, step.position)
        step.save(update_fields=["due_at"])


# --- late, refused, stopped -----------------------------------------------------------------

def apologize(*, dossier_id: int, leader: User, reason_code: str, reason: str,
              new_due_at: dt.datetime) -> Dossier:
    """Mẫu 04: apology and new appointment, before the due time, with a reason from the list
    and its explanation; the original due time is kept, the new one stored beside it
    (N31–N32). The draft the apology check prepared, if any, becomes the sent letter."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        fields = {"status": ApologyStatus.SENT, "reason_code": reason_code,
                  "reason": reason.strip(), "new_due_at": new_due_at, "issued_by": leader,
                  "issued_at": at}
        draft = dossier.apologies.filter(status=ApologyStatus.DRAFT).first()
        if draft is None:
            Apology.objects.create(dossier=dossier, **fields)
        else:
            for name, value in fields.items():
                setattr(draft, name, value)
            draft.save()
        return {"extended_due_at": new_due_at, "apology_count": dossier.apology_count + 1}

    with transaction.atomic():
        dossier = apply_transition(
            dossier_id=dossier_id, action=Action.APOLOGIZE, actor=leader,
            payload={"reason": reason, "reason_code": reason_code, "new_due_at": new_due_at},
            compute=compute, note=reason.strip(),
            data={"new_due_at": new_due_at.isoformat(), "reason_code": reason_code})
        _notify(dossier, "dossier_apology")
        return dossier


def refuse(*, dossier_id: int, leader: User, reason: str) -> Dossier:
    """Refuse after receipt, with a human-readable reason (Mẫu 03 wording; N26)."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        _close_open_step(dossier, at, note=reason.strip())
        return {"refusal_reason": reason.strip(), "finished_at": at, "paused_at": None}

    with transaction.atomic():
        dossier = apply_transition(dossier_id=dossier_id, action=Action.REFUSE, actor=leader,
                                   payload={"reason": reason}, compute=compute,
                                   note=reason.strip())
        _notify(dossier, "dossier_rejected")
        return dossier


def stop(*, dossier_id: int, leader: User, reason: str) -> Dossier:
    """Mẫu 05 of TT 03/2025: stop processing, only before a result exists (N33; status 8)."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        _close_open_step(dossier, at, note=reason.strip())
        return {"stop_reason": reason.strip(), "finished_at": at, "paused_at": None}

    with transaction.atomic():
        dossier = apply_transition(dossier_id=dossier_id, action=Action.STOP, actor=leader,
                                   payload={"reason": reason}, compute=compute,
                                   note=reason.strip())
        _notify(dossier, "dossier_stopped")
        return dossier


def withdraw(*, dossier_id: int, actor: User, reason: str = "") -> Dossier:
    """The applicant withdraws the dossier before it is resolved (status 7, N34)."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        _close_open_step(dossier, at, note=reason.strip())
        return {"withdraw_reason": reason.strip(), "finished_at": at, "paused_at": None}

    with transaction.atomic():
        return apply_transition(dossier_id=dossier_id, action=Action.WITHDRAW, actor=actor,
                                compute=compute, note=reason.strip())


# --- result, return, rating -----------------------------------------------------------------

@dataclass
class ResultIn:
    name: str
    number: str
    issued_on: dt.date
    signer: str = ""
    file: UploadedFile | None = None  # the signed PDF of an e-result


def add_result(*, dossier_id: int, officer: User, result: ResultIn) -> Result:
    """Attach a result (number, issue date; the PDF for an e-result) to a dossier being
    processed by the officer's agency. Coded `<dossier code>-KQ<n>` (N35)."""
    if not result.name.strip() or not result.number.strip():
        raise InvalidInput("result_incomplete", _("Vui lòng nhập tên và số, ký hiệu của kết "
                                                  "quả."))
    with cleanup_on_failure() as stored, transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
            "deciding_agency", "handling_agency").get(pk=dossier_id)
        if dossier.status != DossierStatus.IN_PROGRESS:
            raise TransitionRefused("transition_not_allowed", _(
                "Chỉ đính kèm kết quả khi hồ sơ đang được giải quyết."))
        if not may(dossier, Action.RESOLVE, officer):
            raise TransitionRefused("forbidden", _("Bạn không có quyền đính kèm kết quả cho hồ "
                                                   "sơ này."), status_code=403)
        row = Result(dossier=dossier, name=result.name.strip(), number=result.number.strip(),
                     issued_on=result.issued_on, signer=result.signer.strip(),
                     added_by=officer, electronic=result.file is not None,
                     code=f"{dossier.code}-KQ{dossier.results.count() + 1}")
        if result.file is not None:
            checked = check_upload(result.file)
            if checked.extension != "pdf":
                raise InvalidInput("result_not_pdf", _("Kết quả điện tử phải là tệp PDF."))
            name = private_storage.save(
                f"results/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf", result.file)
            stored.append(name)
            row.file.name, row.sha256 = name, checked.sha256
        row.save()
        return row


def resolve(*, dossier_id: int, officer: User, note: str = "") -> Dossier:
    """Processing finished (national status 9): only at the last step, with the result."""
    def compute(dossier: Dossier) -> dict:
        at = timezone.now()
        steps.finish(dossier.current_step, StepOutcome.DONE, at, note)
        return {"finished_at": at, "handling_agency": dossier.receiving_agency,
                "assignee": None}

    with transaction.atomic():
        dossier = apply_transition(dossier_id=dossier_id, action=Action.RESOLVE, actor=officer,
                                   compute=compute, note=note)
        _notify(dossier, "dossier_resolved")
        return dossier


def return_result(*, dossier_id: int, officer: User, method: str, returned_to: str = "",
                  tracking_number: str = "") -> Dossier:
    """Hand the result over (status 10): how, and who collected it."""
    if method not in ReturnMethod.values:
        raise InvalidInput("bad_return_method", _("Hình thức trả kết quả không hợp lệ."))
    if method == ReturnMethod.DESK and not returned_to.strip():
        raise InvalidInput("returned_to", _("Vui lòng ghi họ tên người nhận kết quả."))
    if method == ReturnMethod.POST and not tracking_number.strip():
        raise InvalidInput("return_tracking", _("Vui lòng nhập số vận đơn gửi kết quả."))
    with transaction.atomic():
        return apply_transition(
            dossier_id=dossier_id, action=Action.RETURN_RESULT, actor=officer,
            changes={"returned_at": timezone.now(), "return_method": method,
                     "returned_to": returned_to.strip()[:255],
                     "return_tracking_number": tracking_number.strip()[:50]},
            note=returned_to.strip())


def rate(*, dossier_id: int, actor: User, scores: dict[str, int], comment: str = "") -> Rating:
    """One rating per dossier, after return: 1–5 on each criterion."""
    unknown = set(scores) - set(RATING_CRITERIA)
    if unknown or not scores or any(
            not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 5
            for v in scores.values()):
        raise InvalidInput("bad_rating", _("Mỗi tiêu chí được chấm từ 1 đến 5 điểm."))
    with transaction.atomic():
        dossier = apply_transition(dossier_id=dossier_id, action=Action.RATE, actor=actor,
                                   data={"scores": scores}, note=comment.strip()[:500])
        return Rating.objects.create(dossier=dossier, scores=scores, comment=comment.strip(),
                                     rated_by=actor, rated_at=timezone.now())


def _notify_officer(dossier: Dossier, officer: User | None) -> None:
    """Tell the officer a dossier landed in their queue (e-mail, if they have one)."""
    if officer is None or not officer.email:
        return
    from portal.notifications import notify

    notify(code="dossier_assigned", context={
        "dossier_code": dossier.code or "", "procedure_name": dossier.procedure.name,
        "owner_name": dossier.owner_name, "officer_name": officer.full_name,
        "due_at": dossier.appointment}, email=officer.email, phone=None,
        object_ref=f"dossier:{dossier.pk}",
        event_key=f"dossier:{dossier.pk}:assigned:{dossier.last_event.pk}:{officer.pk}")


VERBS = {
    Action.START: start, Action.ASSIGN: assign, Action.FORWARD: forward,
    Action.SEND_BACK: send_back, Action.TRANSFER: transfer,
    Action.TRANSFER_BACK: transfer_back, Action.REQUEST_SUPPLEMENT: request_supplement,
    Action.SUPPLEMENT: supplement, Action.REQUEST_OBLIGATION: request_obligation,
    Action.OBLIGATION_MET: obligation_met, Action.APOLOGIZE: apologize, Action.REFUSE: refuse,
    Action.STOP: stop, Action.RESOLVE: resolve, Action.RETURN_RESULT: return_result,
    Action.WITHDRAW: withdraw, Action.RATE: rate,
}
_ACTOR_ARGS = ("officer", "leader", "actor")
# The fields the verbs require, as a person reads them in an error.
FIELD_NAMES = {
    "reason": _("lý do"), "reason_code": _("lý do theo danh mục"),
    "new_due_at": _("ngày hẹn trả mới"), "assignee": _("cán bộ xử lý"),
    "agency": _("cơ quan nhận liên thông"), "items": _("giấy tờ cần bổ sung"),
    "method": _("hình thức trả kết quả"), "scores": _("điểm đánh giá"),
}


def perform(action: str, *, dossier_id: int, actor: User, **fields):
    """Run the verb of a processing action with the fields it takes (the pages and the API
    share this): unknown fields are ignored, a missing required one is a clear error."""
    import inspect

    verb = VERBS.get(action)
    if verb is None:
        raise InvalidInput("unknown_action", _("Không có thao tác này."))
    params = inspect.signature(verb).parameters
    actor_arg = next(name for name in _ACTOR_ARGS if name in params)
    kwargs = {name: value for name, value in fields.items()
              if name in params and name not in ("dossier_id", actor_arg)}
    missing = [name for name, param in params.items()
               if param.default is inspect.Parameter.empty
               and name not in kwargs and name not in ("dossier_id", actor_arg)]
    if missing:
        raise InvalidInput("missing_field", _("Thiếu thông tin: %(fields)s.")
                           % {"fields": ", ".join(FIELD_NAMES.get(n, n) for n in missing)})
    return verb(dossier_id=dossier_id, **{actor_arg: actor}, **kwargs)
