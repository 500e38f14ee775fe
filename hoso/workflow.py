"""The dossier state machine: the one table of transitions (DESIGN.md §4, STYLE.md §4.3).

Each action lists the states it may start from, the state it leads to, who may do it and its
guards. `apply_transition` is the single writer of `Dossier.status`: it locks the row, checks,
saves and records a DossierEvent in the caller's transaction. A refused action writes nothing.
Guards cite the rule they come from (DESIGN.md §4, DOMAIN.md, DOMAIN-2025.md checklist).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from hoso.choices import Action, DossierStatus
from hoso.models import Dossier, DossierEvent
from portal.errors import DomainError
from portal.models import Agency, User
from portal.permissions import has_agency_perm

S = DossierStatus


class TransitionRefused(DomainError):
    """The action is not allowed now (409) or not by this actor (403)."""


Guard = Callable[[Dossier, User | None, dict], str | None]  # returns a refusal message or None


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status stays (forward, transfer, apologize, rate…)
    # Who may: "owner" is the citizen account that submitted; any other entry is an Agency
    # permission, checked on the agency named by `scope`.
    who: tuple[str, ...]
    guards: tuple[Guard, ...] = field(default=())
    scope: str = "receiving"  # or "handling": the agency holding the dossier now


def _not_online_only_at_desk(dossier: Dossier, actor, payload: dict) -> str | None:
    """DESIGN.md §4: a procedure marked online-only cannot be received at a desk (N11)."""
    if dossier.procedure.online_only and dossier.channel in ("direct", "postal"):
        return _("Thủ tục này chỉ tiếp nhận hồ sơ trực tuyến; vui lòng hướng dẫn công dân nộp "
                 "trực tuyến.")
    return None


def _reason_given(dossier: Dossier, actor, payload: dict) -> str | None:
    """Mẫu 02/03/05 and every extension need a human-readable reason (DOMAIN-2025.md N21,
    N26, N33; DESIGN.md §4: nothing may be extended without a recorded reason)."""
    if not (payload.get("reason") or "").strip():
        return _("Vui lòng ghi rõ lý do.")
    return None


def _fee_paid_before_processing(dossier: Dossier, actor, payload: dict) -> str | None:
    """DESIGN.md §4: payment due before processing blocks `start` until paid."""
    terms = (dossier.terms or {}).get("procedure", {})
    if (terms.get("fee_timing") == "before_processing" and (dossier.fee_total or 0) > 0
            and dossier.fee_paid_at is None):
        return _("Hồ sơ chưa nộp phí, lệ phí; thủ tục này thu phí trước khi giải quyết.")
    return None


def _fee_paid_at_return(dossier: Dossier, actor, payload: dict) -> str | None:
    """The fee due when the result is returned must be paid first."""
    terms = (dossier.terms or {}).get("procedure", {})
    if (terms.get("fee_timing") == "at_return" and (dossier.fee_total or 0) > 0
            and dossier.fee_paid_at is None):
        return _("Công dân chưa nộp phí, lệ phí (%(amount)s đ); vui lòng thu phí trước khi trả "
                 "kết quả.") % {"amount": f"{dossier.fee_total:,}".replace(",", ".")}
    return None


def _items_listed(dossier: Dossier, actor, payload: dict) -> str | None:
    """Mẫu 02 lists every missing or wrong paper with its reason (N21)."""
    items = payload.get("items") or []
    if not items or any(not str(i.get("name", "")).strip() or not str(i.get("reason", "")).strip()
                        for i in items):
        return _("Vui lòng liệt kê từng giấy tờ cần bổ sung, hoàn thiện kèm lý do.")
    return None


def _second_supplement_approved(dossier: Dossier, actor, payload: dict) -> str | None:
    """A supplement is requested once as the rule; a further request needs a reason and an
    approver holding the approval permission (N22; QĐ 766 formula 2.1 counts it overdue)."""
    if dossier.supplement_count == 0:
        return None
    approver = payload.get("approver")
    if not (payload.get("reason") or "").strip() or approver is None:
        return _("Hồ sơ đã được yêu cầu bổ sung một lần; yêu cầu thêm cần ghi rõ lý do và có "
                 "lãnh đạo phê duyệt.")
    if not has_agency_perm(approver, "portal.approve_dossier", _agency_of(dossier, "handling")):
        return _("Người phê duyệt không có quyền phê duyệt hồ sơ của cơ quan này.")
    return None


def _before_due(dossier: Dossier, actor, payload: dict) -> str | None:
    """Mẫu 04 is issued before the due time, with a later appointment (DOMAIN.md §1 "Overdue";
    N31–N32); the number of extensions is limited (default 1, PORTAL_MAX_APOLOGIES) [K]."""
    from django.conf import settings
    from django.utils import timezone

    if dossier.apology_count >= settings.PORTAL_MAX_APOLOGIES:
        return _("Đã hết số lần được xin lỗi, hẹn lại ngày trả kết quả.")
    now = payload.get("now") or timezone.now()
    if dossier.appointment is not None and now >= dossier.appointment:
        return _("Đã quá hạn trả kết quả; văn bản xin lỗi phải được ban hành trước hạn.")
    new_due = payload.get("new_due_at")
    if new_due is None or (dossier.appointment is not None and new_due <= dossier.appointment):
        return _("Ngày hẹn trả mới phải sau ngày hẹn hiện tại.")
    return None


def _reason_from_list(dossier: Dossier, actor, payload: dict) -> str | None:
    """No extension without a valid reason: one from the list, plus its explanation (N31)."""
    from hoso.choices import ApologyReason

    if payload.get("reason_code") not in ApologyReason.values:
        return _("Vui lòng chọn lý do gia hạn trong danh mục.")
    return None


def _no_result_yet(dossier: Dossier, actor, payload: dict) -> str | None:
    """Mẫu 05 (stop) only before a result is signed (N33)."""
    if dossier.results.exists():
        return _("Hồ sơ đã có kết quả; không thể dừng giải quyết.")
    return None


def _result_attached(dossier: Dossier, actor, payload: dict) -> str | None:
    """No "finish" without the result: number, issue date and, for an e-result, its file (the
    rule provinces wrote after officers closed dossiers still in progress)."""
    results = list(dossier.results.all())
    if not results:
        return _("Chưa đính kèm kết quả giải quyết (số, ký hiệu, ngày ban hành).")
    if any(r.electronic and not r.file for r in results):
        return _("Kết quả điện tử chưa có tệp PDF.")
    return None


def _steps_finished(dossier: Dossier, actor, payload: dict) -> str | None:
    """Every workflow step must be finished: resolve only from the last step, held at the
    deciding agency (not while another agency holds it)."""
    step = dossier.current_step
    if step is None:
        return _("Hồ sơ chưa được xử lý qua các bước của quy trình.")
    last = max((s["position"] for s in _workflow_steps(dossier)), default=step.position)
    if step.position < last or step.transfer_from_id is not None:
        return _("Còn bước xử lý chưa hoàn thành; chỉ hoàn thành hồ sơ ở bước cuối của quy "
                 "trình.")
    return None


def _has_next_step(dossier: Dossier, actor, payload: dict) -> str | None:
    step = dossier.current_step
    if step is None or step.transfer_from_id is not None:
        return _("Hồ sơ đang được cơ quan khác xử lý liên thông.")
    if not any(s["position"] > step.position for s in _workflow_steps(dossier)):
        return _("Đây là bước cuối của quy trình; vui lòng hoàn thành hồ sơ.")
    return None


def _may_send_back(dossier: Dossier, actor, payload: dict) -> str | None:
    step = dossier.current_step
    steps = {s["position"]: s for s in _workflow_steps(dossier)}
    if step is None or step.transfer_from_id is not None or not any(
            p < step.position for p in steps):
        return _("Không có bước trước để trả lại.")
    if not steps.get(step.position, {}).get("may_send_back", True):
        return _("Bước này không được trả lại bước trước.")
    return None


def _transfer_target(dossier: Dossier, actor, payload: dict) -> str | None:
    """Liên thông: to another active agency (same level, or another level and back)."""
    target = payload.get("agency")
    if target is None or not getattr(target, "is_active", False):
        return _("Vui lòng chọn cơ quan nhận liên thông.")
    if target.pk == _agency_of(dossier, "handling").pk:
        return _("Không thể chuyển liên thông cho chính cơ quan đang xử lý.")
    return None


def _is_transferred(dossier: Dossier, actor, payload: dict) -> str | None:
    step = dossier.current_step
    if step is None or step.transfer_from_id is None:
        return _("Hồ sơ không ở cơ quan liên thông.")
    return None


def _assignee_of_agency(dossier: Dossier, actor, payload: dict) -> str | None:
    officer = payload.get("assignee")
    if officer is None:
        return _("Vui lòng chọn cán bộ xử lý.")
    if not has_agency_perm(officer, "portal.process_dossier", _agency_of(dossier, "handling")):
        return _("Cán bộ được chọn không xử lý hồ sơ của cơ quan này.")
    return None


def _not_rated(dossier: Dossier, actor, payload: dict) -> str | None:
    from hoso.models import Rating

    if Rating.objects.filter(dossier=dossier).exists():
        return _("Hồ sơ đã được đánh giá.")
    return None


def _workflow_steps(dossier: Dossier) -> list[dict]:
    from hoso.services.steps import workflow_of

    return workflow_of(dossier)


def _agency_of(dossier: Dossier, scope: str) -> Agency:
    if scope == "handling":
        return dossier.handling_agency or dossier.deciding_agency
    return dossier.receiving_agency


RECEIVE, PROCESS, APPROVE, ASSIGN = ("portal.receive_dossier", "portal.process_dossier",
                                     "portal.approve_dossier", "portal.assign_dossier")
OPEN = frozenset({S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT, S.AWAITING_OBLIGATION})
WORKING = frozenset({S.IN_PROGRESS})

TRANSITIONS: Mapping[str, Transition] = {
    # intake (issue 4)
    Action.SUBMIT: Transition(frozenset({S.DRAFT}), S.SUBMITTED, ("owner",)),
    Action.REQUEST_COMPLETION: Transition(frozenset({S.SUBMITTED}), S.AWAITING_COMPLETION,
                                          (RECEIVE,), (_reason_given,)),
    Action.RESUBMIT: Transition(frozenset({S.AWAITING_COMPLETION}), S.SUBMITTED, ("owner",)),
    Action.RECEIVE: Transition(frozenset({S.SUBMITTED}), S.RECEIVED, (RECEIVE,),
                               (_not_online_only_at_desk,)),
    Action.REJECT_INTAKE: Transition(frozenset({S.SUBMITTED}), S.REFUSED, (RECEIVE,),
                                     (_reason_given,)),
    # processing (DESIGN.md §4)
    Action.START: Transition(frozenset({S.RECEIVED}), S.IN_PROGRESS, (PROCESS, RECEIVE),
                             (_fee_paid_before_processing,), scope="handling"),
    Action.ASSIGN: Transition(frozenset({S.RECEIVED, S.IN_PROGRESS}), None, (ASSIGN,),
                              (_assignee_of_agency,), scope="handling"),
    Action.FORWARD: Transition(WORKING, None, (PROCESS, APPROVE), (_has_next_step,),
                               scope="handling"),
    Action.SEND_BACK: Transition(WORKING, None, (PROCESS, APPROVE),
                                 (_may_send_back, _reason_given), scope="handling"),
    Action.TRANSFER: Transition(WORKING, None, (PROCESS, APPROVE), (_transfer_target,),
                                scope="handling"),
    Action.TRANSFER_BACK: Transition(WORKING, None, (PROCESS, APPROVE), (_is_transferred,),
                                     scope="handling"),
    Action.REQUEST_SUPPLEMENT: Transition(WORKING, S.AWAITING_SUPPLEMENT, (PROCESS, RECEIVE),
                                          (_items_listed, _second_supplement_approved),
                                          scope="handling"),
    Action.SUPPLEMENT: Transition(frozenset({S.AWAITING_SUPPLEMENT}), S.IN_PROGRESS,
                                  ("owner", RECEIVE)),
    Action.REQUEST_OBLIGATION: Transition(WORKING, S.AWAITING_OBLIGATION, (PROCESS,),
                                          (_reason_given,), scope="handling"),
    Action.OBLIGATION_MET: Transition(frozenset({S.AWAITING_OBLIGATION}), S.IN_PROGRESS,
                                      (PROCESS, RECEIVE), scope="handling"),
    Action.APOLOGIZE: Transition(OPEN, None, (APPROVE,),
                                 (_reason_from_list, _reason_given, _before_due),
                                 scope="handling"),
    Action.REFUSE: Transition(OPEN, S.REFUSED, (APPROVE,), (_reason_given,),
                              scope="handling"),
    Action.STOP: Transition(OPEN, S.STOPPED, (APPROVE,), (_reason_given, _no_result_yet),
                            scope="handling"),
    Action.RESOLVE: Transition(WORKING, S.RESOLVED, (APPROVE, PROCESS),
                               (_steps_finished, _result_attached), scope="handling"),
    Action.RETURN_RESULT: Transition(frozenset({S.RESOLVED}), S.RETURNED, (RECEIVE,),
                                     (_fee_paid_at_return,)),
    Action.WITHDRAW: Transition(frozenset({S.DRAFT, S.SUBMITTED, S.AWAITING_COMPLETION}) | OPEN,
                                S.WITHDRAWN, ("owner", RECEIVE)),
    Action.RATE: Transition(frozenset({S.RETURNED}), None, ("owner", RECEIVE), (_not_rated,)),
}

NOT_ALLOWED = "Không thể %(action)s khi hồ sơ đang ở trạng thái “%(status)s”."
NO_PERMISSION = "Bạn không có quyền %(action)s hồ sơ này."


def may(dossier: Dossier, action: str, actor: User | None) -> bool:
    """Would `actor` be allowed to take `action` on this dossier (who, not when)?"""
    return _may(dossier, actor, TRANSITIONS[action])


def _may(dossier: Dossier, actor: User | None, transition: Transition) -> bool:
    if actor is None:
        return False
    for who in transition.who:
        if who == "owner":
            if dossier.account_id is not None and dossier.account_id == actor.pk:
                return True
        elif has_agency_perm(actor, who, _agency_of(dossier, transition.scope)):
            return True
    return False


def check(dossier: Dossier, action: str, actor: User | None, payload: dict | None = None,
          *, guards: bool = True) -> Transition:
    """The transition if `actor` may do `action` now; raises TransitionRefused otherwise
    (409 for the state or a guard, 403 for the actor). `guards=False` checks only the state
    and the actor (for offering buttons; the guards need the action's input)."""
    transition = TRANSITIONS.get(action)
    label = Action(action).label.lower() if action in Action.values else action
    if transition is None or dossier.status not in transition.sources:
        raise TransitionRefused(
            "transition_not_allowed",
            _(NOT_ALLOWED) % {"action": label, "status": dossier.get_status_display()})
    if not _may(dossier, actor, transition):
        raise TransitionRefused("forbidden", _(NO_PERMISSION) % {"action": label},
                                status_code=403)
    for guard in transition.guards if guards else ():
        refusal = guard(dossier, actor, payload or {})
        if refusal:
            raise TransitionRefused(guard.__name__.strip("_"), refusal)
    return transition


def allowed_actions(dossier: Dossier, actor: User | None) -> list[str]:
    """Actions the state and the actor allow now (for buttons; guards answer on submit)."""
    allowed = []
    for action in TRANSITIONS:
        try:
            check(dossier, action, actor, guards=False)
        except TransitionRefused:
            continue
        allowed.append(action)
    return allowed


def apply_transition(*, dossier_id: int, action: str, actor: User | None,
                     agency: Agency | None = None, note: str = "", data: dict | None = None,
                     changes: dict | None = None, payload: dict | None = None,
                     compute: Callable[[Dossier], dict] | None = None) -> Dossier:
    """Lock the dossier, check the action, set the new status (and `changes`, plus what
    `compute` returns — it runs only once the action is allowed, under the lock, e.g. to take
    the dossier code), and record the event, all in the caller's transaction."""
    with transaction.atomic():
        dossier = (Dossier.objects.select_for_update(of=("self",))
                   .select_related("procedure", "receiving_agency", "deciding_agency",
                                   "handling_agency", "current_step")
                   .get(pk=dossier_id))
        transition = check(dossier, action, actor, payload)
        return _apply(dossier, transition, action, actor, agency, note, data,
                      {**(changes or {}), **(compute(dossier) if compute else {})})


def apply_to_new(dossier: Dossier, *, action: str, actor: User | None,
                 agency: Agency | None = None, note: str = "", data: dict | None = None,
                 changes: dict | None = None, payload: dict | None = None,
                 compute: Callable[[Dossier], dict] | None = None) -> Dossier:
    """`apply_transition` for a dossier not saved yet, e.g. a walk-in dossier received at the
    desk at once: the action is checked against its initial status, then the dossier is
    inserted in the new status with its event (no lock: no one else can see the row yet).
    Call inside the caller's transaction."""
    if dossier.pk is not None:
        raise ValueError("apply_to_new takes an unsaved dossier; use apply_transition")
    transition = check(dossier, action, actor, payload)
    return _apply(dossier, transition, action, actor, agency, note, data,
                  {**(changes or {}), **(compute(dossier) if compute else {})})


def _apply(dossier: Dossier, transition: Transition, action: str, actor: User | None,
           agency: Agency | None, note: str, data: dict | None, changes: dict) -> Dossier:
    before = dossier.status
    dossier.status = transition.target or before
    for name, value in changes.items():
        setattr(dossier, name, value)
    if dossier.pk is None:
        dossier.save(force_insert=True)
    else:
        dossier.save(update_fields=["status", "updated_at", *changes])
    dossier.last_event = DossierEvent.objects.create(
        dossier=dossier, actor=actor, agency=agency or _agency_of(dossier, transition.scope),
        action=action, status_before=before, status_after=dossier.status, note=note,
        data=data or {})
    return dossier
