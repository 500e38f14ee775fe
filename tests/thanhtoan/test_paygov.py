"""The national payment platform provider (DOMAIN.md §7) against its built-in sandbox,
in-process: checksums pinned by known answers, INIT refusals, callbacks, answers, the status
check and the settlement file."""

import datetime as dt
import io
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from portal.errors import DomainError
from tests.hoso.conftest import (  # noqa: F401 — fixtures
    _private_files_per_test,
    birth_procedure,
    desk_a1,
    desk_receive,
)
from thanhtoan import services
from thanhtoan.choices import AttemptStatus, OrderStatus, Outcome
from thanhtoan.models import PaymentOrder, SandboxTransaction
from thanhtoan.providers import paygov
from thanhtoan.providers.base import Effect
from thanhtoan.providers.paygov import PaygovProvider, checksum, post_json

SECRET = "PAYGOV-DEMO-SECRET-0123456789"  # settings.PAYGOV_SECRET's default

# Known answers. Each is the lower-hex SHA-256 of the exact UTF-8 string in the comment above
# it (the listed fields joined by "|", then "|" and the secret), computed once with
#   printf '%s' '<the string>' | sha256sum
INIT_VALUES = ["INIT", "1.0.6", "DEMO_TN", "P20260115000001", "1250000", "PAY", "1", "1",
               "vi-VN", "VND", "PAYMENT", "Nop phi le phi ho so 000.00.01.H01-260115-0001",
               "20260115093000", "203.0.113.7"]
# INIT|1.0.6|DEMO_TN|P20260115000001|1250000|PAY|1|1|vi-VN|VND|PAYMENT|Nop phi le phi ho so
#   000.00.01.H01-260115-0001|20260115093000|203.0.113.7|PAYGOV-DEMO-SECRET-0123456789
#   (one line, no line break: the line break here is only for width)
INIT_HASH = "1ef0838025a488f459b34f0d1256dd98430c6479968a413b49bdee9e94e93520"
CALLBACK_VALUES = ["PAY", "00", "DEMO_TN", "P20260115000001", "1250000", "VND", "123456789012",
                   "VCB", "20260115093512", "Nop phi le phi ho so 000.00.01.H01-260115-0001"]
# PAY|00|DEMO_TN|P20260115000001|1250000|VND|123456789012|VCB|20260115093512|Nop phi le phi
#   ho so 000.00.01.H01-260115-0001|PAYGOV-DEMO-SECRET-0123456789   (one line)
CALLBACK_HASH = "f97caa416fa1c7cc04d09b51df1be8ef638218fbd9cda23b2b8a5f88c31d3d23"

ITEMS = [{"kind": "phi", "code": "P1", "name": "Phí thẩm định", "amount": 1000000},
         {"kind": "le_phi", "code": "L1", "name": "Lệ phí cấp giấy", "amount": 250000}]


@pytest.fixture
def order(province, desk_a1, birth_procedure):  # noqa: F811
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    PaymentOrder.objects.filter(dossier=dossier).delete()
    return PaymentOrder.objects.create(
        dossier=dossier, agency=dossier.receiving_agency, reference=f"T-{dossier.pk}",
        items=ITEMS, amount=1250000, fee_amount=1000000, charge_amount=250000,
        timing="at_intake")


def new_attempt(order):
    return services.start_attempt(order_id=order.pk, provider="paygov", client_ip="203.0.113.7")


def return_url() -> str:
    from django.conf import settings

    return settings.PORTAL_BASE_URL + reverse("thanhtoan:return", args=["paygov"])


def started(order):
    attempt = new_attempt(order)
    start = PaygovProvider().start(attempt, client_ip="203.0.113.7", return_url=return_url())
    return attempt, start.redirect_url


def page_path(url: str) -> str:
    return urlsplit(url).path


def choose(url: str, choice: str, faults: str = ""):
    return Client().post(page_path(url), {"choice": choice, "faults": faults})


def signed(values: dict, fields, secret=SECRET) -> dict:
    return {**values, "MaXacThuc": paygov.sign(values, fields, secret)}


# --- pure functions ---------------------------------------------------------------------------

def test_checksum_known_answers():
    assert checksum(INIT_VALUES, SECRET) == INIT_HASH
    assert checksum(CALLBACK_VALUES, SECRET) == CALLBACK_HASH
    assert len(paygov.INIT_FIELDS) == len(INIT_VALUES)
    assert len(paygov.CALLBACK_FIELDS) == len(CALLBACK_VALUES)
    # sign() puts the fields in DOMAIN.md's order, whatever order the dict has
    message = dict(reversed(list(zip(paygov.INIT_FIELDS, INIT_VALUES, strict=True))))
    assert paygov.sign(message, paygov.INIT_FIELDS, SECRET) == INIT_HASH


@pytest.mark.parametrize("index", range(len(INIT_VALUES)))
def test_any_altered_init_field_changes_the_checksum(index):
    altered = list(INIT_VALUES)
    altered[index] += "x"
    assert checksum(altered, SECRET) != INIT_HASH


def test_altered_callback_field_or_secret_fails_verification():
    message = {**dict(zip(paygov.CALLBACK_FIELDS, CALLBACK_VALUES, strict=True)),
               "MaXacThuc": CALLBACK_HASH}
    assert paygov.verify(message, paygov.CALLBACK_FIELDS, SECRET)
    assert paygov.verify({**message, "MaXacThuc": CALLBACK_HASH.upper()},
                         paygov.CALLBACK_FIELDS, SECRET)  # hex case is not significant
    assert not paygov.verify({**message, "SoTien": "1250001"}, paygov.CALLBACK_FIELDS, SECRET)
    assert not paygov.verify(message, paygov.CALLBACK_FIELDS, SECRET + "x")
    assert not paygov.verify({**message, "MaXacThuc": ""}, paygov.CALLBACK_FIELDS, SECRET)


def test_time_is_gmt7():
    moment = dt.datetime(2026, 1, 15, 2, 30, tzinfo=dt.UTC)
    assert paygov.format_time(moment) == "20260115093000"
    assert paygov.parse_time("20260115093000") == moment
    with pytest.raises(ValueError, match="ThoiGianGD"):
        paygov.parse_time("2026-01-15")


# --- INIT ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_init_message(order):
    attempt = new_attempt(order)
    message = PaygovProvider().init_message(attempt, client_ip="203.0.113.7",
                                            return_url=return_url())
    for name, value in paygov.FIXED_INIT.items():
        assert message[name] == value
    assert message["MaThamChieu"] == attempt.txn_ref
    assert message["SoTien"] == "1250000"
    assert message["ThoiGianGD"] == paygov.format_time(attempt.created_at)
    assert message["Ip"] == "203.0.113.7"
    assert message["UrlTraVe"] == return_url()
    assert paygov.verify(message, paygov.INIT_FIELDS, SECRET)
    receipt = message["ThongTinBienLai"]
    dossier = order.dossier
    assert receipt["MaHoSo"] == dossier.code
    assert receipt["MaTTHC"] == dossier.procedure.national_code
    assert receipt["MaDonVi"] == order.agency.code
    assert receipt["HoTenNguoiNop"] == "Nguyễn Văn An"
    assert [f["SoTien"] for f in receipt["PhiLePhi"]] == [1000000, 250000]
    json.dumps(message)  # serialisable as sent


@pytest.mark.django_db
def test_start_against_the_sandbox(order, settings):
    attempt, url = started(order)
    assert url.startswith(settings.PORTAL_BASE_URL + "/sandbox/paygov/thanh-toan/")
    booked = SandboxTransaction.objects.get(provider="paygov", txn_ref=attempt.txn_ref)
    assert booked.amount == 1250000
    assert booked.status == "created"
    page = Client().get(page_path(url))
    assert page.status_code == 200
    text = page.content.decode()
    for expected in ("THỬ NGHIỆM", "1.250.000 đ", "Nguyễn Văn An", order.dossier.code,
                     "Thanh toán thành công", "Hủy giao dịch", "Thanh toán không thành công",
                     "1.000.000 đ", "Phí thẩm định"):
        assert expected in text
    # the same MaThamChieu twice: 01
    with pytest.raises(DomainError) as refused:
        PaygovProvider().start(attempt, client_ip="203.0.113.7", return_url=return_url())
    assert refused.value.code == "payment_gateway_refused"
    assert "01" in refused.value.message


@pytest.mark.django_db
def test_start_with_a_wrong_secret_is_refused_97(order):
    provider = PaygovProvider()
    provider.secret = "not-the-secret"
    with pytest.raises(DomainError) as refused:
        provider.start(new_attempt(order), client_ip="1.2.3.4", return_url=return_url())
    assert "97" in refused.value.message
    assert not SandboxTransaction.objects.exists()


@pytest.mark.django_db
def test_sandbox_init_refusals(order, settings):
    attempt = new_attempt(order)
    base = PaygovProvider().init_message(attempt, client_ip="1.2.3.4", return_url=return_url())
    url = settings.PAYGOV_INIT_URL

    def resign(**changes):
        message = {**base, **changes}
        return signed(message, paygov.INIT_FIELDS)

    assert post_json(url, {**base, "SoTien": "1"})["error_code"] == "97"
    assert post_json(url, resign(MaDoiTac="OTHER"))["error_code"] == "02"
    assert post_json(url, resign(MaTienTe="USD"))["error_code"] == "05"
    assert post_json(url, resign(SoTien="0"))["error_code"] == "04"
    assert post_json(url, resign(LoaiBanTin="PAY"))["error_code"] == "03"
    assert post_json(url, {"LoaiBanTin": "INIT"})["error_code"] == "03"
    ok = post_json(url, base)
    assert ok["error_code"] == "0"
    assert paygov.verify(ok, paygov.INIT_ANSWER_FIELDS, SECRET)
    assert post_json(url, base)["error_code"] == "01"


@pytest.mark.django_db
def test_start_refuses_an_answer_that_does_not_verify(order, monkeypatch):
    monkeypatch.setattr(paygov, "post_json", lambda *a, **k: {
        "error_code": "0", "MaThamChieu": "x", "UrlThanhToan": "https://evil.example/",
        "MaXacThuc": "0" * 64})
    with pytest.raises(DomainError):
        PaygovProvider().start(new_attempt(order), client_ip="1.2.3.4", return_url=return_url())


# --- the citizen's choice, the callback and the return ---------------------------------------

@pytest.mark.django_db
def test_paid_through_the_sandbox(order):
    attempt, url = started(order)
    response = choose(url, "success")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert response["Location"].startswith(return_url())
    params = dict(parse_qsl(location.query))
    assert params["MaLoi"] == "00"
    assert params["MaThamChieu"] == attempt.txn_ref
    shown = PaygovProvider().verify_return(params)
    assert shown.signature_ok
    assert shown.outcome == Outcome.PAID
    assert shown.amount == 1250000
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert attempt.status == AttemptStatus.PAID
    assert order.status == OrderStatus.PAID
    assert attempt.bank_code == "VCB"
    assert attempt.provider_txn_id == params["MaGiaoDich"]
    booked = SandboxTransaction.objects.get(txn_ref=attempt.txn_ref)
    assert booked.ipn_attempts == 1
    assert booked.ipn_answer["error_code"] == "0"
    # decided: the page cannot be paid again
    assert Client().get(page_path(url)).status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize(("choice", "status"), [("cancel", AttemptStatus.CANCELLED),
                                                ("fail", AttemptStatus.FAILED)])
def test_cancelled_or_failed_through_the_sandbox(order, choice, status):
    attempt, url = started(order)
    assert choose(url, choice).status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == status
    assert SandboxTransaction.objects.get(txn_ref=attempt.txn_ref).ipn_answer["error_code"] == "0"


@pytest.mark.django_db
def test_fault_bad_signature_is_refused_and_retried(order):
    attempt, url = started(order)
    choose(url, "success", "bad_signature")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.CREATED
    booked = SandboxTransaction.objects.get(txn_ref=attempt.txn_ref)
    assert booked.ipn_attempts == 3
    assert booked.ipn_answer["error_code"] == "97"


@pytest.mark.django_db
def test_fault_altered_amount_answers_04(order):
    attempt, url = started(order)
    choose(url, "success", "altered_amount")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.CREATED
    assert "amount_mismatch" in attempt.flags
    assert SandboxTransaction.objects.get(txn_ref=attempt.txn_ref).ipn_answer["error_code"] == "04"


@pytest.mark.django_db
def test_fault_duplicate_ipn_is_acknowledged_once_acted(order):
    attempt, url = started(order)
    choose(url, "success", "duplicate_ipn")
    booked = SandboxTransaction.objects.get(txn_ref=attempt.txn_ref)
    assert booked.ipn_attempts == 2
    assert booked.ipn_answer["error_code"] == "0"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.PAID
    assert "duplicate_payment" not in attempt.flags


@pytest.mark.django_db
def test_fault_no_ipn_then_the_status_check_pays(order):
    attempt, url = started(order)
    choose(url, "success", "no_ipn")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.CREATED
    result = PaygovProvider().query(attempt)
    assert result.signature_ok
    assert result.outcome == Outcome.PAID
    assert result.amount == 1250000
    assert result.bank_code == "VCB"
    assert result.paid_at
    assert services.record_evidence(result, source="query").effect == Effect.OK
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.PAID


def _callback(**changes) -> dict:
    message = {**dict(zip(paygov.CALLBACK_FIELDS, CALLBACK_VALUES, strict=True)), **changes}
    return signed(message, paygov.CALLBACK_FIELDS)


@pytest.mark.parametrize("as_json", [True, False])
def test_parse_notification_json_or_form(settings, as_json):
    factory = RequestFactory()
    message = _callback()
    request = (factory.post("/ipn/", data=json.dumps(message), content_type="application/json")
               if as_json else factory.post("/ipn/", data=message))
    result = PaygovProvider().parse_notification(request)
    assert result.signature_ok
    assert result.outcome == Outcome.PAID
    assert (result.txn_ref, result.amount, result.currency, result.merchant) == (
        "P20260115000001", 1250000, "VND", "DEMO_TN")
    assert (result.provider_txn_id, result.bank_code, result.response_code) == (
        "123456789012", "VCB", "00")
    assert result.paid_at == dt.datetime(2026, 1, 15, 2, 35, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(("code", "outcome"), [("01", Outcome.FAILED), ("51", Outcome.FAILED),
                                               ("24", Outcome.CANCELLED)])
def test_parse_notification_failures(code, outcome):
    result = PaygovProvider().read_callback(_callback(MaLoi=code))
    assert result.signature_ok
    assert result.outcome == outcome
    assert result.paid_at is None


def test_parse_notification_bad_signature_and_malformed():
    provider = PaygovProvider()
    forged = {**_callback(), "SoTien": "1"}
    assert provider.read_callback(forged).signature_ok is False
    factory = RequestFactory()
    with pytest.raises(ValueError, match="JSON"):
        provider.parse_notification(factory.post("/ipn/", data="{not json",
                                                 content_type="application/json"))
    with pytest.raises(ValueError, match="MaThamChieu"):
        provider.read_callback({k: v for k, v in _callback().items() if k != "MaThamChieu"})
    with pytest.raises(ValueError, match="SoTien"):
        provider.read_callback(_callback(SoTien="12a"))
    with pytest.raises(ValueError, match="ThoiGianGD"):
        provider.read_callback(_callback(ThoiGianGD="15/01/2026"))
    with pytest.raises(ValueError, match="POST"):
        provider.parse_notification(factory.get("/ipn/", data=_callback()))


@pytest.mark.parametrize(("effect", "code"), [
    (Effect.OK, "0"), (Effect.DUPLICATE, "0"), (Effect.IGNORED, "0"),
    (Effect.NOT_FOUND, "01"), (Effect.BAD_MERCHANT, "02"), (Effect.BAD_FORMAT, "03"),
    (Effect.AMOUNT_MISMATCH, "04"), (Effect.BAD_CURRENCY, "05"),
    (Effect.BAD_SIGNATURE, "97"), (Effect.ERROR, "99"), ("something-new", "99")])
def test_answer_codes(effect, code):
    response = PaygovProvider().answer(effect)
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["error_code"] == code
    assert body["message"]


@pytest.mark.django_db
def test_ipn_view_answers_not_found_for_an_unknown_reference():
    response = Client().post(reverse("thanhtoan:ipn", args=["paygov"]),
                             data=json.dumps(_callback(MaThamChieu="P19990101999999")),
                             content_type="application/json")
    assert json.loads(response.content)["error_code"] == "01"


# --- status check ----------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("choice", "state", "outcome"), [
    (None, "3", Outcome.PENDING), ("success", "1", Outcome.PAID),
    ("fail", "4", Outcome.FAILED), ("cancel", "4", Outcome.FAILED)])
def test_query_round_trip(order, choice, state, outcome):
    attempt, url = started(order)
    if choice:
        choose(url, choice, "no_ipn")
    result = PaygovProvider().query(attempt)
    assert result.signature_ok
    assert (result.outcome, result.response_code, result.txn_ref) == (outcome, state,
                                                                      attempt.txn_ref)


@pytest.mark.django_db
def test_query_not_found_and_forged_answer(order, monkeypatch):
    attempt = new_attempt(order)  # never sent to the platform
    result = PaygovProvider().query(attempt)
    assert result.signature_ok
    assert result.outcome == Outcome.NOT_FOUND
    real = paygov.post_json

    def forged(url, payload, timeout=None):
        return {**real(url, payload, timeout), "TrangThaiGD": "1", "error_code": "0"}

    monkeypatch.setattr(paygov, "post_json", forged)
    result = PaygovProvider().query(attempt)
    assert result.signature_ok is False
    assert result.outcome == Outcome.UNKNOWN


@pytest.mark.django_db
def test_sandbox_query_refuses_a_bad_signature(order, settings):
    message = PaygovProvider().query_message(new_attempt(order))
    assert post_json(settings.PAYGOV_QUERY_URL, {**message, "MaThamChieu": "X"})[
        "error_code"] == "97"


# --- settlement ------------------------------------------------------------------------------

def test_parse_settlement_csv():
    text = ("txn_ref,transaction_no,amount,pay_date,bank_code,status,fee\n"
            "P20260115000001,123456789012,1250000,20260115093512,VCB,1,0\n"
            "P20260115000002,123456789013,50000,20260115101500,VCB,00,1100\n"
            "P20260115000003,123456789014,50000,,VCB,4,0\n")
    lines = list(PaygovProvider().parse_settlement(io.BytesIO(("\ufeff" + text).encode())))
    assert [(x.txn_ref, x.amount, x.status, x.fee) for x in lines] == [
        ("P20260115000001", 1250000, "paid", 0), ("P20260115000002", 50000, "paid", 1100),
        ("P20260115000003", 50000, "4", 0)]
    assert lines[0].paid_at == dt.datetime(2026, 1, 15, 2, 35, 12, tzinfo=dt.UTC)
    assert lines[2].paid_at is None
    with pytest.raises(ValueError, match="tiêu đề"):
        list(PaygovProvider().parse_settlement(io.BytesIO(b"a,b\n1,2\n")))
    with pytest.raises(ValueError, match="dòng 2"):
        list(PaygovProvider().parse_settlement(io.BytesIO(
            (text.splitlines()[0] + "\nP1,1,abc,,VCB,1,0\n").encode())))


@pytest.mark.django_db
def test_sandbox_settlement_file(order):
    paid, url = started(order)
    choose(url, "success")
    booked = SandboxTransaction.objects.get(txn_ref=paid.txn_ref)
    day = paygov.format_time(booked.paid_at)[:8]
    response = Client().get(f"/sandbox/paygov/settlement/{day}.csv")
    assert response.status_code == 200
    lines = list(PaygovProvider().parse_settlement(io.BytesIO(response.content)))
    assert [(x.txn_ref, x.amount, x.status, x.provider_txn_id) for x in lines] == [
        (paid.txn_ref, 1250000, "paid", booked.transaction_no)]


@pytest.mark.django_db
def test_sandbox_is_404_when_off(settings):
    settings.PAYMENT_SANDBOX = False
    client = Client()
    assert client.post("/sandbox/paygov/api/init", data="{}",
                       content_type="application/json").status_code == 404
    assert client.post("/sandbox/paygov/api/query", data="{}",
                       content_type="application/json").status_code == 404
    assert client.get("/sandbox/paygov/settlement/20260115.csv").status_code == 404
    assert client.get("/sandbox/paygov/thanh-toan/abc/").status_code == 404
