"""The KPI pages (issue 9 items 1 and 5): the KPI list with definitions and current values for
the viewer's agencies, the dossiers behind each numerator and denominator, the snapshot runs
and "Chụp chỉ số ngay".

Every page filters by the viewer's agencies (portal.view_reports, already expanded to the
subtree) and costs a constant number of queries: one aggregate per KPI on the list, one page
and one COUNT on a drill-down, one page of runs.

The default period is the snapshots' one: the calendar year to date (baocao.snapshots
.year_to_date). Its end, the moment the page was computed, travels in the drill-down links
(``den_luc``), so the list behind a number is computed over exactly the same period.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from baocao import definitions as d
from baocao import kpis, snapshots
from baocao.models import KpiSnapshot, SnapshotRun
from portal.choices import Role
from portal.errors import InvalidInput
from portal.models import Agency
from portal.permissions import agency_ids_with_perm
from portal.views import role_required

PERM = "portal.view_reports"
PAGE_SIZE = 50
RUNS_PAGE_SIZE = 20
VIEWERS = (Role.REPORT_VIEWER, Role.REPORTER, Role.LEADER, Role.ADMINISTRATOR)
SNAPSHOT_TAKERS = (Role.REPORT_VIEWER, Role.ADMINISTRATOR)
PARTS = {"tu_so": "numerator", "mau_so": "denominator"}
PART_TITLES = {"numerator": "tử số", "denominator": "mẫu số"}
AGENCY_NOT_YOURS = ("Cơ quan đã chọn không thuộc phạm vi Ông/Bà được xem báo cáo; số liệu là "
                    "của tất cả cơ quan trong phạm vi.")
BAD_END = "Thời điểm cuối kỳ không hợp lệ; số liệu tính đến hiện tại."


def _scope(request: HttpRequest) -> tuple[frozenset[int], Agency | None, str]:
    """The viewer's agency ids, or one chosen agency's subtree within them (`co_quan`)."""
    mine = agency_ids_with_perm(request.user, PERM)
    raw = request.GET.get("co_quan", "").strip()
    if not raw:
        return mine, None, ""
    chosen = int(raw) if raw.isdigit() else None
    if chosen not in mine:
        return mine, None, AGENCY_NOT_YOURS
    agency = Agency.objects.get(pk=chosen)
    # `mine` is closed under descendants, so the chosen subtree lies within it
    ids = frozenset(Agency.objects.filter(path__startswith=agency.path)
                    .values_list("pk", flat=True))
    return ids, agency, ""


def _period(request: HttpRequest) -> tuple[d.Period, dict[str, str], str]:
    """The period asked for (GRIS, calendar or custom params) or the year to date; with the
    query parameters that reproduce it exactly and an error message if the input was bad."""
    params = request.GET
    if any(params.get(key) for key in ("system", "from", "to")):
        try:
            period = d.period_from_params(params)
        except InvalidInput as exc:
            return (*_year_to_date(None), exc.message)
        return period, period.as_params(), ""
    period, keep = _year_to_date(params.get("den_luc"))
    error = BAD_END if params.get("den_luc") and keep["den_luc"] != params["den_luc"] else ""
    return period, keep, error


def _year_to_date(raw_end: str | None) -> tuple[d.Period, dict[str, str]]:
    now = timezone.now()
    end = now
    if raw_end:
        try:
            asked = dt.datetime.fromisoformat(raw_end)
        except ValueError:
            asked = None
        if asked is not None and asked.tzinfo is not None and asked <= now:
            end = asked
    end = end.replace(microsecond=0)
    return snapshots.year_to_date(end), {"den_luc": end.isoformat()}


@require_GET
@role_required(*VIEWERS)
def kpi_list(request: HttpRequest) -> HttpResponse:
    """Every KPI with its definition, target and current value over the viewer's agencies."""
    ids, chosen, notice = _scope(request)
    period, keep, error = _period(request)
    scope = {**keep, **({"co_quan": chosen.pk} if chosen else {})}
    rows = []
    values = kpis.compute_many(kpis.KPIS, period, ids)
    for kpi in kpis.KPIS.values():
        found = values[kpi.id]
        rows.append({
            "kpi": kpi, "found": found, "meets": kpi.meets_target(found.value),
            "numerator_url": urlencode({**scope, "chi_so": kpi.id, "phan": "tu_so"}),
            "denominator_url": urlencode({**scope, "chi_so": kpi.id, "phan": "mau_so"}),
        })
    return render(request, "baocao/kpi_list.html", {
        "rows": rows, "period": period, "chosen": chosen, "notice": notice, "error": error,
        "may_take": any(request.user.has_role(r) for r in SNAPSHOT_TAKERS),
    })


@require_GET
@role_required(*VIEWERS)
def kpi_drilldown(request: HttpRequest) -> HttpResponse:
    """The dossiers (or, for the procedure KPI, the procedures; for the reports KPI, the
    periodic reports) behind a numerator or a denominator, in the viewer's agencies only,
    50 a page."""
    kpi = kpis.KPIS.get(request.GET.get("chi_so", ""))
    if kpi is None:
        raise Http404("Không có chỉ số này.")
    part = PARTS.get(request.GET.get("phan", ""), "numerator")
    ids, chosen, notice = _scope(request)
    period, keep, error = _period(request)
    found = kpis.compute(kpi.id, period, ids)
    counts_procedures = isinstance(kpi, kpis.ProcedureKpi)
    counts_reports = isinstance(kpi, kpis.ReportKpi)
    if counts_reports:
        rows = kpi.reports(period, ids, part).only(
            "status", "channel", "sent_at", "agency__name", "period__label",
            "period__deadline_at", "period__assignment__form__code",
            "period__assignment__form__title")
    elif counts_procedures:
        rows = kpis.procedures_behind(kpi.id, period, ids, part).select_related("field").only(
            "national_code", "name", "service_mode", "field__name")
    else:
        rows = (kpis.dossier_ids_behind(kpi.id, period, ids, part)
                .select_related("procedure", "deciding_agency", "receiving_agency")
                .only("code", "status", "channel", "owner_name", "received_at", "due_at",
                      "finished_at", "procedure__name", "deciding_agency__name",
                      "receiving_agency__name"))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("trang"))
    query = {**keep, **({"co_quan": chosen.pk} if chosen else {}), "chi_so": kpi.id,
             "phan": "tu_so" if part == "numerator" else "mau_so"}
    return render(request, "baocao/kpi_dossiers.html", {
        "kpi": kpi, "part": part, "part_title": PART_TITLES[part], "found": found,
        "count": found.numerator if part == "numerator" else found.denominator,
        "period": period, "chosen": chosen, "notice": notice, "error": error, "page": page,
        "counts_procedures": counts_procedures, "counts_reports": counts_reports,
        "query_string": urlencode(query),
        "back_query": urlencode({**keep, **({"co_quan": chosen.pk} if chosen else {})}),
    })


@require_GET
@role_required(*VIEWERS)
def snapshot_runs(request: HttpRequest) -> HttpResponse:
    """The snapshot runs, newest first, 20 a page."""
    runs = SnapshotRun.objects.select_related("taken_by", "recomputes").order_by("-taken_at",
                                                                                  "-pk")
    page = Paginator(runs, RUNS_PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(request, "baocao/kpi_snapshots.html", {
        "page": page, "may_take": any(request.user.has_role(r) for r in SNAPSHOT_TAKERS)})


@require_GET
@role_required(*VIEWERS)
def snapshot_run(request: HttpRequest, pk: int) -> HttpResponse:
    """One run's values for the viewer's agencies (50 agencies a page, every KPI a column)
    and, for a recomputation, what changed."""
    run = get_object_or_404(SnapshotRun.objects.select_related("taken_by", "recomputes"), pk=pk)
    mine = agency_ids_with_perm(request.user, PERM)
    agencies = Agency.objects.filter(pk__in=sorted(mine)).only("name", "path").order_by("path")
    page = Paginator(agencies, PAGE_SIZE).get_page(request.GET.get("trang"))
    on_page = [a.pk for a in page.object_list]
    values: dict[int, dict[str, KpiSnapshot]] = {}
    for value in KpiSnapshot.objects.filter(run=run, agency_id__in=on_page):
        values.setdefault(value.agency_id, {})[value.kpi] = value
    rows = [{"agency": agency, "values": [values.get(agency.pk, {}).get(k) for k in kpis.KPIS]}
            for agency in page.object_list]
    changed = snapshots.changes(run, agency_ids=mine) if run.recomputes_id else []
    names = dict(Agency.objects.filter(pk__in={c.agency_id for c in changed})
                 .values_list("pk", "name")) if changed else {}
    return render(request, "baocao/kpi_snapshot_run.html", {
        "run": run, "kpis": list(kpis.KPIS.values()), "rows": rows, "page": page,
        "changes": [{"change": c, "kpi": kpis.KPIS.get(c.kpi), "agency": names.get(c.agency_id)}
                    for c in changed],
        "may_take": any(request.user.has_role(r) for r in SNAPSHOT_TAKERS)})


@require_POST
@role_required(*SNAPSHOT_TAKERS)
def take_snapshot_now(request: HttpRequest) -> HttpResponse:
    """"Chụp chỉ số ngay" (a new manual run) or "Tính lại" a run (`tinh_lai`: its id)."""
    now = timezone.now()
    raw = request.POST.get("tinh_lai", "").strip()
    if raw:
        run = get_object_or_404(SnapshotRun, pk=int(raw) if raw.isdigit() else 0)
        outcome = snapshots.recompute(run=run, taken_by=request.user, now=now)
        messages.success(request, f"Đã tính lại lần chụp ngày {run.day:%d/%m/%Y}.")
        return redirect("baocao:kpi_snapshot_run", pk=outcome.run.pk)
    outcome = snapshots.take_snapshot(trigger=SnapshotRun.Trigger.MANUAL,
                                      day=timezone.localdate(now), taken_by=request.user,
                                      now=now)
    messages.success(request, outcome.message)
    return redirect("baocao:kpi_snapshots")
