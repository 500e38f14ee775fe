"""VNPay provider and the built-in VNPay sandbox (PAYMENTS.md A1, A2): known-answer vectors,
the IPN reading and answers, querydr against the sandbox in-process, the sandbox's own
validation, fault switches and settlement file.

Most tests run under this module's URLconf: the portal's pages, the sandbox, and a small
IPN stub that does what thanhtoan.views.ipn is specified to do (parse, check signature and
merchant, record_evidence, answer). The last test runs against the real thanhtoan.urls."""

import datetime as dt
import io
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from portal.urls import urlpatterns as portal_patterns
from tests.hoso.conftest import birth_procedure, desk_a1, desk_receive  # noqa: F401
from thanhtoan import services
from thanhtoan.choices import AttemptStatus, OrderStatus, Outcome
from thanhtoan.models import PaymentAttempt, PaymentEvent, PaymentOrder, SandboxTransaction
from thanhtoan.providers import get_provider
from thanhtoan.providers import vnpay as wire
from thanhtoan.providers.base import Effect
from thanhtoan.providers.vnpay import VnpayProvider

SECRET = "TESTSECRETTESTSECRETTESTSECRET12"
PAY_VECTOR = {
    "vnp_Amount": "12500000", "vnp_Command": "pay", "vnp_CreateDate": "20250101083000",
    "vnp_CurrCode": "VND", "vnp_ExpireDate": "20250101084500", "vnp_IpAddr": "203.0.113.7",
    "vnp_Locale": "vn",
    "vnp_OrderInfo": "Thanh toan le phi ho so 000.00.17.H58-250101-0001",
    "vnp_OrderType": "billpayment",
    "vnp_ReturnUrl": "https://dichvucong.example.gov.vn/thanhtoan/vnpay/return/",
    "vnp_TmnCode": "DEMO0001", "vnp_TxnRef": "P20250101000123", "vnp_Version": "2.1.0",
}
PAY_HASH = ("284e0091637d018bb8f3a4364f81dab5f2a51c9e9571376a75b905dd11343952a8402e0f9a1d009b0"
            "fe1c3377e4f10d6de57fc330a1816d32ba84cb4bdb24d96")
QUERY_VECTOR = {
    "vnp_RequestId": "REQ20250101000001", "vnp_Version": "2.1.0", "vnp_Command": "querydr",
    "vnp_TmnCode": "DEMO0001", "vnp_TxnRef": "P20250101000123",
    "vnp_TransactionDate": "20250101083000", "vnp_CreateDate": "20250101090000",
    "vnp_IpAddr": "203.0.113.7", "vnp_OrderInfo": "Truy van giao dich P20250101000123",
}
QUERY_HASH = ("b590390ca13169afc65391943ab89ebdd95fbf360bb77ff8e36388bf7eea585f410d51917b2e6acba0"
              "e34af64ac7a467a3e9871700d01d67cae92a0cdba727a1")
PAY_PATH = "/sandbox/vnpay/paymentv2/vpcpay.html"
API_PATH = "/sandbox/vnpay/merchant_webapi/api/transaction"
RETURN_URL = "http://127.0.0.1:8000/thanh-toan/vnpay/ket-qua/"


@csrf_exempt
def ipn_stub(request, provider):
    """What thanhtoan.views.ipn does, minus storing the raw callback."""
    gateway = get_provider(provider)
    try:
        result = gateway.parse_notification(request)
    except ValueError:
        return gateway.answer(Effect.BAD_FORMAT)
    if not result.signature_ok:
        return gateway.answer(Effect.BAD_SIGNATURE)
    if result.merchant != gateway.merchant_code():
        return gateway.answer(Effect.BAD_MERCHANT)
    return gateway.answer(services.record_evidence(result, source="ipn").effect)


urlpatterns = [
    path("", include(([path("thanh-toan/<str:provider>/ipn/", ipn_stub, name="ipn")],
                      "thanhtoan"))),
    path("sandbox/vnpay/", include("thanhtoan.sandbox.vnpay_urls")),
    *portal_patterns,
]


@pytest.fixture(autouse=True)
def _vnpay_settings(settings):
    settings.ROOT_URLCONF = __name__
    settings.PAYMENT_SANDBOX = True
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8000"
    settings.VNPAY_TMN_CODE = "DEMO0001"
    settings.VNPAY_HASH_SECRET = SECRET
    settings.VNPAY_PAY_URL = "http://127.0.0.1:8000" + PAY_PATH
    settings.VNPAY_API_URL = "http://127.0.0.1:8000" + API_PATH
    if "vnpay" not in settings.PAYMENT_PROVIDERS:
        settings.PAYMENT_PROVIDERS = [*settings.PAYMENT_PROVIDERS, "vnpay"]


@pytest.fixture
def order(province, desk_a1, birth_procedure):
    """An order of 1.250.000 đ (the procedure's own order, if intake made one, is resized)."""
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    terms = {"items": [{"kind": "le_phi", "name": "Lệ phí thử", "amount": 1_250_000}],
             "amount": 1_250_000, "fee_amount": 0, "charge_amount": 1_250_000}
    existing = dossier.payments.first()
    if existing is not None:
        PaymentOrder.objects.filter(pk=existing.pk).update(**terms)
        return PaymentOrder.objects.get(pk=existing.pk)
    return PaymentOrder.objects.create(dossier=dossier, agency=province.commune_a1,
                                       reference=f"{dossier.code}-TEST", timing="at_intake",
                                       **terms)


@pytest.fixture
def attempt(order):
    return services.start_attempt(order_id=order.pk, provider="vnpay")


def pay_url(attempt, **extra) -> str:
    url = VnpayProvider().start(attempt, client_ip="203.0.113.7",
                                return_url=RETURN_URL).redirect_url
    local = url.removeprefix(settings.PORTAL_BASE_URL)
    return local + "".join(f"&{k}={v}" for k, v in extra.items())


def pay_with(client, attempt, code: str, **extra):
    page = client.get(pay_url(attempt, **extra))
    assert page.status_code == 200, page.content.decode()
    return client.post(PAY_PATH, {"txn_ref": attempt.txn_ref, "code": code})


def ipn_params(**overrides) -> dict:
    params = {"vnp_TmnCode": "DEMO0001", "vnp_Amount": "125000000", "vnp_BankCode": "NCB",
              "vnp_CardType": "ATM", "vnp_PayDate": "20250101083512",
              "vnp_OrderInfo": "Thanh toan le phi", "vnp_TransactionNo": "14123456",
              "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00",
              "vnp_TxnRef": "P20250101000123", **overrides}
    params["vnp_SecureHash"] = wire.sign(params, SECRET)
    return params


# --- wire format ------------------------------------------------------------------------------

def test_pay_vector_matches_known_answer():
    assert wire.canonical_query(PAY_VECTOR) == (
        "vnp_Amount=12500000&vnp_Command=pay&vnp_CreateDate=20250101083000&vnp_CurrCode=VND"
        "&vnp_ExpireDate=20250101084500&vnp_IpAddr=203.0.113.7&vnp_Locale=vn"
        "&vnp_OrderInfo=Thanh+toan+le+phi+ho+so+000.00.17.H58-250101-0001"
        "&vnp_OrderType=billpayment"
        "&vnp_ReturnUrl=https%3A%2F%2Fdichvucong.example.gov.vn%2Fthanhtoan%2Fvnpay%2Freturn%2F"
        "&vnp_TmnCode=DEMO0001&vnp_TxnRef=P20250101000123&vnp_Version=2.1.0")
    assert wire.sign(PAY_VECTOR, SECRET) == PAY_HASH
    assert wire.verify({**PAY_VECTOR, "vnp_SecureHash": PAY_HASH.upper()}, SECRET)


def test_querydr_vector_matches_known_answer():
    assert wire.querydr_request_hash(QUERY_VECTOR, SECRET) == QUERY_HASH


def test_canonical_query_drops_hash_fields_empties_and_foreign_keys():
    params = {**PAY_VECTOR, "vnp_BankCode": "", "faults": "no_ipn", "vnp_SecureHash": "x",
              "vnp_SecureHashType": "HmacSHA512"}
    assert wire.sign(params, SECRET) == PAY_HASH


def test_one_altered_param_fails_verification():
    signed = {**PAY_VECTOR, "vnp_SecureHash": PAY_HASH}
    assert wire.verify(signed, SECRET)
    for key in ("vnp_Amount", "vnp_TxnRef", "vnp_ReturnUrl"):
        assert not wire.verify({**signed, key: signed[key] + "0"}, SECRET), key
    assert not wire.verify(signed, SECRET + "x")
    assert not wire.verify(PAY_VECTOR, SECRET)  # no hash at all


def test_legacy_sha256_is_verified_but_never_signed():
    import hashlib

    legacy = hashlib.sha256((SECRET + wire.canonical_query(PAY_VECTOR)).encode()).hexdigest()
    assert wire.verify({**PAY_VECTOR, "vnp_SecureHashType": "SHA256",
                        "vnp_SecureHash": legacy}, SECRET)
    assert not wire.verify({**PAY_VECTOR, "vnp_SecureHash": legacy}, SECRET)
    assert wire.sign(PAY_VECTOR, SECRET) != legacy


def test_order_info_is_normalised():
    assert wire.order_info("Thanh toán lệ phí hồ sơ Đắk Lắk") == "Thanh toan le phi ho so Dak Lak"
    assert wire.order_info("Phí: 50%  <b>đường</b> & #1_a-b.") == "Phi: 50 bduongb 1_a-b."
    assert len(wire.order_info("ư" * 400)) == 255
    assert wire.order_info("Ắ Ẽ Ỗ Ự Ỹ") == "A E O U Y"


def test_start_builds_a_signed_pay_url(attempt):
    url = VnpayProvider().start(attempt, client_ip="203.0.113.7", return_url=RETURN_URL,
                                locale="en").redirect_url
    assert url.startswith(settings.VNPAY_PAY_URL + "?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert wire.verify(params, SECRET)
    assert params["vnp_Amount"] == "125000000"
    assert params["vnp_TxnRef"] == attempt.txn_ref
    assert params["vnp_Locale"] == "en"
    assert params["vnp_OrderType"] == "billpayment"
    assert params["vnp_OrderInfo"] == wire.order_info(
        f"Thanh toan le phi ho so {attempt.order.dossier.code}")
    assert params["vnp_CreateDate"] == timezone.localtime(attempt.created_at).strftime(
        "%Y%m%d%H%M%S")  # Asia/Ho_Chi_Minh = GMT+7
    assert wire.parse_date(params["vnp_ExpireDate"]) == attempt.expires_at.replace(
        microsecond=0)


# --- IPN reading and answers ------------------------------------------------------------------

class FakeRequest:
    def __init__(self, params):
        from django.http import QueryDict

        self.GET = QueryDict(mutable=True)
        self.GET.update(params)


@pytest.mark.parametrize(("code", "status", "outcome"), [
    ("00", "00", Outcome.PAID), ("00", "01", Outcome.FAILED), ("07", "07", Outcome.REVIEW),
    ("24", "02", Outcome.CANCELLED), ("51", "02", Outcome.FAILED),
    ("11", "02", Outcome.FAILED), ("99", "02", Outcome.FAILED),
])
def test_ipn_outcomes(code, status, outcome):
    result = VnpayProvider().parse_notification(FakeRequest(ipn_params(
        vnp_ResponseCode=code, vnp_TransactionStatus=status)))
    assert result.outcome == outcome
    assert result.signature_ok
    assert result.amount == 1_250_000
    assert result.currency == "VND"
    assert result.merchant == "DEMO0001"
    assert result.provider_txn_id == "14123456"
    assert result.bank_code == "NCB"
    assert result.response_code == code
    assert result.paid_at == dt.datetime(2025, 1, 1, 1, 35, 12, tzinfo=dt.UTC)


def test_ipn_with_a_wrong_hash_reads_but_does_not_verify():
    params = {**ipn_params(), "vnp_Amount": "100"}
    result = VnpayProvider().parse_notification(FakeRequest(params))
    assert not result.signature_ok
    assert result.amount == 1


@pytest.mark.parametrize("change", [
    {"vnp_TxnRef": ""}, {"vnp_Amount": "125000050"}, {"vnp_Amount": "12a"},
    {"vnp_Amount": ""}, {"vnp_ResponseCode": ""}, {"vnp_PayDate": "2025-01-01"},
])
def test_malformed_ipn_raises_value_error(change):
    with pytest.raises(ValueError, match="vnp_|VNPay date"):
        VnpayProvider().parse_notification(FakeRequest({**ipn_params(), **change}))


def test_currency_is_taken_when_present():
    result = VnpayProvider().verify_return(ipn_params(vnp_CurrCode="USD"))
    assert result.currency == "USD"
    assert result.signature_ok


@pytest.mark.parametrize(("effect", "code"), [
    (Effect.OK, "00"), (Effect.DUPLICATE, "02"), (Effect.IGNORED, "02"),
    (Effect.NOT_FOUND, "01"), (Effect.AMOUNT_MISMATCH, "04"), (Effect.BAD_SIGNATURE, "97"),
    (Effect.BAD_MERCHANT, "01"), (Effect.BAD_CURRENCY, "04"), (Effect.BAD_FORMAT, "99"),
    (Effect.ERROR, "99"), ("something_else", "99"),
])
def test_answer_codes(effect, code):
    import json

    response = VnpayProvider().answer(effect)
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["RspCode"] == code
    assert body["Message"]


# --- the sandbox: payment page, IPN, return ---------------------------------------------------

def test_sandbox_page_then_success_pays_through_the_ipn(client, attempt):
    page = client.get(pay_url(attempt))
    html = page.content.decode()
    assert page.status_code == 200
    assert "THỬ NGHIỆM" in html
    assert "1.250.000 đ" in html
    for label in ("Thành công", "Hủy", "Không đủ số dư", "Hết hạn", "Nghi ngờ"):
        assert label in html
    assert client.get(pay_url(attempt)).status_code == 200  # a reload shows it again

    response = client.post(PAY_PATH, {"txn_ref": attempt.txn_ref, "code": "00"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == RETURN_URL
    back = dict(parse_qsl(location.query))
    assert wire.verify(back, SECRET)
    assert back["vnp_ResponseCode"] == back["vnp_TransactionStatus"] == "00"
    assert back["vnp_BankCode"] == "NCB"
    assert back["vnp_CardType"] == "ATM"
    assert len(back["vnp_TransactionNo"]) == 8
    assert VnpayProvider().verify_return(back).outcome == Outcome.PAID

    txn = SandboxTransaction.objects.get(provider="vnpay", txn_ref=attempt.txn_ref)
    assert txn.status == "paid"
    assert txn.ipn_attempts == 1
    assert txn.ipn_answer["RspCode"] == "00"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.PAID
    assert attempt.provider_txn_id == back["vnp_TransactionNo"]
    assert PaymentOrder.objects.get(pk=attempt.order_id).status == OrderStatus.PAID
    # the page is spent: the same TxnRef cannot be paid again
    again = client.get(pay_url(attempt))
    assert again.status_code == 400
    assert 'data-code="01"' in again.content.decode()


@pytest.mark.parametrize(("code", "attempt_status", "sandbox_status"), [
    ("24", AttemptStatus.CANCELLED, "cancelled"), ("51", AttemptStatus.FAILED, "failed"),
    ("11", AttemptStatus.FAILED, "failed"), ("07", AttemptStatus.REVIEW, "review"),
])
def test_sandbox_other_choices(client, attempt, code, attempt_status, sandbox_status):
    response = pay_with(client, attempt, code)
    assert response.status_code == 302
    assert dict(parse_qsl(urlsplit(response["Location"]).query))["vnp_ResponseCode"] == code
    txn = SandboxTransaction.objects.get(txn_ref=attempt.txn_ref)
    assert txn.status == sandbox_status
    assert txn.ipn_answer["RspCode"] == "00"
    attempt.refresh_from_db()
    assert attempt.status == attempt_status


def test_duplicate_ipn_fault_pays_once(client, attempt):
    pay_with(client, attempt, "00", faults="duplicate_ipn")
    txn = SandboxTransaction.objects.get(txn_ref=attempt.txn_ref)
    assert txn.faults == ["duplicate_ipn"]
    assert txn.ipn_attempts == 3
    assert [a["RspCode"] for a in txn.ipn_answer["answers"]] == ["00", "02", "02"]
    assert PaymentEvent.objects.filter(attempt=attempt, status_after=AttemptStatus.PAID,
                                       status_before__in=AttemptStatus.unsettled()).count() == 1


@pytest.mark.parametrize(("fault", "answer"), [
    ("bad_signature", "97"), ("altered_amount", "04"), ("unknown_txnref", "01"),
])
def test_ipn_faults_are_refused_and_retried(client, attempt, fault, answer):
    pay_with(client, attempt, "00", faults=fault)
    txn = SandboxTransaction.objects.get(txn_ref=attempt.txn_ref)
    assert txn.ipn_attempts == 3  # VNPay keeps trying without a 00/02
    assert {a["RspCode"] for a in txn.ipn_answer["answers"]} == {answer}
    attempt.refresh_from_db()
    assert attempt.status != AttemptStatus.PAID


def test_no_ipn_then_querydr_pays(client, attempt):
    pay_with(client, attempt, "00", faults="no_ipn")
    txn = SandboxTransaction.objects.get(txn_ref=attempt.txn_ref)
    assert txn.ipn_attempts == 0
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.CREATED

    result = VnpayProvider().query(attempt)
    assert result.signature_ok
    assert result.outcome == Outcome.PAID
    assert result.amount == 1_250_000
    assert result.provider_txn_id == txn.transaction_no
    assert result.response_code == "00"
    assert result.merchant == "DEMO0001"
    assert services.record_evidence(result, source="query").effect == Effect.OK
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.PAID


def test_querydr_unknown_is_not_found(attempt):
    result = VnpayProvider().query(attempt)  # never reached the gateway
    assert result.signature_ok
    assert result.outcome == Outcome.NOT_FOUND
    assert result.response_code == "91"
    assert result.amount is None


def test_querydr_while_the_citizen_is_on_the_page_is_pending(client, attempt):
    client.get(pay_url(attempt))
    assert VnpayProvider().query(attempt).outcome == Outcome.PENDING


def test_querydr_answer_with_a_wrong_hash_is_not_trusted(client, attempt, monkeypatch):
    pay_with(client, attempt, "00", faults="no_ipn")
    real = wire.post_json

    def tampered(url, payload, timeout):
        answer = real(url, payload, timeout)
        return {**answer, "vnp_Amount": "100"}

    monkeypatch.setattr(wire, "post_json", tampered)
    assert not VnpayProvider().query(attempt).signature_ok


def test_sandbox_querydr_checks_its_request(client, attempt):
    provider = VnpayProvider()
    payload = provider.query_payload(attempt)
    assert len(payload["vnp_RequestId"]) == 32
    assert payload["vnp_RequestId"] != provider.query_payload(attempt)["vnp_RequestId"]
    cases = [({**payload, "vnp_SecureHash": "00"}, "97"),
             ({**payload, "vnp_TmnCode": "OTHER001"}, "02"),
             ({k: v for k, v in payload.items() if k != "vnp_TxnRef"}, "03")]
    for body, code in cases:
        answer = client.post(API_PATH, body, content_type="application/json").json()
        assert answer["vnp_ResponseCode"] == code
        assert answer["vnp_SecureHash"] == wire.querydr_response_hash(answer, SECRET)
    assert client.post(API_PATH, "not json",
                       content_type="application/json").json()["vnp_ResponseCode"] == "03"


# --- the sandbox's validation -----------------------------------------------------------------

def signed_request(**overrides) -> dict:
    now = timezone.now()
    params = {**PAY_VECTOR, "vnp_TxnRef": "PTEST0001", "vnp_ReturnUrl": RETURN_URL,
              "vnp_CreateDate": wire.format_date(now),
              "vnp_ExpireDate": wire.format_date(now + dt.timedelta(minutes=15)), **overrides}
    params = {k: v for k, v in params.items() if v is not None}
    params["vnp_SecureHash"] = wire.sign(params, SECRET)
    return params


def error_code(response) -> str:
    html = response.content.decode()
    assert "THỬ NGHIỆM" in html
    return html.split('data-code="')[1].split('"')[0]


@pytest.mark.parametrize(("params", "code"), [
    ({**signed_request(), "vnp_Amount": "12500100"}, "97"),
    ({**signed_request(), "vnp_SecureHash": ""}, "03"),
    (signed_request(vnp_Amount="12500050"), "03"),
    (signed_request(vnp_Amount="0"), "03"),
    (signed_request(vnp_Version="2.0.0"), "03"),
    (signed_request(vnp_CreateDate="2025-01-01"), "03"),
    (signed_request(vnp_ExpireDate=None), "03"),
    (signed_request(vnp_OrderInfo="Thanh toán"), "03"),
    (signed_request(vnp_TmnCode="OTHER001"), "02"),
    (signed_request(vnp_ExpireDate="20250101084500"), "11"),
], ids=["97-checksum", "03-no-hash", "03-not-x100", "03-zero", "03-version", "03-date",
        "03-no-expiry", "03-diacritics", "02-merchant", "11-expired"])
def test_sandbox_refuses_bad_pay_requests(client, db, params, code):
    response = client.get(PAY_PATH, params)
    assert response.status_code == 400
    assert error_code(response) == code
    assert not SandboxTransaction.objects.exists()


def test_sandbox_refuses_a_reused_txn_ref(client, db):
    first = signed_request()
    assert client.get(PAY_PATH, first).status_code == 200
    assert client.get(PAY_PATH, first).status_code == 200  # the same request: a reload
    other = signed_request(vnp_Amount="500000")
    assert error_code(client.get(PAY_PATH, other)) == "01"


def test_sandbox_is_off_without_the_setting(client, db, settings):
    settings.PAYMENT_SANDBOX = False
    assert client.get(PAY_PATH, signed_request()).status_code == 404
    assert client.post(API_PATH, {}, content_type="application/json").status_code == 404


# --- settlement -------------------------------------------------------------------------------

def test_settlement_file_lists_the_days_paid_transactions(client, order):
    paid = services.start_attempt(order_id=order.pk, provider="vnpay")
    pay_with(client, paid, "51")  # a failure: not in the file
    second = services.start_attempt(order_id=order.pk, provider="vnpay")
    pay_with(client, second, "00")
    txn = SandboxTransaction.objects.get(txn_ref=second.txn_ref)
    day = txn.paid_at.astimezone(wire.GMT7).strftime("%Y%m%d")

    response = client.get(f"/sandbox/vnpay/settlement/{day}.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = VnpayProvider().parse_settlement(io.BytesIO(response.content))
    assert len(lines) == 1
    line = lines[0]
    assert line.txn_ref == second.txn_ref
    assert line.provider_txn_id == txn.transaction_no
    assert line.amount == 1_250_000
    assert line.status == "paid"
    assert line.fee == 13_750
    assert line.paid_at == txn.paid_at.replace(microsecond=0)
    other_day = (txn.paid_at + dt.timedelta(days=1)).astimezone(wire.GMT7).strftime("%Y%m%d")
    assert VnpayProvider().parse_settlement(io.BytesIO(
        client.get(f"/sandbox/vnpay/settlement/{other_day}.csv").content)) == []


def test_settlement_parser():
    data = (b"txn_ref,transaction_no,amount,pay_date,bank_code,status,fee\n"
            b"P20250101000123,14123456,1250000,20250101083512,NCB,00,13750\n"
            b"P20250101000124,14123457,50000,20250101235959,NCB,07,0\n")
    lines = wire.parse_settlement_csv(io.BytesIO(b"\xef\xbb\xbf" + data))
    assert [(x.txn_ref, x.amount, x.status, x.fee) for x in lines] == [
        ("P20250101000123", 1_250_000, "paid", 13_750), ("P20250101000124", 50_000, "07", 0)]
    assert lines[1].paid_at == dt.datetime(2025, 1, 1, 16, 59, 59, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="header"):
        wire.parse_settlement_csv(io.BytesIO(b"a,b\n1,2\n"))
    with pytest.raises(ValueError, match="line 2"):
        wire.parse_settlement_csv(io.BytesIO(data.replace(b"1250000", b"1.250.000")))


# --- end to end with the portal's real IPN view -----------------------------------------------

class RealUrls:
    """The portal's URLs plus thanhtoan.urls (imported only when the test runs)."""

    @property
    def urlpatterns(self):
        return [path("", include("thanhtoan.urls")), *portal_patterns]


REAL_URLS = RealUrls()


def test_end_to_end_with_the_real_ipn_view(client, attempt, settings):
    settings.ROOT_URLCONF = REAL_URLS
    response = pay_with(client, attempt, "00", faults="duplicate_ipn")
    assert response.status_code == 302
    txn = SandboxTransaction.objects.get(txn_ref=attempt.txn_ref)
    assert [a.get("RspCode") for a in txn.ipn_answer["answers"]] == ["00", "02", "02"]
    attempt = PaymentAttempt.objects.get(pk=attempt.pk)
    assert attempt.status == AttemptStatus.PAID
    assert PaymentOrder.objects.get(pk=attempt.order_id).status == OrderStatus.PAID
