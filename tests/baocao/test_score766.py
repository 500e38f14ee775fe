"""The 766-style score (baocao.score766) on a hand-built commune: every expected number is
written out below with the dossiers that make it; the formula kinds, the grade bands at their
boundaries, the configuration as the only source of maxima and thresholds, the transparent
exclusion of indicators without data, the drill-down and who may see what."""

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from baocao import score766
from baocao.definitions import calendar_period
from hoso.choices import Channel, DigitisationState, DossierStatus, WalletKind
from hoso.models import Dossier, DossierDocument, Rating, Result, WalletDocument
from portal.calendar import TZ
from portal.choices import AgencyLevel, Role
from tests.conftest import make_officer
from tests.factories import UserFactory
from thanhtoan.choices import Method, OrderStatus
from thanhtoan.models import PaymentOrder
from tthc.choices import FeeKind, ServiceMode
from tthc.models import FeeItem, Field, Procedure, ProcedureLevel

pytestmark = pytest.mark.django_db

S = DigitisationState
NOVEMBER = calendar_period("month", 2026, 11)
SCORE_PAGE = reverse("baocao:score766")
DOSSIER_PAGE = reverse("baocao:score766_dossiers")
PERIOD_QUERY = {"kind": "month", "year": "2026", "number": "11"}


def at(day: int, month: int = 11, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


class Builder:
    """Rows written straight to the tables, each with the timestamps a test needs."""

    def __init__(self):
        self.count = 0
        self.officer = UserFactory(username="score_builder")
        self.field = Field.objects.create(code="TEST", name="Lĩnh vực thử nghiệm")

    def procedure(self, code, mode, fee=None):
        procedure = Procedure.objects.create(
            national_code=code, name=f"Thủ tục {code}", field=self.field,
            processing_time=Decimal(5), service_mode=mode, result_name="Kết quả",
            accepts_online=mode != ServiceMode.INFO, published_from=dt.date(2026, 1, 1))
        ProcedureLevel.objects.create(procedure=procedure, level=AgencyLevel.COMMUNE)
        if fee is not None:
            FeeItem.objects.create(procedure=procedure, kind=FeeKind.CHARGE, name="Lệ phí",
                                   amount=fee)
        return procedure

    def dossier(self, procedure, agency, received_at, *, status=DossierStatus.RETURNED,
                finished_at=None, kpi_due_at=None, due_at=None, channel=Channel.DIRECT,
                counted_overdue=False, fee_total=None, papers=()):
        self.count += 1
        dossier = Dossier.objects.create(
            procedure=procedure, channel=channel, status=status, receiving_agency=agency,
            deciding_agency=agency, owner_name="Chủ hồ sơ", owner_id_number="019090001234",
            received_at=received_at, code=f"S-{self.count:03d}" if received_at else None,
            finished_at=finished_at, due_at=due_at or kpi_due_at, kpi_due_at=kpi_due_at,
            counted_overdue=counted_overdue, fee_total=fee_total)
        for position, state in enumerate(papers, 1):
            DossierDocument.objects.create(dossier=dossier, position=position,
                                           name=f"Giấy tờ {position}", digitisation=state)
        return dossier

    def result(self, dossier, *, electronic=True, signed_at=None, revoked_at=None):
        self.count += 1
        return Result.objects.create(
            dossier=dossier, code=f"{dossier.code}-KQ{self.count}", name="Giấy phép",
            number=f"{self.count}/GP", issued_on=dt.date(2026, 11, 1), electronic=electronic,
            added_by=self.officer, signed_at=signed_at, revoked_at=revoked_at)

    def paid(self, dossier, method, paid_at):
        self.count += 1
        return PaymentOrder.objects.create(
            dossier=dossier, agency=dossier.deciding_agency, reference=f"HS-{self.count}",
            amount=dossier.fee_total, timing="at_intake", status=OrderStatus.PAID,
            method=method, paid_at=paid_at)

    def rating(self, dossier, worst, rated_at):
        return Rating.objects.create(dossier=dossier, rated_at=rated_at, scores={
            "time": 5, "contacts": 4, "attitude": worst, "guidance": 5, "online": 5})


@pytest.fixture
def world(province):
    """Commune A1 in November 2026 (rows just outside: October, December, commune B1, a
    draft). Handled in November: D1–D12 (D8 carried over from October).

    TDGQ (kpi_due_at): on time D1–D6 (resolved before kpi_due_at), D7 (withdrawn late),
    D8 (finished after due_at but before the pause-adjusted kpi_due_at), D11 (waiting for a
    supplement, kpi_due_at passed), D12 (open, due after the period) = 10; late D9 (second
    supplement: counted overdue), D10 (open, kpi_due_at passed) = 2.
    """
    p, b = province, Builder()
    a1 = p.commune_a1
    full = b.procedure("1.000001", ServiceMode.FULL, fee=50_000)
    partial = b.procedure("1.000002", ServiceMode.PARTIAL, fee=0)
    fee2 = b.procedure("1.000003", ServiceMode.INFO, fee=100_000)
    b.procedure("1.000004", ServiceMode.INFO, fee=20_000)  # fee-bearing, no dossier
    b.procedure("1.000005", ServiceMode.INFO)  # no fee, no dossier
    due, late_due = at(20), at(10)
    done = {"finished_at": at(15), "kpi_due_at": due}
    digital = (S.DIGITISED, S.DIGITISED)
    d = {}
    d[1] = b.dossier(full, a1, at(2), channel=Channel.ONLINE, fee_total=50_000,
                     papers=(S.DIGITISED, S.REUSED_DOCUMENT), **done)
    d[2] = b.dossier(full, a1, at(2), channel=Channel.ONLINE, fee_total=50_000,
                     papers=(S.NATIONAL_SOURCE,), **done)
    d[3] = b.dossier(full, a1, at(3), channel=Channel.NATIONAL_PORTAL, papers=digital,
                     status=DossierStatus.RESOLVED, **done)
    d[4] = b.dossier(full, a1, at(3), papers=(S.DIGITISED, S.NOT_DIGITISED), **done)
    d[5] = b.dossier(fee2, a1, at(4), channel=Channel.ONLINE, fee_total=100_000,
                     papers=digital, **done)
    d[6] = b.dossier(partial, a1, at(4), fee_total=0, **done)
    d[7] = b.dossier(partial, a1, at(5), status=DossierStatus.WITHDRAWN,
                     finished_at=at(25), kpi_due_at=late_due)
    d[8] = b.dossier(partial, a1, at(20, 10), status=DossierStatus.RESOLVED,
                     finished_at=at(12), due_at=at(10), kpi_due_at=at(13))
    d[9] = b.dossier(fee2, a1, at(5), fee_total=100_000, counted_overdue=True, **done)
    d[10] = b.dossier(full, a1, at(6), status=DossierStatus.IN_PROGRESS, kpi_due_at=late_due)
    d[11] = b.dossier(partial, a1, at(6), status=DossierStatus.AWAITING_SUPPLEMENT,
                      kpi_due_at=late_due)
    d[12] = b.dossier(partial, a1, at(28), status=DossierStatus.IN_PROGRESS,
                      kpi_due_at=at(4, 12))
    # outside: finished in October, received in December, another commune, a draft
    b.dossier(full, a1, at(1, 10), finished_at=at(20, 10), kpi_due_at=at(25, 10))
    b.dossier(full, a1, at(2, 12), status=DossierStatus.IN_PROGRESS, kpi_due_at=at(9, 12))
    outside = b.dossier(full, p.commune_b1, at(2), channel=Channel.ONLINE, **done)
    b.dossier(full, a1, None, status=DossierStatus.DRAFT)
    # e-results: valid D1–D4; D5's revoked in November; D6 paper only; B1's outside
    for n in (1, 2, 3, 4):
        b.result(d[n], signed_at=at(14))
    b.result(d[5], signed_at=at(14), revoked_at=at(20))
    b.result(d[6], electronic=False)
    b.result(outside, signed_at=at(14))
    WalletDocument.objects.create(
        owner_id_type="cccd", owner_id_number="019090001234", owner_name="Chủ hồ sơ",
        kind=WalletKind.RESULT, code="KQ-VI-1", name="Giấy phép", source_dossier=d[1],
        source_result=d[1].results.get(), created_at=at(15))
    # payments: D1 and D5 online, D2 in cash, D9 unpaid
    b.paid(d[1], Method.ONLINE, at(2))
    b.paid(d[5], Method.ONLINE, at(4))
    b.paid(d[2], Method.CASH, at(2))
    # ratings: D2 and D9 low (1 on a criterion), D3 high, D4 low but rated in December
    b.rating(d[2], 1, at(16))
    b.rating(d[9], 2, at(16))
    b.rating(d[3], 5, at(16))
    b.rating(d[4], 1, at(2, 12))
    return {"a1": a1, "dossiers": d, "province": p, "builder": b}


def indicator(result, code):
    return next(i for g in result.groups for i in g.indicators if i.code == code)


def group(result, code):
    return next(g for g in result.groups if g.code == code)


def test_the_score_of_a_commune_equals_the_hand_computed_figures(world):
    result = score766.score([world["a1"].pk], NOVEMBER)
    expected = {
        # code: (numerator, denominator, rate %, points)
        "ON_TIME_RATE": (10, 12, "83.33", "16.67"),  # 20 × 10/12
        "FULL_ONLINE_DOSSIERS": (3, 5, "60.00", "7.20"),  # D1, D2, D3 of D1–D4, D10
        "ONLINE_PAID_DOSSIERS": (2, 4, "50.00", "3.00"),  # D1, D5 of D1, D2, D5, D9
        "PROCEDURES_PAID_ONLINE": (2, 3, "66.67", "1.67"),  # min(2; 2,5 × 2/3)
        "FEE_PROCEDURES_WITH_DOSSIERS": (2, 3, "66.67", "1.67"),  # 2,5 × 2/3
        "ORIGINAL_RESULT_AVAILABLE": (4, 8, "50.00", "3.00"),  # D1–D4 of D1–D6, D8, D9
        "SO_HOA_GIAY_TO_GIAI_QUYET": (3, 8, "37.50", "1.88"),  # 4 × 37,5/80
        "REUSED_DIGITIZED_DATA": (2, 11, "18.18", "0.45"),  # 2 × (2/11)/0,8
    }
    for code, (numerator, denominator, rate, points) in expected.items():
        got = indicator(result, code)
        assert (got.status, got.numerator, got.denominator, got.rate, got.points) == (
            "ok", numerator, denominator, Decimal(rate), Decimal(points)), code
    # satisfaction: 100 % − (2 overdue + 2 low ratings)/12 = 66,67 %; 6 × 0,6667/0,9
    satisfaction = indicator(result, "DOSSIER_RECEIVING_SATISFACTION")
    assert satisfaction.deductions == {"tdgq_overdue": 2, "low_rating": 2}
    assert (satisfaction.denominator, satisfaction.rate, satisfaction.points) == (
        12, Decimal("66.67"), Decimal("4.44"))
    # tracked rows: shown, never scored
    assert [(i.code, i.numerator, i.denominator, i.rate, i.points) for i in result.groups[2]
            .indicators[1:]] == [
        ("ONLINE_PROCEDURE_SHARE", 2, 5, Decimal("40.00"), Decimal(0)),
        ("ONLINE_PROCEDURES_WITH_DOSSIERS", 2, 2, Decimal("100.00"), Decimal(0)),
        ("ONLINE_DOSSIER_SHARE", 4, 11, Decimal("36.36"), Decimal(0))]
    assert indicator(result, "PROVINCIAL_WALLET_DEPOSIT").rate == Decimal("12.50")
    assert {g.code: (g.points, g.available_max, g.max) for g in result.groups} == {
        "CKMB": (0, 0, 18), "TDGQ": (Decimal("16.67"), 20, 20),
        "CLGQ": (Decimal("7.20"), 12, 12), "TTTT": (Decimal("6.34"), 10, 10),
        "MDSH": (Decimal("5.33"), 12, 22), "MDHL": (Decimal("4.44"), 6, 18)}
    # 39,98 of the 60 points with data = 66,63 / 100: Trung bình
    assert (result.points, result.available_max, result.max) == (Decimal("39.98"), 60, 100)
    assert (result.normalised, result.band) == (Decimal("66.63"), "Trung bình")


def test_indicators_without_data_are_excluded_and_listed_with_their_points(world):
    result = score766.score([world["a1"].pk], NOVEMBER)
    assert {i.code: i.max for i in result.excluded} == {
        "PUBLISHED_ON_TIME": 6, "CATALOGUE_UPDATED_ON_TIME": 4, "FULL_DISCLOSURE": 2,
        "DOSSIER_SYNC": 6, "ELECTRONIC_CERTIFIED_COPY": 2,
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": 4, "CITIZEN_DATA_CONNECTED_DOSSIER": 2,
        "CITIZEN_DATA_CONNECTED_FORMALITY": 2, "PETITION_PROCESSING_ON_TIME": 6,
        "PETITION_HANDLING_SATISFACTION": 6}
    assert result.excluded_points == 40
    assert result.available_max + result.excluded_points == result.max
    assert all(i.points is None and i.reason for i in result.excluded)
    # no PAKN module: the PAKN indicators are not given their "no petition" full marks
    assert group(result, "MDHL").points == indicator(
        result, "DOSSIER_RECEIVING_SATISFACTION").points


def test_with_no_dossier_in_the_period_only_the_catalogue_indicators_are_scored(world):
    # commune A2 carries out the three fee-bearing procedures and received nothing: B and C
    # are 0 of 3 (a real zero); every dossier indicator has nothing to measure (no data)
    result = score766.score([world["province"].commune_a2.pk], NOVEMBER)
    scored = {i.code: (i.numerator, i.denominator, i.points)
              for g in result.groups for i in g.indicators if i.scored}
    assert scored == {"PROCEDURES_PAID_ONLINE": (0, 3, 0),
                      "FEE_PROCEDURES_WITH_DOSSIERS": (0, 3, 0)}
    assert indicator(result, "ON_TIME_RATE").reason == score766.EMPTY_PERIOD
    assert indicator(result, "ON_TIME_RATE") in result.excluded
    assert (result.points, result.available_max, result.normalised, result.band) == (
        0, Decimal("4.5"), 0, "Yếu")


def test_an_agency_with_no_data_at_all_has_no_score_rather_than_zero(world):
    result = score766.score([world["province"].department.pk], NOVEMBER)
    assert (result.points, result.available_max, result.normalised, result.band) == (
        0, 0, None, "")


@pytest.mark.parametrize(("kind", "extra", "rate", "points"), [
    ("linear", {}, Fraction(3, 4), "4.50"),  # 6 × 75 %
    ("linear", {}, Fraction(1), "6.00"),
    ("threshold", {"full_at": 80}, Fraction(4, 5), "6.00"),  # full marks at 80 %
    ("threshold", {"full_at": 80}, Fraction(2, 5), "3.00"),  # 6 × 40/80
    ("threshold", {"full_at": 50}, Fraction(9, 10), "6.00"),
    ("weighted", {"weight": 2.5}, Fraction(1, 2), "1.25"),  # 2,5 × 50 %
    ("weighted", {"weight": 10}, Fraction(9, 10), "6.00"),  # min(6; 9)
    ("deduction", {"full_at": 90}, Fraction(9, 10), "6.00"),  # min(6; 6 × 0,9/0,9)
    ("deduction", {"full_at": 90}, Fraction(3, 5), "4.00"),  # 6 × 0,6/0,9
    ("deduction", {"full_at": 90}, Fraction(0), "0.00"),
])
def test_each_formula_kind_turns_a_rate_into_points(kind, extra, rate, points):
    spec = {"max": 6, "formula": {"kind": kind, **extra}}
    assert score766.points_for(spec, rate) == Decimal(points)


@pytest.mark.parametrize(("value", "band"), [
    ("100", "Xuất sắc"), ("90", "Xuất sắc"), ("89.99", "Tốt"), ("80", "Tốt"),
    ("79.99", "Khá"), ("70", "Khá"), ("69.99", "Trung bình"), ("50", "Trung bình"),
    ("49.99", "Yếu"), ("0", "Yếu"),
])
def test_grade_bands_at_their_boundaries(value, band):
    assert score766.grade_band(Decimal(value)) == band


def test_maxima_and_thresholds_come_from_the_configuration(world, settings, tmp_path):
    config = json.loads(score766.config_path().read_text(encoding="utf-8"))
    tdgq = next(g for g in config["groups"] if g["code"] == "TDGQ")
    tdgq["max"] = tdgq["indicators"][0]["max"] = 30
    mdsh = next(g for g in config["groups"] if g["code"] == "MDSH")
    next(i for i in mdsh["indicators"]
         if i["code"] == "SO_HOA_GIAY_TO_GIAI_QUYET")["formula"]["full_at"] = 50
    config["grade_bands"] = [{"min": 60, "label": "Đạt"}, {"min": 0, "label": "Chưa đạt"}]
    path = tmp_path / "score766.json"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    settings.SCORE_766_CONFIG = str(path)
    result = score766.score([world["a1"].pk], NOVEMBER)
    assert indicator(result, "ON_TIME_RATE").points == Decimal("25.00")  # 30 × 10/12
    assert indicator(result, "SO_HOA_GIAY_TO_GIAI_QUYET").points == Decimal("3.00")  # 37,5/50
    assert "50 %" in indicator(result, "SO_HOA_GIAY_TO_GIAI_QUYET").formula
    assert result.max == 110
    # 25 + 7,20 + 6,34 + (3 + 3 + 0,45) + 4,44 = 49,43 of 70
    assert (result.points, result.available_max) == (Decimal("49.43"), 70)
    assert (result.normalised, result.band) == (Decimal("70.61"), "Đạt")


def test_the_dossiers_behind_each_part_are_as_many_as_its_count(world):
    ids = [world["a1"].pk]
    result = score766.score(ids, NOVEMBER)
    checked = 0
    for ind in (i for g in result.groups for i in g.indicators):
        for part in ind.drill_parts:
            expected = {"numerator": ind.numerator, "denominator": ind.denominator,
                        **ind.deductions}[part]
            assert score766.dossiers_behind(ind.code, part, ids, NOVEMBER).count() == \
                expected, (ind.code, part)
            checked += 1
    assert checked == 19
    codes = set(score766.dossiers_behind("ON_TIME_RATE", "numerator", ids, NOVEMBER)
                .values_list("code", flat=True))
    d = world["dossiers"]
    assert codes == {d[n].code for n in (1, 2, 3, 4, 5, 6, 7, 8, 11, 12)}


def test_a_procedure_level_or_no_data_indicator_has_no_dossier_list(world):
    for code, part in (("PROCEDURES_PAID_ONLINE", "numerator"),
                       ("DOSSIER_SYNC", "denominator"), ("ON_TIME_RATE", "whatever")):
        with pytest.raises(score766.InvalidInput):
            score766.dossiers_behind(code, part, [world["a1"].pk], NOVEMBER)


def test_the_ranking_scores_each_subtree_with_a_constant_number_of_queries(world):
    p = world["province"]
    with CaptureQueriesContext(connection) as ctx:
        ranking = score766.score_by_agency([p.district_a, p.district_b, p.department],
                                           NOVEMBER)
    assert len(ctx.captured_queries) == 3  # subtree ids, dossier counts, catalogue counts
    by_name = {agency.name: result for agency, result in ranking}
    alone = score766.score([p.district_a.pk, p.commune_a1.pk, p.commune_a2.pk], NOVEMBER)
    assert by_name["UBND huyện A"].points == alone.points == Decimal("39.98")
    assert indicator(by_name["UBND huyện B"], "ON_TIME_RATE").numerator == 1
    assert ranking[0][0] == p.district_b  # B1's one dossier is on time: the better score
    assert by_name["Sở Tư pháp"].normalised is None


# --- pages --------------------------------------------------------------------------------------

@pytest.fixture
def district_a_viewer(province):
    return make_officer(province.district_a, Role.REPORT_VIEWER, username="score_viewer_a")


def test_the_score_page_shows_groups_no_data_rows_and_the_ranking(
        client, world, district_a_viewer):
    client.force_login(district_a_viewer)
    response = client.get(SCORE_PAGE, PERIOD_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    result = response.context["result"]
    assert result.points == Decimal("39.98")  # A1 is the only commune of A with dossiers
    for text in ("Không có dữ liệu", "Trung bình", "66,63/100", "16,67"):
        assert text in page
    assert [a.name for a, _s in response.context["ranking"]] == ["UBND xã A1", "UBND xã A2"]
    assert "UBND huyện B" not in page


def test_a_viewer_cannot_score_or_list_another_agency(client, world, district_a_viewer):
    client.force_login(district_a_viewer)
    b1 = world["province"].commune_b1
    response = client.get(SCORE_PAGE, {**PERIOD_QUERY, "co_quan": b1.pk})
    assert response.context["notice"]
    assert response.context["agency"] == world["province"].district_a
    listing = client.get(DOSSIER_PAGE, {**PERIOD_QUERY, "chi_tieu": "FULL_ONLINE_DOSSIERS",
                                        "phan": "denominator", "co_quan": b1.pk})
    codes = {d.code for d in listing.context["page"].object_list}
    assert codes == {world["dossiers"][n].code for n in (1, 2, 3, 4, 10)}  # A's only


def test_officers_without_the_report_role_and_citizens_are_refused(client, world, citizen,
                                                                  district_a_desk):
    for user in (citizen, district_a_desk):
        client.force_login(user)
        assert client.get(SCORE_PAGE, PERIOD_QUERY).status_code == 403
        assert client.get(DOSSIER_PAGE, PERIOD_QUERY).status_code == 403


def test_the_dossier_list_is_fifty_a_page_with_constant_queries(client, world,
                                                                district_a_viewer):
    client.force_login(district_a_viewer)
    query = {**PERIOD_QUERY, "chi_tieu": "ON_TIME_RATE", "phan": "denominator"}
    client.get(DOSSIER_PAGE, query)  # warm the per-user caches
    with CaptureQueriesContext(connection) as small:
        response = client.get(DOSSIER_PAGE, query)
    assert response.context["page"].paginator.count == 12
    b = world["builder"]
    procedure = Procedure.objects.first()
    for day in range(1, 61):
        b.dossier(procedure, world["a1"], at(1 + day % 28), status=DossierStatus.IN_PROGRESS,
                  kpi_due_at=at(4, 12))
    with CaptureQueriesContext(connection) as big:
        response = client.get(DOSSIER_PAGE, query)
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.count == 72
    assert len(big.captured_queries) == len(small.captured_queries)


def test_a_bad_period_or_indicator_is_answered_in_vietnamese(client, world, district_a_viewer):
    client.force_login(district_a_viewer)
    response = client.get(SCORE_PAGE, {"kind": "month", "year": "2026", "number": "13"})
    assert response.status_code == 400
    response = client.get(DOSSIER_PAGE, {**PERIOD_QUERY, "chi_tieu": "DOSSIER_SYNC",
                                         "phan": "numerator"})
    assert response.status_code == 400
    assert score766.NOT_A_DOSSIER_PART in response.content.decode()
