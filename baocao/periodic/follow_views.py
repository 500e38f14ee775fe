"""Pages for those who follow periodic reports (issue 10, `view_reports`): the periods with
"Đã gửi x/N", the completion of one period (who has sent, who is late, who has not started)
with reminders at one click, the aggregate of an agency subtree with its XLSX/PDF, and the
trend of one indicator across periods. Each page reads only the viewer's agencies.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from baocao.models import ReportForm, ReportingPeriod, ReportVersion, ValueType
from baocao.periodic import exports, reminders, selectors, validation
from baocao.periodic.views import (
    NOT_FOUND,
    PAGE_SIZE,
    VIEW,
    download,
    grid_sections,
    header_rows,
    lead_headings,
    period_for,
    shown_value,
    viewer_required,
)
from portal.models import Agency
from portal.permissions import agencies_with_perm, agency_ids_with_perm

COMPLETION_PAGE_SIZE = 200  # a province's communes on one page (Khánh Hòa: 111)
AGENCY_CHOICES = 1000
TREND_PERIODS = 12

AGENCY_NOT_YOURS = "Đơn vị đã chọn không thuộc phạm vi Ông/Bà được xem báo cáo."
REMINDED = "Đã gửi nhắc nộp báo cáo tới %(count)s đơn vị."
NOTHING_TO_REMIND = "Không có đơn vị nào cần nhắc: mọi đơn vị đã gửi báo cáo."
BUCKET_BADGES = {selectors.SENT: "left-green", selectors.AWAITING: "left-amber",
                 selectors.DRAFTING: "left-amber", selectors.NOT_STARTED: "left-red"}


# --- periods and completion --------------------------------------------------------------------

@require_GET
@viewer_required
def periods(request: HttpRequest) -> HttpResponse:
    """The periods the viewer follows, newest first, each with "Đã gửi x/N", late and not
    started; one page of 50 in a constant number of queries (one grouped count)."""
    listed = selectors.periods_visible_to(request.user)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("trang"))
    on_page = list(page.object_list)
    counts = selectors.completion(on_page, request.user) if on_page else {}
    return render(request, "baocao/periodic/periods.html", {
        "page": page, "rows": [{"period": p, "done": counts.get(p.pk)} for p in on_page],
        "now": timezone.now()})


@require_GET
@viewer_required
def completion(request: HttpRequest, period_id: int) -> HttpResponse:
    """Who has sent the period's report, who is late, who has not started ("Đã gửi
    75/111"), one row per assigned agency the viewer follows, with reminders at one click."""
    period = period_for(request.user, period_id)
    wanted = request.GET.get("loc", "")
    if wanted not in (*selectors.BUCKET_LABELS, selectors.LATE):
        wanted = ""
    rows = selectors.completion_rows(period, request.user, bucket=wanted or None)
    page = Paginator(rows, COMPLETION_PAGE_SIZE).get_page(request.GET.get("trang"))
    done = selectors.completion(period, request.user)
    return render(request, "baocao/periodic/completion.html", {
        "period": period, "form": period.assignment.form, "done": done, "page": page,
        "rows": [{"report": r, "label": selectors.bucket_label(r.bucket),
                  "badge": BUCKET_BADGES.get(r.bucket, "")} for r in page.object_list],
        "wanted": wanted, "filters": [*selectors.BUCKET_LABELS.items(),
                                      (selectors.LATE, "Trễ hạn")],
        "aggregate_agencies": _aggregate_choices(period, request.user),
        "may_remind": done.unsent > 0,
    })


def _aggregate_choices(period: ReportingPeriod, user) -> list[Agency]:
    """The agencies whose subtree may be aggregated: the viewer's agencies that are, or lie
    above, an assigned agency (two queries)."""
    viewable = agency_ids_with_perm(user, VIEW)
    paths = period.reports.values_list("agency__path", flat=True)
    prefixes = {path[:end] for path in paths
                for end in range(Agency.steplen, len(path) + 1, Agency.steplen)}
    if not prefixes:
        return []
    return [a for a in Agency.objects.filter(path__in=sorted(prefixes))
            .only("name", "path", "depth").order_by("path") if a.pk in viewable]


@require_POST
@viewer_required
def remind(request: HttpRequest, period_id: int) -> HttpResponse:
    """Remind one agency (`report`) or every agency that has not sent yet, within the
    viewer's agencies; the service records each reminder and writes the notifications."""
    period = period_for(request.user, period_id)
    waiting = period.reports.filter(current_version__isnull=True,
                                    agency__in=agencies_with_perm(request.user, VIEW))
    raw = request.POST.get("report", "")
    if raw:
        waiting = waiting.filter(pk=int(raw) if raw.isdigit() else 0)
    reports = list(waiting.select_related("agency", "period"))
    if raw and not reports:
        raise Http404(NOT_FOUND)
    if not reports:
        messages.info(request, NOTHING_TO_REMIND)
    else:
        count = reminders.remind(reports=reports, by=request.user, kind="manual")
        messages.success(request, REMINDED % {"count": count})
    return redirect(reverse("baocao:periodic_completion", args=[period.pk])
                    + (f"?loc={request.POST['loc']}" if request.POST.get("loc") in
                       selectors.BUCKET_LABELS else ""))


def _viewable_agency(user, agency_id: int) -> Agency:
    if agency_id not in agency_ids_with_perm(user, VIEW):
        raise Http404(AGENCY_NOT_YOURS)
    return get_object_or_404(Agency, pk=agency_id)


@require_GET
@viewer_required
def aggregate(request: HttpRequest, period_id: int, agency_id: int) -> HttpResponse:
    """The sent reports of an agency's subtree combined cell by cell (sum or average, per the
    cell's rule), the agencies counted and missing, and the XLSX/PDF files (?xuat=xlsx|pdf)."""
    period = period_for(request.user, period_id)
    agency = _viewable_agency(request.user, agency_id)
    fmt = request.GET.get("xuat", "")
    if fmt in ("xlsx", "pdf"):
        maker = exports.aggregate_xlsx if fmt == "xlsx" else exports.aggregate_pdf
        return download(maker(period, agency, request.user), exports.file_name(
            form=period.assignment.form, agency=agency, period=period, fmt=fmt), fmt)
    found = selectors.aggregate(period, agency, request.user)
    form = (ReportForm.objects.prefetch_related("columns", "rows")
            .get(pk=period.assignment.form_id))
    names = found["agencies"]
    return render(request, "baocao/periodic/aggregate.html", {
        "period": period, "form": form, "agency": agency,
        "grid": _aggregate_grid(form, found),
        "included": [names[pk] for pk in found["included"]],
        "missing": [names[pk] for pk in found["missing"]],
        "choices": _aggregate_choices(period, request.user),
    })


def _aggregate_grid(form: ReportForm, found: dict) -> dict:
    columns = list(form.columns.all())
    lead = lead_headings(form)
    fixed = {r.code: r for r in form.rows.all()}
    values = found["values"]
    rows = []
    for row in found["rows"]:
        code = str(row["code"])
        source = fixed.get(code, row)
        rows.append({"code": code, "label": row.get("label") or code,
                     "section": row.get("section", ""), "unit": row.get("unit", ""),
                     "number": row.get("number", ""), "total": code == exports.TOTAL_ROW,
                     "cells": [{"shown": shown_value(values.get(code, {}).get(c.code),
                                                validation.cell_rule(form, source, c)),
                                "is_number": validation.cell_rule(form, source, c).is_number}
                               for c in columns]})
    return {"header": header_rows(columns, lead), "sections": grid_sections(rows),
            "indicators": form.layout == ReportForm.Layout.INDICATORS, "editable": False,
            "width": len(lead) + len(columns)}


@require_GET
@viewer_required
def trend(request: HttpRequest) -> HttpResponse:
    """One cell (an indicator) of a form across its last periods for one agency's subtree:
    a line chart (the vendored Chart.js) and the same figures in a table."""
    user = request.user
    forms_ = list(ReportForm.objects.filter(assignments__isnull=False).distinct()
                  .prefetch_related("columns", "rows").order_by("code"))
    chosen = _pick(forms_, request.GET.get("bieu"))
    agencies = list(Agency.objects.filter(pk__in=sorted(agency_ids_with_perm(user, VIEW)))
                    .only("name", "path", "depth").order_by("path")[:AGENCY_CHOICES])
    raw_agency = request.GET.get("co_quan", "")
    if raw_agency:
        agency = _viewable_agency(user, int(raw_agency) if raw_agency.isdigit() else 0)
    else:
        agency = agencies[0] if agencies else None
    context: dict = {"forms": forms_, "chosen": chosen, "agencies": agencies,
                     "agency": agency, "rows": [], "columns": [], "row": None,
                     "column": None, "points": [], "chart": None, "periods": TREND_PERIODS}
    if chosen is None:
        return render(request, "baocao/periodic/trend.html", context)
    rows = _trend_rows(chosen)
    columns = [c for c in chosen.columns.all() if c.value_type != ValueType.TEXT]
    row = _pick_code(rows, request.GET.get("dong"))
    column = _pick_code(columns, request.GET.get("cot"))
    context.update({"rows": rows, "columns": columns, "row": row, "column": column})
    if agency is None or row is None or column is None:
        return render(request, "baocao/periodic/trend.html", context)
    points = selectors.trend(chosen, row["code"], column.code, agency, user,
                             periods=TREND_PERIODS)
    rule = validation.cell_rule(chosen, row["source"], column)
    label = row["label"] + (f" — {column.heading}" if len(columns) > 1 else "")
    context.update({
        "points": [{"point": p, "shown": shown_value(p.value, rule)} for p in points],
        "series_label": label, "unit": row.get("unit", ""),
        "chart": {"labels": [_short_label(p.label) for p in points], "series": [{
            "label": label, "rate": rule.value_type == ValueType.PERCENT,
            "data": [None if p.value is None else float(p.value) for p in points]}]},
    })
    return render(request, "baocao/periodic/trend.html", context)


def _trend_rows(form: ReportForm) -> list[dict]:
    """The rows a trend can follow: the form's indicators, or for a computable form the rows
    of its latest sent version (fields by level and the total)."""
    fixed = [r for r in form.rows.all() if r.value_type != ValueType.TEXT
             or form.layout != ReportForm.Layout.INDICATORS]
    if fixed:
        return [{"code": r.code, "label": r.label, "unit": r.unit, "source": r} for r in fixed]
    latest = (ReportVersion.objects.filter(report__period__assignment__form=form,
                                           status=ReportVersion.Status.APPROVED)
              .order_by("-pk").values_list("rows", flat=True).first()) or []
    return [{"code": str(r["code"]), "label": r.get("label") or str(r["code"]), "unit": "",
             "source": r} for r in latest]


def _short_label(label: str) -> str:
    """"Quý IV/2026 (15/09/2026 – 14/12/2026)" → "Quý IV/2026" for the chart's axis."""
    return label.split(" (", 1)[0]


def _pick(items: list, raw: str | None):
    """The item of that pk, or the first when nothing was asked for."""
    if not raw:
        return items[0] if items else None
    return next((i for i in items if str(i.pk) == raw), None)


def _pick_code(items: list, raw: str | None):
    def code(item):
        return item["code"] if isinstance(item, dict) else item.code

    if raw:
        return next((i for i in items if code(i) == raw), None)
    return items[0] if items else None
