"""Pages of the official reports (issue 9 items 2 and 4): Biểu II.06a/VPCP/KSTT for an agency
of the viewer and a period, the dossier list behind each cell, exports (XLSX/PDF) frozen as
ReportExport rows, the list of exported reports, one shown again exactly as exported, its file,
and "Tính lại" (recompute and show what changed).

Every page is limited to the agencies the user may view reports of (portal.view_reports,
already expanded to subtrees): another agency answers 403.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from baocao import exports, handling, procedure_counts, report_jobs
from baocao.definitions import (
    CALENDAR,
    CUSTOM,
    GRIS,
    PERIOD_KIND_LABELS,
    PERIOD_KINDS,
    SYSTEM_LABELS,
    Period,
    current_gris_month,
    period_from_params,
)
from baocao.models import ReportExport
from portal.choices import Role
from portal.errors import DomainError, InvalidInput
from portal.models import Agency
from portal.permissions import agency_ids_with_perm
from portal.views import role_required

PERM = "portal.view_reports"
PAGE_SIZE = 50
VIEWERS = (Role.REPORT_VIEWER, Role.REPORTER, Role.LEADER, Role.ADMINISTRATOR)
NOT_YOURS = "Cơ quan, đơn vị đã chọn không thuộc phạm vi Ông/Bà được xem báo cáo."


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", {"message": NOT_YOURS}, status=403)


def _choice(request: HttpRequest, mine: frozenset[int]) -> tuple[Agency | None, list[Agency]]:
    """The chosen agency (None when it is not the viewer's) and the viewer's agencies for the
    selector, tree order. Without a choice: the viewer's top-most agency."""
    agencies = list(Agency.objects.filter(pk__in=sorted(mine)).only("name", "path", "depth")
                    .order_by("path"))
    raw = request.GET.get("agency", "").strip()
    if not raw:
        return (agencies[0] if agencies else None), agencies
    try:
        chosen = int(raw)
    except ValueError:
        return None, agencies
    if chosen not in mine:
        return None, agencies
    return next((a for a in agencies if a.pk == chosen), None), agencies


def _period(request: HttpRequest) -> Period:
    if not any(k in request.GET for k in ("system", "from", "to")):
        return current_gris_month(timezone.localdate())
    return period_from_params(request.GET)


def _selector_context(agencies: list[Agency], agency: Agency | None, period: Period | None,
                      request: HttpRequest) -> dict:
    today = timezone.localdate()
    return {
        "agencies": agencies, "agency": agency, "period": period,
        "systems": [(GRIS, SYSTEM_LABELS[GRIS]), (CALENDAR, SYSTEM_LABELS[CALENDAR]),
                    (CUSTOM, SYSTEM_LABELS[CUSTOM])],
        "kinds": [(k, PERIOD_KIND_LABELS[k]) for k in PERIOD_KINDS],
        "years": list(range(today.year + 1, today.year - 6, -1)),
        "numbers": list(range(1, 13)),
        "chosen": {
            "system": request.GET.get("system") or (period.system if period else GRIS),
            "kind": request.GET.get("kind") or (period.kind if period else "month"),
            "year": str(period.year if period and period.year else today.year),
            "number": str(period.number if period and period.number else 1),
            "from": period.first_day.isoformat() if period else "",
            "to": period.last_day.isoformat() if period else "",
        },
    }


def _report_query(agency: Agency, period: Period) -> dict[str, str]:
    return {"agency": str(agency.pk), **period.as_params()}


@role_required(*VIEWERS)
def handling_report(request: HttpRequest) -> HttpResponse:
    """Biểu II.06a/VPCP/KSTT with the selector; every count links to its dossiers."""
    mine = agency_ids_with_perm(request.user, PERM)
    agency, agencies = _choice(request, mine)
    if agency is None and (request.GET.get("agency") or not agencies):
        return _forbidden(request)
    context = {"error": "", "report": None}
    period = None
    try:
        period = _period(request)
        report = handling.handling_report(agency, period)
    except InvalidInput as exc:
        context["error"] = exc.message
        status = 400
    except handling.ReportInconsistent as exc:
        context["error"] = exc.message
        status = 500
    else:
        status = 200
        query = _report_query(agency, period)
        context.update({
            "report": report, "data": report.to_data(), "query": urlencode(query),
            "sections": _linked_sections(report, query),
            "total_cells": _linked_cells(report.total, query),
        })
    context.update(_selector_context(agencies, agency, period, request))
    context.update({"groups": handling.COLUMN_GROUPS, "headings": handling.COLUMN_HEADINGS,
                    "form": handling.FORM, "title": handling.TITLE, "unit": handling.UNIT,
                    "formats": exports.FORMATS})
    return render(request, "baocao/report_handling.html", context, status=status)


def _linked_cells(row: handling.Row, query: dict) -> list[tuple[str, str]]:
    """(text 1.250, URL of the dossier list) for each count of a row."""
    from django.urls import reverse

    base = reverse("baocao:report_dossiers")
    return [(exports.number_text(row.cells[c]),
             f"{base}?{urlencode({**query, 'report': handling.KIND, 'col': c, 'row': row.key})}")
            for c in handling.COUNT_COLUMNS]


def _linked_sections(report: handling.HandlingReport, query: dict) -> list[dict]:
    return [{"mark": ("I", "II", "III")[i], "title": title,
             "rows": [{"row": r, "cells": _linked_cells(r, query)} for r in rows]}
            for i, (title, rows) in enumerate(report.sections)]


@role_required(*VIEWERS)
def report_dossiers(request: HttpRequest) -> HttpResponse:
    """The dossiers behind one cell, 50 a page, within the viewer's agencies; the count equals
    the cell (same classification)."""
    mine = agency_ids_with_perm(request.user, PERM)
    agency, _agencies = _choice(request, mine)
    if agency is None or not request.GET.get("agency"):
        return _forbidden(request)
    try:
        if request.GET.get("report", handling.KIND) != handling.KIND:
            raise InvalidInput("bad_report_cell", "Loại báo cáo không hợp lệ.")
        period = period_from_params(request.GET)
        try:
            column = int(request.GET.get("col", ""))
        except ValueError:
            raise InvalidInput("bad_report_cell", "Cột báo cáo không hợp lệ.") from None
        row = request.GET.get("row", handling.TOTAL_KEY)
        dossiers = handling.cell_dossiers(agency, period, column, row, mine)
    except InvalidInput as exc:
        return render(request, "baocao/report_dossiers.html", {"error": exc.message},
                      status=400)
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("trang"))
    query = {k: request.GET[k] for k in request.GET if k != "trang"}
    return render(request, "baocao/report_dossiers.html", {
        "page": page, "agency": agency, "period": period, "column": column,
        "column_heading": handling.COLUMN_HEADINGS[column],
        "column_group": handling.COLUMN_GROUP_OF.get(column, ""),
        "row_label": _row_label(row), "query_string": urlencode(query),
        "back": urlencode(_report_query(agency, period)),
    })


def _row_label(row: str) -> str:
    if row == handling.TOTAL_KEY:
        return handling.TOTAL_LABEL
    kind, _sep, value = row.partition(":")
    if kind == "level":
        return handling.LEVEL_ROW_LABELS.get(value, value)
    from tthc.models import Field

    found = Field.objects.filter(code=value).values_list("name", flat=True).first()
    return found or value


@require_POST
@role_required(*VIEWERS)
def export_report(request: HttpRequest) -> HttpResponse:
    """Export (XLSX or PDF) and freeze the report; then show the frozen export."""
    mine = agency_ids_with_perm(request.user, PERM)
    raw = request.POST.get("agency", "")
    if not raw.isdigit() or int(raw) not in mine:
        return _forbidden(request)
    get_object_or_404(Agency, pk=int(raw))
    try:
        period = period_from_params(request.POST)
        # a long range or the whole province is computed by the worker, with a progress bar
        job = report_jobs.start("handling", {
            "agency_id": int(raw), "period": period.as_params(),
            "format": request.POST.get("format", "")}, request.user)
    except DomainError as exc:
        return render(request, "baocao/report_dossiers.html", {"error": exc.message},
                      status=exc.status_code)
    if job.status == job.Status.DONE and job.export_id:
        return redirect("baocao:report_export", pk=job.export_id)
    if job.status == job.Status.FAILED:
        return render(request, "baocao/report_dossiers.html", {"error": job.error},
                      status=400)
    return redirect("baocao:job_page", public_id=job.public_id)


def _export_for(request: HttpRequest, pk: int) -> ReportExport | None:
    mine = agency_ids_with_perm(request.user, PERM)
    export = get_object_or_404(ReportExport.objects.select_related("agency", "created_by"),
                               pk=pk)
    return export if export.agency_id in mine else None


@role_required(*VIEWERS)
def report_exports(request: HttpRequest) -> HttpResponse:
    """The exported reports of the viewer's agencies, newest first, 50 a page."""
    mine = agency_ids_with_perm(request.user, PERM)
    exported = (ReportExport.objects.filter(agency_id__in=sorted(mine))
                .select_related("agency", "created_by")
                .only("title", "format", "sha256", "created_at", "period_start", "period_end",
                      "agency__name", "created_by__full_name", "created_by__username"))
    page = Paginator(exported, PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(request, "baocao/report_exports.html", {"page": page})


@role_required(*VIEWERS)
def report_export(request: HttpRequest, pk: int) -> HttpResponse:
    """An exported report shown exactly as exported (its stored cells), with its file's
    SHA-256; with ?tinh_lai=1 the report computed again now and the cells that changed."""
    export = _export_for(request, pk)
    if export is None:
        return _forbidden(request)
    if export.kind == procedure_counts.KIND:  # Biểu II.07b: its own table and recomputation
        from baocao.procedure_count_views import show_export

        return show_export(request, export)
    data = export.data
    context = {"export": export, "data": data, "sections": exports.display_sections(data),
               "total": exports.display_row(data["total"]), "groups": handling.COLUMN_GROUPS,
               "headings": handling.COLUMN_HEADINGS, "form": handling.FORM,
               "title": handling.TITLE, "unit": handling.UNIT, "changes": None, "error": ""}
    if request.GET.get("tinh_lai"):
        try:
            _fresh, changes = exports.recompute(export)
            context["changes"] = changes
            context["recomputed_at"] = timezone.now()
        except DomainError as exc:
            context["error"] = exc.message
    return render(request, "baocao/report_export.html", context)


@role_required(*VIEWERS)
def report_export_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored file of an export, as exported."""
    export = _export_for(request, pk)
    if export is None:
        return _forbidden(request)
    name = export.file.name.rsplit("/", 1)[-1]
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=name,
                        content_type=exports.CONTENT_TYPES[export.format])
