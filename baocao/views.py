"""Report pages for those who watch the reports: the 2-day duty reports and the provincial
overdue board."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from baocao import selectors
from baocao.models import DutyReport
from baocao.services import COLUMN_TITLES, COLUMNS
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
