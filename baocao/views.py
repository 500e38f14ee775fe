"""Report pages: the 2-day duty reports, for those who watch the reports."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
