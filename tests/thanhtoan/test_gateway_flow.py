"""The whole online payment through the portal's own pages and the built-in VNPay sandbox:
the citizen pays, the signed IPN settles it, the return page shows what the portal knows; bad
notifications are refused with VNPay's codes and change nothing; 50 duplicate notifications
at once pay once; the polling job settles an attempt whose notification never came."""

import datetime as dt
import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine
from django.db import connections
from django.test import Client
from django.utils import timezone

from portal.jobs import run_job
from tests.hoso.conftest import birth_procedure, online_submit  # noqa: F401
from tests.thanhtoan.test_payments import order_for
from thanhtoan.choices import AttemptStatus, OrderStatus
from thanhtoan.models import PaymentAttempt, PaymentCallback, Receipt
from thanhtoan.providers import vnpay

pytestmark = pytest.mark.django_db
IPN = "/thanh-toan/vnpay/ipn/"


@pytest.fixture
def submitted(citizen, birth_procedure, province):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    return dossier, order_for(dossier)


def pay_on_sandbox(client: Client, dossier, code: str = "00", faults: str = ""):
    """The citizen chooses the gateway, the sandbox page shows, the citizen picks `code`."""
    response = client.post(f"/ho-so-cua-toi/{dossier.pk}/thanh-toan/", {"provider": "vnpay"})
    assert response.status_code == 302
    gateway = urlsplit(response["Location"])
    assert gateway.path == "/sandbox/vnpay/paymentv2/vpcpay.html"
    query = dict(parse_qsl(gateway.query))
    page = client.get(gateway.path, {**query, **({"faults": faults} if faults else {})})
    assert page.status_code == 200
    assert "THỬ NGHIỆM" in page.content.decode()
    return client.post(gateway.path, {"code": code, "txn_ref": query["vnp_TxnRef"]})


def test_a_citizen_pays_online_and_sees_it_paid_with_receipts(client, citizen, submitted):
    dossier, order = submitted
    client.force_login(citizen)
    back = pay_on_sandbox(client, dossier)
    assert back.status_code == 302  # to the portal's return URL
    page = client.get(back["Location"], follow=True)
    assert "Đã thanh toán" in page.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    attempt = order.attempts.get()
    assert attempt.status == AttemptStatus.PAID
    assert PaymentCallback.objects.filter(kind="ipn", signature_ok=True).count() == 1
    assert Receipt.objects.filter(order=order).count() == 2


def test_the_return_url_alone_never_pays(client, citizen, submitted):
    """No IPN: the forged or early return shows "waiting" until a signed query says more."""
    dossier, order = submitted
    client.force_login(citizen)
    back = pay_on_sandbox(client, dossier, code="24", faults="no_ipn")  # cancelled, no IPN
    params = dict(parse_qsl(urlsplit(back["Location"]).query))
    params["vnp_ResponseCode"] = params["vnp_TransactionStatus"] = "00"  # forged success
    client.get("/thanh-toan/vnpay/ket-qua/", params, follow=True)
    order.refresh_from_db()
    assert order.status != OrderStatus.PAID


def _signed_ipn(attempt, **changes) -> dict:
    params = {"vnp_TmnCode": "DEMO0001", "vnp_Amount": str(attempt.amount * 100),
              "vnp_BankCode": "NCB", "vnp_PayDate": "20261130091502",
              "vnp_TransactionNo": "14226112", "vnp_ResponseCode": "00",
              "vnp_TransactionStatus": "00", "vnp_TxnRef": attempt.txn_ref,
              "vnp_OrderInfo": "Thanh toan le phi"}
    params.update(changes)
    params["vnp_SecureHash"] = vnpay.sign(params, "TESTSECRETTESTSECRETTESTSECRET12")
    return params


@pytest.mark.parametrize(("changes", "tamper", "code"), [
    ({}, True, "97"),  # bad signature
    ({"vnp_Amount": "100000"}, False, "04"),  # wrong amount
    ({"vnp_TxnRef": "P20261130999999"}, False, "01"),  # unknown reference
])
def test_a_bad_notification_is_refused_with_the_gateway_code_and_changes_nothing(
        client, submitted, changes, tamper, code):
    from thanhtoan import services

    _dossier, order = submitted
    attempt = services.start_attempt(order_id=order.pk, provider="vnpay")
    params = _signed_ipn(attempt, **changes)
    if tamper:
        params["vnp_Amount"] = str(attempt.amount * 100 + 100)
    answer = client.get(IPN, params).json()
    assert answer["RspCode"] == code
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert (order.status, attempt.status) == (OrderStatus.AWAITING, AttemptStatus.CREATED)
    assert PaymentCallback.objects.filter(kind="ipn").count() == 1  # kept raw all the same


def test_a_notification_for_another_merchant_is_refused(client, submitted):
    from thanhtoan import services

    attempt = services.start_attempt(order_id=submitted[1].pk, provider="vnpay")
    answer = client.get(IPN, _signed_ipn(attempt, vnp_TmnCode="OTHER001")).json()
    assert answer["RspCode"] != "00"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.CREATED


@pytest.mark.django_db(transaction=True)
def test_fifty_duplicate_ipns_at_once_pay_once_and_issue_one_receipt_set(
        citizen, birth_procedure, province):
    from thanhtoan import services

    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    order = order_for(dossier)
    attempt = services.start_attempt(order_id=order.pk, provider="vnpay")
    params = _signed_ipn(attempt)
    barrier, codes, errors = threading.Barrier(50), [], []

    def send():
        try:
            barrier.wait()
            codes.append(Client().get(IPN, params).json()["RspCode"])
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (codes.count("00"), codes.count("02")) == (1, 49)
    assert Receipt.objects.filter(order=order).count() == 2
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.PAID


def test_the_polling_job_settles_an_attempt_whose_notification_never_came(client, citizen,
                                                                         submitted):
    dossier, order = submitted
    client.force_login(citizen)
    pay_on_sandbox(client, dossier, code="00", faults="no_ipn")
    attempt = order.attempts.get()
    PaymentAttempt.objects.filter(pk=attempt.pk).update(status=AttemptStatus.PENDING)
    assert run_job("payment_poll").counts["queried"] == 0  # younger than 30 minutes
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31), tick=False):
        counts = run_job("payment_poll").counts
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert (counts["queried"], counts["settled"]) == (1, 1)
    assert (attempt.status, order.status) == (AttemptStatus.PAID, OrderStatus.PAID)


def test_a_notification_in_another_currency_is_refused_by_both_gateways(client, submitted):
    from thanhtoan import services
    from thanhtoan.providers import paygov

    order = submitted[1]
    attempt = services.start_attempt(order_id=order.pk, provider="vnpay")
    answer = client.get(IPN, _signed_ipn(attempt, vnp_CurrCode="USD")).json()
    assert answer["RspCode"] == "04"
    national = services.start_attempt(order_id=order.pk, provider="paygov")
    message = {"LoaiBanTin": "PAY", "MaLoi": "00", "MaDoiTac": "DEMO_TN",
               "MaThamChieu": national.txn_ref, "SoTien": str(national.amount),
               "MaTienTe": "USD", "MaGiaoDich": "123456789012", "MaNganHang": "VCB",
               "ThoiGianGD": "20261130091502", "ThongTinGiaoDich": "Thanh toan le phi"}
    message["MaXacThuc"] = paygov.sign(message, paygov.CALLBACK_FIELDS,
                                       "PAYGOV-DEMO-SECRET-0123456789")
    refused = client.post("/thanh-toan/paygov/ipn/", message, content_type="application/json")
    assert refused.json()["error_code"] == "05"
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING
    assert not PaymentAttempt.objects.filter(status=AttemptStatus.PAID).exists()
