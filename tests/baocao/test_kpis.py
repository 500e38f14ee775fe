"""The KPI library: each KPI on a small hand-built fixture (16 dossiers over three communes and a
district, November 2026) with the numerator and denominator counted by hand; the per-agency
computation equals the per-subtree one in one query whatever the number of agencies; the
dossiers behind a numerator are as many as the numerator says."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baocao import kpis
from baocao.definitions import calendar_period
from baocao.kpis import KPIS, KpiValue, compute, compute_by_agency, dossier_ids_behind
from hoso import figures
from hoso.models import Dossier, DossierDocument, Rating, Result, SupplementRequest
from portal.calendar import TZ
from portal.models import Agency
from tests.factories import UserFactory
from tests.tthc.conftest import record
from thanhtoan.models import PaymentAttempt, PaymentOrder
from tthc import services as tthc_services
from tthc.models import ProcedureAgency

pytestmark = pytest.mark.django_db

NOVEMBER = calendar_period("month", 2026, 11)  # 01/11/2026 00:00 → 01/12/2026 00:00 local


def at(day, hour=9, minute=0, month=11):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _after_the_period():
    with time_machine.travel(at(5, 10, month=12), tick=False):
        yield


def procedure(code, mode, levels, **extra):
    channels = ["direct", "postal", "online"] if mode != "info" else ["direct"]
    return tthc_services.save_procedure(record(
        national_code=code, name=f"Thủ tục {code}", service_mode=mode, levels=levels,
        channels=channels, eform=None, boundary_free=False, boundary_free_scope="", workflows=[
            {"level": level, "steps": [{"name": "Xử lý", "role": "processing_officer",
                                        "share": "1"}]} for level in levels], **extra))[0]


@pytest.fixture
def procedures(province):
    made = {
        "full": procedure("1.000101", "full", ["commune"]),
        "partial": procedure("1.000102", "partial", ["district"]),
        "info": procedure("1.000103", "info", ["commune"]),
        "named": procedure("1.000104", "full", ["province"]),
        "excluded": procedure("1.000105", "partial", ["commune"]),
        "retired": procedure("1.000106", "full", ["commune"], retired_on="2026-10-01"),
    }
    ProcedureAgency.objects.create(procedure=made["named"], agency=province.department)
    ProcedureAgency.objects.create(procedure=made["excluded"], agency=province.commune_b1,
                                   relation="excluded")
    return made


class Maker:
    def __init__(self, province, procedures):
        self.province, self.procedures = province, procedures
        self.officer = UserFactory()
        self.count = 0

    def dossier(self, agency, *, deciding=None, procedure="full", **fields):
        self.count += 1
        return Dossier.objects.create(
            procedure=self.procedures[procedure], receiving_agency=agency,
            deciding_agency=deciding or agency, code=f"T-{self.count:03d}",
            owner_name="Nguyễn Văn An", owner_id_number="019090001234",
            **{"status": "in_progress", "channel": "direct", **fields})

    def papers(self, dossier, *states):
        for position, state in enumerate(states, start=1):
            DossierDocument.objects.create(dossier=dossier, position=position,
                                           name=f"Giấy tờ {position}", digitisation=state)

    def result(self, dossier, *, electronic=True, revoked=False):
        Result.objects.create(
            dossier=dossier, code=f"KQ-{dossier.code}-{dossier.results.count()}",
            name="Giấy khai sinh", number="1/2026", issued_on=dt.date(2026, 11, 5),
            electronic=electronic, added_by=self.officer,
            signed_at=at(5) if electronic else None, revoked_at=at(6) if revoked else None)

    def paid(self, dossier, provider, status="paid"):
        order = PaymentOrder.objects.create(
            dossier=dossier, agency=dossier.receiving_agency, reference=f"HS{dossier.pk}",
            amount=8000, timing="at_intake", method="online" if provider in (
                "vnpay", "paygov") else "cash")
        PaymentAttempt.objects.create(order=order, provider=provider, amount=8000,
                                      txn_ref=f"TX{dossier.pk}", status=status)

    def supplements(self, dossier, *requests):
        """(requested at, supplement received at, due time before the request)"""
        for number, (requested_at, received_at, due_before) in enumerate(requests, start=1):
            SupplementRequest.objects.create(
                dossier=dossier, number=number, requested_by=self.officer,
                requested_at=requested_at, received_at=received_at,
                due_at_before=due_before, clock_rule="restart")

    def rating(self, dossier, when, **scores):
        Rating.objects.create(dossier=dossier, scores=scores, rated_at=when)


@pytest.fixture
def dossiers(province, procedures):
    """The 16 dossiers; the comment of each says where it counts."""
    m = Maker(province, procedures)
    a1, a2, b1 = province.commune_a1, province.commune_a2, province.commune_b1
    made = {}
    # 1 A1 online, late intake, early, fee paid by VNPay, papers digital (one reused), e-result
    made[1] = m.dossier(a1, channel="online", status="returned", submitted_at=at(2, 10),
                        intake_due_at=at(2, 17), received_at=at(3), due_at=at(6, 17),
                        finished_at=at(5, 10), fee_total=8000)
    m.papers(made[1], "digitised", "reused_document")
    m.result(made[1])
    m.paid(made[1], "vnpay")
    m.rating(made[1], at(6), overall=5, attitude=5)
    # 2 A1 direct, on time (due date), fee paid in cash, one paper not digital, e-result revoked
    made[2] = m.dossier(a1, status="returned", received_at=at(4), due_at=at(10, 17),
                        finished_at=at(10, 10), fee_total=8000)
    m.papers(made[2], "not_digitised", "digitised")
    m.result(made[2], revoked=True)
    m.paid(made[2], "cash")
    m.rating(made[2], at(11), overall=3, attitude=3)
    # 3 A1 direct, late, no fee, no paper (fully digitised), rated 4
    made[3] = m.dossier(a1, status="resolved", received_at=at(5), due_at=at(12, 17),
                        finished_at=at(20, 10), fee_total=0)
    m.rating(made[3], at(21), overall=4, attitude=4, time=4)
    # 4 A1 postal, in progress at the end and overdue
    made[4] = m.dossier(a1, channel="postal", received_at=at(6), due_at=at(15, 17))
    # 5 A1 VNeID, in progress within the deadline; fee attempt failed
    made[5] = m.dossier(a1, channel="vneid", submitted_at=at(25, 8), intake_due_at=at(25, 16),
                        received_at=at(25), due_at=at(5, 17, month=12), fee_total=8000)
    m.paid(made[5], "vnpay", status="failed")
    # 6 A1 carried over from October, waiting for a supplement past its due time: within
    made[6] = m.dossier(a1, status="awaiting_supplement", received_at=at(20, month=10),
                        due_at=at(1, 17), supplement_count=1)
    m.supplements(made[6], (at(25, month=10), None, at(1, 17)))
    # 7 A1 finished in October: nowhere (its reused paper neither)
    made[7] = m.dossier(a1, status="returned", received_at=at(10, month=10),
                        due_at=at(30, month=10), finished_at=at(28, month=10))
    m.papers(made[7], "reused_result")
    # 8 A1 online, withdrawn after its due time: on time
    made[8] = m.dossier(a1, channel="online", status="withdrawn", submitted_at=at(7, 8),
                        intake_due_at=at(7, 16), received_at=at(7, 10), due_at=at(8, 17),
                        finished_at=at(9, 10))
    # 9 A2 national portal, refused, no due time: on time
    made[9] = m.dossier(a2, channel="national_portal", status="refused",
                        submitted_at=at(1, 20), intake_due_at=at(2, 16), received_at=at(2),
                        finished_at=at(3))
    # 10 A2 direct, in progress, counted overdue although its due time is after the end
    made[10] = m.dossier(a2, received_at=at(3), due_at=at(1, 18, month=12),
                         counted_overdue=True, supplement_count=2)
    m.supplements(made[10], (at(4), at(5), at(20)), (at(6), at(7), at(25)))
    # 11 B1 online, received 06:30 local (still 11/11 in UTC), early, paid on the national
    # platform, paper from a national source, e-result, rated 3.5
    made[11] = m.dossier(b1, channel="online", status="resolved", submitted_at=at(12, 6),
                         intake_due_at=at(12, 16), received_at=at(12, 6, 30),
                         due_at=at(14, 17), finished_at=at(13), fee_total=8000)
    m.papers(made[11], "national_source")
    m.result(made[11])
    m.paid(made[11], "paygov")
    m.rating(made[11], at(14), overall=4, attitude=3)
    # 12 B1 direct, resolved the day it was received (0 days), paper not digital, rated in
    # December (outside)
    made[12] = m.dossier(b1, status="resolved", received_at=at(12, 8), due_at=at(12, 23, 45),
                         finished_at=at(12, 23, 30))
    m.papers(made[12], "not_digitised")
    m.rating(made[12], at(2, month=12), overall=5)
    # 13 A1 online, decided by district A, never checked: intake overdue at the end
    made[13] = m.dossier(a1, deciding=province.district_a, channel="online", status="submitted",
                         submitted_at=at(27), intake_due_at=at(27, 17))
    # 14 received at B1, decided by A1 (boundary-free): early, paper result (not electronic)
    made[14] = m.dossier(b1, deciding=a1, status="resolved", received_at=at(16),
                         due_at=at(20, 17), finished_at=at(18))
    m.result(made[14], electronic=False)
    # 15 B1 online, waiting for the check, due after the end: not overdue
    made[15] = m.dossier(b1, channel="online", status="submitted", submitted_at=at(29, 10),
                         intake_due_at=at(1, 10, month=12))
    # 16 district A online, partial-service procedure, in progress within the deadline
    made[16] = m.dossier(province.district_a, procedure="partial", channel="online",
                         submitted_at=at(10, 8), intake_due_at=at(10, 16), received_at=at(10),
                         due_at=at(20, month=12))
    return made


def subtree(agency) -> list[int]:
    return list(Agency.objects.get_tree(agency).values_list("pk", flat=True))


def value(kpi_id, agency=None):
    found = compute(kpi_id, NOVEMBER, None if agency is None else subtree(agency))
    return found.numerator, found.denominator, found.value


# --- each KPI, counted by hand ---------------------------------------------------------------

def test_online_dossiers_share_counts_online_channels_among_received_by_deciding_agency(
        province, dossiers):
    assert value("online_dossiers", province.commune_a1) == (3, 7, Decimal("42.86"))
    assert value("online_dossiers", province.commune_a2) == (1, 2, Decimal("50.00"))
    assert value("online_dossiers", province.district_a) == (5, 10, Decimal("50.00"))
    assert value("online_dossiers", province.commune_b1) == (1, 2, Decimal("50.00"))
    assert value("online_dossiers") == (6, 12, Decimal("50.00"))


def test_online_procedures_with_dossiers_counts_each_procedure_once_per_subtree(
        province, dossiers):
    kpi = "online_procedures_with_dossiers"
    assert value(kpi, province.commune_a1) == (1, 2, Decimal("50.00"))  # full / full, excluded
    assert value(kpi, province.commune_b1) == (1, 1, Decimal("100.00"))  # excluded at B1
    assert value(kpi, province.district_a) == (2, 3, Decimal("66.67"))
    assert value(kpi, province.district_b) == (1, 2, Decimal("50.00"))
    assert value(kpi, province.department) == (0, 1, Decimal("0.00"))  # the named one
    assert value(kpi, province.two_level_commune) == (0, 2, Decimal("0.00"))
    # info-only and retired procedures never count; the province: full, partial, named, excluded
    assert value(kpi) == (2, 4, Decimal("50.00"))


def test_digitised_dossiers_need_every_paper_digital_and_agree_with_the_figures(
        province, dossiers):
    assert value("digitised_dossiers", province.commune_a1) == (6, 7, Decimal("85.71"))
    assert value("digitised_dossiers", province.commune_b1) == (1, 2, Decimal("50.00"))
    assert value("digitised_dossiers") == (10, 12, Decimal("83.33"))
    by_deciding = figures.dossiers_fully_digitised_by_agency(
        None, NOVEMBER.start, NOVEMBER.end, by="deciding")
    assert by_deciding[province.commune_a1.pk]["dossiers_fully_digitised"] == 6
    assert by_deciding[province.commune_a1.pk]["dossiers_received"] == 7


def test_electronic_results_count_resolved_dossiers_with_a_valid_signed_eresult(
        province, dossiers):
    assert value("electronic_results", province.commune_a1) == (1, 4, Decimal("25.00"))
    assert value("electronic_results", province.commune_a2) == (0, 0, None)
    assert value("electronic_results") == (2, 6, Decimal("33.33"))


def test_on_time_rate_counts_early_on_time_and_withdrawn_among_resolved(province, dossiers):
    assert value("on_time", province.commune_a1) == (4, 5, Decimal("80.00"))
    assert value("on_time", province.commune_a2) == (1, 1, Decimal("100.00"))
    assert value("on_time", province.district_a) == (5, 6, Decimal("83.33"))
    assert value("on_time") == (7, 8, Decimal("87.50"))


def test_overdue_in_progress_is_a_count_of_column_13_over_column_11(province, dossiers):
    assert value("overdue_in_progress", province.commune_a1) == (1, 3, Decimal(1))
    assert value("overdue_in_progress", province.commune_a2) == (1, 1, Decimal(1))
    assert value("overdue_in_progress", province.commune_b1) == (0, 0, Decimal(0))
    assert value("overdue_in_progress") == (2, 5, Decimal(2))
    assert KPIS["overdue_in_progress"].direction == "lower"


def test_online_payment_counts_a_paid_attempt_through_an_online_provider(province, dossiers):
    assert value("online_payment", province.commune_a1) == (1, 3, Decimal("33.33"))
    assert value("online_payment", province.commune_b1) == (1, 1, Decimal("100.00"))
    assert value("online_payment") == (2, 4, Decimal("50.00"))


def test_data_reuse_counts_papers_from_the_wallet_or_a_national_source(province, dossiers):
    assert value("data_reuse", province.commune_a1) == (1, 4, Decimal("25.00"))
    assert value("data_reuse", province.commune_b1) == (1, 2, Decimal("50.00"))
    assert value("data_reuse") == (2, 6, Decimal("33.33"))


def test_satisfaction_counts_ratings_in_the_period_averaging_four_or_more(province, dossiers):
    assert value("satisfaction", province.commune_a1) == (2, 3, Decimal("66.67"))
    assert value("satisfaction", province.commune_b1) == (0, 1, Decimal("0.00"))
    assert value("satisfaction") == (2, 4, Decimal("50.00"))


def test_average_processing_days_uses_local_calendar_dates(province, dossiers):
    # A1: 2 + 6 + 15 + 2 days over 4; B1: 1 (06:30 local is the day before in UTC) + 0
    assert value("average_processing_days", province.commune_a1) == (25, 4, Decimal("6.25"))
    assert value("average_processing_days", province.commune_b1) == (1, 2, Decimal("0.50"))
    assert value("average_processing_days") == (26, 6, Decimal("4.33"))


def test_intake_overdue_counts_late_checks_by_receiving_agency(province, dossiers):
    assert value("intake_overdue", province.commune_a1) == (2, 4, Decimal(2))
    assert value("intake_overdue", province.commune_b1) == (0, 2, Decimal(0))
    assert value("intake_overdue", province.district_a) == (2, 6, Decimal(2))
    assert value("intake_overdue") == (2, 8, Decimal(2))


def test_no_dossier_gives_no_rate_rather_than_zero(province, procedures):
    assert compute("on_time", NOVEMBER, None) == KpiValue(0, 0, None)
    assert compute("overdue_in_progress", NOVEMBER, None) == KpiValue(0, 0, Decimal(0))


def test_targets_default_to_the_seeds_and_follow_the_setting(settings):
    assert KPIS["online_dossiers"].target == Decimal(50)
    assert KPIS["online_procedures_with_dossiers"].target == Decimal(80)
    assert KPIS["digitised_dossiers"].target == Decimal(100)
    assert KPIS["on_time"].target == Decimal(100)
    assert KPIS["satisfaction"].target is None
    settings.REPORT_KPI_TARGETS = {"on_time": "95.5"}
    assert KPIS["on_time"].target == Decimal("95.5")
    assert KPIS["on_time"].meets_target(Decimal("96")) is True


def test_every_kpi_is_declared_with_vietnamese_text():
    assert len(KPIS) >= 11
    for kpi in KPIS.values():
        assert kpi.name
        assert kpi.definition
        assert kpi.unit in ("%", "hồ sơ", "ngày")
        assert kpi.direction in ("higher", "lower")
        assert kpi.agency_field in ("deciding_agency", "receiving_agency")


# --- per agency, set-based --------------------------------------------------------------------

def all_agencies():
    return list(Agency.objects.order_by("path"))


@pytest.mark.parametrize("kpi_id", list(KPIS))
def test_compute_by_agency_equals_compute_over_each_subtree(province, dossiers, kpi_id):
    agencies = all_agencies()
    by_agency = compute_by_agency(kpi_id, NOVEMBER, agencies)
    assert set(by_agency) == {a.pk for a in agencies}
    for agency in agencies:
        assert by_agency[agency.pk] == compute(kpi_id, NOVEMBER, subtree(agency)), agency.name


def test_compute_by_agency_for_some_agencies_only(province, dossiers):
    chosen = [province.district_a, province.commune_b1]
    found = compute_by_agency("online_dossiers", NOVEMBER, chosen)
    assert found == {province.district_a.pk: KpiValue(5, 10, Decimal("50.00")),
                     province.commune_b1.pk: KpiValue(1, 2, Decimal("50.00"))}


@pytest.mark.parametrize("kpi_id", list(KPIS))
def test_compute_by_agency_is_one_query_whatever_the_number_of_agencies(
        province, dossiers, kpi_id):
    agencies = all_agencies()
    with CaptureQueriesContext(connection) as few:
        compute_by_agency(kpi_id, NOVEMBER, [province.commune_a1, province.district_b])
    with CaptureQueriesContext(connection) as many:
        compute_by_agency(kpi_id, NOVEMBER, agencies)
    assert len(few) == len(many) == 1


# --- drill-down ------------------------------------------------------------------------------

DOSSIER_KPIS = [k.id for k in KPIS.values() if k.counts == "hồ sơ" and k.kind != "average"]


@pytest.mark.parametrize("kpi_id", DOSSIER_KPIS)
def test_the_dossiers_behind_a_numerator_are_as_many_as_the_numerator(
        province, dossiers, kpi_id):
    for agency in (province.root, province.district_a, province.commune_b1):
        ids = subtree(agency)
        found = compute(kpi_id, NOVEMBER, ids)
        assert dossier_ids_behind(kpi_id, NOVEMBER, ids, "numerator").count() == found.numerator
        assert (dossier_ids_behind(kpi_id, NOVEMBER, ids, "denominator").count()
                == found.denominator)


def test_the_dossiers_behind_the_on_time_rate_of_a_commune(province, dossiers):
    ids = subtree(province.commune_a1)
    late = set(dossier_ids_behind("on_time", NOVEMBER, ids, "denominator")) - set(
        dossier_ids_behind("on_time", NOVEMBER, ids, "numerator"))
    assert late == {dossiers[3]}


def test_the_papers_and_procedures_behind_a_kpi(province, dossiers, procedures):
    ids = subtree(province.commune_b1)
    assert list(dossier_ids_behind("data_reuse", NOVEMBER, ids, "numerator")) == [dossiers[11]]
    assert list(kpis.procedures_behind("online_procedures_with_dossiers", NOVEMBER,
                                       subtree(province.district_a), "denominator")) == sorted(
        [procedures["full"], procedures["partial"], procedures["excluded"]],
        key=lambda p: p.name)
    behind = dossier_ids_behind("online_procedures_with_dossiers", NOVEMBER,
                                subtree(province.district_a), "numerator")
    assert set(behind) == {dossiers[n] for n in (1, 5, 8, 9, 16)}


def test_compute_many_gives_compute_for_every_kpi_in_fewer_queries(province, dossiers):
    ids = list(Agency.objects.filter(path__startswith=province.district_a.path)
               .values_list("pk", flat=True))
    alone = {k: kpis.compute(k, NOVEMBER, ids) for k in kpis.KPIS}
    with CaptureQueriesContext(connection) as together:
        many = kpis.compute_many(kpis.KPIS, NOVEMBER, ids)
    assert many == alone
    assert list(many) == list(kpis.KPIS)
    assert len(together.captured_queries) < len(kpis.KPIS)
