"""The verbs of payments (one transaction each). `record_evidence` is the only way an
attempt's outcome changes state: gateway notifications, status queries, the polling job,
reconciliation and the officer recording cash or a transfer all go through it (PAYMENTS.md
A2). Amounts are integer đồng and always come from the order, never from the request."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from hoso.models import Dossier
from portal.errors import DomainError, InvalidInput, NotFoundError
from portal.models import User
from thanhtoan import workflow
from thanhtoan.choices import AttemptStatus, Method, OrderStatus, Outcome, Provider
from thanhtoan.models import (
    PaymentAttempt,
    PaymentOrder,
    Receipt,
    ReceiptCounter,
)
from thanhtoan.providers.base import Effect, ProviderResult
from tthc.choices import FeeKind

logger = logging.getLogger(__name__)

# HS<dossier id>-yyyyMMddHHmmss. DOMAIN.md §7's vendor uses MaHoSo-yyyyMMddHHmmss [C]; the
# order is made before the dossier is numbered (an online submission has no code yet, and a
# desk receipt takes its number last, to hold the day's counter briefly), and the code is
# always shown beside the reference.
ORDER_REFERENCE = "HS{pk}-{stamp}"
TXN_PREFIX = "P"  # P + yyyymmdd + counter (PAYMENTS.md A2)
METHOD_OF = {Provider.CASH: Method.CASH, Provider.TRANSFER: Method.TRANSFER}


@dataclass(frozen=True)
class Evidence:
    """What record_evidence did with one ProviderResult."""

    effect: str  # providers.base.Effect
    attempt: PaymentAttempt | None = None


# --- orders ---------------------------------------------------------------------------------

def fee_lines(dossier: Dossier) -> list[dict]:
    """The items the dossier owes, from the fee terms it was received under (its terms
    snapshot), with the exemption groups it claims."""
    from thanhtoan.fees import quote_terms

    # before receipt (an online submission) the dossier has no terms yet: today's catalogue
    terms = dossier.terms or dossier.procedure.terms_snapshot()
    return quote_terms(terms, channel=dossier.channel,
                       on=(dossier.received_at or timezone.now()).date(),
                       exemptions=dossier.fee_exemptions or [])


def ensure_order(dossier: Dossier, *, fresh: bool = False) -> PaymentOrder | None:
    """The dossier's live payment order, made from its fee terms when fees are due and none
    exists; None when nothing is owed (no fee, exempt, or an amount not published: the desk
    then collects by hand and records it). `fresh`: the dossier was made in this transaction
    (a desk receipt), so there is no order to look for and no one else making one: a single
    INSERT."""
    live = None if fresh else _live_order(dossier)
    if live is not None:
        return live
    quote = fee_lines(dossier)
    if quote.total is None or quote.total <= 0:
        return None
    items = [line.as_json() for line in quote.lines]
    order = PaymentOrder(
        dossier=dossier, agency=dossier.receiving_agency,
        reference=ORDER_REFERENCE.format(pk=dossier.pk,
                                         stamp=timezone.localtime().strftime("%Y%m%d%H%M%S")),
        items=items, amount=quote.total,
        fee_amount=sum(i["amount"] for i in items if i["kind"] == FeeKind.FEE),
        charge_amount=sum(i["amount"] for i in items if i["kind"] == FeeKind.CHARGE),
        timing=(dossier.terms or {}).get("procedure", {}).get("fee_timing", "at_intake"))
    if fresh:
        order.save(force_insert=True)
        return order
    try:
        with transaction.atomic():
            order.save(force_insert=True)
            return order
    except IntegrityError:  # made at the same moment by another request
        return _live_order(dossier)


def _live_order(dossier: Dossier) -> PaymentOrder | None:
    return dossier.payments.filter(status__in=[OrderStatus.UNPAID, OrderStatus.AWAITING,
                                               OrderStatus.PAID]).first()


def _txn_ref(attempt: PaymentAttempt) -> str:
    """P + yyyymmdd + the attempt's id (6 digits at least): unique and never reused, on any
    database (PAYMENTS.md A2)."""
    return f"{TXN_PREFIX}{timezone.localtime(attempt.created_at):%Y%m%d}{attempt.pk:06d}"


def start_attempt(*, order_id: int, provider: str, client_ip: str | None = None,
                  actor: User | None = None) -> PaymentAttempt:
    """A new try at paying the order (a retry after a failure is a new attempt with a new
    reference); the order waits for its outcome."""
    from thanhtoan.providers import get_provider

    get_provider(provider)  # switched on?
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().get(pk=order_id)
        if order.status == OrderStatus.PAID:
            raise DomainError("payment_already_paid", "Hồ sơ đã được thanh toán.")
        if order.status not in (OrderStatus.UNPAID, OrderStatus.AWAITING):
            raise DomainError("payment_order_closed",
                              "Yêu cầu thanh toán đã hủy hoặc đã hoàn phí.")
        now = timezone.now()
        attempt = PaymentAttempt.objects.create(  # the reference needs the id: set next
            order=order, provider=provider, txn_ref=uuid.uuid4().hex, amount=order.amount,
            created_at=now, client_ip=client_ip, actor=actor,
            expires_at=now + dt.timedelta(minutes=settings.PAYMENT_ATTEMPT_MINUTES))
        attempt.txn_ref = _txn_ref(attempt)
        attempt.save(update_fields=["txn_ref"])
        workflow.move_order(order, "begin", source=provider, actor=actor,
                            data={"txn_ref": attempt.txn_ref})
        return attempt


# --- evidence -------------------------------------------------------------------------------

def record_evidence(result: ProviderResult, *, source: str,
                    actor: User | None = None) -> Evidence:
    """Apply one verified reading of an attempt, exactly once (PAYMENTS.md A2):
    - unknown reference → NOT_FOUND; a different amount → AMOUNT_MISMATCH (flagged, no
      change); the caller has already refused bad signatures, merchants and currencies;
    - paid is sticky: a second success is a DUPLICATE, a failure after success is IGNORED;
    - success after a failure, cancel or expiry → paid with the flag late_payment; a second
      attempt paid for an already paid order → paid with duplicate_payment (refund worklist);
    - the attempt row is locked, so concurrent duplicates serialise and only the first acts.
    """
    with transaction.atomic():
        attempt = (PaymentAttempt.objects.select_for_update()
                   .filter(txn_ref=result.txn_ref).first())
        if attempt is None:
            return Evidence(Effect.NOT_FOUND)
        if result.amount is not None and result.amount != attempt.amount:
            if "amount_mismatch" not in attempt.flags:
                attempt.flags = [*attempt.flags, "amount_mismatch"]
                attempt.save(update_fields=["flags"])
            workflow.log(attempt, "amount_mismatch", source=source,
                         data={"amount": result.amount, "expected": attempt.amount})
            return Evidence(Effect.AMOUNT_MISMATCH, attempt)
        details = {"response_code": result.response_code[:20]}
        if result.provider_txn_id:
            details["provider_txn_id"] = result.provider_txn_id[:100]
        if result.bank_code:
            details["bank_code"] = result.bank_code[:40]
        if attempt.status == AttemptStatus.PAID:
            same = result.outcome == Outcome.PAID
            workflow.log(attempt, "duplicate" if same else "ignored_after_paid", source=source,
                         data={"outcome": result.outcome, **details})
            return Evidence(Effect.DUPLICATE if same else Effect.IGNORED, attempt)
        if result.outcome == Outcome.PAID:
            _pay(attempt, result, details, source=source, actor=actor)
            return Evidence(Effect.OK, attempt)
        if attempt.status not in AttemptStatus.unsettled():
            workflow.log(attempt, "duplicate", source=source, data={"outcome": result.outcome})
            return Evidence(Effect.DUPLICATE, attempt)
        action = {Outcome.FAILED: "fail", Outcome.CANCELLED: "cancel",
                  Outcome.REVIEW: "review", Outcome.NOT_FOUND: "expire"}.get(result.outcome)
        if action is None or not workflow.may_move_attempt(attempt, action):
            workflow.log(attempt, "still_pending", source=source,
                         data={"outcome": result.outcome, **details})
            return Evidence(Effect.OK, attempt)
        workflow.move_attempt(attempt, action, source=source, actor=actor, **details)
        if action != "review":
            _lapse_if_nothing_pending(attempt.order_id, source)
        return Evidence(Effect.OK, attempt)


def _pay(attempt: PaymentAttempt, result: ProviderResult, details: dict, *, source: str,
         actor: User | None) -> None:
    late = attempt.status in workflow.ENDED_UNPAID
    paid_at = result.paid_at or timezone.now()
    flags = [*attempt.flags, *(["late_payment"] if late else [])]
    order = PaymentOrder.objects.select_for_update().get(pk=attempt.order_id)
    if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        flags += ["duplicate_payment", "needs_review"]  # money twice: to the refund worklist
    workflow.move_attempt(attempt, "pay", source=source, actor=actor, paid_at=paid_at,
                          flags=flags, **details)
    if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
        return
    if order.status == OrderStatus.CANCELLED:
        attempt.flags = [*attempt.flags, "needs_review"]
        attempt.save(update_fields=["flags"])
    workflow.move_order(order, "settle", source=source, actor=actor, paid_at=paid_at,
                        paid_attempt=attempt,
                        method=METHOD_OF.get(attempt.provider, Method.ONLINE),
                        data={"txn_ref": attempt.txn_ref})
    issue_receipts(order)
    from hoso.services.fees import record_fee_paid

    record_fee_paid(dossier_id=order.dossier_id, paid_at=paid_at, amount=order.amount,
                    reference=attempt.txn_ref)
    transaction.on_commit(lambda: _tell_payer(order.pk), robust=True)


def _lapse_if_nothing_pending(order_id: int, source: str) -> None:
    order = PaymentOrder.objects.select_for_update().get(pk=order_id)
    if order.status == OrderStatus.AWAITING and not order.attempts.filter(
            status__in=AttemptStatus.unsettled()).exists():
        workflow.move_order(order, "lapse", source=source)


def _tell_payer(order_id: int) -> None:
    """The payer's confirmation (e-mail + SMS through the outbox), once per order."""
    from django.urls import reverse

    from portal.notifications import notify

    order = (PaymentOrder.objects.select_related("dossier__procedure", "paid_attempt")
             .get(pk=order_id))
    dossier = order.dossier
    with transaction.atomic():
        notify(code="payment_received", context={
            "dossier_code": dossier.code or "", "procedure_name": dossier.procedure.name,
            "owner_name": dossier.owner_name, "amount": f"{order.amount:,} đ".replace(",", "."),
            "reference": order.paid_attempt.txn_ref if order.paid_attempt else order.reference,
            "paid_at": order.paid_at,
            "payment_url": settings.PORTAL_BASE_URL.rstrip("/") + reverse(
                "thanhtoan:pay", args=[dossier.pk])},
            email=dossier.owner_email or None,
            phone=dossier.owner_phone or dossier.submitter_phone or None,
            object_ref=f"dossier:{dossier.pk}", event_key=f"payment:{order.pk}:paid")


# --- receipts -------------------------------------------------------------------------------

def issue_receipts(order: PaymentOrder) -> list[Receipt]:
    """Biên lai: one per kind (phí, lệ phí) with an amount, numbered in the collecting agency's
    series for the year (the counter row is locked until commit, so numbers have no gaps)."""
    year = timezone.localtime(order.paid_at or timezone.now()).year
    receipts = []
    for kind in (FeeKind.FEE, FeeKind.CHARGE):
        lines = [i for i in order.items if i["kind"] == kind and i["amount"]]
        if not lines or order.receipts.filter(kind=kind).exists():
            continue
        counter, _created = ReceiptCounter.objects.select_for_update().get_or_create(
            agency=order.agency, year=year, kind=kind)
        ReceiptCounter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
        counter.refresh_from_db(fields=["value"])
        receipts.append(Receipt.objects.create(
            order=order, kind=kind, agency=order.agency, year=year, number=counter.value,
            series=settings.PAYMENT_RECEIPT_SERIES.format(
                kind="P" if kind == FeeKind.FEE else "LP", yy=f"{year % 100:02d}"),
            amount=sum(i["amount"] for i in lines), items=lines,
            payer_name=order.dossier.owner_name, method=order.method or Method.ONLINE,
            issued_at=order.paid_at or timezone.now()))
    return receipts


# --- the desk -------------------------------------------------------------------------------

def record_cash(*, order_id: int, officer: User, note: str = "") -> PaymentAttempt:
    """The desk officer took the cash (the amount of the order, never typed in)."""
    return _record_offline(order_id=order_id, officer=officer, provider=Provider.CASH,
                           note=note, reference="")


def confirm_transfer(*, order_id: int, officer: User, bank_reference: str,
                     note: str = "") -> PaymentAttempt:
    """An officer saw the bank transfer on the agency's account statement."""
    if not bank_reference.strip():
        raise InvalidInput("transfer_reference_missing",
                           "Vui lòng nhập số chứng từ (mã giao dịch) của ngân hàng.")
    return _record_offline(order_id=order_id, officer=officer, provider=Provider.TRANSFER,
                           note=note, reference=bank_reference.strip())


def _record_offline(*, order_id: int, officer: User, provider: str, note: str,
                    reference: str) -> PaymentAttempt:
    from portal.permissions import has_agency_perm

    order = PaymentOrder.objects.select_related("agency").filter(pk=order_id).first()
    if order is None:
        raise NotFoundError("payment_order_not_found", "Không tìm thấy yêu cầu thanh toán.")
    if not has_agency_perm(officer, "portal.receive_dossier", order.agency):
        raise DomainError("payment_forbidden", "Bạn không thu phí cho cơ quan này.",
                          status_code=403)
    with transaction.atomic():
        attempt = start_attempt(order_id=order_id, provider=provider, actor=officer)
        if note:
            attempt.note = note
            attempt.save(update_fields=["note"])
        evidence = record_evidence(ProviderResult(
            txn_ref=attempt.txn_ref, outcome=Outcome.PAID, amount=attempt.amount,
            provider_txn_id=reference, paid_at=timezone.now()), source="officer",
            actor=officer)
        if evidence.effect != Effect.OK:
            raise DomainError("payment_not_recorded", "Không ghi nhận được khoản thu.")
        attempt.refresh_from_db()
        return attempt


# --- online -----------------------------------------------------------------------------------

def begin_online_payment(*, order_id: int, provider: str, client_ip: str,
                         return_url: str) -> str:
    """A new attempt at an online gateway and the URL to send the browser to. The attempt is
    committed before the gateway is called (no transaction held across the network); a
    gateway that refuses leaves the attempt failed and the order payable again."""
    from thanhtoan.providers import get_provider

    gateway = get_provider(provider)
    if not gateway.online:
        raise InvalidInput("payment_provider_offline", "Kênh này không thanh toán trực tuyến.")
    attempt = start_attempt(order_id=order_id, provider=provider, client_ip=client_ip)
    try:
        started = gateway.start(attempt, client_ip=client_ip, return_url=return_url)
    except Exception as exc:
        record_evidence(ProviderResult(txn_ref=attempt.txn_ref, outcome=Outcome.FAILED,
                                       amount=None, response_code="start"), source="start")
        if isinstance(exc, DomainError):
            raise
        logger.exception("Payment gateway %s did not start %s", provider, attempt.txn_ref)
        raise DomainError("payment_gateway_unavailable", (
            "Cổng thanh toán tạm thời không phản hồi; vui lòng thử lại sau ít phút.")) from exc
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        if workflow.may_move_attempt(attempt, "redirect"):
            workflow.move_attempt(attempt, "redirect", source=provider)
    return started.redirect_url


def poll_pending(*, now: dt.datetime | None = None) -> dict:
    """The polling job (DOMAIN.md §7): attempts still unsettled PAYMENT_POLL_AFTER_MINUTES
    (30) after they started and at most PAYMENT_POLL_MAX_DAYS (3) old are queried at their
    gateway; signed answers are recorded; a gateway that does not know the attempt after its
    expiry makes it expired; older ones expire without a query."""
    from thanhtoan.providers import get_provider

    now = now or timezone.now()
    young = now - dt.timedelta(minutes=settings.PAYMENT_POLL_AFTER_MINUTES)
    old = now - dt.timedelta(days=settings.PAYMENT_POLL_MAX_DAYS)
    counts = {"queried": 0, "settled": 0, "expired": 0, "errors": 0}
    stale = list(PaymentAttempt.objects.filter(
        status__in=AttemptStatus.unsettled(), created_at__lt=old).values_list("txn_ref",
                                                                              flat=True))
    for txn_ref in stale:
        record_evidence(ProviderResult(txn_ref=txn_ref, outcome=Outcome.NOT_FOUND, amount=None,
                                       response_code="max_age"), source="poll")
        counts["expired"] += 1
    due = PaymentAttempt.objects.filter(
        status__in=AttemptStatus.unsettled(), created_at__lt=young, created_at__gte=old,
        provider__in=[p for p in settings.PAYMENT_PROVIDERS
                      if p not in (Provider.CASH, Provider.TRANSFER)])
    for attempt in due.order_by("created_at")[:500]:
        gateway = get_provider(attempt.provider)
        if not gateway.supports_query:
            continue
        try:
            result = gateway.query(attempt)
        except Exception:  # noqa: BLE001 — network: try again next run
            logger.warning("Payment query failed for %s", attempt.txn_ref, exc_info=True)
            counts["errors"] += 1
            continue
        PaymentAttempt.objects.filter(pk=attempt.pk).update(last_query_at=now)
        counts["queried"] += 1
        if not result.signature_ok or result.txn_ref != attempt.txn_ref:
            counts["errors"] += 1
            continue
        if result.outcome == Outcome.NOT_FOUND and (attempt.expires_at or now) > now:
            continue  # not yet expired: the citizen may still be on the gateway's page
        if result.outcome != Outcome.PENDING:
            evidence = record_evidence(result, source="poll")
            counts["settled"] += evidence.effect == Effect.OK
    return counts


# --- cancel and refund ------------------------------------------------------------------------

def cancel_order(*, order_id: int, officer: User, reason: str) -> PaymentOrder:
    """An unpaid order is cancelled (the dossier was withdrawn or refused before payment);
    money that still arrives later is recorded and flagged for review, never refused."""
    if not reason.strip():
        raise InvalidInput("reason_missing", "Vui lòng ghi rõ lý do hủy yêu cầu thanh toán.")
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().get(pk=order_id)
        return workflow.move_order(order, "cancel", source="officer", actor=officer,
                                   data={"reason": reason.strip()})


def record_refund(*, order_id: int, officer: User, reason: str,
                  bank_reference: str = "") -> PaymentOrder:
    """The agency paid the money back (a duplicate payment, a fee collected by mistake):
    recorded by the officer with the reason and the transfer's reference; the receipts stay."""
    if not reason.strip():
        raise InvalidInput("reason_missing", "Vui lòng ghi rõ lý do hoàn phí.")
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().get(pk=order_id)
        return workflow.move_order(order, "refund", source="officer", actor=officer,
                                   data={"reason": reason.strip(),
                                         "bank_reference": bank_reference.strip()})
