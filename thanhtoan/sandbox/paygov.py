"""A fake national payment platform inside the portal (PAYMENT_SANDBOX; PAYMENTS.md A2): the
INIT API, the citizen's payment page, the status-check API and a daily settlement CSV, in the
wire format of thanhtoan.providers.paygov (DOMAIN.md §7), so the provider's production signing
and verification run unchanged against it. Its books are SandboxTransaction rows
(provider="paygov"): queries, callback retries and settlement files come from "the platform's"
view, not from the portal's.

Fault switches (a comma list in `faults`: the page's query string or form, or the setting
PAYGOV_SANDBOX_FAULTS for every payment):
- duplicate_ipn   the callback is sent once more after it was acknowledged;
- no_ipn          no callback at all (the portal must find out by the status check);
- bad_signature   the callback's MaXacThuc is wrong;
- altered_amount  the callback (correctly signed) states 1.000 đ more than was asked;
- query_pending   the status check answers TrangThaiGD 3 whatever happened;
- settlement_missing  the payment is left out of the settlement file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import secrets
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from thanhtoan.models import SandboxTransaction
from thanhtoan.providers import paygov as wire

logger = logging.getLogger(__name__)

PROVIDER = "paygov"
FAULTS = ("duplicate_ipn", "no_ipn", "bad_signature", "altered_amount", "query_pending",
          "settlement_missing")
IPN_TRIES = 3
BANK_CODE = "VCB"
PAGE_SIGNER_NAMESPACE = "thanhtoan.sandbox.paygov"
# The citizen's choices on the page → MaLoi and the sandbox's own status.
CHOICES = {
    "success": (wire.MALOI_PAID, "paid"),
    "cancel": (sorted(wire.MALOI_CANCELLED)[0], "cancelled"),
    "fail": (wire.MALOI_FAILED_SANDBOX, "failed"),
}
TRANG_THAI = {"paid": "1", "created": "3", "failed": "4", "cancelled": "4"}

# The sandbox's INIT error codes [U: the platform's own codes are not public].
E_OK, E_EXISTS, E_MERCHANT, E_FORMAT, E_AMOUNT, E_CURRENCY, E_SIGNATURE = (
    "0", "01", "02", "03", "04", "05", "97")


def sandbox_only(view):
    """Every sandbox view answers 404 when PAYMENT_SANDBOX is off."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not settings.PAYMENT_SANDBOX:
            raise Http404("sandbox off")
        return view(request, *args, **kwargs)

    return guarded


def parse_faults(value) -> list[str]:
    if isinstance(value, list | tuple):
        value = ",".join(value)
    return [f for f in (p.strip() for p in str(value or "").split(",")) if f in FAULTS]


def _default_faults() -> list[str]:
    return parse_faults(getattr(settings, "PAYGOV_SANDBOX_FAULTS", ""))


def _error(code: str, message: str) -> JsonResponse:
    return JsonResponse({"error_code": code, "message": message},
                        json_dumps_params={"ensure_ascii": False})


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _name(request, name: str) -> str:
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    return f"{namespace}:{name}" if namespace else name


def _read_json(request) -> dict | None:
    try:
        data = json.loads(request.body or b"")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def make_token(txn: SandboxTransaction) -> str:
    return signing.Signer(salt=PAGE_SIGNER_NAMESPACE).sign(str(txn.pk))


def _txn_of(token: str) -> SandboxTransaction:
    try:
        pk = int(signing.Signer(salt=PAGE_SIGNER_NAMESPACE).unsign(token))
    except (signing.BadSignature, ValueError) as exc:
        raise Http404("token") from exc
    txn = SandboxTransaction.objects.filter(pk=pk, provider=PROVIDER).first()
    if txn is None:
        raise Http404("txn")
    return txn


# --- INIT -------------------------------------------------------------------------------------

@csrf_exempt
@sandbox_only
@require_POST
def api_init(request):
    """Validate like the platform: format 03, MaXacThuc 97, MaDoiTac 02, MaTienTe 05, SoTien
    04, a MaThamChieu already used 01; then book the payment and answer its page's URL."""
    message = _read_json(request)
    if message is None:
        return _error(E_FORMAT, "Dữ liệu không phải JSON hợp lệ")
    fields = {name: message.get(name) for name in (*wire.INIT_FIELDS, "MaXacThuc")}
    if any(not isinstance(v, str) for v in fields.values()):
        return _error(E_FORMAT, "Thiếu trường hoặc sai kiểu dữ liệu")
    if not wire.verify(message, wire.INIT_FIELDS, settings.PAYGOV_SECRET):
        return _error(E_SIGNATURE, "Sai mã xác thực")
    if message["MaDoiTac"] != settings.PAYGOV_MERCHANT:
        return _error(E_MERCHANT, "Mã đối tác không tồn tại")
    if any(message[k] != v for k, v in wire.FIXED_INIT.items() if k != "MaTienTe"):
        return _error(E_FORMAT, "Sai giá trị cố định của bản tin INIT")
    if message["MaTienTe"] != "VND":
        return _error(E_CURRENCY, "Loại tiền tệ không được hỗ trợ")
    if not message["SoTien"].isdigit() or int(message["SoTien"]) <= 0:
        return _error(E_AMOUNT, "Số tiền không hợp lệ")
    try:
        wire.parse_time(message["ThoiGianGD"])
    except ValueError:
        return _error(E_FORMAT, "ThoiGianGD không hợp lệ")
    if not message["MaThamChieu"]:
        return _error(E_FORMAT, "Thiếu mã tham chiếu")
    try:
        with transaction.atomic():
            txn = SandboxTransaction.objects.create(
                provider=PROVIDER, txn_ref=message["MaThamChieu"][:100],
                merchant=message["MaDoiTac"][:40], amount=int(message["SoTien"]),
                request=message, faults=_default_faults())
    except IntegrityError:
        return _error(E_EXISTS, "Mã tham chiếu đã được sử dụng")
    url = _absolute(reverse(_name(request, "sandbox_paygov_pay"), args=[make_token(txn)]))
    answer = {"error_code": E_OK, "message": "Thành công", "MaDoiTac": txn.merchant,
              "MaThamChieu": txn.txn_ref, "UrlThanhToan": url}
    answer["MaXacThuc"] = wire.sign(answer, wire.INIT_ANSWER_FIELDS, settings.PAYGOV_SECRET)
    return JsonResponse(answer)


# --- the payment page -------------------------------------------------------------------------

def _amount_text(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


@sandbox_only
@require_http_methods(["GET", "POST"])
def pay_page(request, token: str):
    txn = _txn_of(token)
    info = txn.request.get("ThongTinBienLai") or {}
    faults = parse_faults(request.POST.get("faults") if request.method == "POST"
                          else request.GET.get("faults"))
    if txn.status != "created":
        return render(request, "thanhtoan/sandbox/paygov_error.html", {
            "message": "Giao dịch này đã được xử lý, không thể thanh toán lại.", "txn": txn},
            status=409)
    if request.method == "POST":
        choice = request.POST.get("choice", "")
        if choice not in CHOICES:
            return render(request, "thanhtoan/sandbox/paygov_error.html", {
                "message": "Lựa chọn không hợp lệ.", "txn": txn}, status=400)
        return _finish(request, txn, choice, faults)
    return render(request, "thanhtoan/sandbox/paygov_pay.html", {
        "txn": txn, "info": info,
        "fees": [{"name": f.get("TenPhiLePhi", ""), "amount_text": _amount_text(
            int(f.get("SoTien") or 0))} for f in info.get("PhiLePhi") or []],
        "amount_text": _amount_text(txn.amount), "faults": ",".join(faults),
        "description": txn.request.get("ThongTinGiaoDich", ""),
        "all_faults": FAULTS})


def callback_message(txn: SandboxTransaction) -> dict:
    """The signed callback of a decided payment (the fault switches applied)."""
    amount = txn.amount + (1000 if "altered_amount" in txn.faults else 0)
    message = {
        "LoaiBanTin": wire.LOAI_BAN_TIN_CALLBACK,
        "MaLoi": txn.response_code,
        "MaDoiTac": txn.merchant,
        "MaThamChieu": txn.txn_ref,
        "SoTien": str(amount),
        "MaTienTe": txn.request.get("MaTienTe", "VND"),
        "MaGiaoDich": txn.transaction_no,
        "MaNganHang": txn.bank_code,
        "ThoiGianGD": wire.format_time(txn.paid_at or timezone.now()),
        "ThongTinGiaoDich": txn.request.get("ThongTinGiaoDich", ""),
    }
    secret = settings.PAYGOV_SECRET
    if "bad_signature" in txn.faults:
        secret = secret + "-sai"
    message["MaXacThuc"] = wire.sign(message, wire.CALLBACK_FIELDS, secret)
    return message


def send_callback(txn: SandboxTransaction, message: dict) -> bool:
    """POST the callback to the portal's IPN URL in-process (django.test.Client: no network),
    up to IPN_TRIES times until acknowledged (error_code "0"); duplicate_ipn sends it once
    more after that. Returns whether it was acknowledged."""
    from django.test import Client

    base = urlsplit(settings.PORTAL_BASE_URL)
    client = Client(raise_request_exception=False, HTTP_HOST=base.netloc)
    path = reverse("thanhtoan:ipn", args=[PROVIDER])

    def post_once() -> bool:
        try:
            response = client.post(path, data=json.dumps(message),
                                   content_type="application/json",
                                   secure=base.scheme == "https")
            answer = (json.loads(response.content) if response.status_code == 200
                      else {"http_status": response.status_code})
        except Exception as exc:  # noqa: BLE001 — a broken portal is a failed delivery
            logger.warning("sandbox paygov IPN %s failed: %s", txn.txn_ref, exc)
            answer = {"exception": str(exc)[:200]}
        if not isinstance(answer, dict):
            answer = {"answer": str(answer)[:200]}
        txn.ipn_attempts += 1
        txn.ipn_answer = answer
        return str(answer.get("error_code")) == "0"

    acknowledged = False
    for _try in range(IPN_TRIES):
        if post_once():
            acknowledged = True
            break
    if acknowledged and "duplicate_ipn" in txn.faults:
        post_once()
    txn.save(update_fields=["ipn_attempts", "ipn_answer"])
    return acknowledged


def _finish(request, txn: SandboxTransaction, choice: str, faults: list[str]):
    code, status = CHOICES[choice]
    txn.faults = sorted({*txn.faults, *faults})
    txn.status = status
    txn.response_code = code
    txn.transaction_no = "".join(secrets.choice("0123456789") for _ in range(12))
    txn.bank_code = BANK_CODE
    txn.paid_at = timezone.now()
    txn.save(update_fields=["faults", "status", "response_code", "transaction_no",
                            "bank_code", "paid_at"])
    message = callback_message(txn)
    if "no_ipn" not in txn.faults:
        send_callback(txn, message)
    return_url = str(txn.request.get(wire.RETURN_URL_FIELD) or "")
    if urlsplit(return_url).scheme not in ("http", "https"):
        return render(request, "thanhtoan/sandbox/paygov_error.html", {
            "message": "Đã ghi nhận kết quả nhưng không có địa chỉ quay về cổng dịch vụ công.",
            "txn": txn}, status=400)
    joiner = "&" if urlsplit(return_url).query else "?"
    return HttpResponseRedirect(return_url + joiner + urlencode(message))


# --- status check -----------------------------------------------------------------------------

@csrf_exempt
@sandbox_only
@require_POST
def api_query(request):
    message = _read_json(request)
    if message is None or any(not isinstance(message.get(n), str)
                              for n in (*wire.QUERY_FIELDS, "MaXacThuc")):
        return _error(E_FORMAT, "Thiếu trường hoặc sai kiểu dữ liệu")
    if not wire.verify(message, wire.QUERY_FIELDS, settings.PAYGOV_SECRET):
        return _error(E_SIGNATURE, "Sai mã xác thực")
    if message["MaDoiTac"] != settings.PAYGOV_MERCHANT:
        return _error(E_MERCHANT, "Mã đối tác không tồn tại")
    txn = SandboxTransaction.objects.filter(provider=PROVIDER, txn_ref=message["MaThamChieu"],
                                            merchant=message["MaDoiTac"]).first()
    answer = {"MaDoiTac": message["MaDoiTac"], "MaThamChieu": message["MaThamChieu"]}
    if txn is None:
        answer.update(error_code=wire.QUERY_NOT_FOUND, message="Không tìm thấy giao dịch")
    else:
        state = "3" if "query_pending" in txn.faults else TRANG_THAI.get(txn.status, "3")
        answer.update(error_code=E_OK, message="Thành công", TrangThaiGD=state,
                      SoTien=str(txn.amount), MaTienTe=txn.request.get("MaTienTe", "VND"),
                      MaGiaoDich=txn.transaction_no, MaNganHang=txn.bank_code,
                      ThoiGianGD=wire.format_time(txn.paid_at) if txn.paid_at else "")
    answer["MaXacThuc"] = wire.sign(answer, wire.QUERY_ANSWER_FIELDS, settings.PAYGOV_SECRET)
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})


# --- settlement -------------------------------------------------------------------------------

@sandbox_only
@require_http_methods(["GET"])
def settlement(request, day: str):
    """The day's paid transactions (paid_at's date in GMT+7) as the settlement CSV."""
    try:
        date = dt.datetime.strptime(day, "%Y%m%d").replace(tzinfo=wire.VN_TZ).date()
    except ValueError as exc:
        raise Http404("day") from exc
    start = dt.datetime.combine(date, dt.time.min, tzinfo=wire.VN_TZ)
    rows = (SandboxTransaction.objects
            .filter(provider=PROVIDER, status="paid", paid_at__gte=start,
                    paid_at__lt=start + dt.timedelta(days=1))
            .order_by("paid_at", "pk"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(wire.SETTLEMENT_HEADER)
    for txn in rows:
        if "settlement_missing" in txn.faults:
            continue
        writer.writerow([txn.txn_ref, txn.transaction_no, txn.amount,
                         wire.format_time(txn.paid_at), txn.bank_code, "1", 0])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="paygov-{day}.csv"'
    return response
