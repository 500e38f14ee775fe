"""Report pages for those who watch the reports: the 2-day duty reports, the provincial
overdue board, and the progress of one dossier behind a number."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode

from baocao import selectors
from baocao.models import DutyReport
from baocao.services import COLUMN_TITLES, COLUMNS
from hoso import selectors as dossier_selectors
from hoso.models import Dossier
from portal.choices import Role
from portal.permissions import agency_ids_with_perm
from portal.views import role_required


@role_required(Role.REPORT_VIEWER, Role.LEADER, Role.ADMINISTRATOR)
def duty_reports(request: HttpRequest) -> HttpResponse:
    """The latest duty reports, each with only the rows of the viewer's agencies."""
    mine = agency_ids_with_perm(request.user, "portal.view_reports")
    reports = []
    for report in DutyReport.objects.all()[:10]:
        rows = [row for row in report.rows if row["agency_id"] in mine]
        totals = {c: sum(row[c] for row in rows) for c in COLUMNS}
        reports.append({"report": report, "rows": rows, "totals": totals})
    return render(request, "baocao/duty_reports.html", {
        "reports": reports, "columns": [(c, COLUMN_TITLES[c]) for c in COLUMNS]})


AGENCY_NOT_YOURS = ("Cơ quan đã chọn không thuộc phạm vi Ông/Bà được xem báo cáo; "
                    "bảng vẫn hiển thị hồ sơ quá hạn của tất cả cơ quan trong phạm vi.")


@role_required(Role.REPORT_VIEWER, Role.LEADER, Role.ADMINISTRATOR)
def overdue_board(request: HttpRequest) -> HttpResponse:
    """Open dossiers found overdue in the viewer's agencies: a summary per agency, then the
    list, 50 a page, optionally of one agency (query parameter, only within the viewer's)."""
    mine = agency_ids_with_perm(request.user, "portal.view_reports")
    chosen, notice = None, ""
    raw = request.GET.get("co_quan", "").strip()
    if raw:
        try:
            chosen = int(raw)
        except ValueError:
            chosen = None
        if chosen not in mine:  # someone else's agency or not an id: the whole board
            chosen, notice = None, AGENCY_NOT_YOURS
    summary = selectors.overdue_by_agency(mine)
    page = Paginator(selectors.overdue_dossiers(mine, chosen),
                     selectors.PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(request, "baocao/overdue_board.html", {
        "summary": summary,
        "total": sum(row.count for row in summary),
        "oldest": min((row.oldest_due_at for row in summary), default=None),
        "mine": mine,
        "chosen": chosen,
        "chosen_name": next((r.agency_name for r in summary if r.agency_id == chosen), ""),
        "notice": notice,
        "page": page,
        "query_string": urlencode({"co_quan": chosen}) if chosen else "",
    })


@role_required(Role.REPORT_VIEWER, Role.LEADER, Role.ADMINISTRATOR, Role.DESK_OFFICER,
               Role.PROCESSING_OFFICER)
def dossier_trace(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """Where a number of a report leads: one dossier's progress (procedure, agencies, times,
    the handovers and the history), without the applicant's personal data or papers — the
    viewer watches the agencies' work, not the citizens. An officer who may open the dossier
    itself is sent to its page (so lists shown to both, like the register, link here)."""
    dossier = (Dossier.objects.filter(pk=dossier_id)
               .select_related("procedure", "receiving_agency", "deciding_agency",
                               "handling_agency").first())
    if dossier is None:
        raise Http404
    if dossier_selectors.can_view(request.user, dossier):
        return redirect("hoso:officer_dossier", dossier_id=dossier.pk)
    mine = agency_ids_with_perm(request.user, "portal.view_reports")
    if not {dossier.receiving_agency_id, dossier.deciding_agency_id,
            dossier.handling_agency_id} & mine:
        raise Http404
    return render(request, "baocao/dossier_trace.html", {
        "dossier": dossier,
        "steps": dossier.steps.select_related("agency").order_by("started_at", "pk"),
        "events": dossier.events.select_related("agency").order_by("at", "pk"),
    })
