"""The KPI dashboards: the headline rates are kpis.compute for the same period and agencies,
a viewer drills only into their own tree, every number of the per-procedure table links to
exactly the dossiers it counts, and a page costs the same queries for 3 or 30 agencies."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from baocao import dashboard_views as views
from baocao import definitions as defs
from baocao import kpis
from baocao.models import KpiSnapshot, SnapshotRun
from hoso.models import Dossier
from portal.calendar import TZ
from portal.choices import AgencyLevel, Role
from portal.permissions import agency_ids_with_perm
from tests.conftest import make_officer
from tests.factories import AgencyFactory
from tests.hoso.conftest import birth_procedure, desk_a1, desk_receive  # noqa: F401

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=TZ)  # in GRIS quarter IV/2026 (15/09 – 14/12)
QUARTER = defs.gris_period("quarter", 2026, 4)
PREVIOUS = defs.gris_period("quarter", 2026, 3)
OVERVIEW = reverse("baocao:overview")


def at(month, day, hour=9, year=2026):
    return dt.datetime(year, month, day, hour, 0, tzinfo=TZ)


# (where, fields set on the row after a real desk receipt) — what the dashboards read
SAMPLE = [
    # online, early
    ("commune_a1", {"channel": "online", "received_at": at(10, 1), "due_at": at(10, 10),
                    "finished_at": at(10, 5), "status": "returned"}),
    # late
    ("commune_a1", {"received_at": at(10, 2), "due_at": at(10, 10),
                    "finished_at": at(10, 12), "status": "returned"}),
    # open, overdue at the end of the quarter
    ("commune_a1", {"channel": "vneid", "received_at": at(11, 2), "due_at": at(11, 20),
                    "status": "in_progress"}),
    # open, within the deadline
    ("commune_a1", {"received_at": at(12, 1), "due_at": at(12, 30), "status": "in_progress"}),
    # on time (the due date, an earlier hour)
    ("commune_a2", {"channel": "national_portal", "received_at": at(10, 3),
                    "due_at": at(10, 13), "finished_at": at(10, 13, 8), "status": "resolved"}),
    # late
    ("commune_b1", {"received_at": at(10, 3), "due_at": at(10, 13),
                    "finished_at": at(10, 20), "status": "returned"}),
    # quarter III, early (twice)
    ("commune_b1", {"received_at": at(8, 3), "due_at": at(8, 13),
                    "finished_at": at(8, 10), "status": "returned"}),
    ("commune_b1", {"channel": "online", "received_at": at(8, 5), "due_at": at(8, 13),
                    "finished_at": at(8, 12), "status": "returned"}),
]


def make_dossiers(province, procedure, desk, rows):
    """Each dossier received at commune A1's desk by the real intake service, then set to
    the state the row describes (deciding agency, channel, times, status)."""
    made = []
    for where, fields in rows:
        dossier = desk_receive(desk, procedure, province.commune_a1)
        values = {"channel": "direct", "finished_at": None, "counted_overdue": False,
                  "deciding_agency": getattr(province, where), **fields}
        Dossier.objects.filter(pk=dossier.pk).update(**values)
        made.append(dossier.pk)
    return made


@pytest.fixture
def sample(province, birth_procedure, desk_a1):  # noqa: F811
    return make_dossiers(province, birth_procedure, desk_a1, SAMPLE)


@pytest.fixture
def district_a_viewer(province):
    return make_officer(province.district_a, Role.REPORT_VIEWER, username="theo_doi_huyen_a")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


# --- headline, comparison, ranking -------------------------------------------------------------

def test_the_default_period_is_the_current_gris_quarter():
    quarter = views.current_gris_quarter
    assert quarter(dt.date(2026, 12, 10)) == QUARTER
    assert quarter(dt.date(2026, 3, 14)) == defs.gris_period("quarter", 2026, 1)
    assert quarter(dt.date(2026, 3, 15)) == defs.gris_period("quarter", 2026, 2)
    assert quarter(dt.date(2026, 12, 15)) == defs.gris_period("quarter", 2027, 1)
    assert views.previous_period(defs.gris_period("quarter", 2027, 1)) == QUARTER
    assert views.previous_period(defs.calendar_period("month", 2026, 1)) == \
        defs.calendar_period("month", 2025, 12)
    custom = defs.custom_period(dt.date(2026, 10, 11), dt.date(2026, 10, 20))
    assert views.previous_period(custom) == defs.custom_period(dt.date(2026, 10, 1),
                                                               dt.date(2026, 10, 10))


def test_the_headline_values_equal_kpis_compute_for_the_same_period(
        client, province, sample, province_viewer):
    response = get(client, province_viewer, OVERVIEW)
    assert response.status_code == 200
    assert response.context["period"] == QUARTER
    mine = sorted(agency_ids_with_perm(province_viewer, "portal.view_reports"))
    cards = response.context["cards"]
    assert [c["kpi"].id for c in cards] == list(views.HEADLINE_KPIS)
    for card in cards:
        assert card["value"] == kpis.compute(card["kpi"].id, QUARTER, mine).value
    online = next(c for c in cards if c["kpi"].id == "online_dossiers")
    assert online["value"] == Decimal("50.00")  # 3 of the 6 received in quarter IV
    assert online["met"] is True
    on_time = next(c for c in cards if c["kpi"].id == "on_time")
    assert on_time["value"] == Decimal("50.00")  # early + on time of 4 resolved
    assert on_time["met"] is False
    page = response.content.decode()
    assert "50 %" in page
    assert "Mục tiêu: ≥ 100 %" in page
    assert "Chưa đạt" in page
    assert reverse("baocao:overdue_board") in page
    assert f'{reverse("baocao:kpi_drilldown")}?chi_so=on_time&amp;phan=tu_so' in page


def test_a_district_viewer_sees_the_numbers_of_their_district_only(
        client, province, sample, district_a_viewer):
    response = get(client, district_a_viewer, OVERVIEW)
    district = sorted(a.pk for a in (province.district_a, province.commune_a1,
                                     province.commune_a2))
    for card in response.context["cards"]:
        assert card["value"] == kpis.compute(card["kpi"].id, QUARTER, district).value
    assert sorted(r["agency"].name for r in response.context["ranking"]) == ["UBND xã A1",
                                                                             "UBND xã A2"]


def test_a_chosen_period_and_the_comparison_with_another(client, province, sample,
                                                         province_viewer):
    response = get(client, province_viewer, OVERVIEW, **QUARTER.as_params(),
                   **{f"b_{k}": v for k, v in PREVIOUS.as_params().items()})
    assert response.context["period_b"] == PREVIOUS
    mine = sorted(agency_ids_with_perm(province_viewer, "portal.view_reports"))
    rows = {r["kpi"].id: r for r in response.context["comparison"]}
    assert rows["online_dossiers"]["a"] == "50 %"
    assert kpis.compute("online_dossiers", PREVIOUS, mine).value == Decimal("50.00")
    assert rows["online_dossiers"]["b"] == "50 %"
    assert rows["online_dossiers"]["change"] == "0 điểm %"
    # quarter III: the two dossiers resolved in time → 100 %, quarter IV 50 %: −50 points
    assert rows["on_time"]["b"] == "100 %"
    assert rows["on_time"]["change"] == "−50 điểm %"
    assert rows["on_time"]["better"] is False


def test_a_custom_range_and_a_bad_one(client, province, sample, province_viewer):
    response = get(client, province_viewer, OVERVIEW, **{"from": "01/10/2026",
                                                         "to": "02/10/2026"})
    assert response.context["period"] == defs.custom_period(dt.date(2026, 10, 1),
                                                            dt.date(2026, 10, 2))
    bad = get(client, province_viewer, OVERVIEW, **{"from": "02/10/2026", "to": "01/10/2026"})
    assert bad.context["period"] == QUARTER
    assert "Ngày kết thúc kỳ báo cáo phải sau hoặc bằng ngày bắt đầu." in bad.content.decode()


def test_the_ranking_orders_the_children_by_the_chosen_kpi(client, province, sample,
                                                           district_a_viewer):
    response = get(client, district_a_viewer, OVERVIEW, chi_so="on_time")
    ranked = [(r["agency"].name, r["value"], r["rank"]) for r in response.context["ranking"]]
    assert ranked == [("UBND xã A2", Decimal("100.00"), 1), ("UBND xã A1", Decimal("50.00"), 2)]
    chart = response.context["ranking_chart"]
    assert chart["labels"] == ["UBND xã A2", "UBND xã A1"]
    assert chart["values"] == [100.0, 50.0]
    assert 'id="ranking-data"' in response.content.decode()


def test_the_trend_comes_from_the_snapshots_of_the_viewers_top_agency(
        client, province, sample, province_viewer):
    for day, value in ((dt.date(2026, 12, 4), "40.0"), (dt.date(2026, 12, 6), "45.5")):
        run = SnapshotRun.objects.create(
            day=day, trigger="schedule", period_start=QUARTER.start, period_end=QUARTER.end,
            taken_at=dt.datetime.combine(day, dt.time(16, 30), tzinfo=TZ))
        KpiSnapshot.objects.create(run=run, kpi="online_dossiers", agency=province.root,
                                   numerator=4, denominator=10, value=Decimal(value))
        KpiSnapshot.objects.create(run=run, kpi="online_dossiers", agency=province.district_a,
                                   numerator=1, denominator=1, value=Decimal("100"))
    response = get(client, province_viewer, OVERVIEW)
    trend = response.context["trend"]
    assert trend["labels"] == ["04/12/2026", "06/12/2026"]
    online = next(s for s in trend["series"] if s["label"] == kpis.KPIS["online_dossiers"].name)
    assert online["data"] == [40.0, 45.5]
    assert online["target"] == 50.0
    page = response.content.decode()
    assert 'id="trend-data"' in page
    assert 'data-chart="trend"' in page
    assert "/static/vendor/chartjs/chart.umd.min.js" in page
    assert "/static/baocao/charts.js" in page
    drilled = get(client, province_viewer, reverse("baocao:agency_overview",
                                                   args=[province.district_a.pk]))
    online = next(s for s in drilled.context["trend"]["series"]
                  if s["label"] == kpis.KPIS["online_dossiers"].name)
    assert online["data"] == [100.0, 100.0]


# --- drill-down --------------------------------------------------------------------------------

def test_a_viewer_cannot_drill_into_an_agency_outside_their_tree(
        client, province, sample, district_a_viewer):
    inside = get(client, district_a_viewer,
                 reverse("baocao:agency_overview", args=[province.commune_a1.pk]))
    assert inside.status_code == 200
    for agency in (province.district_b, province.commune_b1, province.root):
        url = reverse("baocao:agency_overview", args=[agency.pk])
        assert get(client, district_a_viewer, url).status_code == 404
        url = reverse("baocao:procedure_dossiers", args=[agency.pk])
        assert get(client, district_a_viewer, url).status_code == 404
    assert get(client, district_a_viewer,
               reverse("baocao:agency_overview", args=[999999])).status_code == 404


def test_people_without_reports_get_403(client, province, desk_a1):  # noqa: F811
    assert get(client, desk_a1, OVERVIEW).status_code == 403
    client.logout()
    assert client.get(OVERVIEW).status_code == 302  # to the login page


def test_the_per_procedure_table_links_to_exactly_the_dossiers_it_counts(
        client, province, sample, birth_procedure, district_a_viewer):  # noqa: F811
    response = get(client, district_a_viewer,
                   reverse("baocao:agency_overview", args=[province.district_a.pk]))
    (row,) = response.context["procedures"]
    assert row["procedure_id"] == birth_procedure.pk
    cells = {col: n for col, n, _text in row["cells"]}
    assert cells == {"received": 5, "online": 3, "resolved": 3, "on_time": 2, "overdue": 1}
    page = response.content.decode()
    url = reverse("baocao:procedure_dossiers", args=[province.district_a.pk])
    assert url in page
    for column, expected in cells.items():
        listed = get(client, district_a_viewer, url, **QUARTER.as_params(), cot=column,
                     **{"thu_tuc": birth_procedure.pk})
        assert listed.status_code == 200
        assert listed.context["page"].paginator.count == expected, column
        shown = {d.deciding_agency_id for d in listed.context["page"].object_list}
        assert shown <= {province.commune_a1.pk, province.commune_a2.pk}


def test_a_headline_card_links_to_the_dossiers_behind_its_numerator_and_denominator(
        client, province, sample, district_a_viewer):
    url = reverse("baocao:agency_overview", args=[province.district_a.pk])
    page = get(client, district_a_viewer, url).content.decode()
    query = "&amp;".join(f"{k}={v}" for k, v in QUARTER.as_params().items())
    drill = reverse("baocao:kpi_drilldown")
    for part, expected in (("tu_so", 2), ("mau_so", 3)):
        link = (f"{drill}?chi_so=on_time&amp;phan={part}&amp;{query}"
                f"&amp;co_quan={province.district_a.pk}")
        assert link in page
        listed = client.get(link.replace("&amp;", "&"))
        assert listed.context["page"].paginator.count == expected


# --- constant queries --------------------------------------------------------------------------

def _queries(client, url, params=None) -> int:
    client.get(url, params or {})  # warm the per-user permission cache
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_the_overview_costs_the_same_queries_for_3_and_30_agencies(
        client, province, sample, province_viewer):
    client.force_login(province_viewer)
    district_url = reverse("baocao:agency_overview", args=[province.district_a.pk])
    before = (_queries(client, OVERVIEW), _queries(client, district_url))
    for n in range(27):
        AgencyFactory(parent=province.district_a, name=f"UBND xã mới {n}",
                      level=AgencyLevel.COMMUNE)
        AgencyFactory(parent=province.root, name=f"Sở mới {n}", level=AgencyLevel.PROVINCE)
    after = (_queries(client, OVERVIEW), _queries(client, district_url))
    assert len(client.get(district_url).context["ranking"]) == 29
    assert before == after


def test_the_dossier_lists_cost_the_same_queries_for_few_and_many_dossiers(
        client, province, sample, birth_procedure, desk_a1, province_viewer):  # noqa: F811
    client.force_login(province_viewer)
    url = reverse("baocao:procedure_dossiers", args=[province.commune_a1.pk])
    before = _queries(client, url)
    make_dossiers(province, birth_procedure, desk_a1,
                  [("commune_a1", {"received_at": at(10, 20 + n % 5), "due_at": at(12, 30),
                                   "status": "in_progress"}) for n in range(25)])
    after = _queries(client, url)
    assert client.get(url).context["page"].paginator.count == 29
    assert before == after


# --- the vendored chart library ----------------------------------------------------------------

def test_the_vendored_chart_library_is_served_by_the_static_files_finder():
    chart = finders.find("vendor/chartjs/chart.umd.min.js")
    assert chart is not None
    with open(chart, encoding="utf-8") as handle:
        assert "Chart.js v4" in handle.read(200)
    assert finders.find("vendor/chartjs/chart.umd.min.js.map") is not None  # its source map
    assert finders.find("vendor/chartjs/LICENSE.md") is not None
    assert finders.find("baocao/charts.js") is not None
    assert finders.find("baocao/report_job.js") is not None


def test_vietnamese_number_formats():
    assert views.vi_number(1250) == "1.250"
    assert views.vi_number(Decimal("87.50"), 1) == "87,5"
    assert views.kpi_text(kpis.KPIS["on_time"], Decimal("87.50")) == "87,5 %"
    assert views.kpi_text(kpis.KPIS["overdue_in_progress"], Decimal("1250")) == "1.250 hồ sơ"
    assert views.kpi_text(kpis.KPIS["on_time"], None) == "Chưa có số liệu"
    assert timezone.localdate() == dt.date(2026, 12, 10)
