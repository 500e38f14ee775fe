"""The KPI "reports_online" (baocao.kpis.ReportKpi): periodic reports sent online (approved on
the system, channel online) against the reports due in the period (their deadline falls in
it), per agency subtree — computed like every other KPI (compute, compute_by_agency in one
query), so the snapshots and the dashboards carry it."""

from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from baocao import kpis, snapshots
from baocao.definitions import calendar_period
from baocao.kpis import KPIS, KpiValue, ReportKpi, compute, compute_by_agency
from baocao.models import KpiSnapshot
from baocao.periodic import services
from portal.models import Agency
from tests.baocao.periodic.conftest import (
    DEADLINE,
    indicator_values,
    send_report,
)

pytestmark = pytest.mark.django_db

DECEMBER = calendar_period("month", 2026, 12)  # Quý IV/2026 is due on 16/12/2026
MARCH = calendar_period("month", 2027, 3)  # Quý I/2027 is due in March 2027
AFTER = DEADLINE.replace(day=21)


def subtree(agency) -> list[int]:
    return list(Agency.objects.filter(path__startswith=agency.path).values_list("pk", flat=True))


@pytest.fixture
def mixed(sent_indicator_reports, three_level_tree, people):
    """A1 and A2 sent online; A3's paper report entered by the provincial office."""
    a3 = three_level_tree.communes[2]
    with time_machine.travel(AFTER, tick=False):
        services.record_paper_report(report=sent_indicator_reports.report(a3),
                                     values=indicator_values(2), by=people.province_office,
                                     note="Theo văn bản số 12/UBND.")
    return sent_indicator_reports


def test_the_kpi_is_declared_like_the_others():
    kpi = KPIS["reports_online"]
    assert isinstance(kpi, ReportKpi)
    assert kpi.name == "Tỷ lệ báo cáo định kỳ gửi trực tuyến"
    assert kpi.unit == "%"
    assert kpi.direction == "higher"
    assert kpi.kind == "rate"
    assert kpi.counts == "báo cáo"
    assert kpi.target == Decimal(50)  # at least 50 % of reports online (issue 10)


def test_reports_sent_online_against_reports_due(mixed, three_level_tree):
    district = subtree(three_level_tree.district)
    assert compute("reports_online", DECEMBER, district) == KpiValue(2, 3, Decimal("66.67"))
    a1 = subtree(three_level_tree.communes[0])
    assert compute("reports_online", DECEMBER, a1) == KpiValue(1, 1, Decimal("100.00"))
    a3 = subtree(three_level_tree.communes[2])
    assert compute("reports_online", DECEMBER, a3) == KpiValue(0, 1, Decimal("0.00"))


def test_reports_not_yet_due_are_not_counted(mixed, three_level_tree):
    """Quý I/2027 is open already but due in March 2027: it counts in March only."""
    district = subtree(three_level_tree.district)
    assert compute("reports_online", MARCH, district) == KpiValue(0, 3, Decimal("0.00"))
    assert compute("reports_online", calendar_period("month", 2026, 11), district) == \
        KpiValue(0, 0, None)


def test_a_submitted_report_not_yet_approved_is_not_sent(indicator_setup, three_level_tree):
    a1, a2, _a3 = three_level_tree.communes
    send_report(indicator_setup.report(a1), indicator_values(0))
    send_report(indicator_setup.report(a2), indicator_values(1), approve=False)
    assert compute("reports_online", DECEMBER, None) == KpiValue(1, 3, Decimal("33.33"))


def test_compute_by_agency_equals_compute_over_each_subtree_in_one_query(mixed, province):
    agencies = list(Agency.objects.order_by("path"))
    with CaptureQueriesContext(connection) as queries:
        by_agency = compute_by_agency("reports_online", DECEMBER, agencies)
    assert len(queries) == 1
    for agency in agencies:
        assert by_agency[agency.pk] == compute("reports_online", DECEMBER, subtree(agency)), \
            agency.name
    assert by_agency[province.root.pk] == KpiValue(2, 3, Decimal("66.67"))
    assert by_agency[province.district_b.pk] == KpiValue(0, 0, None)


def test_the_reports_behind_the_numerator_and_the_denominator(mixed, three_level_tree):
    kpi = KPIS["reports_online"]
    ids = subtree(three_level_tree.district)
    a1, a2, a3 = three_level_tree.communes
    assert [r.agency_id for r in kpi.reports(DECEMBER, ids, "numerator")] == [a1.pk, a2.pk]
    assert [r.agency_id for r in kpi.reports(DECEMBER, ids, "denominator")] == [
        a1.pk, a2.pk, a3.pk]
    assert kpis.dossier_ids_behind("reports_online", DECEMBER, ids, "numerator").count() == 0


def test_a_snapshot_stores_the_kpi_for_every_agency(mixed, province):
    with time_machine.travel(AFTER, tick=False):
        outcome = snapshots.take_snapshot(trigger="manual", day=AFTER.date(),
                                          period=DECEMBER)
    stored = KpiSnapshot.objects.get(run=outcome.run, kpi="reports_online", agency=province.root)
    assert (stored.numerator, stored.denominator, stored.value) == (2, 3, Decimal("66.6700"))
    assert KpiSnapshot.objects.filter(run=outcome.run, kpi="reports_online").count() == \
        Agency.objects.count()


def test_the_kpi_page_lists_the_kpi(client, mixed, people):
    with time_machine.travel(AFTER, tick=False):
        client.force_login(people.province_office)
        page = client.get(reverse("baocao:kpi_list"), DECEMBER.as_params())
    assert page.status_code == 200
    assert "Tỷ lệ báo cáo định kỳ gửi trực tuyến" in page.content.decode()


def test_the_drilldown_lists_the_reports_behind_the_numerator_and_the_denominator(
        client, mixed, people, three_level_tree):
    a1, a2, a3 = three_level_tree.communes
    with time_machine.travel(AFTER, tick=False):
        client.force_login(people.province_office)
        pages = {part: client.get(reverse("baocao:kpi_drilldown"), {
            **DECEMBER.as_params(), "chi_so": "reports_online", "phan": part}).content.decode()
            for part in ("tu_so", "mau_so")}
    assert a1.name in pages["tu_so"]
    assert a2.name in pages["tu_so"]
    assert a3.name not in pages["tu_so"]  # its report came on paper
    assert a3.name in pages["mau_so"]
    assert "Văn bản giấy (nhập hộ)" in pages["mau_so"]
    assert "Không có hồ sơ nào" not in pages["tu_so"]
