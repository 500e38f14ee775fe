"""Demo periodic reporting (seed_demo, issue 10), so that `make run` shows the reporting system
at work rather than empty pages:

- Biểu II.06a/VPCP/KSTT assigned to every commune of the demo province, received by the
  UBND tỉnh, from the previous GRIS quarter on: that quarter is open, pre-filled from the demo
  history. UBND phường Quán Triều's reporter (`xa.baocao`) prepared it and its leader
  (`xa.lanhdao`) approved it on the system; a few communes of the demo city sent theirs on
  paper, entered by the provincial office (`tinh.baocao`); the rest have not started — the
  completion page shows "đã gửi x/N" and the reports_online KPI has both kinds;
- the sample LRIS indicator set assigned monthly to the communes of the demo city from the
  current GRIS month: the reporter's inbox holds it, not started.

Everything goes through baocao.periodic.setup and baocao.periodic.services, as the pages would.
Idempotent: nothing is done once the II.06a assignment exists.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from baocao.definitions import current_gris_month, gris_period
from baocao.models import AgencyReport, ReportAssignment, ReportForm
from baocao.periodic import services, setup
from portal.calendar import TZ
from portal.choices import AgencyLevel
from portal.demo import ROOT_CODE, _commune_code, _district_code
from portal.models import Agency, User

HANDLING_FORM = "II.06a/VPCP/KSTT"
LRIS_FORM = "LRIS/KTXH-XA"
PAPER_EVERY = 3  # every third other commune of the demo city sent its report on paper


def _previous_gris_quarter(today: dt.date):
    month = current_gris_month(today)
    year, quarter = month.year, (month.number - 1) // 3 + 1
    year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return gris_period("quarter", year, quarter)


@transaction.atomic
def seed_periodic(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    forms = {f.code: f for f in ReportForm.objects.filter(code__in=(HANDLING_FORM, LRIS_FORM))}
    handling = forms.get(HANDLING_FORM)
    if handling is None or ReportAssignment.objects.filter(form=handling).exists():
        return {"periodic_assignments": 0}
    users = {u.username: u for u in User.objects.filter(
        username__in=("quantri", "tinh.baocao", "xa.baocao", "xa.lanhdao"))}
    admin, office = users.get("quantri"), users.get("tinh.baocao")
    root = Agency.objects.filter(code=ROOT_CODE).first()
    city = Agency.objects.filter(code=_district_code(0)).first()
    if admin is None or office is None or root is None or city is None:
        return {"periodic_assignments": 0}
    today = timezone.localtime(now, TZ).date()
    quarter = _previous_gris_quarter(today)
    assignment = setup.assign_form(
        form=handling, agencies=setup.agencies_at_level(AgencyLevel.COMMUNE, root),
        receiving_agency=root, first_period_start=quarter.first_day, by=admin, now=now)
    reports = AgencyReport.objects.filter(
        period__assignment=assignment, period__year=quarter.year,
        period__number=quarter.number).select_related("agency").order_by("agency__path")
    demo_commune = _commune_code(0, 0)
    sent = 0
    for position, report in enumerate(r for r in reports if r.agency.path.startswith(city.path)):
        if report.agency.code == demo_commune and {"xa.baocao", "xa.lanhdao"} <= set(users):
            services.start_report(report=report, by=users["xa.baocao"])
            services.submit_report(report=report, by=users["xa.baocao"])
            services.approve_report(report=report, by=users["xa.lanhdao"])
            sent += 1
        elif position % PAPER_EVERY == 1:
            services.record_paper_report(report=report, values={}, by=office,
                                         note="Theo báo cáo giấy gửi Văn phòng UBND tỉnh.")
            sent += 1
    lris = forms.get(LRIS_FORM)
    if lris is not None:
        setup.assign_form(
            form=lris, agencies=setup.agencies_at_level(AgencyLevel.COMMUNE, city),
            receiving_agency=city, first_period_start=current_gris_month(today).first_day,
            by=admin, now=now)
    return {"periodic_assignments": ReportAssignment.objects.count(), "periodic_sent": sent}
