"""The KPI dashboards (issue 9 item 6): the overview of the viewer's agencies and the
drill-down province → district/commune → procedure → dossier list; a headline KPI links to the
dossiers behind its numerator and denominator (baocao.kpi_views.kpi_drilldown).

Every number comes from baocao.kpis (the same functions as the snapshots and the official
reports) or from the column definitions of baocao.definitions, so a dashboard cannot disagree
with a report. A page costs a constant number of queries whatever the number of agencies or
dossiers: the viewer's agencies are loaded once, each headline KPI is one aggregate, the
ranking one set-based pass (kpis.compute_by_agency), the trend one query on KpiSnapshot and the
per-procedure table one GROUP BY.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from baocao import definitions as defs
from baocao import kpis, report_jobs
from baocao.models import KpiSnapshot, ReportJob, SnapshotRun
from hoso.models import Dossier
from portal.choices import Role
from portal.errors import DomainError, InvalidInput
from portal.models import Agency
from portal.permissions import agency_ids_with_perm
from portal.views import role_required

PERM = "portal.view_reports"
PAGE_SIZE = 50
TREND_RUNS = 12
# The headline rates and their order on the page (targets come from the Kpi objects): share
# of dossiers submitted online, of online procedures that received a dossier, digitisation of
# dossiers, on-time resolution. An id missing from kpis.KPIS is left out.
# the seeds' four headline rates, and the plan's share of periodic reports sent online (≥ 50 %)
HEADLINE_KPIS = ("online_dossiers", "online_procedures_with_dossiers", "digitised_dossiers",
                 "on_time", "reports_online")
DEFAULT_RANKING_KPI = "on_time"

PERIOD_KEYS = ("system", "kind", "year", "number", "from", "to")
COMPARE_PREFIX = "b_"

# The per-procedure table: column id → (heading, the dossiers it counts). "Đúng hạn" is
# (8) + (9) of the handling report: early or on time.
PROCEDURE_COLUMNS: dict[str, tuple[str, object]] = {
    "received": ("Tiếp nhận trong kỳ", defs.received_in),
    "online": ("Trong đó trực tuyến", defs.received_online_in),
    "resolved": ("Đã giải quyết", defs.resolved),
    "on_time": ("Giải quyết đúng hạn", lambda p: defs.resolved_early(p) | defs.resolved_on_time(p)),
    "overdue": ("Đang giải quyết quá hạn", defs.in_progress_overdue),
}

NOT_YOUR_AGENCY = "Không tìm thấy cơ quan trong phạm vi Ông/Bà được xem báo cáo."
UNKNOWN_COLUMN = "Cột số liệu không hợp lệ."


# --- formatting (vi-VN: 1.250 and 87,5 %) ------------------------------------------------------

def vi_number(value, places: int = 0) -> str:
    """1250 → "1.250"; Decimal("87.5"), 1 → "87,5" (trailing zeros dropped)."""
    if value is None:
        return "—"
    text = f"{Decimal(value):,.{places}f}"
    if places:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def is_rate(kpi) -> bool:
    return str(getattr(kpi, "unit", "")).strip().lower() in ("%", "percent", "rate", "tỷ lệ")


def kpi_text(kpi, value) -> str:
    """A KPI value as shown: "87,5 %" for a rate, "1.250" for a count, "3,25 ngày" otherwise."""
    if value is None:
        return "Chưa có số liệu"
    if is_rate(kpi):
        return f"{vi_number(value, 1)} %"
    unit = str(getattr(kpi, "unit", "") or "")
    places = 0 if Decimal(value) == Decimal(value).to_integral_value() else 2
    text = vi_number(value, places)
    return f"{text} {unit}".strip() if unit and unit not in ("count", "số") else text


def met(kpi, value) -> bool | None:
    """Does the value reach the KPI's target? None: no target or no value."""
    target = getattr(kpi, "target", None)
    if target is None or value is None:
        return None
    if getattr(kpi, "direction", "higher") == "lower":
        return Decimal(value) <= Decimal(target)
    return Decimal(value) >= Decimal(target)


def chart_number(value) -> float | None:
    return None if value is None else float(value)


# --- periods from the query string -------------------------------------------------------------

def current_gris_quarter(today: dt.date | None = None) -> defs.Period:
    """The GRIS quarter a local date falls in (15/12 → 14/03 is quarter I of the next year)."""
    today = today or timezone.localdate()
    month = defs.current_gris_month(today)
    return defs.gris_period("quarter", month.year, (month.number - 1) // 3 + 1)


def previous_period(period: defs.Period) -> defs.Period:
    """The period of the same kind just before (a custom range: as long, just before)."""
    if period.system in (defs.GRIS, defs.CALENDAR) and period.year is not None:
        make = defs.gris_period if period.system == defs.GRIS else defs.calendar_period
        per_year = {"month": 12, "quarter": 4, "half": 2}.get(period.kind)
        if per_year is None:
            return make(period.kind, period.year - 1, 1)
        index = period.year * per_year + (period.number or 1) - 1 - 1
        return make(period.kind, index // per_year, index % per_year + 1)
    days = (period.last_day - period.first_day).days + 1
    last = period.first_day - dt.timedelta(days=1)
    return defs.custom_period(last - dt.timedelta(days=days - 1), last)


def period_from_query(query, prefix: str = "", default: defs.Period | None = None
                      ) -> tuple[defs.Period, str]:
    """The period chosen in the query string (keys of Period.as_params, with a prefix for the
    comparison period) and an error message; the default when nothing or nonsense is asked."""
    params = {key: query.get(prefix + key, "") for key in PERIOD_KEYS}
    fallback = default or current_gris_quarter()
    if not any(params.values()):
        return fallback, ""
    try:
        return defs.period_from_params(params), ""
    except InvalidInput as exc:
        return fallback, exc.message


def period_query(period: defs.Period, prefix: str = "") -> dict[str, str]:
    return {prefix + key: value for key, value in period.as_params().items()}


# --- the viewer's agencies ---------------------------------------------------------------------

@dataclass
class Scope:
    """The agencies a viewer may see (one query) and the one the page is about."""

    agencies: list[Agency]          # every agency in the viewer's reach, in tree order
    current: Agency | None          # the agency the page is about (None: all the viewer's tops)
    tops: list[Agency]              # the highest agencies of the viewer's reach

    @property
    def ids(self) -> list[int]:
        """The agencies the numbers cover: the current agency's subtree, or all."""
        if self.current is None:
            return [a.pk for a in self.agencies]
        return [a.pk for a in self.agencies if a.path.startswith(self.current.path)]

    @property
    def children(self) -> list[Agency]:
        """What the ranking and the drill-down list: the current agency's children, or the
        viewer's tops when the viewer holds several."""
        if self.current is None:
            if len(self.tops) == 1:
                return self._children_of(self.tops[0])
            return self.tops
        return self._children_of(self.current)

    @property
    def trend_agency(self) -> Agency | None:
        if self.current is not None:
            return self.current
        return self.tops[0] if len(self.tops) == 1 else None

    def _children_of(self, parent: Agency) -> list[Agency]:
        return [a for a in self.agencies
                if a.depth == parent.depth + 1 and a.path.startswith(parent.path)]

    def breadcrumb(self) -> list[Agency]:
        if self.current is None:
            return []
        return [a for a in self.agencies
                if self.current.path.startswith(a.path) and a.pk != self.current.pk]


def scope_for(user, agency_id: int | None = None) -> Scope:
    """The viewer's agencies; 404 when `agency_id` is not one of them (missing or not theirs:
    the same answer)."""
    mine = agency_ids_with_perm(user, PERM)
    agencies = list(Agency.objects.filter(pk__in=sorted(mine)).order_by("path")
                    .only("id", "name", "path", "depth", "level", "code"))
    tops: list[Agency] = []
    for agency in agencies:  # in path order an ancestor comes before its descendants
        if not tops or not agency.path.startswith(tops[-1].path):
            tops.append(agency)
    current = None
    if agency_id is not None:
        current = next((a for a in agencies if a.pk == agency_id), None)
        if current is None:
            raise Http404(NOT_YOUR_AGENCY)
    return Scope(agencies=agencies, current=current, tops=tops)


# --- the page's numbers ------------------------------------------------------------------------

def headline_kpis() -> list:
    return [kpis.KPIS[k] for k in HEADLINE_KPIS if k in kpis.KPIS]


def headline(period: defs.Period, agency_ids: list[int]) -> list[dict]:
    """The headline KPI cards: value, numerator/denominator, target, met or not."""
    cards = []
    shown = headline_kpis()
    values = kpis.compute_many([k.id for k in shown], period, agency_ids)
    for kpi in shown:
        value = values[kpi.id]
        cards.append({
            "kpi": kpi, "value": value.value, "text": kpi_text(kpi, value.value),
            "numerator": vi_number(value.numerator), "denominator": vi_number(value.denominator),
            "target_text": kpi_text(kpi, kpi.target) if kpi.target is not None else "",
            "met": met(kpi, value.value),
        })
    return cards


def comparison(period_a: defs.Period, period_b: defs.Period, agency_ids: list[int],
               cards_a: list[dict]) -> list[dict]:
    """KPI, period A, period B, change (in points for a rate)."""
    rows = []
    values_b = kpis.compute_many([c["kpi"].id for c in cards_a], period_b, agency_ids)
    for card in cards_a:
        kpi = card["kpi"]
        b = values_b[kpi.id].value
        a = card["value"]
        change = None if a is None or b is None else Decimal(a) - Decimal(b)
        if change is None:
            change_text = "—"
        else:
            sign = "+" if change > 0 else ("−" if change < 0 else "")
            change_text = sign + vi_number(abs(change), 2) + (" điểm %" if is_rate(kpi) else "")
        better = None
        if change is not None and change != 0:
            better = (change > 0) == (getattr(kpi, "direction", "higher") != "lower")
        rows.append({"kpi": kpi, "a": card["text"], "b": kpi_text(kpi, b),
                     "change": change_text, "better": better})
    return rows


def ranking(kpi, period: defs.Period, agencies: list[Agency]) -> list[dict]:
    """The child agencies by one KPI, best first (no value last), one set-based pass."""
    if not agencies:
        return []
    values = kpis.compute_by_agency(kpi.id, period, agencies)
    lower_better = getattr(kpi, "direction", "higher") == "lower"
    rows = []
    for agency in agencies:
        value = values.get(agency.pk)
        v = value.value if value is not None else None
        rows.append({"agency": agency, "value": v, "text": kpi_text(kpi, v),
                     "numerator": vi_number(value.numerator) if value else "—",
                     "denominator": vi_number(value.denominator) if value else "—",
                     "met": met(kpi, v)})

    def key(row):
        if row["value"] is None:
            return (1, Decimal(0), row["agency"].name)
        v = Decimal(row["value"])
        return (0, v if lower_better else -v, row["agency"].name)

    rows.sort(key=key)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank if row["value"] is not None else None
    return rows


def trend(agency: Agency | None, runs: int = TREND_RUNS) -> dict:
    """The headline KPIs of one agency over its last `runs` snapshot runs, oldest first: one
    query (the last runs as a subquery)."""
    kpi_ids = [k.id for k in headline_kpis()]
    if agency is None or not kpi_ids:
        return {"labels": [], "series": []}
    last_runs = SnapshotRun.objects.order_by("-taken_at", "-pk").values("pk")[:runs]
    rows = list(KpiSnapshot.objects
                .filter(agency=agency, kpi__in=kpi_ids, run__in=last_runs)
                .select_related("run").only("kpi", "value", "run__day", "run__taken_at")
                .order_by("run__taken_at", "run_id"))
    run_keys: list[tuple] = []
    for row in rows:
        key = (row.run.taken_at, row.run_id)
        if key not in run_keys:
            run_keys.append(key)
    labels, day_of = [], {}
    for taken_at, run_id in run_keys:
        day_of[run_id] = len(labels)
        labels.append(f"{timezone.localtime(taken_at):%d/%m/%Y}")
    series = []
    for kpi in headline_kpis():
        points = [None] * len(labels)
        for row in rows:
            if row.kpi == kpi.id:
                points[day_of[row.run_id]] = chart_number(row.value)
        series.append({"label": kpi.name, "data": points,
                       "target": chart_number(kpi.target)})
    return {"labels": labels, "series": series}


def by_procedure(period: defs.Period, agency_ids: list[int]) -> list[dict]:
    """Per procedure: received, online, resolved, resolved on time, overdue in progress — one
    GROUP BY query over the dossiers decided in these agencies."""
    counts = {col: Count("pk", filter=make(period))
              for col, (_title, make) in PROCEDURE_COLUMNS.items()}
    rows = (Dossier.objects
            .filter(defs.handled(period), deciding_agency__in=sorted(agency_ids))
            .values("procedure_id", "procedure__name", "procedure__national_code")
            .annotate(**counts)
            .order_by("-received", "procedure__name"))
    return [{"procedure_id": r["procedure_id"], "name": r["procedure__name"],
             "code": r["procedure__national_code"],
             "cells": [(col, r[col], vi_number(r[col])) for col in PROCEDURE_COLUMNS]}
            for r in rows]


def dossiers_in_column(period: defs.Period, agency_ids: list[int], column: str,
                       procedure_id: int | None) -> QuerySet[Dossier]:
    """The dossiers a cell of the per-procedure table counts (lazy; a page is one query)."""
    if column not in PROCEDURE_COLUMNS:
        raise Http404(UNKNOWN_COLUMN)
    qs = Dossier.objects.filter(defs.handled(period), PROCEDURE_COLUMNS[column][1](period),
                                deciding_agency__in=sorted(agency_ids))
    if procedure_id is not None:
        qs = qs.filter(procedure_id=procedure_id)
    return _dossier_list(qs)


def _dossier_list(qs: QuerySet[Dossier]) -> QuerySet[Dossier]:
    return (qs.select_related("procedure", "deciding_agency")
            .only("code", "status", "channel", "owner_name", "received_at", "due_at",
                  "finished_at", "procedure__name", "deciding_agency__name")
            .order_by("received_at", "pk"))


# --- views -------------------------------------------------------------------------------------

def _chart_data(ranking_rows: list[dict], kpi) -> dict:
    return {"labels": [r["agency"].name for r in ranking_rows],
            "values": [chart_number(r["value"]) for r in ranking_rows],
            "label": kpi.name if kpi else "", "rate": bool(kpi and is_rate(kpi)),
            "target": chart_number(getattr(kpi, "target", None))}


def _dashboard(request: HttpRequest, agency_id: int | None) -> HttpResponse:
    scope = scope_for(request.user, agency_id)
    period, error = period_from_query(request.GET)
    period_b, error_b = period_from_query(request.GET, COMPARE_PREFIX, previous_period(period))
    ids = scope.ids
    cards = headline(period, ids)
    kpi_id = request.GET.get("chi_so", DEFAULT_RANKING_KPI)
    ranked_kpi = kpis.KPIS.get(kpi_id) or kpis.KPIS.get(DEFAULT_RANKING_KPI)
    ranked = ranking(ranked_kpi, period, scope.children) if ranked_kpi else []
    trend_data = trend(scope.trend_agency)
    for series in trend_data["series"]:
        kpi = next((k for k in headline_kpis() if k.name == series["label"]), None)
        series["rate"] = bool(kpi and is_rate(kpi))
    period_qs = urlencode(period_query(period))
    return render(request, "baocao/dashboard.html", {
        "scope": scope, "current": scope.current, "breadcrumb": scope.breadcrumb(),
        "period": period, "period_b": period_b, "error": error or error_b,
        "period_qs": period_qs,
        "cards": cards, "comparison": comparison(period, period_b, ids, cards),
        "ranked_kpi": ranked_kpi, "ranking": ranked,
        "ranking_chart": _chart_data(ranked, ranked_kpi),
        "kpi_choices": list(kpis.KPIS.values()),
        "trend": trend_data, "trend_agency": scope.trend_agency,
        "procedures": by_procedure(period, ids) if scope.current is not None else None,
        "procedure_columns": [(c, t) for c, (t, _m) in PROCEDURE_COLUMNS.items()],
        "form": _form_values(request.GET, period, period_b),
        "kind_labels": defs.PERIOD_KIND_LABELS, "system_labels": defs.SYSTEM_LABELS,
    })


def _form_values(query, period: defs.Period, period_b: defs.Period) -> dict:
    """The selector's fields as chosen (or as defaulted)."""
    return {"a": period.as_params(), "b": period_b.as_params(),
            "chi_so": query.get("chi_so", DEFAULT_RANKING_KPI)}


@role_required(Role.REPORT_VIEWER, Role.LEADER, Role.ADMINISTRATOR)
def overview(request: HttpRequest) -> HttpResponse:
    """The overview of every agency the viewer may see."""
    return _dashboard(request, None)


@role_required(Role.REPORT_VIEWER, Role.LEADER, Role.ADMINISTRATOR)
def agency_overview(request: HttpRequest, agency_id: int) -> HttpResponse:
    """The same for one agency of the viewer's (404 otherwise), with its procedures."""
    return _dashboard(request, agency_id)


def _page_of(request: HttpRequest, qs: QuerySet[Dossier]):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("trang"))


@role_required(Role.REPORT_VIEWER, Role.LEADER, Role.ADMINISTRATOR)
def procedure_dossiers(request: HttpRequest, agency_id: int) -> HttpResponse:
    """The dossiers behind a cell of the per-procedure table, 50 a page."""
    scope = scope_for(request.user, agency_id)
    period, error = period_from_query(request.GET)
    column = request.GET.get("cot", "received")
    raw = request.GET.get("thu_tuc", "")
    procedure_id = int(raw) if raw.isdigit() else None
    qs = dossiers_in_column(period, scope.ids, column, procedure_id)
    keep = {**period_query(period), "cot": column,
            **({"thu_tuc": procedure_id} if procedure_id else {})}
    return render(request, "baocao/dashboard_dossiers.html", {
        "current": scope.current, "period": period, "error": error,
        "title": PROCEDURE_COLUMNS[column][0], "page": _page_of(request, qs),
        "query_string": urlencode(keep), "period_qs": urlencode(period_query(period)),
    })


# --- background report jobs (item 7): status for the progress bar, the page, the file ---------

JOB_NOT_FOUND = "Không tìm thấy báo cáo đang lập."
LOGIN_NEEDED = "Ông/Bà cần đăng nhập."


def job_payload(job: ReportJob) -> dict:
    """What the progress bar needs; the download link only once the file exists."""
    done = job.status == ReportJob.Status.DONE and job.export_id is not None
    return {
        "id": str(job.public_id), "status": job.status, "status_label": job.get_status_display(),
        "progress": report_jobs.percent(job), "done": job.progress, "total": job.total,
        "finished": job.status in (ReportJob.Status.DONE, ReportJob.Status.FAILED),
        "download_url": reverse("baocao:job_download", args=[job.public_id]) if done else None,
        "error": job.error if job.status == ReportJob.Status.FAILED else "",
    }


@require_POST
@role_required(Role.REPORT_VIEWER, Role.LEADER, Role.ADMINISTRATOR)
def start_job(request: HttpRequest) -> HttpResponse:
    """Start a report job from a form (fields: the report kind, the agency, the period fields
    of Period.as_params, the format): a small one is done at once, a long one runs in the
    background; either way the job's page follows, with its progress bar and download link."""
    period_fields = {k: request.POST.get(k, "") for k in PERIOD_KEYS if request.POST.get(k)}
    params = {"agency_id": request.POST.get("co_quan", ""), "period": period_fields,
              "format": request.POST.get("format", "xlsx")}
    try:
        job = report_jobs.start(request.POST.get("loai_bao_cao", ""), params, request.user)
    except DomainError as exc:
        return render(request, "baocao/dashboard_job.html", {"start_error": exc.message},
                      status=400)
    return redirect("baocao:job_page", public_id=job.public_id)


@never_cache
@require_GET
def job_status(request: HttpRequest, public_id) -> JsonResponse:
    """JSON status of a report job, for the user who asked for it only (404 for others)."""
    if not request.user.is_authenticated:
        return JsonResponse({"code": "not_authenticated", "detail": LOGIN_NEEDED}, status=403)
    job = report_jobs.job_for(request.user, public_id)
    if job is None:
        return JsonResponse({"code": "not_found", "detail": JOB_NOT_FOUND}, status=404)
    return JsonResponse(job_payload(job))


@login_required
@require_GET
def job_page(request: HttpRequest, public_id) -> HttpResponse:
    """A page with the job's progress bar (the report pages include the same fragment)."""
    job = report_jobs.job_for(request.user, public_id)
    if job is None:
        raise Http404(JOB_NOT_FOUND)
    return render(request, "baocao/dashboard_job.html", {"job": job, "job_state": job_payload(job)})


@login_required
@require_GET
def job_download(request: HttpRequest, public_id) -> FileResponse:
    """The finished report's file, for the user who asked for it only."""
    job = report_jobs.job_for(request.user, public_id)
    if job is None or job.export is None or not job.export.file:
        raise Http404(JOB_NOT_FOUND)
    export = job.export
    stamp = f"{timezone.localtime(export.created_at):%Y%m%d-%H%M}"
    name = f"bao-cao-{export.kind}-{stamp}.{export.format}"
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=name)
