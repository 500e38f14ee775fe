"""The dossier state machine: the one table of transitions (DESIGN.md §4, STYLE.md §4.3).

Each action lists the states it may start from, the state it leads to, who may do it and its
guards. `apply_transition` is the single writer of `Dossier.status`: it locks the row, checks,
saves and records a DossierEvent in the caller's transaction. A refused action writes nothing.
This module holds the intake part of the table; the processing issue adds the rest.
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
    target: str
    # "owner": the citizen account that submitted; otherwise an Agency permission checked on
    # the dossier's receiving agency.
    perm: str
    guards: tuple[Guard, ...] = field(default=())


def _not_online_only_at_desk(dossier: Dossier, actor, payload: dict) -> str | None:
    """DESIGN.md §4: a procedure marked online-only cannot be received at a desk (N11)."""
    if dossier.procedure.online_only and dossier.channel in ("direct", "postal"):
        return _("Thủ tục này chỉ tiếp nhận hồ sơ trực tuyến; vui lòng hướng dẫn công dân nộp "
                 "trực tuyến.")
    return None


def _reason_given(dossier: Dossier, actor, payload: dict) -> str | None:
    """Mẫu 02/03 need a human-readable reason (DOMAIN-2025.md N21, N26)."""
    if not (payload.get("reason") or "").strip():
        return _("Vui lòng ghi rõ lý do.")
    return None


TRANSITIONS: Mapping[str, Transition] = {
    Action.SUBMIT: Transition(frozenset({S.DRAFT}), S.SUBMITTED, "owner"),
    Action.REQUEST_COMPLETION: Transition(frozenset({S.SUBMITTED}), S.AWAITING_COMPLETION,
                                          "portal.receive_dossier", (_reason_given,)),
    Action.RESUBMIT: Transition(frozenset({S.AWAITING_COMPLETION}), S.SUBMITTED, "owner"),
    Action.RECEIVE: Transition(frozenset({S.SUBMITTED}), S.RECEIVED, "portal.receive_dossier",
                               (_not_online_only_at_desk,)),
    Action.REJECT_INTAKE: Transition(frozenset({S.SUBMITTED}), S.REFUSED,
                                     "portal.receive_dossier", (_reason_given,)),
    Action.WITHDRAW: Transition(frozenset({S.DRAFT, S.SUBMITTED, S.AWAITING_COMPLETION}),
                                S.WITHDRAWN, "owner"),
}

NOT_ALLOWED = "Không thể %(action)s khi hồ sơ đang ở trạng thái “%(status)s”."
NO_PERMISSION = "Bạn không có quyền %(action)s hồ sơ này."


def _may(dossier: Dossier, actor: User | None, transition: Transition) -> bool:
    if actor is None:
        return False
    if transition.perm == "owner":
        return dossier.account_id is not None and dossier.account_id == actor.pk
    return has_agency_perm(actor, transition.perm, dossier.receiving_agency)


def check(dossier: Dossier, action: str, actor: User | None, payload: dict | None = None
          ) -> Transition:
    """The transition if `actor` may do `action` now; raises TransitionRefused otherwise."""
    transition = TRANSITIONS.get(action)
    label = Action(action).label.lower() if action in Action.values else action
    if transition is None or dossier.status not in transition.sources:
        raise TransitionRefused(
            "transition_not_allowed",
            _(NOT_ALLOWED) % {"action": label, "status": dossier.get_status_display()})
    if not _may(dossier, actor, transition):
        raise TransitionRefused("forbidden", _(NO_PERMISSION) % {"action": label},
                                status_code=403)
    for guard in transition.guards:
        refusal = guard(dossier, actor, payload or {})
        if refusal:
            raise TransitionRefused(guard.__name__.strip("_"), refusal)
    return transition


def allowed_actions(dossier: Dossier, actor: User | None) -> list[str]:
    """Actions the actor may take now (for buttons)."""
    allowed = []
    for action in TRANSITIONS:
        try:
            check(dossier, action, actor, {"reason": "x"})
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
                   .select_related("procedure", "receiving_agency", "deciding_agency")
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
    dossier.status = transition.target
    for name, value in changes.items():
        setattr(dossier, name, value)
    if dossier.pk is None:
        dossier.save(force_insert=True)
    else:
        dossier.save(update_fields=["status", "updated_at", *changes])
    dossier.last_event = DossierEvent.objects.create(
        dossier=dossier, actor=actor, agency=agency or dossier.receiving_agency,
        action=action, status_before=before, status_after=transition.target, note=note,
        data=data or {})
    return dossier
