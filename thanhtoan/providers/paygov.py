"""The payment platform of the National Public Service Portal (Cổng DVCQG; "PayGov" brand [U]).

Wire format from DOMAIN.md §7 [C TH `Infrastructure/DvcPayment/*`]: the portal POSTs a signed
INIT message and sends the citizen to the `UrlThanhToan` it gets back; the platform POSTs a
signed callback; a signed status check answers `TrangThaiGD` (1 success, 3 pending, 4 failed).
`MaXacThuc` = lower-hex SHA-256 of the pipe-joined fields followed by the secret.

Everything DOMAIN.md does not state is marked [U] (unverified) where it is decided; verify it
against the platform's integration document before going live. The built-in sandbox
(thanhtoan/sandbox/paygov.py) speaks exactly this format, so signing and verification run
unchanged against it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import logging
from collections.abc import Iterable
from typing import IO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from portal.errors import DomainError
from thanhtoan.choices import Outcome
from thanhtoan.providers.base import Effect, ProviderResult, SettlementLine, StartResult

logger = logging.getLogger(__name__)

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # ThoiGianGD is GMT+7 whatever TIME_ZONE says
TIME_FORMAT = "%Y%m%d%H%M%S"  # yyyyMMddHHmmss

# --- field orders of MaXacThuc (DOMAIN.md §7) -----------------------------------------------
INIT_FIELDS = ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien",
               "LoaiHinhThanhToan", "MaKenhThanhToan", "MaThietBi", "NgonNgu", "MaTienTe",
               "MaNganHang", "ThongTinGiaoDich", "ThoiGianGD", "Ip")
CALLBACK_FIELDS = ("LoaiBanTin", "MaLoi", "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe",
                   "MaGiaoDich", "MaNganHang", "ThoiGianGD", "ThongTinGiaoDich")
QUERY_FIELDS = ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD")
# [U] The answers' own signatures are not documented: the portal (and its sandbox) sign the
# INIT answer and the status-check answer over these orders; change them here when the
# platform's document says otherwise.
INIT_ANSWER_FIELDS = ("error_code", "MaDoiTac", "MaThamChieu", "UrlThanhToan")
QUERY_ANSWER_FIELDS = ("error_code", "MaDoiTac", "MaThamChieu", "TrangThaiGD", "SoTien",
                       "MaTienTe", "MaGiaoDich", "MaNganHang", "ThoiGianGD")

# --- fixed values (DOMAIN.md §7) --------------------------------------------------------------
LOAI_BAN_TIN_INIT = "INIT"
LOAI_BAN_TIN_QUERY = "QUERY"  # [U] DOMAIN.md §7 does not name the status check's LoaiBanTin
LOAI_BAN_TIN_CALLBACK = "PAY"  # [U] the callback's LoaiBanTin value is not documented
PHIEN_BAN = "1.0.6"
FIXED_INIT = {
    "LoaiBanTin": LOAI_BAN_TIN_INIT,
    "PhienBan": PHIEN_BAN,
    "LoaiHinhThanhToan": "PAY",
    "MaKenhThanhToan": "1",
    "MaThietBi": "1",
    "NgonNgu": "vi-VN",
    "MaTienTe": "VND",
    "MaNganHang": "PAYMENT",
}
# [U] The field that carries the browser's return address is not in DOMAIN.md §7 (TH keeps it
# in the platform's merchant configuration); the portal sends it as UrlTraVe, outside the hash.
RETURN_URL_FIELD = "UrlTraVe"

# --- result codes -----------------------------------------------------------------------------
MALOI_PAID = "00"  # DOMAIN.md §7
# [U] Only 00 is documented. The portal reads every other MaLoi as a failure, except the
# codes below, which it reads as the citizen cancelling; the sandbox sends 24 for "Hủy giao
# dịch" and 01 for "Thanh toán không thành công".
MALOI_CANCELLED = frozenset({"24"})
MALOI_FAILED_SANDBOX = "01"
TRANG_THAI_GD = {"1": Outcome.PAID, "3": Outcome.PENDING, "4": Outcome.FAILED}  # §7
QUERY_NOT_FOUND = "01"  # [U] the status check's "no such transaction" error_code

# Our answer to the platform's callback. [U] The expected answer format is not public; this is
# the portal's documented convention ({"error_code", "message"}, "0" = acknowledged, the same
# shape as DVCQG's other APIs in DOMAIN.md §8). Keep the mapping here so it can be made
# configurable when the platform's document is at hand.
ANSWERS = {
    Effect.OK: ("0", "Đã ghi nhận"),
    Effect.DUPLICATE: ("0", "Đã ghi nhận trước đó"),
    Effect.IGNORED: ("0", "Đã ghi nhận (giao dịch đã thanh toán trước đó)"),
    Effect.NOT_FOUND: ("01", "Không tìm thấy giao dịch"),
    Effect.BAD_MERCHANT: ("02", "Sai mã đối tác"),
    Effect.BAD_FORMAT: ("03", "Sai định dạng dữ liệu"),
    Effect.AMOUNT_MISMATCH: ("04", "Số tiền không khớp"),
    Effect.BAD_CURRENCY: ("05", "Sai loại tiền tệ"),
    Effect.BAD_SIGNATURE: ("97", "Sai mã xác thực"),
    Effect.ERROR: ("99", "Lỗi xử lý"),
}

SETTLEMENT_HEADER = ("txn_ref", "transaction_no", "amount", "pay_date", "bank_code", "status",
                     "fee")
SETTLEMENT_PAID = frozenset({"00", "1"})


# --- pure functions ---------------------------------------------------------------------------

def checksum(values: Iterable[str], secret: str) -> str:
    """MaXacThuc: lower-hex SHA-256 of "v1|v2|…|secret" (UTF-8)."""
    return hashlib.sha256("|".join([*map(str, values), secret]).encode("utf-8")).hexdigest()


def sign(message: dict, fields: Iterable[str], secret: str) -> str:
    return checksum([str(message.get(name, "")) for name in fields], secret)


def verify(message: dict, fields: Iterable[str], secret: str) -> bool:
    given = str(message.get("MaXacThuc") or "").strip().lower()
    return bool(given) and hmac.compare_digest(given, sign(message, fields, secret))


def format_time(moment: dt.datetime) -> str:
    return moment.astimezone(VN_TZ).strftime(TIME_FORMAT)


def parse_time(value: str) -> dt.datetime:
    """yyyyMMddHHmmss in GMT+7 → an aware datetime (ValueError when malformed)."""
    value = (value or "").strip()
    if len(value) != 14 or not value.isdigit():
        raise ValueError(f"ThoiGianGD không hợp lệ: {value!r}")
    return dt.datetime.strptime(value, TIME_FORMAT).replace(tzinfo=VN_TZ)


def _sandbox_prefix() -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + "/sandbox/"


def post_json(url: str, payload: dict, timeout=None) -> dict:
    """POST JSON and return the JSON answer. The built-in sandbox (PAYMENT_SANDBOX, URL under
    PORTAL_BASE_URL/sandbox/) is called in-process through django.test.Client: no network.
    Raises OSError (requests' errors are OSErrors) or ValueError for a non-JSON answer."""
    if settings.PAYMENT_SANDBOX and url.startswith(_sandbox_prefix()):
        from django.test import Client

        base = urlsplit(settings.PORTAL_BASE_URL)
        path = url[len(settings.PORTAL_BASE_URL.rstrip("/")):]
        client = Client(raise_request_exception=False, HTTP_HOST=base.netloc)
        response = client.post(path, data=json.dumps(payload), content_type="application/json",
                               secure=base.scheme == "https")
        if response.status_code != 200:
            raise OSError(f"sandbox answered HTTP {response.status_code}")
        return json.loads(response.content)
    import requests

    response = requests.post(url, json=payload,
                             timeout=timeout or settings.PAYMENT_HTTP_TIMEOUT)
    response.raise_for_status()
    return response.json()


def _get(params, name: str) -> str:
    value = params.get(name)
    if isinstance(value, list):  # a QueryDict turned into a dict of lists
        value = value[-1] if value else None
    return "" if value is None else str(value)


def _receipt_info(attempt) -> dict:
    """ThongTinBienLai: what the platform prints on the e-receipt (DOMAIN.md §7); the
    beneficiary account fields (TKThuHuong, MaNHThuHuong, TenTKThuHuong) and MaDVC/TenDVC
    come from the agency's merchant configuration, not yet modelled [U]."""
    order = attempt.order
    dossier = order.dossier
    procedure = dossier.procedure
    agency = order.agency
    code = dossier.code or f"HS{dossier.pk}"
    return {
        "MaDichVu": "2",
        "MaTTHC": procedure.national_code,
        "TenTTHC": procedure.name,
        "MaDonVi": agency.code,
        "TenDonVi": agency.name,
        "MaHoSo": code,
        "HoTenNguoiNop": dossier.submitter_name or dossier.owner_name,
        "SoCMNDNguoiNop": dossier.submitter_id_number or dossier.owner_id_number,
        "DiaChiNguoiNop": dossier.owner_address,
        "NoiDungThanhToan": f"Nộp phí, lệ phí hồ sơ {code}",
        "PhiLePhi": [
            {"LoaiPhiLePhi": item.get("kind", ""), "MaPhiLePhi": str(item.get("code", "")),
             "TenPhiLePhi": item.get("name", ""), "SoTien": int(item.get("amount") or 0)}
            for item in order.items
        ],
    }


class PaygovProvider:
    code = "paygov"
    online = True
    supports_query = True

    def __init__(self) -> None:
        self.merchant = settings.PAYGOV_MERCHANT
        self.secret = settings.PAYGOV_SECRET
        self.init_url = settings.PAYGOV_INIT_URL
        self.query_url = settings.PAYGOV_QUERY_URL

    def merchant_code(self) -> str:
        return self.merchant

    # --- INIT -----------------------------------------------------------------------------

    def init_message(self, attempt, *, client_ip: str, return_url: str) -> dict:
        """The signed INIT message of an attempt. ThoiGianGD is the attempt's creation time,
        so the status check can repeat it."""
        code = attempt.order.dossier.code or f"HS{attempt.order.dossier_id}"
        message = {
            **FIXED_INIT,
            "MaDoiTac": self.merchant,
            "MaThamChieu": attempt.txn_ref,
            "SoTien": str(int(attempt.amount)),
            "ThongTinGiaoDich": f"Nộp phí, lệ phí hồ sơ {code}",
            "ThoiGianGD": format_time(attempt.created_at),
            "Ip": client_ip or "",
        }
        message["MaXacThuc"] = sign(message, INIT_FIELDS, self.secret)
        message[RETURN_URL_FIELD] = return_url
        message["ThongTinBienLai"] = _receipt_info(attempt)
        return message

    def start(self, attempt, *, client_ip: str, return_url: str,
              locale: str = "vn") -> StartResult:
        message = self.init_message(attempt, client_ip=client_ip, return_url=return_url)
        try:
            answer = post_json(self.init_url, message)
        except (OSError, ValueError) as exc:
            logger.warning("paygov INIT %s failed: %s", attempt.txn_ref, exc)
            raise DomainError("payment_gateway_unavailable",
                              "Không kết nối được nền tảng thanh toán của Cổng Dịch vụ công "
                              "quốc gia. Vui lòng thử lại sau.", status_code=502) from exc
        if not isinstance(answer, dict):
            answer = {}
        code = str(answer.get("error_code", ""))
        if code != "0":
            raise DomainError("payment_gateway_refused",
                              f"Nền tảng thanh toán từ chối giao dịch (mã lỗi {code or '?'}).")
        url = str(answer.get("UrlThanhToan") or "")
        if (not verify(answer, INIT_ANSWER_FIELDS, self.secret)
                or answer.get("MaThamChieu") != attempt.txn_ref
                or urlsplit(url).scheme not in ("http", "https")):
            logger.warning("paygov INIT %s: answer does not verify: %r", attempt.txn_ref,
                           answer)
            raise DomainError("payment_gateway_refused",
                              "Nền tảng thanh toán trả lời không hợp lệ (sai mã xác thực).")
        return StartResult(redirect_url=url)

    # --- callback and return --------------------------------------------------------------

    def read_callback(self, params) -> ProviderResult:
        """A callback's fields (dict or QueryDict) → ProviderResult; ValueError when a field
        is missing or malformed; signature_ok tells whether MaXacThuc verifies."""
        message = {name: _get(params, name) for name in (*CALLBACK_FIELDS, "MaXacThuc")}
        missing = [n for n in ("MaLoi", "MaDoiTac", "MaThamChieu", "SoTien", "MaXacThuc")
                   if not message[n]]
        if missing:
            raise ValueError(f"thiếu trường {', '.join(missing)}")
        if not message["SoTien"].isdigit():
            raise ValueError(f"SoTien không hợp lệ: {message['SoTien']!r}")
        code = message["MaLoi"]
        if code == MALOI_PAID:
            outcome = Outcome.PAID
        elif code in MALOI_CANCELLED:
            outcome = Outcome.CANCELLED
        else:
            outcome = Outcome.FAILED
        at = parse_time(message["ThoiGianGD"]) if message["ThoiGianGD"] else None
        if outcome == Outcome.PAID and at is None:
            raise ValueError("thiếu ThoiGianGD")
        return ProviderResult(
            txn_ref=message["MaThamChieu"], outcome=outcome, amount=int(message["SoTien"]),
            signature_ok=verify(message, CALLBACK_FIELDS, self.secret),
            currency=message["MaTienTe"] or "VND", merchant=message["MaDoiTac"],
            provider_txn_id=message["MaGiaoDich"], bank_code=message["MaNganHang"],
            response_code=code, paid_at=at if outcome == Outcome.PAID else None, raw=message)

    def parse_notification(self, request: HttpRequest) -> ProviderResult:
        """The platform's callback: a POST with a JSON body or a form (both accepted)."""
        if request.method != "POST":
            raise ValueError("callback phải là POST")
        if (request.content_type or "").startswith("application/json"):
            try:
                params = json.loads(request.body or b"{}")
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ValueError("JSON không hợp lệ") from exc
            if not isinstance(params, dict):
                raise ValueError("JSON không phải một đối tượng")
        else:
            params = request.POST
        return self.read_callback(params)

    def verify_return(self, params) -> ProviderResult:
        """The browser's return (the same signed fields in the query string): display only."""
        return self.read_callback(params)

    def answer(self, effect: str) -> JsonResponse:
        code, message = ANSWERS.get(effect, ANSWERS[Effect.ERROR])
        return JsonResponse({"error_code": code, "message": message},
                            json_dumps_params={"ensure_ascii": False})

    # --- status check ---------------------------------------------------------------------

    def query_message(self, attempt) -> dict:
        message = {
            "LoaiBanTin": LOAI_BAN_TIN_QUERY,
            "PhienBan": PHIEN_BAN,
            "MaDoiTac": self.merchant,
            "MaThamChieu": attempt.txn_ref,
            "ThoiGianGD": format_time(attempt.created_at),  # the INIT's transaction time
        }
        message["MaXacThuc"] = sign(message, QUERY_FIELDS, self.secret)
        return message

    def query(self, attempt) -> ProviderResult:
        """Ask the platform (raises OSError/ValueError on network or format trouble, so the
        polling job retries later). An answer that does not verify → UNKNOWN with
        signature_ok=False: never evidence."""
        answer = post_json(self.query_url, self.query_message(attempt))
        if not isinstance(answer, dict):
            raise ValueError("câu trả lời không phải một đối tượng JSON")
        answer = {k: ("" if v is None else str(v)) for k, v in answer.items()
                  if not isinstance(v, dict | list)}
        code = answer.get("error_code", "")
        ok = verify(answer, QUERY_ANSWER_FIELDS, self.secret)
        amount = int(answer["SoTien"]) if answer.get("SoTien", "").isdigit() else None
        base = {"txn_ref": attempt.txn_ref, "raw": answer, "signature_ok": ok,
                "merchant": answer.get("MaDoiTac", ""),
                "currency": answer.get("MaTienTe") or "VND"}
        if not ok or answer.get("MaThamChieu") != attempt.txn_ref:
            return ProviderResult(outcome=Outcome.UNKNOWN, amount=None, response_code=code,
                                  **{**base, "signature_ok": False})
        if code == QUERY_NOT_FOUND:
            return ProviderResult(outcome=Outcome.NOT_FOUND, amount=None, response_code=code,
                                  **base)
        if code != "0":
            return ProviderResult(outcome=Outcome.UNKNOWN, amount=None, response_code=code,
                                  **base)
        state = answer.get("TrangThaiGD", "")
        outcome = TRANG_THAI_GD.get(state, Outcome.UNKNOWN)
        paid_at = None
        if outcome == Outcome.PAID and answer.get("ThoiGianGD"):
            paid_at = parse_time(answer["ThoiGianGD"])
        return ProviderResult(outcome=outcome, amount=amount, response_code=state,
                              provider_txn_id=answer.get("MaGiaoDich", ""),
                              bank_code=answer.get("MaNganHang", ""), paid_at=paid_at, **base)

    # --- settlement -----------------------------------------------------------------------

    def parse_settlement(self, fileobj: IO[bytes]) -> Iterable[SettlementLine]:
        """The same CSV as VNPay's (README): txn_ref,transaction_no,amount,pay_date,bank_code,
        status,fee; status "00" or "1" = paid; pay_date yyyyMMddHHmmss GMT+7. A formal đối
        soát spec of the platform was not found (DOMAIN.md §7, U)."""
        data = fileobj.read()
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        reader = csv.DictReader(io.StringIO(text))
        if tuple(h.strip() for h in (reader.fieldnames or ())) != SETTLEMENT_HEADER:
            raise ValueError(f"tiêu đề tệp đối soát không đúng: {reader.fieldnames!r}")
        lines = []
        for number, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            try:
                status = row["status"]
                lines.append(SettlementLine(
                    txn_ref=row["txn_ref"], provider_txn_id=row["transaction_no"],
                    amount=int(row["amount"]),
                    status="paid" if status in SETTLEMENT_PAID else status.lower(),
                    paid_at=parse_time(row["pay_date"]) if row["pay_date"] else None,
                    fee=int(row["fee"] or 0)))
            except (KeyError, ValueError) as exc:
                raise ValueError(f"dòng {number} của tệp đối soát không hợp lệ: {exc}") from exc
        return lines
