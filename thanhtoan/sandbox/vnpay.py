"""A VNPay gateway inside the portal (PAYMENT_SANDBOX; PAYMENTS.md A2 "Built-in sandbox").

It speaks VNPay's wire format with the same functions the provider uses, so production
signing and verification run unchanged against it:
- GET  paymentv2/vpcpay.html            validate the signed pay request like VNPay (02 unknown
                                        TmnCode, 97 checksum, 03 format and amount, 11 expired,
                                        01 TxnRef used) and show the test payment page;
- POST paymentv2/vpcpay.html            the citizen's choice (00, 24, 51, 11, 07): signs the
                                        result, sends the IPN to the portal (in-process through
                                        django.test.Client, retried up to 3 times until 00/02),
                                        then redirects the browser to vnp_ReturnUrl;
- POST merchant_webapi/api/transaction  querydr from the sandbox's own books (91 unknown);
- GET  settlement/<yyyymmdd>.csv        the day's settlement file (GMT+7 day).

Fault switches per payment: add `faults=a,b` to the pay URL (outside the signature, as it
is not a vnp_* parameter): duplicate_ipn (the IPN 3 times), no_ipn (the portal must query),
bad_signature (IPN and return carry a wrong hash), altered_amount (IPN names 100 đ more,
correctly signed), unknown_txnref (IPN names a reference the portal never made),
settlement_missing (the line is left out of the settlement file).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
import secrets
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from thanhtoan.models import SandboxTransaction
from thanhtoan.providers import vnpay as wire

PROVIDER = "vnpay"
FAULTS = frozenset({"duplicate_ipn", "no_ipn", "bad_signature", "altered_amount",
                    "unknown_txnref", "settlement_missing"})
IPN_TRIES = 3
SETTLEMENT_FEE_PER_MILLE = 11  # the sandbox's fee: 1.1 % of the amount, rounded down

# The citizen's buttons: response code → (label, sandbox status, vnp_TransactionStatus).
CHOICES = {
    "00": ("Thành công", "paid", "00"),
    "24": ("Hủy", "cancelled", "02"),
    "51": ("Không đủ số dư", "failed", "02"),
    "11": ("Hết hạn", "failed", "02"),
    "07": ("Nghi ngờ", "review", "07"),
}
# What querydr says for each sandbox status (vnp_TransactionStatus).
QUERY_STATUS = {"created": "01", "paid": "00", "review": "07", "cancelled": "02",
                "failed": "02"}

ERRORS = {
    "01": "Giao dịch đã tồn tại (mã tham chiếu vnp_TxnRef đã được sử dụng).",
    "02": "Mã đơn vị (vnp_TmnCode) không tồn tại hoặc đã bị khóa.",
    "03": "Dữ liệu gửi sang không đúng định dạng.",
    "11": "Đã hết hạn chờ thanh toán.",
    "97": "Chữ ký không hợp lệ.",
    "99": "Lỗi không xác định.",
}
REQUIRED = ("vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_Amount", "vnp_CurrCode",
            "vnp_TxnRef", "vnp_OrderInfo", "vnp_OrderType", "vnp_Locale", "vnp_ReturnUrl",
            "vnp_IpAddr", "vnp_CreateDate", "vnp_ExpireDate")
TXN_REF = re.compile(r"[A-Za-z0-9_\-]{1,100}")


def sandbox_only(view):
    """404 unless the sandbox is switched on (and, without DEBUG, allowed on this site)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        allowed = settings.PAYMENT_SANDBOX and (
            settings.DEBUG or getattr(settings, "ALLOW_SANDBOX_IN_PROD", False)
            or getattr(settings, "PORTAL_DEMO", False))
        if not allowed:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


class PayError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def money(amount: int) -> str:
    """1250000 → "1.250.000 đ"."""
    return f"{amount:,} đ".replace(",", ".")


def parse_faults(value: str) -> list[str]:
    return sorted({f.strip() for f in (value or "").split(",")} & FAULTS)


# --- validation ------------------------------------------------------------------------------

def validate_pay_request(params: dict) -> None:
    """Raise PayError with VNPay's code when the signed pay request is not acceptable."""
    if any(not params.get(key) for key in ("vnp_TmnCode", "vnp_SecureHash")):
        raise PayError("03")
    if params["vnp_TmnCode"] != settings.VNPAY_TMN_CODE:
        raise PayError("02")
    if not wire.verify(params, settings.VNPAY_HASH_SECRET):
        raise PayError("97")
    if any(not params.get(key) for key in REQUIRED):
        raise PayError("03")
    try:
        amount = wire.amount_from_minor(params["vnp_Amount"])
        wire.parse_date(params["vnp_CreateDate"])
        expires = wire.parse_date(params["vnp_ExpireDate"])
    except ValueError:
        raise PayError("03") from None
    if (amount <= 0 or len(params["vnp_Amount"]) > 12
            or params["vnp_Version"] != wire.VERSION or params["vnp_Command"] != "pay"
            or params["vnp_CurrCode"] != "VND" or params["vnp_Locale"] not in ("vn", "en")
            or not TXN_REF.fullmatch(params["vnp_TxnRef"])
            or wire.order_info(params["vnp_OrderInfo"]) != params["vnp_OrderInfo"]
            or not re.match(r"https?://", params["vnp_ReturnUrl"])):
        raise PayError("03")
    if expires < timezone.now():
        raise PayError("11")


def _error_page(request, code: str, status: int = 400) -> HttpResponse:
    return render(request, "thanhtoan/sandbox/vnpay_error.html",
                  {"code": code, "message": ERRORS.get(code, ERRORS["99"])}, status=status)


def _pay_page(request, txn: SandboxTransaction) -> HttpResponse:
    params = txn.request
    return render(request, "thanhtoan/sandbox/vnpay_pay.html", {
        "txn": txn, "amount_text": money(txn.amount), "order_info": params.get("vnp_OrderInfo"),
        "expires_at": wire.parse_date(params["vnp_ExpireDate"]),
        "choices": [(code, label) for code, (label, _s, _t) in CHOICES.items()],
        "faults": txn.faults,
    })


# --- the pay page ----------------------------------------------------------------------------

@sandbox_only
@require_http_methods(["GET", "POST"])
def pay(request):
    if request.method == "POST":
        return _choose(request)
    params = {k: v for k, v in request.GET.items() if k.startswith("vnp_")}
    try:
        validate_pay_request(params)
    except PayError as exc:
        return _error_page(request, exc.code)
    existing = SandboxTransaction.objects.filter(provider=PROVIDER,
                                                 txn_ref=params["vnp_TxnRef"]).first()
    if existing is not None:
        if existing.status == "created" and existing.request == params:
            return _pay_page(request, existing)  # the same request again (a reload)
        return _error_page(request, "01")
    try:
        with transaction.atomic():
            txn = SandboxTransaction.objects.create(
                provider=PROVIDER, txn_ref=params["vnp_TxnRef"],
                merchant=params["vnp_TmnCode"],
                amount=wire.amount_from_minor(params["vnp_Amount"]), request=params,
                faults=parse_faults(request.GET.get("faults", "")))
    except IntegrityError:
        return _error_page(request, "01")
    return _pay_page(request, txn)


def _choose(request) -> HttpResponse:
    code = request.POST.get("code", "")
    with transaction.atomic():
        txn = (SandboxTransaction.objects.select_for_update()
               .filter(provider=PROVIDER, txn_ref=request.POST.get("txn_ref", "")).first())
        if txn is None or code not in CHOICES:
            return _error_page(request, "03")
        if txn.status != "created":
            return _error_page(request, "01")
        _label, status, _ts = CHOICES[code]
        now = timezone.now()
        txn.status = status
        txn.response_code = code
        txn.transaction_no = f"{secrets.randbelow(90_000_000) + 10_000_000}"
        txn.bank_code = "NCB"
        txn.paid_at = now if status in ("paid", "review") else None
        txn.save(update_fields=["status", "response_code", "transaction_no", "bank_code",
                                "paid_at"])
    params = result_params(txn, now)
    if "no_ipn" not in txn.faults:
        send_ipn(txn, params)
    return_url = txn.request["vnp_ReturnUrl"]
    separator = "&" if "?" in return_url else "?"
    return HttpResponseRedirect(f"{return_url}{separator}{wire.return_query(params)}")


def result_params(txn: SandboxTransaction, now: dt.datetime) -> dict:
    """The signed parameters of the return and the IPN (bad_signature: a wrong hash)."""
    code = txn.response_code
    params = {
        "vnp_TmnCode": txn.merchant,
        "vnp_Amount": str(txn.amount * 100),
        "vnp_BankCode": txn.bank_code,
        "vnp_BankTranNo": f"VNP{txn.transaction_no}" if txn.paid_at else "",
        "vnp_CardType": "ATM",
        "vnp_PayDate": wire.format_date(now),
        "vnp_OrderInfo": txn.request.get("vnp_OrderInfo", ""),
        "vnp_TransactionNo": txn.transaction_no,
        "vnp_ResponseCode": code,
        "vnp_TransactionStatus": CHOICES[code][2],
        "vnp_TxnRef": txn.txn_ref,
    }
    params = {k: v for k, v in params.items() if v}
    params["vnp_SecureHash"] = wire.sign(params, settings.VNPAY_HASH_SECRET)
    if "bad_signature" in txn.faults:
        params["vnp_SecureHash"] = wire.sign(params, settings.VNPAY_HASH_SECRET + "x")
    return params


def _ipn_params(txn: SandboxTransaction, params: dict) -> dict:
    if not {"altered_amount", "unknown_txnref"} & set(txn.faults):
        return params
    params = dict(params)
    if "altered_amount" in txn.faults:
        params["vnp_Amount"] = str((txn.amount + 100) * 100)
    if "unknown_txnref" in txn.faults:
        params["vnp_TxnRef"] = f"X{txn.txn_ref}"[:100]
    params.pop("vnp_SecureHash")
    secret = settings.VNPAY_HASH_SECRET + ("x" if "bad_signature" in txn.faults else "")
    params["vnp_SecureHash"] = wire.sign(params, secret)
    return params


def send_ipn(txn: SandboxTransaction, params: dict) -> None:
    """Call the portal's IPN URL in-process (django.test.Client: no network, no worker),
    again until it answers 00 or 02, at most IPN_TRIES times; duplicate_ipn sends it
    IPN_TRIES times whatever the answer. Every answer is kept on the transaction."""
    path = reverse("thanhtoan:ipn", args=[PROVIDER])
    params = _ipn_params(txn, params)
    client = wire.local_client()
    answers = []
    for _try in range(IPN_TRIES):
        try:
            response = client.get(path, params)
            try:
                answer = json.loads(response.content.decode())
            except ValueError:
                answer = {"http_status": response.status_code}
        except Exception as exc:  # noqa: BLE001 — the gateway keeps trying, like VNPay
            answer = {"error": f"{type(exc).__name__}: {exc}"[:200]}
        answers.append(answer)
        if "duplicate_ipn" not in txn.faults and answer.get("RspCode") in ("00", "02"):
            break
    SandboxTransaction.objects.filter(pk=txn.pk).update(
        ipn_attempts=len(answers), ipn_answer={**answers[-1], "answers": answers})
    txn.refresh_from_db(fields=["ipn_attempts", "ipn_answer"])


# --- querydr ---------------------------------------------------------------------------------

def _query_answer(request_payload: dict, code: str, txn: SandboxTransaction | None) -> dict:
    messages = {"00": "QueryDR Success", "02": "Merchant is not valid", "03": "Invalid format",
                "91": "Transaction not found", "97": "Invalid checksum", "99": "Unknown error"}
    answer = {
        "vnp_ResponseId": uuid.uuid4().hex,
        "vnp_Command": "querydr",
        "vnp_ResponseCode": code,
        "vnp_Message": messages.get(code, messages["99"]),
        "vnp_TmnCode": str(request_payload.get("vnp_TmnCode") or ""),
        "vnp_TxnRef": str(request_payload.get("vnp_TxnRef") or ""),
    }
    if txn is not None:
        answer.update({
            "vnp_Amount": str(txn.amount * 100),
            "vnp_BankCode": txn.bank_code,
            "vnp_PayDate": wire.format_date(txn.paid_at) if txn.paid_at else "",
            "vnp_TransactionNo": txn.transaction_no,
            "vnp_TransactionType": "01",
            "vnp_TransactionStatus": QUERY_STATUS.get(txn.status, "02"),
            "vnp_OrderInfo": txn.request.get("vnp_OrderInfo", ""),
            "vnp_PromotionCode": "",
            "vnp_PromotionAmount": "",
        })
    answer["vnp_SecureHash"] = wire.querydr_response_hash(answer, settings.VNPAY_HASH_SECRET)
    return answer


@csrf_exempt
@sandbox_only
@require_POST
def api_transaction(request):
    """querydr (refund is not simulated yet: it answers 99)."""
    try:
        payload = json.loads(request.body.decode() or "{}")
        if not isinstance(payload, dict):
            raise ValueError
    except ValueError:
        return JsonResponse(_query_answer({}, "03", None))
    payload = {k: "" if v is None else str(v) for k, v in payload.items()}
    if payload.get("vnp_Command") != "querydr":
        return JsonResponse(_query_answer(payload, "99", None))
    if any(not payload.get(f) for f in wire.QUERYDR_REQUEST_FIELDS + ("vnp_SecureHash",)):
        return JsonResponse(_query_answer(payload, "03", None))
    if payload["vnp_TmnCode"] != settings.VNPAY_TMN_CODE:
        return JsonResponse(_query_answer(payload, "02", None))
    expected = wire.querydr_request_hash(payload, settings.VNPAY_HASH_SECRET)
    if not wire._same(payload["vnp_SecureHash"], expected):
        return JsonResponse(_query_answer(payload, "97", None))
    txn = SandboxTransaction.objects.filter(provider=PROVIDER, txn_ref=payload["vnp_TxnRef"],
                                            merchant=payload["vnp_TmnCode"]).first()
    return JsonResponse(_query_answer(payload, "91" if txn is None else "00", txn))


# --- settlement ------------------------------------------------------------------------------

def settlement_csv(day: dt.date) -> str:
    """The day's settlement file: paid and review (money taken) payments of that GMT+7 day."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=wire.GMT7)
    rows = (SandboxTransaction.objects
            .filter(provider=PROVIDER, status__in=["paid", "review"], paid_at__gte=start,
                    paid_at__lt=start + dt.timedelta(days=1))
            .order_by("paid_at", "pk"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(wire.SETTLEMENT_HEADER)
    for txn in rows:
        if "settlement_missing" in txn.faults:
            continue
        writer.writerow([txn.txn_ref, txn.transaction_no, txn.amount,
                         wire.format_date(txn.paid_at), txn.bank_code, txn.response_code,
                         txn.amount * SETTLEMENT_FEE_PER_MILLE // 1000])
    return out.getvalue()


@sandbox_only
@require_GET
def settlement(request, day: str):
    try:
        date = dt.datetime.strptime(day, "%Y%m%d").date()  # noqa: DTZ007 — a calendar day
    except ValueError:
        raise Http404 from None
    response = HttpResponse(settlement_csv(date), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vnpay-{day}.csv"'
    return response
