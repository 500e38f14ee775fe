"""seed_demo's history (hoso.demo_history): six months of consistent dossiers (with their
supplement requests and reuses from the wallet) and the KPI snapshots of the last weeks, so the
dashboards of `make run` have something to show."""

import datetime as dt
from collections import Counter, defaultdict

import pytest
import time_machine
from django.db.models import Count, F, Max, Q

from baocao import kpis
from baocao.definitions import (
    custom_period,
    gris_period,
    in_progress_overdue,
    in_progress_within,
)
from baocao.handling import handling_report
from baocao.models import SnapshotRun
from hoso import demo as hoso_demo
from hoso.choices import (
    Action,
    Channel,
    DigitisationState,
    DocumentSource,
    DossierStatus,
    WalletKind,
)
from hoso.codes import format_code
from hoso.demo_history import seed_history, snapshot_days
from hoso.models import (
    Dossier,
    DossierCounter,
    DossierDocument,
    DossierEvent,
    Result,
    SupplementRequest,
    WalletDocument,
    WalletUse,
)
from hoso.services import steps
from hoso.services.intake import due_time
from portal import demo
from portal.calendar import TZ, get_calendar
from portal.choices import Role
from portal.models import Agency, AgencyMembership
from portal.permissions import has_agency_perm
from thanhtoan.models import PaymentAttempt, PaymentOrder
from tthc import demo as tthc_demo
from tthc.choices import ClockRule

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


def _history():
    return Dossier.objects.filter(pk__in=DossierEvent.objects.filter(
        action=Action.RECEIVE, data__demo_history=True).values("dossier_id"))


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
    history = _history()
    # without a supplement nothing moved the due times (with one: see the supplement checks)
    assert not history.filter(supplement_count=0).exclude(kpi_due_at=F("due_at")).exists()
    assert not history.filter(supplement_count=0, paused_at__isnull=False).exists()
    assert not history.filter(due_at__lte=F("received_at")).exists()
    assert not history.filter(status__in=FINISHED, finished_at__isnull=True).exists()
    assert not history.exclude(status__in=FINISHED).filter(finished_at__isnull=False).exists()
    assert not history.filter(status=DossierStatus.RETURNED, returned_at__isnull=True).exists()
    assert not history.filter(finished_at__gt=NOW).exists()
    assert not history.filter(status__in=(DossierStatus.IN_PROGRESS,
                                          DossierStatus.AWAITING_SUPPLEMENT),
                              current_step__isnull=True).exists()
    receipts = Counter(DossierEvent.objects.filter(action="receive", data__demo_history=True)
                       .values_list("dossier_id", flat=True))
    assert set(receipts.values()) == {1}
    assert len(receipts) == history.count()
    finished = history.filter(status__in=FINISHED)
    late = finished.filter(finished_at__gt=F("due_at")).count()
    assert 0.05 < late / finished.count() < 0.2  # about 88 % on time


def _online_share_rises_and_every_kind_of_row_exists():
    history = _history()
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


def _members(role_filter: Q) -> set[tuple[int, int]]:
    return set(AgencyMembership.objects.filter(role_filter)
               .values_list("agency_id", "user_id"))


def _supplement_requests_match_the_dossiers_and_their_clock():
    history = _history()
    # every dossier (the real ones of seed_dossiers too): as many requests as it says, 1..n
    counted = Dossier.objects.annotate(n=Count("supplement_requests"),
                                       last=Max("supplement_requests__number"))
    assert not counted.exclude(supplement_count=F("n")).exists()
    assert not counted.filter(n__gt=0).exclude(last=F("n")).exists()
    asked = history.filter(supplement_count__gt=0)
    assert 0.03 < asked.count() / history.count() < 0.1  # about 6 %
    twice = history.filter(supplement_count=2)
    assert 0 < twice.count() < asked.count() / 4  # about 0.5 % of the dossiers
    assert set(history.filter(counted_overdue=True)) == set(twice)
    processors = _members(Q(role__in=(Role.PROCESSING_OFFICER, Role.LEADER)))
    desks = _members(Q(role=Role.DESK_OFFICER))
    answered = waiting = 0
    for dossier in asked.select_related("procedure", "deciding_agency").prefetch_related(
            "supplement_requests"):
        requests = list(dossier.supplement_requests.all())
        calendar = get_calendar(dossier.deciding_agency)
        kpi_due = requests[0].due_at_before
        assert requests[0].due_at_before == due_time(dossier.procedure, dossier.terms,
                                                     dossier.received_at,
                                                     dossier.deciding_agency)
        before = dossier.received_at
        for request in requests:
            # the deciding agency's officer, the receiving desk, or one who may process there
            assert ((dossier.deciding_agency_id, request.requested_by_id) in processors
                    or (dossier.receiving_agency_id, request.requested_by_id) in desks
                    or has_agency_perm(request.requested_by, "portal.process_dossier",
                                       dossier.deciding_agency))
            assert request.items
            assert all(i["name"] and i["reason"] for i in request.items)
            assert request.clock_rule == dossier.terms["procedure"]["supplement_clock"]
            assert before < request.requested_at <= NOW
            if request.number > 1:
                assert request.reason
                assert has_agency_perm(request.approved_by, "portal.approve_dossier",
                                       dossier.deciding_agency)
            else:
                assert request.approved_by_id is None
            if request.received_at is None:  # still waiting: the last one, the clock paused
                waiting += 1
                assert request is requests[-1]
                assert dossier.status == DossierStatus.AWAITING_SUPPLEMENT
                assert dossier.paused_at == request.requested_at
                assert dossier.due_at == request.due_at_before
                assert dossier.kpi_due_at == kpi_due
                break
            answered += 1
            assert request.requested_at < request.received_at <= NOW
            paused = int(calendar.between(request.requested_at, request.received_at)
                         .total_seconds())
            kpi_due = steps.shift(dossier, kpi_due, paused)
            if request.clock_rule == ClockRule.RESTART:  # counted again from the answer
                assert request.due_at_after == due_time(dossier.procedure, dossier.terms,
                                                         request.received_at,
                                                         dossier.deciding_agency)
            else:  # moved by the working time the applicant took
                assert request.due_at_after == steps.shift(dossier, request.due_at_before,
                                                           paused)
            before = request.received_at
        else:
            assert dossier.status != DossierStatus.AWAITING_SUPPLEMENT
            assert dossier.paused_at is None
            assert dossier.due_at == requests[-1].due_at_after
            assert dossier.kpi_due_at == kpi_due
            assert dossier.finished_at is None or dossier.finished_at >= before
    assert answered > 50
    assert waiting > 0


def _supplement_events_follow_the_requests():
    history = _history()
    events = defaultdict(list)
    for event in DossierEvent.objects.filter(
            dossier__in=history, action__in=(Action.REQUEST_SUPPLEMENT, Action.SUPPLEMENT)):
        events[event.dossier_id].append(event)
    for request in SupplementRequest.objects.filter(dossier__in=history):
        asked = [e for e in events[request.dossier_id]
                 if e.action == Action.REQUEST_SUPPLEMENT and e.at == request.requested_at]
        assert len(asked) == 1
        assert asked[0].actor_id == request.requested_by_id
        assert (asked[0].status_before, asked[0].status_after) == (
            DossierStatus.IN_PROGRESS, DossierStatus.AWAITING_SUPPLEMENT)
        assert asked[0].data["items"] == request.items
        assert asked[0].note == request.reason
        back = [e for e in events[request.dossier_id]
                if e.action == Action.SUPPLEMENT and e.at == request.received_at]
        assert len(back) == (request.received_at is not None)
        assert all(e.status_after == DossierStatus.IN_PROGRESS for e in back)
    assert sum(map(len, events.values())) == (
        SupplementRequest.objects.filter(dossier__in=history).count()
        + SupplementRequest.objects.filter(dossier__in=history, received_at__isnull=False)
        .count())


def _wallet_reuses_are_later_dossiers_of_the_same_owner():
    history = _history()
    uses = list(WalletUse.objects.filter(dossier__in=history).select_related(
        "dossier", "document", "wallet_document__source_dossier",
        "wallet_document__source_document", "wallet_document__source_result"))
    reused = DossierDocument.objects.filter(dossier__in=history, digitisation__in=(
        DigitisationState.REUSED_DOCUMENT, DigitisationState.REUSED_RESULT))
    assert len(uses) == reused.count() == reused.filter(wallet_document__isnull=False).count()
    assert {use.wallet_document.kind for use in uses} == {WalletKind.DOCUMENT,
                                                          WalletKind.RESULT}
    for use in uses:
        entry, paper, dossier = use.wallet_document, use.document, use.dossier
        earlier = entry.source_dossier
        assert paper.dossier_id == dossier.pk
        assert paper.wallet_document_id == entry.pk
        assert paper.source == DocumentSource.WALLET
        assert paper.doc_type_code == entry.doc_type_code != ""
        assert (dossier.owner_id_number, dossier.owner_name) == (
            entry.owner_id_number, entry.owner_name) == (earlier.owner_id_number,
                                                         earlier.owner_name)
        assert earlier.received_at < dossier.received_at
        assert earlier.pk != dossier.pk
        assert use.used_at == (dossier.submitted_at or dossier.received_at)
        assert (use.agency_id, use.channel) == (dossier.receiving_agency_id, dossier.channel)
        assert entry.is_usable_on(_local_day(dossier.received_at))
        if entry.kind == WalletKind.DOCUMENT:
            assert paper.digitisation == DigitisationState.REUSED_DOCUMENT
            assert entry.source_document.dossier_id == earlier.pk
            assert entry.source_document.digitisation == DigitisationState.DIGITISED
            assert entry.code == entry.source_document.digital_code != ""
        else:
            assert paper.digitisation == DigitisationState.REUSED_RESULT
            result = entry.source_result
            assert result.dossier_id == earlier.pk
            assert result.electronic
            assert result.signed_at < dossier.received_at
            assert entry.code == result.code
    # the wallet holds nothing nobody took (the demo's own journey aside)
    assert not WalletDocument.objects.filter(source_dossier__in=history, uses=None).exists()


def _data_reuse_rate_counts_the_reuses():
    first = _history().order_by("received_at").first().received_at
    period = custom_period(_local_day(first), _local_day(NOW))
    with time_machine.travel(NOW, tick=False):
        value = kpis.compute("data_reuse", period, None)
    national = DossierDocument.objects.filter(
        digitisation=DigitisationState.NATIONAL_SOURCE, dossier__received_at__gte=period.start,
        dossier__received_at__lt=period.end).count()
    assert value.value > 0
    assert value.numerator > national  # the wallet's reuses are counted, not only CSDL reads


def _waiting_dossiers_count_within_the_deadline_in_the_current_quarter():
    # the period runs at NOW: a dossier waiting for a supplement is judged paused (within the
    # deadline, even past its due time), one asked twice overdue — from the supplement history
    root = Agency.objects.get(code=demo.ROOT_CODE)
    period = gris_period("quarter", 2026, 4)
    with time_machine.travel(NOW, tick=False):
        cells = handling_report(root, period).total.cells  # checks the identities
        within = set(Dossier.objects.filter(in_progress_within(period)))
        overdue = set(Dossier.objects.filter(in_progress_overdue(period)))
    waiting = set(_history().filter(status=DossierStatus.AWAITING_SUPPLEMENT))
    assert waiting
    assert waiting <= within
    assert set(_history().filter(counted_overdue=True, finished_at__isnull=True)) <= overdue
    assert min(cells[12], cells[13]) > 0


def test_seed_history_is_idempotent_leaves_snapshots_and_the_report_identities_hold(seeded):
    _handling_report_identities_hold_for_a_quarter_inside_the_history()
    _waiting_dossiers_count_within_the_deadline_in_the_current_quarter()
    assert seeded["snapshots"] == len(snapshot_days(NOW)) >= 10

    def counts():
        return (Dossier.objects.count(), DossierEvent.objects.count(),
                DossierCounter.objects.aggregate(Max("value")), SnapshotRun.objects.count(),
                SupplementRequest.objects.count(), WalletDocument.objects.count(),
                WalletUse.objects.count(), DossierDocument.objects.count())

    before = counts()
    with time_machine.travel(NOW, tick=False):
        assert seed_history() == {"history_dossiers": 0, "snapshots": 0}
    assert counts() == before
    runs = SnapshotRun.objects.filter(trigger=SnapshotRun.Trigger.SCHEDULE)
    assert runs.count() >= 10
    assert {r.taken_at.astimezone(TZ).time() for r in runs} == {dt.time(16, 30)}
    assert all(r.period_start.astimezone(TZ).date() == dt.date(r.day.year, 1, 1) for r in runs)


def test_history_is_consistent_codes_statuses_supplements_papers_wallet_and_payments(
        seeded, settings):
    _codes_continue_per_unit_and_day_and_counters_follow(seeded, settings)
    _statuses_times_and_events_are_consistent()
    _online_share_rises_and_every_kind_of_row_exists()
    _supplement_requests_match_the_dossiers_and_their_clock()
    _supplement_events_follow_the_requests()
    _wallet_reuses_are_later_dossiers_of_the_same_owner()
    _data_reuse_rate_counts_the_reuses()
