"""The digitisation and reuse figures of the reports (hoso.figures) on a hand-built province:
every expected number is written out below, with the rows that make it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hoso import figures
from hoso.choices import Channel, DigitisationState, DossierStatus, WalletKind
from hoso.models import Dossier, DossierDocument, Result, WalletDocument, WalletUse
from portal.calendar import TZ
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

S = DigitisationState
START, END = dt.datetime(2026, 11, 1, tzinfo=TZ), dt.datetime(2026, 12, 1, tzinfo=TZ)


def day(d: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, d, 9, 0, tzinfo=TZ)


class Builder:
    def __init__(self, procedure):
        self.procedure, self.count = procedure, 0
        self.officer = UserFactory(username="figures")

    def dossier(self, receiving, deciding, received_at, papers=(), status="received"):
        self.count += 1
        dossier = Dossier.objects.create(
            procedure=self.procedure, channel=Channel.DIRECT, status=status,
            receiving_agency=receiving, deciding_agency=deciding, owner_name="Chủ hồ sơ",
            owner_id_number="019090001234", received_at=received_at,
            code=f"T-{self.count:03d}" if received_at else None)
        for position, (state, has_file) in enumerate(papers, 1):
            DossierDocument.objects.create(dossier=dossier, position=position,
                                           name=f"Giấy tờ {position}", digitisation=state,
                                           file=f"dossiers/{self.count}-{position}.pdf"
                                           if has_file else "")
        return dossier

    def result(self, dossier, signed_at=None, revoked_at=None, electronic=True):
        self.count += 1
        return Result.objects.create(
            dossier=dossier, code=f"{dossier.code}-KQ{self.count}", name="Giấy khai sinh",
            number=f"{self.count}/GKS", issued_on=dt.date(2026, 10, 1), electronic=electronic,
            added_by=self.officer, signed_at=signed_at, revoked_at=revoked_at)

    def use(self, dossier, position, entry, used_at, channel=Channel.DIRECT):
        return WalletUse.objects.create(wallet_document=entry, dossier=dossier,
                                        document=dossier.documents.get(position=position),
                                        channel=channel, used_at=used_at)


@pytest.fixture
def world(province, birth_procedure):
    """November 2026 at communes A1 and A2 (the period and agencies asked about), with rows
    just outside: December, commune B1, a draft, an October receipt."""
    p, b = province, Builder(birth_procedure)
    a1, a2, b1, district_a = p.commune_a1, p.commune_a2, p.commune_b1, p.district_a
    d1 = b.dossier(a1, a1, day(5), [(S.DIGITISED, True), (S.REUSED_DOCUMENT, True),
                                    (S.NOT_DIGITISED, False)])
    d2 = b.dossier(a1, district_a, day(10), [(S.DIGITISED, True), (S.NATIONAL_SOURCE, False)])
    d3 = b.dossier(a2, a1, day(20), [(S.REUSED_RESULT, True), (S.NOT_DIGITISED, True)])
    d4 = b.dossier(a1, a1, day(2, 12), [(S.DIGITISED, True)])  # December
    d5 = b.dossier(b1, b1, day(15), [(S.DIGITISED, True)])  # commune B1
    d6 = b.dossier(a1, a1, day(25))  # the e-form only, no paper
    b.dossier(a1, a1, None, [(S.NOT_DIGITISED, False)], status=DossierStatus.DRAFT)
    d8 = b.dossier(a1, a1, day(20, 10))  # October
    b.result(d1, signed_at=day(6))
    b.result(d2, signed_at=day(12), revoked_at=day(20))
    b.result(d8, signed_at=day(28, 10), revoked_at=day(3))
    b.result(d2, electronic=False)
    b.result(d5, signed_at=day(10))
    b.result(d3, signed_at=day(2, 12))
    entry = WalletDocument.objects.create(
        owner_id_type="cccd", owner_id_number="019090001234", owner_name="Chủ hồ sơ",
        kind=WalletKind.DOCUMENT, code="T-005.01", name="Giấy tờ 1",
        source_dossier=d5, source_document=d5.documents.get())
    b.use(d1, 2, entry, day(5))
    b.use(d3, 1, entry, day(20), Channel.ONLINE)
    b.use(d5, 1, entry, day(15))  # commune B1
    b.use(d4, 1, entry, day(2, 12))  # December
    return {"a1": a1.pk, "a2": a2.pk, "b1": b1.pk, "district_a": district_a.pk, "d6": d6}


def test_the_figures_of_a_period_and_agencies(world):
    got = figures.digitisation_figures([world["a1"], world["a2"]], START, END)
    assert got == {
        # papers of D1 (3), D2 (2), D3 (2); D6 has none
        "documents_total": 7, "documents_digitised": 5, "documents_scanned": 2,
        "documents_reused": 2, "documents_national_source": 1, "documents_paper_only": 1,
        # D1, D2, D3, D6 received; D2 all digital, D6 nothing to digitise
        "dossiers_received": 4, "dossiers_fully_digitised": 2,
        # signed in November: D1's and D2's (revoked since); revoked in November: D2's and
        # D8's (signed in October)
        "eresults_issued": 2, "eresults_issued_now_revoked": 1, "eresults_revoked": 2,
        # D1 at the desk, D3 online
        "reuse_count": 2, "reuse_online": 1, "reuse_dossiers": 2,
    }


def test_a_dossier_counts_for_the_agency_that_receives_it_or_decides_it(world):
    # A2 only receives D3; District A only decides D2
    assert figures.dossiers_fully_digitised([world["a2"]], START, END) == {
        "dossiers_received": 1, "dossiers_fully_digitised": 0}
    assert figures.dossiers_fully_digitised([world["district_a"]], START, END) == {
        "dossiers_received": 1, "dossiers_fully_digitised": 1}
    assert figures.documents_digitised([world["b1"]], START, END)["documents_digitised"] == 1
    # the whole province: D5 of commune B1 as well
    assert figures.dossiers_fully_digitised(None, START, END) == {
        "dossiers_received": 5, "dossiers_fully_digitised": 3}
    assert figures.reuse_count(None, START, END)["reuse_count"] == 3


def test_figures_per_receiving_agency(world):
    got = figures.digitisation_figures_by_agency([world["a1"], world["a2"]], START, END)
    assert set(got) == {world["a1"], world["a2"]}
    a1, a2 = got[world["a1"]], got[world["a2"]]
    assert (a1["documents_total"], a1["documents_digitised"], a1["documents_paper_only"]) == (
        5, 4, 1)
    assert (a1["dossiers_received"], a1["dossiers_fully_digitised"]) == (3, 2)
    assert (a1["eresults_issued"], a1["eresults_revoked"], a1["reuse_count"]) == (2, 2, 1)
    assert (a2["documents_total"], a2["documents_digitised"], a2["documents_paper_only"]) == (
        2, 1, 0)
    assert (a2["dossiers_received"], a2["dossiers_fully_digitised"]) == (1, 0)
    assert (a2["eresults_issued"], a2["reuse_count"], a2["reuse_online"]) == (0, 1, 1)


def test_figures_per_deciding_agency(world):
    got = figures.digitisation_figures_by_agency([world["a1"], world["b1"]], START, END,
                                                 by="deciding")
    a1, b1 = got[world["a1"]], got[world["b1"]]
    # A1 decides D1, D3, D6 (and D8 from October): not D2, decided by District A
    assert (a1["documents_total"], a1["documents_digitised"]) == (5, 3)
    assert (a1["dossiers_received"], a1["dossiers_fully_digitised"]) == (3, 1)
    assert (a1["eresults_issued"], a1["eresults_issued_now_revoked"],
            a1["eresults_revoked"]) == (1, 0, 1)
    assert (a1["reuse_count"], a1["reuse_dossiers"]) == (2, 2)
    assert (b1["dossiers_received"], b1["eresults_issued"], b1["reuse_count"]) == (1, 1, 1)


def test_an_agency_without_dossiers_gets_zeros(world, province):
    got = figures.digitisation_figures_by_agency([province.department.pk], START, END)
    assert set(got[province.department.pk].values()) == {0}


def test_each_figure_is_one_query(world):
    ids = [world["a1"], world["a2"]]
    for selector in (figures.documents_digitised, figures.dossiers_fully_digitised,
                     figures.eresults_issued, figures.reuse_count,
                     figures.documents_digitised_by_agency,
                     figures.dossiers_fully_digitised_by_agency,
                     figures.eresults_issued_by_agency, figures.reuse_count_by_agency):
        with CaptureQueriesContext(connection) as queries:
            selector(ids, START, END)
        assert len(queries) == 1, selector.__name__
    with CaptureQueriesContext(connection) as queries:
        figures.digitisation_figures_by_agency(ids, START, END)
    assert len(queries) == 4
