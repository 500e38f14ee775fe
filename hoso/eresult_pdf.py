"""The PDF of an electronic result (DOMAIN-2025.md §7.2, N35–N37), before it is signed: the
procedure's own result template (`Procedure.result_template`, the body) or the generic one,
framed by the agency header, the verification QR top left and the N37 footer on every page.

Rendered as Mẫu 01 is (hoso/pdf.py: shared faces, static-only fetcher, stylesheets parsed once
per thread). Pure functions (STYLE.md §4.7): they read and return bytes, and never write. The
layout also tells where the signature's visible field goes: the box #signature-box.
"""

from __future__ import annotations

import threading
from urllib.parse import quote, urlencode

from django.conf import settings
from django.template import TemplateSyntaxError, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from hoso.models import Result
from hoso.pdf import _fetcher, _place, qr_png
from hoso.signing import FieldBox
from portal.errors import InvalidInput
from portal.models import User
from tthc.eforms import labelled_answers

STAMP_ANCHOR = "signature-box"
STAMP_MM = (62, 22)  # the .stamp-box of pdf/_eresult.css
PT_PER_PX = 0.75  # WeasyPrint lays out in CSS pixels (96 per inch), PDF counts 72 points
PT_PER_MM = 72 / 25.4
SIGNER_TITLE = "Lãnh đạo cơ quan"
TEMPLATE_BROKEN = ("Mẫu kết quả điện tử của thủ tục có lỗi (%(error)s); vui lòng báo quản trị "
                   "danh mục thủ tục hành chính sửa mẫu.")


def verify_address() -> str:
    """The public page where a code printed on paper is checked (N37)."""
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("hoso:verify_form")


def verify_url(result: Result) -> str:
    """The QR's address: the result's verification page, plus the QR contents of TT 01/2023
    (dossier code, TTHC code, owner's identifier, document name) in the fragment, which the
    browser keeps to itself."""
    dossier = result.dossier
    procedure = (dossier.terms or {}).get("procedure", {})
    fragment = urlencode({
        "dossier": dossier.code or "",
        "procedure": procedure.get("national_code") or dossier.procedure.national_code,
        "owner": dossier.owner_id_number,
        "document": result.name,
    }, quote_via=quote)
    path = reverse("hoso:verify_result", args=[result.verify_token])
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}#{fragment}"


def eresult_context(result: Result, leader: User) -> dict:
    dossier = result.dossier
    agency = result.issuing_agency or dossier.deciding_agency
    terms = dossier.terms or {}
    procedure = terms.get("procedure", {})
    schema = terms.get("eform_schema") or dossier.procedure.eform_schema
    context = {
        "result": result, "dossier": dossier, "agency": agency,
        "agency_parent": agency.parent,
        "procedure_name": procedure.get("name") or dossier.procedure.name,
        "national_code": procedure.get("national_code") or dossier.procedure.national_code,
        "answers": labelled_answers(schema, dossier.form_data),
        "place": _place(), "site_name": settings.PORTAL_SITE_NAME,
        "verify_address": verify_address(), "qr_png": qr_png(verify_url(result)),
        "leader_name": leader.full_name or leader.username, "signer_title": SIGNER_TITLE,
    }
    context["body"] = _custom_body(dossier.procedure.result_template, context)
    return context


def _custom_body(source: str, context: dict) -> str:
    """The procedure's own body (a Django template with `dossier`, `result`, `agency`)."""
    if not (source or "").strip():
        return ""
    try:
        template = engines["django"].from_string(source)
    except TemplateSyntaxError as exc:
        raise InvalidInput("result_template_broken",
                           _(TEMPLATE_BROKEN) % {"error": str(exc)[:200]}) from exc
    return mark_safe(template.render(context))  # noqa: S308 — written by catalogue admins


def eresult_html(result: Result, leader: User) -> str:
    return render_to_string("pdf/eresult.html", eresult_context(result, leader))


def render_eresult(result: Result, leader: User) -> tuple[bytes, FieldBox]:
    """The unsigned PDF and where its signature goes."""
    font_config, stylesheets = eresult_styles()
    document = HTML(string=eresult_html(result, leader), url_fetcher=_fetcher()).render(
        font_config=font_config, stylesheets=stylesheets)
    return document.write_pdf(), stamp_box(document)


def stamp_box(document) -> FieldBox:
    """The #signature-box of the laid-out document, in PDF points from the page's bottom left
    (bottom right of the last page when a custom body left it out)."""
    for number, page in enumerate(document.pages):
        if STAMP_ANCHOR in page.anchors:
            left, top, right, bottom = (v * PT_PER_PX for v in page.anchors[STAMP_ANCHOR])
            page_height = page.height * PT_PER_PX
            return FieldBox(page=number, x1=left, y1=page_height - bottom, x2=right,
                            y2=page_height - top)
    width, height = (size * PT_PER_MM for size in STAMP_MM)
    right = document.pages[-1].width * PT_PER_PX - 15 * PT_PER_MM
    return FieldBox(page=-1, x1=right - width, y1=30 * PT_PER_MM, x2=right,
                    y2=30 * PT_PER_MM + height)


_styles = threading.local()


def eresult_styles() -> tuple[FontConfiguration, list[CSS]]:
    """The font faces and layout, parsed once per thread (as hoso.pdf.receipt_styles)."""
    if not hasattr(_styles, "value"):
        font_config = FontConfiguration()
        _styles.value = (font_config, [
            CSS(string=render_to_string("pdf/_fonts.css"), font_config=font_config,
                url_fetcher=_fetcher()),
            CSS(string=render_to_string("pdf/_eresult.css"), font_config=font_config,
                url_fetcher=_fetcher()),
        ])
    return _styles.value
