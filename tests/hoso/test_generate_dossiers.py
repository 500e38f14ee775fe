"""generate_dossiers: dossiers COPY-loaded at scale whose codes, counters, statuses and deadlines
agree with what the real services do (run twice, then a real receipt)."""

import datetime as dt
from collections import Counter, defaultdict

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from hoso import selectors
from hoso.choices import Channel, DossierStatus
from hoso.codes import format_code
from hoso.models import Dossier, DossierCounter, DossierEvent
from hoso.services import intake
from portal import demo
from portal.calendar import TZ
from portal.choices import AgencyKind, AgencyLevel
from portal.models import Agency, User
from tthc import demo as tthc_demo
from tthc.models import Procedure

NOW = dt.datetime(2026, 3, 18, 15, 0, tzinfo=TZ)  # a Wednesday afternoon
RUN = {"count": 2000, "years": 0.05, "batch_size": 700}  # ~13 working days, 3 batches


def _unit(dossier: Dossier) -> Agency:
    return (dossier.deciding_agency if settings.DOSSIER_CODE_UNIT == "deciding"
            else dossier.receiving_agency)


def _numbers_by_unit_and_day() -> dict[tuple[int, dt.date], list[int]]:
    numbers = defaultdict(list)
    for dossier in Dossier.objects.exclude(code=None).select_related(
            "receiving_agency", "deciding_agency"):
        unit, day = _unit(dossier), dossier.received_at.astimezone(TZ).date()
        prefix = format_code(unit.code, day, 0)[:-4]
        assert dossier.code.startswith(prefix), dossier.code
        numbers[unit.pk, day].append(int(dossier.code[len(prefix):]))
    return numbers


def _real_receipt(day: dt.date) -> tuple[Dossier, int]:
    """A desk receipt today at the commune with the most generated receipts today."""
    communes = Agency.objects.filter(level=AgencyLevel.COMMUNE,
                                     kind=AgencyKind.PEOPLES_COMMITTEE)
    busiest = (DossierCounter.objects.filter(day=day, agency__in=communes)
               .order_by("-value", "agency__code").select_related("agency").first())
    procedure = Procedure.objects.get(national_code="1.004194")  # đăng ký tạm trú, no e-form
    required = procedure.documents.filter(required=True)
    dossier = intake.intake_at_desk(
        officer=User.objects.get(username="quantri"),
        request=intake.IntakeRequest(
            procedure=procedure, receiving_agency=busiest.agency, deciding_agency=busiest.agency,
            applicant=intake.Applicant(owner_name="Nguyễn Văn Bình",
                                       owner_id_number="019090001234"),
            papers=[intake.PaperIn(position=d.position, originals=1) for d in required]))
    return dossier, busiest.value


@pytest.mark.django_db(transaction=True)  # the loading threads use their own connections
def test_generated_dossiers_are_consistent_and_real_receipts_continue_their_numbers():
    assert connection.vendor == "postgresql"
    with time_machine.travel(NOW, tick=False):
        demo.seed_demo()
        tthc_demo.seed_catalogue()
        call_command("generate_dossiers", seed=7, verbosity=0, **RUN)
        call_command("generate_dossiers", seed=7, verbosity=0, **RUN)  # same data, new numbers

        assert Dossier.objects.count() == 2 * RUN["count"]
        codes = list(Dossier.objects.exclude(code=None).values_list("code", flat=True))
        assert len(codes) == len(set(codes))
        numbers = _numbers_by_unit_and_day()
        counters = {(c.agency_id, c.day): c.value for c in DossierCounter.objects.all()}
        assert counters == {key: len(found) for key, found in numbers.items()}
        for found in numbers.values():
            assert sorted(found) == list(range(1, len(found) + 1))

        dossier, n = _real_receipt(NOW.date())
        assert n >= 1
        assert dossier.code == format_code(dossier.receiving_agency.code, NOW.date(), n + 1)

        _check_statuses_and_times()
        _check_events()
        _check_due_times_against_the_calendar()
        _check_inbox()


def _check_statuses_and_times() -> None:
    dossiers = list(Dossier.objects.filter(created_by=None).select_related("procedure"))
    statuses = Counter(d.status for d in dossiers)
    assert statuses[DossierStatus.RETURNED] > 0
    assert statuses[DossierStatus.IN_PROGRESS] > 0
    working = Dossier.objects.filter(status=DossierStatus.IN_PROGRESS, created_by=None)
    for d in working.select_related("current_step"):  # what the deadline jobs look at
        assert d.current_step.outcome == "open"
        step = d.current_step
        assert step.due_at <= d.due_at
        assert step.started_at <= step.due_at or d.due_at <= step.started_at  # started late
        assert d.handling_agency_id == d.deciding_agency_id
    _check_deadline_states()
    assert {d.channel for d in dossiers} == set(Channel.values)
    open_states = DossierStatus.open_states()
    for d in dossiers:
        assert d.created_at <= NOW
        online = d.channel in Channel.online_channels()
        assert (d.submitted_at is not None, d.intake_due_at is not None) == (online, online)
        if online:
            assert d.intake_due_at > d.submitted_at
        if d.status == DossierStatus.SUBMITTED:
            assert (d.code, d.received_at, d.due_at) == (None, None, None)
            continue
        assert d.code
        assert d.received_at <= NOW
        assert d.due_at > d.received_at
        assert d.slip_version == intake.slip_version_on(d.received_at.astimezone(TZ).date())
        assert d.terms["procedure"]["national_code"] == d.procedure.national_code
        if d.status == DossierStatus.RETURNED:
            assert d.received_at <= d.finished_at <= d.returned_at <= NOW
        if d.status in open_states:
            assert (d.finished_at, d.returned_at) == (None, None)
    overdue = [d for d in dossiers if d.status in open_states and d.due_at < NOW]
    assert overdue


def _check_deadline_states() -> None:
    """Every state the deadline jobs look at is there, consistent with the services'."""
    from hoso.models import Apology, DossierStep, SupplementRequest

    waiting = Dossier.objects.filter(status=DossierStatus.AWAITING_SUPPLEMENT)
    assert waiting.exists()
    for d in waiting.prefetch_related("supplement_requests"):
        (request,) = d.supplement_requests.all()
        assert (request.number, d.supplement_count) == (1, 1)
        assert request.requested_at == d.paused_at <= NOW
        assert request.due_at_before == d.due_at
        assert d.completion_request
        assert request.items
    assert SupplementRequest.objects.count() == waiting.count()
    late_steps = DossierStep.objects.filter(outcome="open", due_at__lt=NOW,
                                            dossier__due_at__gt=NOW)
    assert late_steps.exists()  # a late step of a dossier still on time
    sent = Apology.objects.filter(status="sent").select_related("dossier")
    assert sent.exists()
    assert Apology.objects.filter(status="draft").exists()
    for apology in sent:
        d = apology.dossier
        assert apology.issued_at < d.due_at < apology.new_due_at  # before the due time
        assert (d.extended_due_at, d.apology_count) == (apology.new_due_at, 1)
        assert apology.reason_code
        assert apology.reason
        assert apology.issued_by_id
    assert not Dossier.objects.filter(apology_count=1).exclude(apologies__status="sent").exists()


def _check_events() -> None:
    per_dossier = Counter(DossierEvent.objects.values_list("dossier_id", flat=True))
    assert set(per_dossier) == set(Dossier.objects.values_list("pk", flat=True))
    assert set(per_dossier.values()) <= {1, 2}
    receipts = DossierEvent.objects.filter(action="receive")
    assert receipts.count() == Dossier.objects.exclude(code=None).count()
    assert not receipts.exclude(status_before="submitted", status_after="received").exists()


def _check_due_times_against_the_calendar() -> None:
    sample = (Dossier.objects.exclude(code=None).select_related("procedure", "deciding_agency")
              .order_by("pk")[::10])
    for d in sample:
        assert d.due_at == intake.due_time(d.procedure, d.terms, d.received_at,
                                           d.deciding_agency), d.code


def _check_inbox() -> None:
    officer = User.objects.get(username="xa.motcua")
    page = selectors.inbox_page(officer, "da-tiep-nhan")
    assert page.rows
    agency = Agency.objects.get(code="000.01.41.H55")
    assert all(agency.pk in (d.receiving_agency_id, d.deciding_agency_id) for d in page.rows)
    for queue in selectors.QUEUES:
        selectors.inbox_page(officer, queue)
    counts = selectors.queue_counts(officer)
    assert counts["da-tiep-nhan"] != "0"


@pytest.mark.django_db(transaction=True)
def test_open_only_generates_open_dossiers_in_every_deadline_state():
    """--open-only (the deadline benchmark's data): every dossier is open, received within its
    procedure's time or, for about a tenth, already past it; the deadline jobs find work."""
    from portal.jobs import run_job

    with time_machine.travel(NOW, tick=False):
        demo.seed_demo()
        tthc_demo.seed_catalogue()
        call_command("generate_dossiers", seed=3, verbosity=0, open_only=True, count=1500,
                     years=0.5, batch_size=500)
        dossiers = Dossier.objects.all()
        assert dossiers.count() == 1500
        unfinished = [*DossierStatus.open_states(), DossierStatus.SUBMITTED]  # or unchecked
        assert not dossiers.exclude(status__in=unfinished).exists()
        late = dossiers.filter(due_at__lt=NOW).count()
        assert 0.04 * 1500 < late < 0.25 * 1500
        _check_deadline_states()
        _check_due_times_against_the_calendar()
        assert run_job("overdue_sweep").counts["dossiers"] > 0
        assert run_job("apology_check").counts["drafts"] > 0
        assert run_job("near_due_scan").counts["steps"] > 0


@pytest.mark.django_db(transaction=True)
def test_the_history_around_the_dossiers_is_what_the_reports_count():
    """Issue 9 item 8: papers in every digitisation state, e-results, wallet reuse by the same
    owner, ratings and fee payments, in realistic proportions and consistent with the
    dossiers (what the services would have written)."""
    from django.db.models import Count, F, Q

    from hoso.choices import DigitisationState, DocumentSource
    from hoso.models import DossierDocument, Rating, Result, WalletDocument, WalletUse
    from thanhtoan.models import PaymentOrder

    with time_machine.travel(NOW, tick=False):
        demo.seed_demo()
        tthc_demo.seed_catalogue()
        call_command("generate_dossiers", seed=11, verbosity=0, count=3000, years=0.3,
                     batch_size=1000)
    received = Dossier.objects.exclude(received_at=None)
    # every received dossier has the papers its terms list, no dossier before receipt has any
    papers = received.annotate(n=Count("documents")).values_list("n", "terms")
    assert all(n == len(terms.get("documents", [])) for n, terms in papers)
    assert not DossierDocument.objects.filter(dossier__received_at=None).exists()
    states = Counter(DossierDocument.objects.values_list("digitisation", flat=True))
    total = sum(states.values())
    assert 0.6 < states[DigitisationState.DIGITISED] / total < 0.9
    assert 0.005 < states[DigitisationState.NATIONAL_SOURCE] / total < 0.06
    assert states[DigitisationState.REUSED_DOCUMENT] + states[DigitisationState.REUSED_RESULT]
    assert not DossierDocument.objects.filter(
        digitisation=DigitisationState.DIGITISED, digital_code="").exists()
    # reuse: the wallet entry is the dossier owner's, made from an earlier dossier, used once
    uses = WalletUse.objects.select_related("wallet_document", "dossier", "document")
    assert uses.count() == DossierDocument.objects.filter(source=DocumentSource.WALLET).count()
    for use in uses:
        entry = use.wallet_document
        assert entry.owner_id_number == use.dossier.owner_id_number
        assert use.document.wallet_document_id == entry.pk
        assert entry.source_dossier.received_at < use.dossier.received_at
    assert WalletDocument.objects.filter(source_result__isnull=False).exists()
    # results: one per resolved or returned dossier, most of them signed e-results
    finished = received.filter(status__in=[DossierStatus.RESOLVED, DossierStatus.RETURNED])
    assert Result.objects.count() == finished.count()
    assert 0.6 < Result.objects.filter(electronic=True).count() / finished.count() < 0.9
    assert not Result.objects.exclude(signed_at=F("dossier__finished_at")).filter(
        electronic=True).exists()
    # ratings only after return; withdrawn dossiers ended their clock
    assert not Rating.objects.exclude(dossier__status=DossierStatus.RETURNED).exists()
    assert Rating.objects.exists()
    assert not Dossier.objects.filter(status=DossierStatus.WITHDRAWN, finished_at=None).exists()
    # payments: fee-bearing received dossiers have an order; paid ones a paid attempt and the
    # dossier's paid time; some paid online
    orders = PaymentOrder.objects.all()
    assert orders.count() == received.filter(fee_total__gt=0).count()
    assert not orders.filter(status="paid", paid_attempt=None).exists()
    assert not orders.filter(status="paid").exclude(dossier__fee_paid_at=F("paid_at")).exists()
    assert orders.filter(Q(status="paid") & Q(method="online")).exists()
    assert not received.filter(fee_total__gt=0, fee_paid_at__isnull=False).exclude(
        payments__status="paid").exists()


@pytest.mark.django_db
def test_it_asks_for_the_demo_province_first():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("generate_dossiers", count=10, verbosity=0)


@pytest.mark.django_db
def test_it_refuses_politely_on_sqlite(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="chỉ chạy trên PostgreSQL"):
        call_command("generate_dossiers", count=10, verbosity=0)
