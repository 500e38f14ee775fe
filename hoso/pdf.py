"""WeasyPrint documents of a dossier: Mẫu 01, the receipt and appointment slip (giấy tiếp nhận
hồ sơ và hẹn trả kết quả), in the form version the dossier was received under (DOMAIN-2025.md
N49), with its tracking QR printed top-left (§7.2, N15).

Pure functions (STYLE.md §4.7): they read the dossier and return bytes or text, and never write.
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from hoso.choices import Action, ResultDelivery, SlipVersion
from hoso.notify import tracking_url
from portal.choices import TimeUnit
from tthc.pdf import StaticOnlyFetcher

RECEIPT_TITLE = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"

RECEIPT_TEMPLATES = {
    SlipVersion.TT01_2018: "pdf/receipt_tt01_2018.html",
    SlipVersion.TT03_2025: "pdf/receipt_tt03_2025.html",
}

TIME_UNIT_WORDS = {
    TimeUnit.WORKING_DAYS: "ngày làm việc",
    TimeUnit.WORKING_HOURS: "giờ làm việc",
    TimeUnit.CALENDAR_DAYS: "ngày",
}

_SEQUENCE = re.compile(r"-(\d+)$")


def _fetcher() -> StaticOnlyFetcher:
    return StaticOnlyFetcher(fail_on_errors=True)


def moment_text(value) -> str:
    """"08 giờ 05 phút, ngày 23/11/2026" in local time; "" when there is no time."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def _short_moment(value) -> str:
    return f"{timezone.localtime(value):%H:%M %d/%m/%Y}" if value is not None else ""


def processing_time_text(terms: dict) -> str:
    """The legal time limit of the snapshot: "3 ngày làm việc", "0,5 ngày làm việc"."""
    procedure = terms.get("procedure", {})
    raw = str(procedure.get("processing_time", "")).strip()
    if not raw:
        return ""
    number = raw.rstrip("0").rstrip(".") if "." in raw else raw
    unit = procedure.get("time_unit", "")
    return f"{number.replace('.', ',')} {TIME_UNIT_WORDS.get(unit, unit)}".strip()


def receipt_qr_text(dossier) -> str:
    """The QR payload: at least the document name, the dossier code, the TTHC code and the
    owner's identifier (TT 01/2023, DOMAIN-2025.md §7.2), plus both times, the system and the
    tracking link. Times are written "HH:MM dd/mm/yyyy" here, not in words as on the slip: every
    byte enlarges the symbol, and this payload fits version 13-M (0.38 mm modules at 28 mm)."""
    procedure = dossier.terms.get("procedure", {}) if dossier.terms else {}
    lines = [
        RECEIPT_TITLE,
        f"Mã hồ sơ: {dossier.code}",
        f"Mã TTHC: {procedure.get('national_code') or dossier.procedure.national_code}",
        f"Chủ hồ sơ: {dossier.owner_id_number}",
        f"Nhận: {_short_moment(dossier.received_at)}",
        f"Hẹn trả: {_short_moment(dossier.due_at)}",
        f"Hệ thống: {settings.PORTAL_SITE_NAME}",
        tracking_url(dossier),
    ]
    return "\n".join(lines)


def receipt_qr_png(dossier) -> str:
    """The QR as a PNG data URI: WeasyPrint places one image far faster than it draws the
    vector path of every module."""
    return qr_png(receipt_qr_text(dossier))


@functools.lru_cache(maxsize=256)
def qr_png(text: str) -> str:
    """A QR code of `text` as a PNG data URI, remembered per text (a receipt printed again
    carries the same code). Error correction M exactly (segno would raise it when the data
    leave room, ~3 ms more) and a fixed mask (the default search tries all eight, ~17 ms):
    both are as readable on paper for this payload."""
    qr = segno.make(text, error="m", micro=False, mask=0, boost_error=False)
    return qr.png_data_uri(scale=1, border=2)  # one pixel a module; scaled crisp in CSS


def _owner_differs(dossier) -> bool:
    submitter = dossier.submitter_name.strip()
    if not submitter:
        return False
    if submitter.casefold() != dossier.owner_name.strip().casefold():
        return True
    return bool(dossier.submitter_id_number) and (
        dossier.submitter_id_number != dossier.owner_id_number)


def _delivery_text(dossier) -> str:
    if dossier.result_delivery == ResultDelivery.POST:
        address = dossier.delivery_address or dossier.owner_address
        return f"Qua dịch vụ bưu chính, địa chỉ: {address}" if address else \
            "Qua dịch vụ bưu chính"
    if dossier.result_delivery == ResultDelivery.ONLINE:
        return f"Trực tuyến, bản điện tử trên {settings.PORTAL_SITE_NAME}"
    agency = dossier.receiving_agency
    place = f"Bộ phận Một cửa — {agency.name}"
    return f"{place}, {agency.address}" if agency.address else place


def _place() -> str:
    """The place in "…, ngày … tháng … năm …": the province, without "Tỉnh"/"Thành phố"."""
    name = settings.PORTAL_PROVINCE_NAME
    for prefix in ("Tỉnh ", "Thành phố ", "TP. "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def receipt_context(dossier) -> dict:
    """What the Mẫu 01 templates print. The submitter is "Tiếp nhận hồ sơ của" when someone
    files for the owner (then the owner is printed as "Chủ hồ sơ"), else the owner."""
    if not dossier.code or dossier.received_at is None:
        raise ValueError("Mẫu 01 is issued only for a received dossier (code and receipt time).")
    receiving, deciding = dossier.receiving_agency, dossier.deciding_agency
    received = timezone.localtime(dossier.received_at)
    sequence = _SEQUENCE.search(dossier.code)
    receive_event = dossier.events.filter(action=Action.RECEIVE).select_related("actor").first()
    officer = receive_event.actor if receive_event and receive_event.actor else None
    terms = dossier.terms or {}
    owner_differs = _owner_differs(dossier)
    return {
        "dossier": dossier,
        "procedure_name": terms.get("procedure", {}).get("name") or dossier.procedure.name,
        "receiving": receiving,
        "receiving_parent": receiving.parent,
        "deciding": deciding,
        "place": _place(),
        "received_local": received,
        "applicant_name": dossier.submitter_name.strip() or dossier.owner_name,
        "applicant_phone": dossier.submitter_phone if owner_differs else dossier.owner_phone,
        "applicant_id": dossier.submitter_id_number if owner_differs else dossier.owner_id_number,
        "applicant_address": "" if owner_differs else dossier.owner_address,
        "applicant_email": "" if owner_differs else dossier.owner_email,
        "owner_differs": owner_differs,
        "documents": list(dossier.documents.all()),
        "processing_time": processing_time_text(terms),
        "received_text": moment_text(dossier.received_at),
        "due_text": moment_text(dossier.due_at),
        "delivery_text": _delivery_text(dossier),
        "ledger_book": received.year,
        "ledger_number": int(sequence.group(1)) if sequence else "",
        "officer_name": officer.get_full_name() if officer else "",
        "qr_png": receipt_qr_png(dossier),
    }


def receipt_html(dossier) -> str:
    """Mẫu 01 as HTML, in the template of the dossier's slip version."""
    try:
        template = RECEIPT_TEMPLATES[dossier.slip_version]
    except KeyError:
        raise ValueError(f"no receipt template for slip version {dossier.slip_version!r}") \
            from None
    return render_to_string(template, receipt_context(dossier))


def render_receipt(dossier) -> bytes:
    """Mẫu 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả, as PDF."""
    font_config, stylesheets = receipt_styles()
    return HTML(string=receipt_html(dossier), url_fetcher=_fetcher()).write_pdf(
        font_config=font_config, stylesheets=stylesheets)


_styles = threading.local()


def receipt_styles() -> tuple[FontConfiguration, list[CSS]]:
    """The receipt's font faces and layout, parsed once per thread (with the font
    configuration that loaded the faces) instead of on every receipt: the desk prints one
    after each receipt. Per thread, because a font configuration is not shared safely."""
    if not hasattr(_styles, "value"):
        font_config = FontConfiguration()
        _styles.value = (font_config, [
            CSS(string=render_to_string("pdf/_fonts.css"), font_config=font_config,
                url_fetcher=_fetcher()),
            CSS(string=render_to_string("pdf/_receipt.css"), font_config=font_config,
                url_fetcher=_fetcher()),
        ])
    return _styles.value


# The baseline of bench/bench_receipt_pdf.py: a static one-page A4 administrative letter of
# the receipt's density (motto, title, labelled lines, a small table, signatures) in the same
# two fonts — what WeasyPrint alone costs for such a page, with no template, query or QR.
BARE_A4_TEMPLATE = Path(settings.BASE_DIR) / "templates" / "pdf" / "bare_a4.html"


def bare_a4_pdf() -> bytes:
    """The static one-page A4 baseline (templates/pdf/bare_a4.html) rendered by WeasyPrint."""
    return HTML(string=_bare_a4_html(), url_fetcher=_fetcher()).write_pdf()


@functools.cache
def _bare_a4_html() -> str:
    return BARE_A4_TEMPLATE.read_text(encoding="utf-8")


# --- Mẫu 02 (yêu cầu bổ sung, hoàn thiện) and Mẫu 03 (từ chối tiếp nhận) --------------------

NOTICES = {
    Action.REQUEST_COMPLETION: {
        "number": "02", "title": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        "reason_label": "Nội dung yêu cầu bổ sung, hoàn thiện", "signer": "NGƯỜI HƯỚNG DẪN"},
    Action.REJECT_INTAKE: {
        "number": "03", "title": "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        "reason_label": "Lý do từ chối", "signer": "NGƯỜI TỪ CHỐI"},
}
NOTICE_BASIS = {
    # TT 03/2025's exact form titles were not read [U] (DOMAIN.md §2): the TT 01/2018 titles
    # are kept, with the basis of the set in force on the day of the notice (N49).
    "tt01_2018": "Mẫu số %s ban hành kèm theo Thông tư số 01/2018/TT-VPCP ngày 23/11/2018",
    "tt03_2025": "Mẫu số %s — Phụ lục I Thông tư số 03/2025/TT-VPCP",
}


def notice_pdf(dossier, action: str) -> bytes:
    """Mẫu 02 or 03 for an online submission that was sent back or refused at intake."""
    from hoso.services.intake import slip_version_on

    form = NOTICES[action]
    event = (dossier.events.filter(action=action).select_related("actor", "agency")
             .order_by("-at").first())
    if event is None:
        raise ValueError(f"the dossier has no {action} event")
    version = slip_version_on(timezone.localdate(event.at))
    html = render_to_string("pdf/intake_notice.html", {
        "dossier": dossier, "form": form, "event": event,
        "issued_text": moment_text(event.at), "place": _place(),
        "agency": event.agency or dossier.receiving_agency,
        "officer_name": event.actor.get_full_name() if event.actor else "",
        "basis": NOTICE_BASIS[version] % form["number"],
    })
    return HTML(string=html, url_fetcher=_fetcher()).write_pdf()
