"""The payment state machines: one table for orders, one for attempts (PAYMENTS.md A2, DOMAIN.md
§7). `move_order` / `move_attempt` are the only writers of `status`; each change writes a
PaymentEvent. Callers hold the rows locked (select_for_update) in their transaction."""

from __future__ import annotations

from django.utils import timezone

from portal.errors import DomainError
from thanhtoan.choices import AttemptStatus as A
from thanhtoan.choices import OrderStatus as O
from thanhtoan.models import PaymentAttempt, PaymentEvent, PaymentOrder

ORDER_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "begin": (frozenset({O.UNPAID, O.AWAITING}), O.AWAITING),  # an attempt started
    "lapse": (frozenset({O.AWAITING}), O.UNPAID),  # the attempt failed: pay again
    # money arriving for a cancelled order is recorded, not refused (pretix; a human decides)
    "settle": (frozenset({O.UNPAID, O.AWAITING, O.CANCELLED}), O.PAID),
    "cancel": (frozenset({O.UNPAID, O.AWAITING}), O.CANCELLED),
    "refund": (frozenset({O.PAID}), O.REFUNDED),
}

UNSETTLED = frozenset(A.unsettled())
ENDED_UNPAID = frozenset({A.FAILED, A.CANCELLED, A.EXPIRED})
ATTEMPT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "redirect": (frozenset({A.CREATED}), A.PENDING),
    # only verified evidence (a signed notification or query answer, an officer's record)
    "pay": (UNSETTLED | ENDED_UNPAID, A.PAID),
    "fail": (UNSETTLED, A.FAILED),
    "cancel": (UNSETTLED, A.CANCELLED),
    "review": (frozenset({A.CREATED, A.PENDING}), A.REVIEW),
    "expire": (UNSETTLED, A.EXPIRED),
}


class PaymentRefused(DomainError):
    """The change is not allowed from the current state (409)."""


def move_order(order: PaymentOrder, action: str, *, source: str = "", actor=None,
               data: dict | None = None, **fields) -> PaymentOrder:
    sources, target = ORDER_TRANSITIONS[action]
    if order.status not in sources:
        raise PaymentRefused("payment_order_state", (
            f"Không thể thực hiện khi yêu cầu thanh toán đang ở trạng thái "
            f"“{order.get_status_display()}”."))
    before = order.status
    order.status = target
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=["status", "updated_at", *fields])
    PaymentEvent.objects.create(order=order, action=f"order_{action}", status_before=before,
                                status_after=target, source=source, actor=actor,
                                data=data or {}, at=timezone.now())
    return order


def may_move_attempt(attempt: PaymentAttempt, action: str) -> bool:
    return attempt.status in ATTEMPT_TRANSITIONS[action][0]


def move_attempt(attempt: PaymentAttempt, action: str, *, source: str = "", actor=None,
                 data: dict | None = None, **fields) -> PaymentAttempt:
    sources, target = ATTEMPT_TRANSITIONS[action]
    if attempt.status not in sources:
        raise PaymentRefused("payment_attempt_state", (
            f"Giao dịch {attempt.txn_ref} đang ở trạng thái “{attempt.get_status_display()}”."))
    before = attempt.status
    attempt.status = target
    for name, value in fields.items():
        setattr(attempt, name, value)
    attempt.save(update_fields=["status", *fields])
    PaymentEvent.objects.create(order_id=attempt.order_id, attempt=attempt,
                                action=f"attempt_{action}", status_before=before,
                                status_after=target, source=source, actor=actor,
                                data=data or {}, at=timezone.now())
    return attempt


def log(attempt: PaymentAttempt, action: str, *, source: str, data: dict | None = None) -> None:
    """A message that changed nothing (a duplicate, a failure after success): kept."""
    PaymentEvent.objects.create(order_id=attempt.order_id, attempt=attempt, action=action,
                                status_before=attempt.status, status_after=attempt.status,
                                source=source, data=data or {}, at=timezone.now())
