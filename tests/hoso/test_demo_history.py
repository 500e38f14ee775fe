"""seed_demo's history (hoso.demo_history): six months of consistent dossiers and the KPI
snapshots of the last weeks, so the dashboards of `make run` have something to show."""

import datetime as dt
from collections import Counter, defaultdict

import pytest
import time_machine
from django.db.models import Count, F, Max, Q

from baocao.definitions import gris_period
from baocao.handling import handling_report
from baocao.models import SnapshotRun
from hoso import demo as hoso_demo
from hoso.choices import Channel, DossierStatus
from hoso.codes import format_code
from hoso.demo_history import seed_history, snapshot_days
from hoso.models import Dossier, DossierCounter, DossierDocument, DossierEvent, Result
from portal import demo
from portal.calendar import TZ
from portal.models import Agency
from thanhtoan.models import PaymentAttempt, PaymentOrder
from tthc import demo as tthc_demo

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
FINISHED = (DossierStatus.RETURNED, DossierStatus.RESOLVED, DossierStatus.REFUSED,
            DossierStatus.WITHDRAWN)


@pytest.fixture
def seeded():
    with time_machine.travel(NOW, tick=False):
        demo.seed_demo()
        tthc_demo.seed_catalogue()
        hoso_demo.seed_dossiers()
        return seed_history()


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def _codes_continue_per_unit_and_day_and_counters_follow(seeded, settings):
    assert 2000 <= seeded["history_dossiers"] <= 4000
    numbers = defaultdict(list)
    for dossier in Dossier.objects.filter(received_at__isnull=False).select_related(
            "receiving_agency", "deciding_agency"):
        unit = (dossier.deciding_agency if settings.DOSSIER_CODE_UNIT == "deciding"
                else dossier.receiving_agency)
        day = _local_day(dossier.received_at)
        prefix = format_code(unit.code, day, 0)[:-4]
        assert dossier.code.startswith(prefix), dossier.code
        numbers[unit.pk, day].append(int(dossier.code[len(prefix):]))
    for key, taken in numbers.items():
        assert sorted(taken) == list(range(1, len(taken) + 1)), key
    counters = {(c.agency_id, c.day): c.value for c in DossierCounter.objects.all()}
    assert {key: len(taken) for key, taken in numbers.items()} == counters


def _statuses_times_and_events_are_consistent():
    history = Dossier.objects.filter(events__data__demo_history=True).distinct()
    assert history.filter(~Q(kpi_due_at=F("due_at"))).count() == 0
    assert not history.filter(due_at__lte=F("received_at")).exists()
    assert not history.filter(status__in=FINISHED, finished_at__isnull=True).exists()
    assert not history.exclude(status__in=FINISHED).filter(finished_at__isnull=False).exists()
    assert not history.filter(status=DossierStatus.RETURNED, returned_at__isnull=True).exists()
    assert not history.filter(finished_at__gt=NOW).exists()
    assert not history.filter(status=DossierStatus.IN_PROGRESS,
                              current_step__isnull=True).exists()
    receipts = Counter(DossierEvent.objects.filter(action="receive", data__demo_history=True)
                       .values_list("dossier_id", flat=True))
    assert set(receipts.values()) == {1}
    assert len(receipts) == history.count()
    finished = history.filter(status__in=FINISHED)
    late = finished.filter(finished_at__gt=F("due_at")).count()
    assert 0.05 < late / finished.count() < 0.2  # about 88 % on time


def _online_share_rises_and_every_kind_of_row_exists():
    history = Dossier.objects.filter(events__data__demo_history=True).distinct()
    online = Q(channel__in=Channel.online_channels())
    first = history.filter(received_at__lt=NOW - dt.timedelta(days=150)).aggregate(
        n=Count("pk"), online=Count("pk", filter=online))
    last = history.filter(received_at__gte=NOW - dt.timedelta(days=30)).aggregate(
        n=Count("pk"), online=Count("pk", filter=online))
    assert first["online"] / first["n"] < last["online"] / last["n"]
    results = Result.objects.filter(dossier__in=history)
    assert results.filter(electronic=True, signed_at__isnull=False, file="").exists()
    assert results.filter(electronic=False).exists()
    states = set(DossierDocument.objects.filter(dossier__in=history)
                 .values_list("digitisation", flat=True))
    assert {"digitised", "not_digitised", "national_source"} <= states
    paid = PaymentAttempt.objects.filter(order__dossier__in=history, status="paid")
    assert {"cash", "vnpay", "paygov"} <= set(paid.values_list("provider", flat=True))
    assert not PaymentOrder.objects.filter(dossier__in=history).exclude(
        dossier__fee_total__gt=0).exists()


def _handling_report_identities_hold_for_a_quarter_inside_the_history():
    root = Agency.objects.get(code=demo.ROOT_CODE)
    report = handling_report(root, gris_period("quarter", 2026, 3))  # checks the identities
    cells = report.total.cells
    assert cells[3] == cells[4] + cells[5] + cells[6] == cells[7] + cells[11]
    assert cells[7] == cells[8] + cells[9] + cells[10]
    assert cells[11] == cells[12] + cells[13]
    assert min(cells[4], cells[5], cells[6], cells[10]) > 0


def test_seed_history_is_idempotent_leaves_snapshots_and_the_report_identities_hold(seeded):
    _handling_report_identities_hold_for_a_quarter_inside_the_history()
    assert seeded["snapshots"] == len(snapshot_days(NOW)) >= 10
    counts = (Dossier.objects.count(), DossierEvent.objects.count(),
              DossierCounter.objects.aggregate(Max("value")), SnapshotRun.objects.count())
    with time_machine.travel(NOW, tick=False):
        assert seed_history() == {"history_dossiers": 0, "snapshots": 0}
    assert counts == (Dossier.objects.count(), DossierEvent.objects.count(),
                      DossierCounter.objects.aggregate(Max("value")),
                      SnapshotRun.objects.count())
    runs = SnapshotRun.objects.filter(trigger=SnapshotRun.Trigger.SCHEDULE)
    assert runs.count() >= 10
    assert {r.taken_at.astimezone(TZ).time() for r in runs} == {dt.time(16, 30)}
    assert all(r.period_start.astimezone(TZ).date() == dt.date(r.day.year, 1, 1) for r in runs)


def test_history_is_consistent_codes_statuses_papers_payments_and_report(seeded, settings):
    _codes_continue_per_unit_and_day_and_counters_follow(seeded, settings)
    _statuses_times_and_events_are_consistent()
    _online_share_rises_and_every_kind_of_row_exists()
