"""Public catalogue pages: search, procedure page, blank form, statistics."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal.choices import AgencyLevel
from tthc import selectors
from tthc.choices import ServiceMode
from tthc.eforms import EForm
from tthc.pdf import render_blank_form

PAGE_SIZE = 20


def _filter_from(request: HttpRequest) -> selectors.CatalogueFilter:
    get = request.GET
    return selectors.CatalogueFilter(
        query=get.get("q", "")[:200], field=get.get("linh_vuc", ""), level=get.get("cap", ""),
        agency=get.get("co_quan", ""), service_mode=get.get("muc_do", ""))


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    flt = _filter_from(request)
    page = Paginator(selectors.search_procedures(flt), PAGE_SIZE).get_page(request.GET.get("trang"))
    params = request.GET.copy()
    params.pop("trang", None)
    return render(request, "tthc/catalogue.html", {
        "filter": flt,
        "page": page,
        "query_string": params.urlencode(),
        "fields": selectors.fields_with_counts(),
        "levels": AgencyLevel.choices,
        "modes": ServiceMode.choices,
    })


def _published_or_404(national_code: str):
    procedure = selectors.procedure_detail(national_code)
    if procedure is None:
        raise Http404(_("Không tìm thấy thủ tục có mã “%(code)s” hoặc thủ tục đã hết hiệu lực.")
                      % {"code": national_code})
    return procedure


@require_GET
def procedure_detail(request: HttpRequest, national_code: str) -> HttpResponse:
    procedure = _published_or_404(national_code)
    return render(request, "tthc/procedure_detail.html", {
        "procedure": procedure,
        **fee_table(procedure),
        "eform": EForm(procedure.eform_schema) if procedure.eform_schema else None,
        "agencies": selectors.agencies_carrying_out(procedure)[:30],
    })


def fee_table(procedure) -> dict:
    """Today's fee quote for the desk and, when the procedure accepts it, online: one row per
    item in force, with both amounts side by side (thanhtoan.fees, as everywhere else)."""
    from hoso.choices import Channel
    from thanhtoan.fees import quote

    desk = quote(procedure, Channel.DIRECT)
    online = quote(procedure, Channel.ONLINE) if procedure.accepts_online else None
    rows = [{"line": line, "online": online.lines[i] if online else None}
            for i, line in enumerate(desk.lines)]
    return {"fee_quote": desk, "online_quote": online, "fee_rows": rows,
            "has_discount": any(r["online"] and r["online"].discount for r in rows)}


@require_GET
def blank_form(request: HttpRequest, national_code: str) -> HttpResponse:
    """The application form as a printable PDF, generated from the e-form."""
    procedure = _published_or_404(national_code)
    if not procedure.eform_schema:
        raise Http404(_("Thủ tục này không có tờ khai điện tử."))
    response = HttpResponse(render_blank_form(procedure), content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename=\"to-khai-{procedure.national_code}.pdf\"")
    return response


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    return render(request, "tthc/statistics.html", {
        "stats": selectors.catalogue_stats(),
        "fields": selectors.fields_with_counts(),
    })
