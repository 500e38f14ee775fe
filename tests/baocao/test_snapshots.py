"""KPI snapshots: every KPI × every agency in one pass, the scheduled job once a day, manual and
recomputed runs always new, values never rewritten; the KPI pages for report viewers only,
restricted to their agencies, in a constant number of queries."""

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from baocao import snapshots
from baocao.kpis import KPIS, compute
from baocao.models import KpiSnapshot, SnapshotRun
from hoso.models import Dossier
from portal.choices import Role
from portal.jobs import JOBS, run_job
from portal.models import Agency, JobRun
from tests.baocao.test_kpis import Maker, at, dossiers, procedures, subtree  # noqa: F401
from tests.conftest import make_officer

pytestmark = pytest.mark.django_db

TAKEN = at(5, 16, 30, month=12)  # Saturday 05/12/2026 16:30 local time


@pytest.fixture(autouse=True)
def _at_the_snapshot():
    """Every test happens on 05/12/2026 at 16:30 (sessions included) unless it travels."""
    with time_machine.travel(TAKEN, tick=False):
        yield


def scheduled(when=TAKEN):
    with time_machine.travel(when, tick=False):
        return run_job("kpi_snapshot")


def test_the_job_is_registered_and_scheduled_every_two_days_at_half_past_four():
    assert JOBS["kpi_snapshot"] == "baocao.snapshots.scheduled_snapshot"
    entry = settings.CELERY_BEAT_SCHEDULE["job-kpi-snapshot"]
    assert entry["args"] == ["kpi_snapshot"]
    assert entry["schedule"] == crontab(hour=16, minute=30, day_of_month="*/2")
    assert settings.CELERY_TIMEZONE == "Asia/Ho_Chi_Minh"


def test_a_snapshot_stores_every_kpi_for_every_agency_over_the_year_to_date(
        province, dossiers):  # noqa: F811
    job = scheduled()
    run = SnapshotRun.objects.get()
    agencies = Agency.objects.count()
    assert job.counts == {"created": 1, "run": run.pk, "values": len(KPIS) * agencies}
    assert run.trigger == "schedule"
    assert run.day.isoformat() == "2026-12-05"
    assert run.period_start == at(1, 0, 0, month=1)
    assert run.period_end == TAKEN
    period = snapshots.run_period(run)
    for agency in (province.root, province.district_a, province.commune_b1):
        for kpi_id in ("online_dossiers", "on_time", "online_procedures_with_dossiers"):
            stored = KpiSnapshot.objects.get(run=run, kpi=kpi_id, agency=agency)
            with time_machine.travel(TAKEN, tick=False):
                found = compute(kpi_id, period, subtree(agency))
            assert (stored.numerator, stored.denominator, stored.value) == (
                found.numerator, found.denominator, found.value)
    # the year to date takes in October too: 14 dossiers received by the province, 7 online
    province_online = KpiSnapshot.objects.get(run=run, kpi="online_dossiers",
                                              agency=province.root)
    assert (province_online.numerator, province_online.denominator) == (6, 14)


def test_the_scheduled_snapshot_runs_once_a_day_and_says_so(province, dossiers):  # noqa: F811
    scheduled()
    second = scheduled(at(5, 20, 0, month=12))
    assert second.counts["created"] == 0
    assert SnapshotRun.objects.count() == 1
    assert JobRun.objects.filter(job="kpi_snapshot").count() == 2
    with time_machine.travel(TAKEN, tick=False):
        outcome = snapshots.take_snapshot(trigger="schedule", day=TAKEN.date())
    assert outcome.created is False
    assert "không chụp lại" in outcome.message
    scheduled(at(7, 16, 30, month=12))  # two days later: a new run
    assert SnapshotRun.objects.count() == 2


def test_one_pass_costs_a_query_per_kpi_whatever_the_number_of_agencies(
        province, dossiers):  # noqa: F811
    with time_machine.travel(TAKEN, tick=False), CaptureQueriesContext(connection) as taken:
        snapshots.take_snapshot(trigger="manual", day=TAKEN.date())
    # run insert, agencies, one per KPI, the bulk insert, the duration, savepoint bookkeeping
    kpi_queries = [q for q in taken.captured_queries if "portal_agency anc" in q["sql"]]
    assert len(kpi_queries) == len(KPIS)
    assert len(taken) <= len(KPIS) + 8


def test_manual_runs_and_recomputations_add_runs_and_never_rewrite_values(
        province, dossiers, django_user_model):  # noqa: F811
    scheduled()
    first = SnapshotRun.objects.get()
    before = {(v.kpi, v.agency_id): (v.numerator, v.denominator, v.value)
              for v in first.values.all()}
    with time_machine.travel(at(5, 17, 0, month=12), tick=False):
        manual_1 = snapshots.take_snapshot(trigger="manual", day=TAKEN.date())
        manual_2 = snapshots.take_snapshot(trigger="manual", day=TAKEN.date())
    assert manual_1.created
    assert manual_2.created
    assert manual_1.run.pk != manual_2.run.pk
    # a late correction: dossier 3 (late) is recorded as resolved on time after all
    Dossier.objects.filter(pk=dossiers[3].pk).update(finished_at=at(11, 10))
    with time_machine.travel(at(6, 9, 0, month=12), tick=False):
        again = snapshots.recompute(run=first)
    assert again.run.trigger == "recompute"
    assert again.run.recomputes == first
    assert (again.run.period_start, again.run.period_end) == (first.period_start,
                                                              first.period_end)
    assert SnapshotRun.objects.count() == 4
    assert {(v.kpi, v.agency_id): (v.numerator, v.denominator, v.value)
            for v in first.values.all()} == before
    changed = {(c.kpi, c.agency_id) for c in snapshots.changes(again.run)}
    assert ("on_time", province.commune_a1.pk) in changed
    assert ("on_time", province.commune_b1.pk) not in changed
    a1 = KpiSnapshot.objects.get(run=again.run, kpi="on_time", agency=province.commune_a1)
    assert (a1.numerator, a1.denominator) == (6, 6)  # + dossier 3 and October's on time


# --- pages -----------------------------------------------------------------------------------

@pytest.fixture
def district_a_viewer(province):
    return make_officer(province.district_a, Role.REPORT_VIEWER, username="theo_doi_huyen_a")


@pytest.fixture
def leader_a1(province):
    return make_officer(province.commune_a1, Role.LEADER, username="lanh_dao_a1")


def test_the_kpi_list_shows_the_viewers_agencies_only(client, province, dossiers,
                                                      district_a_viewer):  # noqa: F811
    client.force_login(district_a_viewer)
    with time_machine.travel(TAKEN, tick=False):
        response = client.get(reverse("baocao:kpi_list"), {"from": "2026-11-01",
                                                           "to": "2026-11-30"})
    assert response.status_code == 200
    rows = {row["kpi"].id: row["found"] for row in response.context["rows"]}
    assert (rows["online_dossiers"].numerator, rows["online_dossiers"].denominator) == (5, 10)
    page = response.content.decode()
    assert "Tỷ lệ hồ sơ nộp trực tuyến" in page
    assert "50,00 %" in page
    assert "≥ 80 %" in page
    assert "Chụp chỉ số ngay" in page
    # another district's agency is refused and the whole scope shown
    with time_machine.travel(TAKEN, tick=False):
        other = client.get(reverse("baocao:kpi_list"), {"co_quan": province.commune_b1.pk})
    assert other.context["chosen"] is None
    assert other.context["notice"]


def test_the_drill_down_lists_the_numerators_dossiers_in_the_viewers_agencies(
        client, province, dossiers, district_a_viewer):  # noqa: F811
    client.force_login(district_a_viewer)
    url = reverse("baocao:kpi_drilldown")
    params = {"chi_so": "online_dossiers", "phan": "tu_so", "from": "2026-11-01",
              "to": "2026-11-30"}
    with time_machine.travel(TAKEN, tick=False):
        response = client.get(url, params)
    codes = {d.code for d in response.context["page"].object_list}
    assert codes == {dossiers[n].code for n in (1, 5, 8, 9, 16)}  # not B1's dossier 11
    assert response.context["count"] == 5
    with time_machine.travel(TAKEN, tick=False):
        procedures_page = client.get(url, {**params, "chi_so":
                                           "online_procedures_with_dossiers"})
    assert len(procedures_page.context["page"].object_list) == 2


def test_the_drill_down_costs_the_same_queries_for_few_or_many_dossiers(
        client, province, dossiers, procedures, district_a_viewer):  # noqa: F811
    client.force_login(district_a_viewer)
    url = reverse("baocao:kpi_drilldown")
    params = {"chi_so": "online_dossiers", "phan": "mau_so", "from": "2026-11-01",
              "to": "2026-11-30"}
    with time_machine.travel(TAKEN, tick=False):
        client.get(url, params)  # warm the permission cache
        with CaptureQueriesContext(connection) as few:
            client.get(url, params)
        maker = Maker(province, procedures)
        for n in range(30):
            maker.count = 100 + n
            maker.dossier(province.commune_a2, received_at=at(20))
        with CaptureQueriesContext(connection) as many:
            response = client.get(url, params)
    assert response.context["count"] == 40
    assert len(few) == len(many)


def test_the_default_period_is_carried_exactly_into_the_drill_down(
        client, province, dossiers, district_a_viewer):  # noqa: F811
    client.force_login(district_a_viewer)
    with time_machine.travel(TAKEN, tick=False):
        listed = client.get(reverse("baocao:kpi_list"))
        row = next(r for r in listed.context["rows"] if r["kpi"].id == "overdue_in_progress")
        behind = client.get(f"{reverse('baocao:kpi_drilldown')}?{row['numerator_url']}")
    assert behind.context["period"].end == TAKEN
    assert behind.context["count"] == row["found"].numerator
    assert behind.context["page"].paginator.count == row["found"].numerator


def test_only_report_viewers_and_administrators_take_a_snapshot(
        client, province, dossiers, leader_a1, district_a_viewer, citizen):  # noqa: F811
    take = reverse("baocao:kpi_snapshot_take")
    client.force_login(leader_a1)
    assert client.get(reverse("baocao:kpi_snapshots")).status_code == 200
    assert client.post(take).status_code == 403
    client.force_login(citizen)
    assert client.get(reverse("baocao:kpi_list")).status_code == 403
    assert client.post(take).status_code == 403
    assert SnapshotRun.objects.count() == 0
    client.force_login(district_a_viewer)
    with time_machine.travel(TAKEN, tick=False):
        response = client.post(take)
    assert response.status_code == 302
    run = SnapshotRun.objects.get()
    assert run.trigger == "manual"
    assert run.taken_by == district_a_viewer
    with time_machine.travel(at(5, 16, 45, month=12), tick=False):
        response = client.post(take, {"tinh_lai": run.pk})
    again = SnapshotRun.objects.get(trigger="recompute")
    assert response.url == reverse("baocao:kpi_snapshot_run", args=[again.pk])
    assert again.recomputes == run


def test_a_run_shows_only_the_viewers_agencies(client, province, dossiers,
                                               district_a_viewer):  # noqa: F811
    scheduled()
    run = SnapshotRun.objects.get()
    client.force_login(district_a_viewer)
    response = client.get(reverse("baocao:kpi_snapshot_run", args=[run.pk]))
    assert response.status_code == 200
    shown = {row["agency"].name for row in response.context["rows"]}
    assert shown == {"UBND huyện A", "UBND xã A1", "UBND xã A2"}
    runs = client.get(reverse("baocao:kpi_snapshots"))
    assert list(runs.context["page"].object_list) == [run]
