"""Biên lai điện tử (DOMAIN.md §7: phí and lệ phí on separate receipts): the PDF of one
Receipt, rendered with WeasyPrint in the shared fonts (hoso/pdf.py), and the Vietnamese words
of an amount ("Bằng chữ"). Pure functions (STYLE.md §4.7): they read and return bytes."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from hoso.pdf import _fetcher, _place
from thanhtoan.choices import Method, Provider
from thanhtoan.models import Receipt
from tthc.choices import FeeKind

TITLES = {FeeKind.FEE: "BIÊN LAI THU PHÍ", FeeKind.CHARGE: "BIÊN LAI THU LỆ PHÍ"}
TEMPLATE = "pdf/receipt.html"

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES = ("", "nghìn", "triệu", "tỷ")


def money(amount: int) -> str:
    """1250000 → "1.250.000 đ" (dots between thousands, as Vietnamese writes them)."""
    return f"{amount:,} đ".replace(",", ".")


def _triple(n: int, *, full: bool) -> str:
    """Words of 0 < n < 1000; `full` when a higher group precedes it (then "không trăm",
    "lẻ" are spoken: 1.000.005 → "một triệu không trăm lẻ năm")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("lẻ")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        elif units == 4 and tens >= 2:
            words.append("tư")
        else:
            words.append(_DIGITS[units])
    return " ".join(words)


def _number_words(n: int) -> str:
    if n == 0:
        return "không"
    if n >= 1000 ** 3:  # "tỷ" repeats: 2.000.000.000.000 = "hai nghìn tỷ"
        high, low = divmod(n, 1000 ** 3)
        words = f"{_number_words(high)} tỷ"
        return f"{words} {_below_billion(low, full=True)}".strip() if low else words
    return _below_billion(n, full=False)


def _below_billion(n: int, *, full: bool) -> str:
    groups = [n // 1000 ** 2 % 1000, n // 1000 % 1000, n % 1000]
    words: list[str] = []
    for index, group in enumerate(groups):
        if group == 0:
            continue
        spoken = _triple(group, full=full or bool(words))
        words.append(f"{spoken} {_SCALES[2 - index]}".strip())
    return " ".join(words)


def amount_in_words(n: int) -> str:
    """1250000 → "Một triệu hai trăm năm mươi nghìn đồng" (the "Bằng chữ" line)."""
    if n < 0:
        raise ValueError("amount must not be negative")
    text = f"{_number_words(n)} đồng"
    return text[0].upper() + text[1:]


def _method_text(receipt: Receipt, provider: str) -> str:
    method = str(Method(receipt.method).label) if receipt.method else ""
    if provider and provider not in (Provider.CASH, Provider.TRANSFER):
        return f"{method} ({Provider(provider).label})"
    return method


def receipt_context(receipt: Receipt) -> dict:
    order = receipt.order
    dossier = order.dossier
    attempt = order.paid_attempt
    terms = dossier.terms or {}
    procedure_name = terms.get("procedure", {}).get("name") or dossier.procedure.name
    issued = timezone.localtime(receipt.issued_at)
    return {
        "receipt": receipt,
        "title": TITLES.get(receipt.kind, "BIÊN LAI THU TIỀN"),
        "kind_label": str(FeeKind(receipt.kind).label),
        "agency": receipt.agency,
        "agency_parent": receipt.agency.parent,
        "number": f"{receipt.number:07d}",
        "payer": receipt.payer_name,
        "payer_address": dossier.owner_address,
        "dossier_code": dossier.code or "",
        "procedure_name": procedure_name,
        "items": [{"name": i.get("name", ""), "amount": money(int(i["amount"]))}
                  for i in receipt.items],
        "total": money(receipt.amount),
        "total_words": amount_in_words(receipt.amount),
        "method": _method_text(receipt, attempt.provider if attempt else ""),
        "date": f"{issued:%d/%m/%Y}",
        "date_words": f"ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}",
        "place": _place(),
        "txn_ref": attempt.txn_ref if attempt else "",
        "provider_txn_id": attempt.provider_txn_id if attempt else "",
        "collector": attempt.actor.get_full_name() if attempt and attempt.actor else "",
        "site_name": settings.PORTAL_SITE_NAME,
    }


def receipt_html(receipt: Receipt) -> str:
    return render_to_string(TEMPLATE, receipt_context(receipt))


def receipt_document(receipt: Receipt):
    """The laid-out WeasyPrint document (its pages can be counted)."""
    return HTML(string=receipt_html(receipt), url_fetcher=_fetcher()).render()


def render_receipt(receipt: Receipt) -> bytes:
    """Biên lai thu phí / lệ phí as a one-page A5 PDF."""
    return receipt_document(receipt).write_pdf()


def load_receipt(receipt_id: int) -> Receipt | None:
    """The receipt with what its PDF prints, in one query."""
    return (Receipt.objects.select_related(
        "agency", "order__dossier__procedure", "order__paid_attempt__actor")
        .filter(pk=receipt_id).first())
