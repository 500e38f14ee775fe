"""The demo periodic reporting written by seed_demo (baocao.periodic.demo): the handling-results
form assigned to every commune with the previous quarter open, the demo commune's report sent
on the system, some sent on paper, the LRIS sample in the demo city's inboxes; idempotent."""

import datetime as dt

import pytest

from baocao.models import AgencyReport, ReportAssignment
from baocao.periodic.demo import HANDLING_FORM, LRIS_FORM, seed_periodic
from portal import demo
from portal.calendar import TZ
from portal.choices import AgencyLevel
from portal.models import Agency
from tests.baocao.periodic.conftest import seed_report_forms

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # in the GRIS month of December 2026


def test_the_demo_assigns_the_forms_and_sends_some_reports_online_and_on_paper():
    seed_report_forms()  # a live-server test may have flushed what the migration seeded
    demo.seed_demo()
    outcome = seed_periodic(NOW)
    handling = ReportAssignment.objects.get(form__code=HANDLING_FORM)
    assert set(handling.agencies.values_list("pk", flat=True)) == set(
        Agency.objects.filter(level=AgencyLevel.COMMUNE).values_list("pk", flat=True))
    quarter = AgencyReport.objects.filter(period__assignment=handling, period__year=2026,
                                          period__number=3)  # Quý III: 15/06 – 14/09/2026
    assert quarter.count() == handling.agencies.count()
    online = quarter.get(channel=AgencyReport.Channel.ONLINE)
    assert online.agency.code == demo._commune_code(0, 0)
    assert online.status == AgencyReport.Status.APPROVED
    assert online.current_version.content_sha256
    paper = quarter.filter(channel=AgencyReport.Channel.PAPER)
    assert paper.exists()
    assert outcome["periodic_sent"] == 1 + paper.count()
    assert quarter.filter(status=AgencyReport.Status.NOT_STARTED).exists()
    lris = ReportAssignment.objects.get(form__code=LRIS_FORM)
    assert lris.periods.filter(year=2026, number=12).exists()

    again = seed_periodic(NOW)
    assert again == {"periodic_assignments": 0}
    assert ReportAssignment.objects.count() == 2
