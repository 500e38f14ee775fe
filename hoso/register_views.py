"""The dossier register (Sổ theo dõi hồ sơ) for officers: a page of an agency's register over a
period and its XLSX download (hoso/register.py). The period is either from/to dates or a
reporting period (GRIS 15th–14th month, quarter, 6 or 9 months, year, or the calendar ones —
baocao.definitions.period_from_params). An agency where the officer may neither view dossiers
nor view reports is not found, like a missing one (STYLE.md §4.4)."""

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

from baocao.definitions import (
    CALENDAR,
    CUSTOM,
    GRIS,
    PERIOD_KIND_LABELS,
    PERIOD_KINDS,
    SYSTEM_LABELS,
    Period,
    period_from_params,
)
from hoso import register
from portal.errors import InvalidInput
from portal.models import Agency

VIEW_PERM = "portal.view_dossier"
NO_AGENCY = "Không tìm thấy cơ quan, đơn vị."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAD_DATE = gettext_lazy("Ngày không hợp lệ, vui lòng nhập theo dạng ngày/tháng/năm "
                        "(ví dụ 05/11/2026).")


REPORTING_SYSTEMS = (GRIS, CALENDAR)
PERIOD_KEYS = ("system", "kind", "number", "year")


class RegisterFilterForm(forms.Form):
    agency = forms.ChoiceField(label=gettext_lazy("Cơ quan, đơn vị tiếp nhận"))
    system = forms.ChoiceField(
        label=gettext_lazy("Cách tính kỳ"), required=False,
        choices=[(CUSTOM, SYSTEM_LABELS[CUSTOM]), (GRIS, SYSTEM_LABELS[GRIS]),
                 (CALENDAR, SYSTEM_LABELS[CALENDAR])])
    kind = forms.ChoiceField(label=gettext_lazy("Loại kỳ"), required=False,
                             choices=[(k, PERIOD_KIND_LABELS[k]) for k in PERIOD_KINDS])
    number = forms.ChoiceField(label=gettext_lazy("Số (tháng/quý/nửa năm)"), required=False,
                               choices=[(str(n), str(n)) for n in range(1, 13)])
    year = forms.CharField(label=gettext_lazy("Năm"), required=False, max_length=4,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}))
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
        self.period: Period | None = None
        if self.data.get("system") in REPORTING_SYSTEMS:  # the dates come from the period
            self.fields["date_from"].required = self.fields["date_to"].required = False

    def clean(self):
        data = super().clean()
        if data.get("system") in REPORTING_SYSTEMS:
            try:
                self.period = period_from_params({k: data.get(k) or "" for k in PERIOD_KEYS})
            except InvalidInput as exc:
                self.add_error("system", exc.message)
                return data
            for key in ("date_from", "date_to"):
                self.errors.pop(key, None)
            data["date_from"], data["date_to"] = self.period.first_day, self.period.last_day
            return data
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
    ids = register.register_agency_ids(request.user)
    agencies = list(Agency.objects.filter(pk__in=sorted(ids)).order_by("path")
                    .only("code", "name", "path", "depth")) if ids else []
    if not agencies:
        raise Http404(_(NO_AGENCY))
    first, last = _month_bounds(timezone.localdate())
    data = QueryDict(mutable=True)
    data.update({"agency": agencies[0].code, "date_from": first.isoformat(),
                 "date_to": last.isoformat(), "kind": "quarter", "number": "1",
                 "year": str(timezone.localdate().year)})
    # the report pages' custom range (from/to) reads as the register's dates
    for key, alias in (("date_from", "from"), ("date_to", "to")):
        if key not in request.GET and alias in request.GET:
            data[key] = request.GET[alias].strip()
    for key in ("agency", "date_from", "date_to", *PERIOD_KEYS):
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
        query_string = _query_string(form, agency)
    return render(request, "hoso/register.html", {
        "form": form, "agency": agency, "rows": rows, "truncated": truncated,
        "page_limit": register.PAGE_LIMIT, "columns": [h for h, _w in register.COLUMNS],
        "period": _period_text(form) if query_string else "",
        "query_string": query_string,
    }, status=status)


def _query_string(form: RegisterFilterForm, agency: Agency) -> str:
    params = QueryDict(mutable=True)
    params["agency"] = agency.code
    if form.period is not None:
        params.update({k: v for k, v in form.period.as_params().items() if k in PERIOD_KEYS})
    else:
        params.update({"date_from": form.cleaned_data["date_from"].isoformat(),
                       "date_to": form.cleaned_data["date_to"].isoformat()})
    return params.urlencode()


def _period_text(form: RegisterFilterForm) -> str:
    """"Quý IV/2026 (15/09/2026 – 14/12/2026)" for a reporting period, else "Từ ngày … đến
    ngày …"."""
    if form.period is not None:
        return form.period.label
    return register.period_text(form.cleaned_data["date_from"], form.cleaned_data["date_to"])


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
                            register.iter_register_rows(request.user, agency, start, end),
                            label=form.period.label if form.period else "")
    out.seek(0)
    return FileResponse(out, as_attachment=True, content_type=XLSX,
                        filename=register.excel_filename(agency, start, end))
