"""The payment state machine as the law and the gateways need it (PAYMENTS.md A2, DOMAIN.md
§7): only verified evidence pays, paid is sticky, every message acts once, the amount is the
order's, pay-before-processing blocks `start` and starts the clock at payment."""

import threading

import pytest
import time_machine
from django.db import connections

from hoso.choices import Action, DossierStatus
from hoso.models import Dossier, DossierEvent
from hoso.services import processing
from hoso.workflow import TransitionRefused
from portal.models import Notification
from tests.hoso.test_processing import at, five_day_procedure, people, received  # noqa: F401
from thanhtoan import services
from thanhtoan.choices import AttemptStatus, OrderStatus, Outcome
from thanhtoan.models import PaymentAttempt, PaymentEvent, PaymentOrder, Receipt
from thanhtoan.providers.base import Effect, ProviderResult

pytestmark = pytest.mark.django_db

ITEMS = [{"kind": "phi", "name": "Phí thẩm định", "amount": 30000},
         {"kind": "le_phi", "name": "Lệ phí cấp giấy", "amount": 20000}]


def order_for(dossier: Dossier, timing: str = "at_intake") -> PaymentOrder:
    """An order with a phí and a lệ phí (replacing the one the receipt made from the fee
    terms, if any)."""
    Dossier.objects.filter(pk=dossier.pk).update(fee_total=50000)
    PaymentOrder.objects.filter(dossier=dossier).delete()
    return PaymentOrder.objects.create(
        dossier=dossier, agency=dossier.receiving_agency, reference=f"T-{dossier.pk}",
        items=ITEMS, amount=50000, fee_amount=30000, charge_amount=20000, timing=timing)


def evidence(attempt: PaymentAttempt, outcome: str = Outcome.PAID, amount: int | None = None):
    return ProviderResult(txn_ref=attempt.txn_ref, outcome=outcome,
                          amount=attempt.amount if amount is None else amount,
                          provider_txn_id="14226112", bank_code="NCB", response_code="00")


@pytest.fixture
def order(province, people):  # noqa: F811
    return order_for(received(province, people))


def test_cash_at_the_desk_pays_issues_one_receipt_per_kind_and_marks_the_fee_paid(
        order, people):  # noqa: F811
    attempt = services.record_cash(order_id=order.pk, officer=people["desk"])
    order.refresh_from_db()
    assert (attempt.status, order.status, order.method) == ("paid", "paid", "cash")
    receipts = {r.kind: r for r in Receipt.objects.filter(order=order)}
    assert (receipts["phi"].amount, receipts["le_phi"].amount) == (30000, 20000)
    assert receipts["phi"].number == receipts["le_phi"].number == 1  # a series per kind
    dossier = Dossier.objects.get(pk=order.dossier_id)
    assert dossier.fee_paid_at == order.paid_at
    assert DossierEvent.objects.filter(dossier=dossier, action=Action.FEE_PAID).count() == 1


def test_the_next_receipt_of_the_agency_takes_the_next_number(province, people,
                                                              order):  # noqa: F811
    services.record_cash(order_id=order.pk, officer=people["desk"])
    other = order_for(received(province, people))
    services.record_cash(order_id=other.pk, officer=people["desk"])
    assert sorted(Receipt.objects.filter(kind="phi").values_list("number", flat=True)) == [1, 2]


def test_an_officer_of_another_agency_may_not_record_cash(order, people):  # noqa: F811
    from portal.errors import DomainError

    with pytest.raises(DomainError) as refused:
        services.record_cash(order_id=order.pk, officer=people["stranger"])
    assert refused.value.status_code == 403
    assert not PaymentAttempt.objects.exists()


def test_paid_is_sticky_a_failure_after_success_changes_nothing(order):
    attempt = services.start_attempt(order_id=order.pk, provider="vnpay")
    assert services.record_evidence(evidence(attempt), source="ipn").effect == Effect.OK
    late = services.record_evidence(evidence(attempt, Outcome.FAILED), source="ipn")
    again = services.record_evidence(evidence(attempt), source="ipn")
    attempt.refresh_from_db()
    assert (late.effect, again.effect, attempt.status) == (Effect.IGNORED, Effect.DUPLICATE,
                                                           AttemptStatus.PAID)
    assert Receipt.objects.filter(order=order).count() == 2  # phí and lệ phí, once


def test_a_wrong_amount_is_refused_flagged_and_changes_nothing(order):
    attempt = services.start_attempt(order_id=order.pk, provider="vnpay")
    result = services.record_evidence(evidence(attempt, amount=5000), source="ipn")
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert result.effect == Effect.AMOUNT_MISMATCH
    assert (attempt.status, order.status) == (AttemptStatus.CREATED, OrderStatus.AWAITING)
    assert "amount_mismatch" in attempt.flags
    assert not Receipt.objects.exists()


def test_an_unknown_reference_is_not_found():
    result = services.record_evidence(ProviderResult(txn_ref="P20261130999999",
                                                     outcome=Outcome.PAID, amount=1000),
                                      source="ipn")
    assert result.effect == Effect.NOT_FOUND


def test_a_failed_attempt_frees_the_order_and_paying_again_is_a_new_attempt(order):
    first = services.start_attempt(order_id=order.pk, provider="vnpay")
    services.record_evidence(evidence(first, Outcome.CANCELLED), source="ipn")
    order.refresh_from_db()
    assert order.status == OrderStatus.UNPAID
    second = services.start_attempt(order_id=order.pk, provider="vnpay")
    assert second.txn_ref != first.txn_ref
    services.record_evidence(evidence(second), source="ipn")
    order.refresh_from_db()
    assert (order.status, order.paid_attempt_id) == (OrderStatus.PAID, second.pk)


def test_success_after_a_failure_is_paid_and_flagged_late(order):
    attempt = services.start_attempt(order_id=order.pk, provider="vnpay")
    services.record_evidence(evidence(attempt, Outcome.FAILED), source="ipn")
    services.record_evidence(evidence(attempt), source="query")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.PAID
    assert "late_payment" in attempt.flags


def test_a_second_attempt_paid_for_a_paid_order_goes_to_the_refund_worklist(order):
    first = services.start_attempt(order_id=order.pk, provider="vnpay")
    second = services.start_attempt(order_id=order.pk, provider="paygov")
    services.record_evidence(evidence(first), source="ipn")
    services.record_evidence(evidence(second), source="ipn")
    second.refresh_from_db()
    order.refresh_from_db()
    assert order.paid_attempt_id == first.pk
    assert {"duplicate_payment", "needs_review"} <= set(second.flags)
    assert Receipt.objects.filter(order=order).count() == 2


def test_a_paid_order_cannot_be_paid_again(order, people):  # noqa: F811
    from portal.errors import DomainError

    services.record_cash(order_id=order.pk, officer=people["desk"])
    with pytest.raises(DomainError) as refused:
        services.start_attempt(order_id=order.pk, provider="vnpay")
    assert refused.value.code == "payment_already_paid"


@pytest.mark.django_db(transaction=True)
def test_fifty_duplicate_notifications_at_once_pay_once_and_issue_one_receipt_set(
        province, people):  # noqa: F811
    order = order_for(received(province, people))
    attempt = services.start_attempt(order_id=order.pk, provider="vnpay")
    barrier, effects, errors = threading.Barrier(50), [], []

    def notify():
        try:
            barrier.wait()
            effects.append(services.record_evidence(evidence(attempt), source="ipn").effect)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=notify) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(effects).count(Effect.OK) == 1
    assert effects.count(Effect.DUPLICATE) == 49
    assert Receipt.objects.filter(order=order).count() == 2
    assert PaymentEvent.objects.filter(action="order_settle").count() == 1
    assert DossierEvent.objects.filter(action=Action.FEE_PAID).count() == 1


def test_pay_before_processing_blocks_start_and_the_clock_starts_at_payment(
        province, people):  # noqa: F811
    procedure = five_day_procedure(fee_timing="before_processing", fees=[
        {"kind": "le_phi", "name": "Lệ phí", "amount": 50000, "unit": "hồ sơ"}])
    dossier = received(province, people, procedure=procedure)  # Monday 30/11 09:00
    order = order_for(dossier, timing="before_processing")
    with pytest.raises(TransitionRefused):
        processing.start(dossier_id=dossier.pk, officer=people["specialist"],
                         assignee=people["specialist"])
    with time_machine.travel(at(2026, 12, 2, 14, 0), tick=False):  # paid on Wednesday
        services.record_cash(order_id=order.pk, officer=people["desk"])
    dossier.refresh_from_db()
    assert dossier.clock_start_at == at(2026, 12, 2, 14, 0)
    assert dossier.due_at == at(2026, 12, 9, 14, 0)  # 5 working days from the payment
    with time_machine.travel(at(2026, 12, 2, 14, 5), tick=False):
        started = processing.start(dossier_id=dossier.pk, officer=people["specialist"],
                                   assignee=people["specialist"])
    assert started.status == DossierStatus.IN_PROGRESS


def test_the_payer_is_told_once_after_commit(order, people, django_capture_on_commit_callbacks):  # noqa: F811,E501
    Dossier.objects.filter(pk=order.dossier_id).update(owner_email="an@example.vn")
    with django_capture_on_commit_callbacks(execute=True):
        services.record_cash(order_id=order.pk, officer=people["desk"])
    told = Notification.objects.filter(template_code="payment_received", channel="email")
    assert told.count() == 1
    assert "50.000 đ" in told.get().body


def test_an_unpaid_order_is_cancelled_with_a_reason_and_late_money_is_flagged(order,
                                                                           people):  # noqa: F811
    from portal.errors import InvalidInput

    attempt = services.start_attempt(order_id=order.pk, provider="vnpay")
    with pytest.raises(InvalidInput):
        services.cancel_order(order_id=order.pk, officer=people["desk"], reason=" ")
    services.cancel_order(order_id=order.pk, officer=people["desk"], reason="Công dân rút hồ sơ")
    services.record_evidence(evidence(attempt), source="ipn")  # the money came anyway
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert "needs_review" in attempt.flags


def test_a_refund_needs_a_paid_order_and_a_reason(order, people):  # noqa: F811
    from thanhtoan.workflow import PaymentRefused

    with pytest.raises(PaymentRefused):
        services.record_refund(order_id=order.pk, officer=people["desk"], reason="Thu nhầm")
    services.record_cash(order_id=order.pk, officer=people["desk"])
    refunded = services.record_refund(order_id=order.pk, officer=people["desk"],
                                      reason="Thu nhầm", bank_reference="FT26330001")
    assert refunded.status == OrderStatus.REFUNDED
    assert PaymentEvent.objects.filter(order=order, action="order_refund").get().data[
        "bank_reference"] == "FT26330001"
