"""The dossier register (Sổ theo dõi hồ sơ) for officers: a page of an agency's register over a
period and its XLSX download (hoso/register.py). An agency where the officer may not view
dossiers is not found, like a missing one (STYLE.md §4.4)."""

from __future__ import annotations

import datetime as dt
import tempfile

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hoso import register
from portal.models import Agency
from portal.permissions import agencies_with_perm

VIEW_PERM = "portal.view_dossier"
NO_AGENCY = "Không tìm thấy cơ quan, đơn vị."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAD_DATE = gettext_lazy("Ngày không hợp lệ, vui lòng nhập theo dạng ngày/tháng/năm "
                        "(ví dụ 05/11/2026).")


class RegisterFilterForm(forms.Form):
    agency = forms.ChoiceField(label=gettext_lazy("Cơ quan, đơn vị tiếp nhận"))
    date_from = forms.DateField(
        label=gettext_lazy("Từ ngày"), widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": BAD_DATE,
                        "required": gettext_lazy("Vui lòng nhập ngày bắt đầu.")})
    date_to = forms.DateField(
        label=gettext_lazy("Đến ngày"), widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": BAD_DATE,
                        "required": gettext_lazy("Vui lòng nhập ngày kết thúc.")})

    def __init__(self, *args, agencies: list[Agency], **kwargs):
        super().__init__(*args, **kwargs)
        top = min(a.depth for a in agencies)
        self.fields["agency"].choices = [
            (a.code, "— " * (a.depth - top) + a.name) for a in agencies]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("Đến ngày phải sau hoặc bằng từ ngày."))
        return data


def _month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    first = today.replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    return first, next_month - dt.timedelta(days=1)


def _filter(request: HttpRequest) -> tuple[RegisterFilterForm, Agency | None]:
    """The bound form (defaults: the officer's first agency, the current month) and the
    agency asked for; 404 when the officer may not view dossiers there."""
    agencies = list(agencies_with_perm(request.user, VIEW_PERM).order_by("path")
                    .only("code", "name", "path", "depth"))
    if not agencies:
        raise Http404(_(NO_AGENCY))
    first, last = _month_bounds(timezone.localdate())
    data = QueryDict(mutable=True)
    data.update({"agency": agencies[0].code, "date_from": first.isoformat(),
                 "date_to": last.isoformat()})
    for key in ("agency", "date_from", "date_to"):
        if key in request.GET:
            data[key] = request.GET[key].strip()
    agency = next((a for a in agencies if a.code == data["agency"]), None)
    if agency is None:
        raise Http404(_(NO_AGENCY))
    return RegisterFilterForm(data, agencies=agencies), agency


def _page(request: HttpRequest, form: RegisterFilterForm, agency: Agency,
          status: int = 200) -> HttpResponse:
    rows: list[register.RegisterRow] = []
    truncated = False
    query_string = ""
    if form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        rows = register.register_rows(request.user, agency, start, end,
                                      limit=register.PAGE_LIMIT + 1)
        truncated = len(rows) > register.PAGE_LIMIT
        rows = rows[:register.PAGE_LIMIT]
        params = QueryDict(mutable=True)
        params.update({"agency": agency.code, "date_from": start.isoformat(),
                       "date_to": end.isoformat()})
        query_string = params.urlencode()
    return render(request, "hoso/register.html", {
        "form": form, "agency": agency, "rows": rows, "truncated": truncated,
        "page_limit": register.PAGE_LIMIT, "columns": [h for h, _w in register.COLUMNS],
        "period": register.period_text(form.cleaned_data["date_from"],
                                       form.cleaned_data["date_to"]) if query_string else "",
        "query_string": query_string,
    }, status=status)


@require_GET
@login_required
@never_cache
def register_page(request: HttpRequest) -> HttpResponse:
    form, agency = _filter(request)
    return _page(request, form, agency)


@require_GET
@login_required
@never_cache
def register_excel(request: HttpRequest) -> HttpResponse:
    form, agency = _filter(request)
    if not form.is_valid():
        return _page(request, form, agency, status=400)
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    out = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it once sent
    register.write_workbook(out, agency, start, end,
                            register.iter_register_rows(request.user, agency, start, end))
    out.seek(0)
    return FileResponse(out, as_attachment=True, content_type=XLSX,
                        filename=register.excel_filename(agency, start, end))
