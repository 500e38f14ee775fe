"""The page of Biểu II.07b/VPCP/KSTT ("Tổng hợp số lượng TTHC", issue 9 item 2): the catalogue's
procedures in force on the last day of the period, by field, in three column groups each split
total / tỉnh / huyện / xã, for an agency of the viewer (with the agency and period selectors
of the II.06a page), its XLSX/PDF export frozen as a ReportExport of kind "procedure_count",
and the frozen export shown again (report_views.report_export hands those over here).

Limited to the agencies the user may view reports of: another agency answers 403.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from baocao import procedure_count_exports as pc_exports
from baocao import procedure_counts
from baocao import report_views as rv
from baocao.definitions import period_from_params
from baocao.exports import FORMATS
from baocao.models import ReportExport
from portal.errors import DomainError, InvalidInput
from portal.models import Agency
from portal.permissions import agency_ids_with_perm
from portal.views import role_required


@role_required(*rv.VIEWERS)
def procedure_count_page(request: HttpRequest) -> HttpResponse:
    """Biểu II.07b with the agency and period selectors and the export buttons."""
    mine = agency_ids_with_perm(request.user, rv.PERM)
    agency, agencies = rv._choice(request, mine)  # noqa: SLF001 — the II.06a page's selector
    if agency is None and (request.GET.get("agency") or not agencies):
        return rv._forbidden(request)  # noqa: SLF001
    context: dict = {"error": "", "report": None}
    period = None
    status = 200
    try:
        period = rv._period(request)  # noqa: SLF001
        report = procedure_counts.procedure_count_report(agency, period)
    except InvalidInput as exc:
        context["error"] = exc.message
        status = 400
    else:
        context.update({"report": report, **pc_exports.display_context(report.to_data())})
    if context["report"] is None:
        context.update({"form": procedure_counts.FORM, "title": procedure_counts.TITLE})
    context.update(rv._selector_context(agencies, agency, period, request))  # noqa: SLF001
    context["formats"] = FORMATS
    return render(request, "baocao/procedure_count.html", context, status=status)


@require_POST
@role_required(*rv.VIEWERS)
def export_procedure_count(request: HttpRequest) -> HttpResponse:
    """Export (XLSX or PDF) and freeze the report, then show the frozen export. The report is
    one query over the catalogue, so it is never sent to the background worker."""
    mine = agency_ids_with_perm(request.user, rv.PERM)
    raw = request.POST.get("agency", "")
    if not raw.isdigit() or int(raw) not in mine:
        return rv._forbidden(request)  # noqa: SLF001
    agency = get_object_or_404(Agency, pk=int(raw))
    try:
        period = period_from_params(request.POST)
        export = pc_exports.export_procedure_count(agency, period,
                                                   request.POST.get("format", ""), request.user)
    except DomainError as exc:
        return render(request, "baocao/report_dossiers.html", {"error": exc.message},
                      status=exc.status_code)
    return redirect("baocao:report_export", pk=export.pk)


def show_export(request: HttpRequest, export: ReportExport) -> HttpResponse:
    """A frozen II.07b export exactly as exported (its stored cells) with its file's SHA-256;
    with ?tinh_lai=1 the report computed again now and the cells that changed. Called by
    report_views.report_export once the viewer's access is checked."""
    context = {"export": export, **pc_exports.display_context(export.data), "changes": None,
               "error": ""}
    if request.GET.get("tinh_lai"):
        try:
            _fresh, changes = pc_exports.recompute(export)
            context["changes"] = changes
            context["recomputed_at"] = timezone.now()
        except DomainError as exc:
            context["error"] = exc.message
    return render(request, "baocao/procedure_count_export.html", context)
