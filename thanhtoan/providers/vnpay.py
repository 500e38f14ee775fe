"""VNPay PAY API 2.1.0 (PAYMENTS.md A1): the signed redirect, the IPN and return parameters,
querydr, and the settlement CSV. The wire format lives in pure functions at the top so the
built-in sandbox (thanhtoan.sandbox.vnpay) signs and verifies with exactly the same code.

Outbound HTTP goes through `post_json`. When the target URL is the portal's own sandboxed
gateway (settings.PORTAL_BASE_URL + "/sandbox/…" with PAYMENT_SANDBOX on), the call is always
made in-process through django.test.Client: no network, no worker, the same in tests and in
`make run`. Tests may monkeypatch `post_json` to point elsewhere."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import re
import unicodedata
import urllib.request
import uuid
from collections.abc import Mapping
from typing import IO
from urllib.parse import quote_plus, urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from thanhtoan.choices import Outcome
from thanhtoan.providers.base import Effect, ProviderResult, SettlementLine, StartResult

VERSION = "2.1.0"
GMT7 = dt.timezone(dt.timedelta(hours=7), "GMT+7")
DATE_FORMAT = "%Y%m%d%H%M%S"
HASH_KEYS = ("vnp_SecureHash", "vnp_SecureHashType")
ORDER_INFO_MAX = 255
ORDER_INFO_REJECT = re.compile(r"[^A-Za-z0-9 .,:_\-]")

QUERYDR_REQUEST_FIELDS = ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode",
                          "vnp_TxnRef", "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr",
                          "vnp_OrderInfo")
QUERYDR_RESPONSE_FIELDS = ("vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message",
                           "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount", "vnp_BankCode",
                           "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType",
                           "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode",
                           "vnp_PromotionAmount")
SETTLEMENT_HEADER = ["txn_ref", "transaction_no", "amount", "pay_date", "bank_code", "status",
                     "fee"]

# Effect → (RspCode, Message) of the IPN answer (VNPay's IPN result codes).
ANSWERS = {
    Effect.OK: ("00", "Confirm Success"),
    Effect.DUPLICATE: ("02", "Order already confirmed"),
    Effect.IGNORED: ("02", "Order already confirmed"),
    Effect.NOT_FOUND: ("01", "Order not found"),
    Effect.AMOUNT_MISMATCH: ("04", "Invalid amount"),
    Effect.BAD_SIGNATURE: ("97", "Invalid signature"),
    Effect.BAD_MERCHANT: ("01", "Merchant not found"),
    Effect.BAD_CURRENCY: ("04", "Invalid currency"),
    Effect.BAD_FORMAT: ("99", "Invalid request"),
    Effect.ERROR: ("99", "Unknown error"),
}


# --- wire format (pure) ---------------------------------------------------------------------

def canonical_query(params: Mapping[str, object]) -> str:
    """The string VNPay signs: every non-empty vnp_* param but the hash fields, sorted by key,
    key and value form-urlencoded (space → +), joined with &."""
    items = sorted((str(k), str(v)) for k, v in params.items()
                   if str(k).startswith("vnp_") and k not in HASH_KEYS
                   and v is not None and str(v) != "")
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in items)


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode("utf-8"), hashlib.sha512).hexdigest()


def sign(params: Mapping[str, object], secret: str) -> str:
    """vnp_SecureHash: hex HMAC-SHA512 of the canonical query."""
    return hmac_sha512(secret, canonical_query(params))


def _same(received: str, expected: str) -> bool:
    return hmac.compare_digest(received.strip().lower().encode("utf-8", "replace"),
                               expected.lower().encode())


def verify(params: Mapping[str, object], secret: str) -> bool:
    """Does vnp_SecureHash match? HMAC-SHA512 (2.1.0); the legacy SHA256(secret + data) of
    2.0.x is accepted for verification only, when vnp_SecureHashType says SHA256."""
    received = str(params.get("vnp_SecureHash") or "")
    if not received:
        return False
    data = canonical_query(params)
    if str(params.get("vnp_SecureHashType") or "").upper() == "SHA256":
        return _same(received, hashlib.sha256((secret + data).encode("utf-8")).hexdigest())
    return _same(received, hmac_sha512(secret, data))


def signed_query(params: Mapping[str, object], secret: str) -> str:
    """The canonical query with its vnp_SecureHash appended (the pay URL's query string)."""
    return f"{canonical_query(params)}&vnp_SecureHash={sign(params, secret)}"


def order_info(text: str) -> str:
    """vnp_OrderInfo: Vietnamese without diacritics (đ → d), only [A-Za-z0-9 .,:_-], spaces
    collapsed, at most 255 characters, so every implementation signs it alike."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
    text = ORDER_INFO_REJECT.sub("", text)
    return " ".join(text.split())[:ORDER_INFO_MAX].strip()


def pipe_hash(payload: Mapping[str, object], fields: tuple[str, ...], secret: str) -> str:
    """HMAC-SHA512 over the pipe-joined values of `fields` (missing values are empty)."""
    data = "|".join("" if payload.get(f) is None else str(payload.get(f)) for f in fields)
    return hmac_sha512(secret, data)


def querydr_request_hash(payload: Mapping[str, object], secret: str) -> str:
    return pipe_hash(payload, QUERYDR_REQUEST_FIELDS, secret)


def querydr_response_hash(payload: Mapping[str, object], secret: str) -> str:
    return pipe_hash(payload, QUERYDR_RESPONSE_FIELDS, secret)


def format_date(moment: dt.datetime) -> str:
    """yyyyMMddHHmmss in GMT+7 (VNPay's clock)."""
    return moment.astimezone(GMT7).strftime(DATE_FORMAT)


def parse_date(value: str) -> dt.datetime:
    """A yyyyMMddHHmmss GMT+7 stamp as an aware datetime (ValueError when malformed)."""
    if not re.fullmatch(r"\d{14}", value or ""):
        raise ValueError(f"not a VNPay date: {value!r}")
    return dt.datetime.strptime(value, DATE_FORMAT).replace(tzinfo=GMT7)


def amount_from_minor(value: object) -> int:
    """vnp_Amount (đồng × 100) → đồng; ValueError unless digits and a multiple of 100."""
    text = str(value or "")
    if not text.isdigit() or len(text) > 15 or int(text) % 100:
        raise ValueError(f"bad vnp_Amount: {value!r}")
    return int(text) // 100


def outcome_of(response_code: str, transaction_status: str) -> str:
    """Paid only on 00/00; 07 money taken but suspicious → review; 24 → cancelled."""
    if response_code == "00" and transaction_status == "00":
        return Outcome.PAID
    if response_code == "07":
        return Outcome.REVIEW
    if response_code == "24":
        return Outcome.CANCELLED
    return Outcome.FAILED


def result_from_params(params: Mapping[str, str], secret: str) -> ProviderResult:
    """Read the signed return/IPN parameters (ValueError when malformed; signature_ok tells
    whether vnp_SecureHash verifies)."""
    params = {str(k): str(v) for k, v in params.items()}
    txn_ref = params.get("vnp_TxnRef", "").strip()
    response_code = params.get("vnp_ResponseCode", "").strip()
    if not txn_ref or len(txn_ref) > 100:
        raise ValueError("vnp_TxnRef missing")
    if not response_code:
        raise ValueError("vnp_ResponseCode missing")
    amount = amount_from_minor(params.get("vnp_Amount"))
    pay_date = params.get("vnp_PayDate", "").strip()
    return ProviderResult(
        txn_ref=txn_ref,
        outcome=outcome_of(response_code, params.get("vnp_TransactionStatus", "").strip()),
        amount=amount,
        signature_ok=verify(params, secret),
        currency=params.get("vnp_CurrCode") or "VND",  # IPN has none: VND is the only one
        merchant=params.get("vnp_TmnCode", ""),
        provider_txn_id=params.get("vnp_TransactionNo", ""),
        bank_code=params.get("vnp_BankCode", ""),
        response_code=response_code,
        paid_at=parse_date(pay_date) if pay_date else None,
        raw=params,
    )


def parse_settlement_csv(fileobj: IO[bytes] | IO[str]) -> list[SettlementLine]:
    """The sandbox's daily settlement CSV (header txn_ref,transaction_no,amount,pay_date,
    bank_code,status,fee; UTF-8; amounts in đồng; pay_date yyyyMMddHHmmss GMT+7; status 00 =
    paid, any other code kept as is)."""
    data = fileobj.read()
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    if [h.strip() for h in (reader.fieldnames or [])] != SETTLEMENT_HEADER:
        raise ValueError(f"unexpected settlement header: {reader.fieldnames!r}")
    lines = []
    for number, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        try:
            status = row["status"]
            lines.append(SettlementLine(
                txn_ref=row["txn_ref"], provider_txn_id=row["transaction_no"],
                amount=int(row["amount"]), status="paid" if status == "00" else status.lower(),
                paid_at=parse_date(row["pay_date"]) if row["pay_date"] else None,
                fee=int(row["fee"] or 0)))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"settlement line {number}: {exc}") from exc
    return lines


# --- transport ------------------------------------------------------------------------------

def _sandbox_path(url: str) -> str | None:
    """The local path when `url` is the portal's own sandbox gateway and the sandbox is on."""
    base = settings.PORTAL_BASE_URL.rstrip("/")
    if settings.PAYMENT_SANDBOX and url.startswith(base + "/sandbox/"):
        return url[len(base):]
    return None


def local_client():
    """A django.test.Client that talks to this very portal in-process (no network): the host
    and scheme of PORTAL_BASE_URL, exceptions turned into 500 answers."""
    from django.test import Client

    parts = urlsplit(settings.PORTAL_BASE_URL)
    return Client(raise_request_exception=False, HTTP_HOST=parts.netloc or "127.0.0.1",
                  **({"wsgi.url_scheme": "https"} if parts.scheme == "https" else {}))


def post_json(url: str, payload: dict, timeout) -> dict:
    """POST a JSON body, return the decoded JSON answer. The built-in sandbox is always called
    in-process; anything else over HTTPS with (connect, read) timeouts."""
    path = _sandbox_path(url)
    if path is not None:
        response = local_client().post(path, data=payload, content_type="application/json")
        return json.loads(response.content.decode() or "{}")
    seconds = max(timeout) if isinstance(timeout, tuple | list) else timeout
    request = urllib.request.Request(  # noqa: S310 — the configured gateway URL
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=seconds) as response:  # noqa: S310
        return json.loads(response.read().decode() or "{}")


# --- the provider ---------------------------------------------------------------------------

class VnpayProvider:
    code = "vnpay"
    online = True
    supports_query = True

    def __init__(self) -> None:
        self.tmn_code = settings.VNPAY_TMN_CODE
        self.secret = settings.VNPAY_HASH_SECRET
        self.pay_url = settings.VNPAY_PAY_URL
        self.api_url = settings.VNPAY_API_URL
        self.timeout = settings.PAYMENT_HTTP_TIMEOUT

    def merchant_code(self) -> str:
        return self.tmn_code

    # the redirect
    def start(self, attempt, *, client_ip: str, return_url: str,
              locale: str = "vn") -> StartResult:
        created = attempt.created_at or timezone.now()
        expires = attempt.expires_at or created + dt.timedelta(
            minutes=settings.PAYMENT_ATTEMPT_MINUTES)
        dossier_code = attempt.order.dossier.code or attempt.order.reference
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(attempt.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": attempt.txn_ref,
            "vnp_OrderInfo": order_info(f"Thanh toan le phi ho so {dossier_code}"),
            "vnp_OrderType": "billpayment",
            "vnp_Locale": locale if locale in ("vn", "en") else "vn",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": client_ip or attempt.client_ip or "127.0.0.1",
            "vnp_CreateDate": format_date(created),
            "vnp_ExpireDate": format_date(expires),
        }
        separator = "&" if "?" in self.pay_url else "?"
        return StartResult(redirect_url=f"{self.pay_url}{separator}"
                                        f"{signed_query(params, self.secret)}")

    # the gateway's messages
    def parse_notification(self, request: HttpRequest) -> ProviderResult:
        return result_from_params(request.GET.dict(), self.secret)

    def verify_return(self, params: Mapping[str, str]) -> ProviderResult:
        return result_from_params(params, self.secret)

    def answer(self, effect: str) -> HttpResponse:
        code, message = ANSWERS.get(effect, ANSWERS[Effect.ERROR])
        return JsonResponse({"RspCode": code, "Message": message}, status=200)

    # querydr
    def query_payload(self, attempt, *, server_ip: str = "127.0.0.1") -> dict:
        payload = {
            "vnp_RequestId": uuid.uuid4().hex,  # 32 characters, fresh every call
            "vnp_Version": VERSION,
            "vnp_Command": "querydr",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": attempt.txn_ref,
            "vnp_TransactionDate": format_date(attempt.created_at),
            "vnp_CreateDate": format_date(timezone.now()),
            "vnp_IpAddr": server_ip,
            "vnp_OrderInfo": order_info(f"Truy van giao dich {attempt.txn_ref}"),
        }
        payload["vnp_SecureHash"] = querydr_request_hash(payload, self.secret)
        return payload

    def query(self, attempt) -> ProviderResult:
        """Ask querydr. 91 → NOT_FOUND; 00 with TransactionStatus 00 → PAID, 01 → PENDING,
        07 → REVIEW, others → FAILED; any other response code (02, 03, 94, 97, 99: a fault
        of the request, not of the payment) → UNKNOWN. Network errors propagate: the caller
        retries later."""
        answer = post_json(self.api_url, self.query_payload(attempt), self.timeout)
        answer = {str(k): "" if v is None else str(v) for k, v in answer.items()}
        signature_ok = _same(answer.get("vnp_SecureHash", ""),
                             querydr_response_hash(answer, self.secret))
        if answer.get("vnp_TxnRef") and answer["vnp_TxnRef"] != attempt.txn_ref:
            raise ValueError("querydr answered about another TxnRef")
        code = answer.get("vnp_ResponseCode", "")
        status = answer.get("vnp_TransactionStatus", "")
        if code == "91":
            outcome = Outcome.NOT_FOUND
        elif code == "00":
            outcome = {"00": Outcome.PAID, "01": Outcome.PENDING,
                       "07": Outcome.REVIEW}.get(status, Outcome.FAILED)
        else:
            outcome = Outcome.UNKNOWN
        amount = None
        if code == "00" and answer.get("vnp_Amount"):
            amount = amount_from_minor(answer["vnp_Amount"])
        pay_date = answer.get("vnp_PayDate", "")
        return ProviderResult(
            txn_ref=attempt.txn_ref, outcome=outcome, amount=amount,
            signature_ok=signature_ok, merchant=answer.get("vnp_TmnCode", ""),
            provider_txn_id=answer.get("vnp_TransactionNo", ""),
            bank_code=answer.get("vnp_BankCode", ""), response_code=code,
            paid_at=parse_date(pay_date) if re.fullmatch(r"\d{14}", pay_date) else None,
            raw=answer)

    # đối soát
    def parse_settlement(self, fileobj, day: dt.date | None = None) -> list[SettlementLine]:
        return parse_settlement_csv(fileobj)


def return_query(params: Mapping[str, str]) -> str:
    """Form-encode result params for a redirect (the same encoding the hash uses)."""
    return urlencode(params, quote_via=quote_plus)
