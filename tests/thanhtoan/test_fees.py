"""The fee quote (DOMAIN.md §7): by channel, day and exemption group, with its legal basis;
an unpublished amount is never free; a dossier keeps the fee terms it was received under; a
fee-bearing receipt gets its payment order; the API answers the same quote."""

import datetime as dt

import pytest
from django.urls import reverse

from hoso.choices import Channel
from tests.hoso.conftest import (  # noqa: F401
    _private_files_per_test,
    birth_procedure,
    desk_a1,
    desk_receive,
    online_submit,
)
from tests.tthc.conftest import record
from thanhtoan.fees import Quote, QuoteLine, quote, quote_terms
from thanhtoan.models import PaymentOrder
from tthc import services as tthc_services
from tthc.models import FeeItem
from tthc.snapshots import clear_terms_cache

pytestmark = pytest.mark.django_db

POOR = "Người thuộc hộ nghèo"


def procedure_with(fees, **overrides):
    return tthc_services.save_procedure(record(national_code="1.000777", fees=fees,
                                               **overrides))[0]


def test_online_channels_get_the_discount_rate_rounded_half_up(birth_procedure):
    FeeItem.objects.filter(procedure=birth_procedure).update(amount=15001,
                                                             online_discount_percent=50)
    birth_procedure.refresh_from_db()
    clear_terms_cache()
    for channel in Channel.online_channels():
        online = quote(birth_procedure, channel)
        assert online.total == 7501  # 7500.5 → 7501
        assert online.lines[0].base_amount == 15001
        assert online.lines[0].discount == 7500
    desk = quote(birth_procedure, Channel.DIRECT)
    assert desk.total == 15001
    assert desk.lines[0].discount == 0
    assert desk.mode == "at_intake"
    assert desk.published


def test_the_regulations_online_amount_wins_over_a_rate():
    procedure = procedure_with([{"kind": "phi", "name": "Phí thẩm định", "amount": 100000,
                                 "amount_online": 70000}])
    assert quote(procedure, Channel.ONLINE).total == 70000
    assert quote(procedure, Channel.POSTAL).total == 100000


def test_an_exemption_group_waives_its_item_only():
    procedure = procedure_with([
        {"kind": "phi", "name": "Phí thẩm định", "amount": 50000,
         "exemptions": [{"group": POOR, "proof": "Giấy xác nhận hộ nghèo"}]},
        {"kind": "le_phi", "name": "Lệ phí cấp giấy", "amount": 20000}])
    claimed = quote(procedure, Channel.DIRECT, exemptions=[POOR])
    waived, kept = claimed.lines
    assert (waived.amount, waived.exempt_group, waived.proof) == (0, POOR,
                                                                   "Giấy xác nhận hộ nghèo")
    assert (kept.amount, kept.exempt_group) == (20000, "")
    assert claimed.total == 20000
    assert claimed.mode == "at_intake"
    assert quote(procedure, Channel.DIRECT, exemptions=["Người khác"]).total == 70000


def test_every_item_waived_is_mode_exempt_and_no_item_is_mode_none(birth_procedure):
    exempt = quote(birth_procedure, Channel.DIRECT, exemptions=[POOR])
    assert (exempt.total, exempt.mode) == (0, "exempt")
    free = procedure_with([])
    assert (quote(free, Channel.DIRECT).total, quote(free, Channel.DIRECT).mode) == (0, "none")


def test_not_published_makes_the_total_none_and_the_page_says_so(client):
    procedure = procedure_with([{"kind": "phi", "name": "Phí thẩm định", "amount": None},
                                {"kind": "le_phi", "name": "Lệ phí", "amount": 10000}])
    result = quote(procedure, Channel.DIRECT)
    assert result.total is None
    assert not result.published
    assert result.mode == "at_intake"  # owed, amount unknown: never "none" or free
    page = client.get(reverse("tthc:procedure", args=[procedure.national_code])).content.decode()
    assert "Chưa công bố mức thu" in page
    assert "Không thu phí, lệ phí" not in page


def test_effective_dates_leave_out_items_before_and_after_their_window(client):
    procedure = procedure_with([{"kind": "le_phi", "name": "Lệ phí", "amount": 10000}])
    FeeItem.objects.filter(procedure=procedure).update(
        effective_from=dt.date(2023, 7, 1), effective_to=dt.date(2023, 12, 31),
        legal_basis="Thông tư 44/2023/TT-BTC")
    procedure.refresh_from_db()
    clear_terms_cache()
    assert quote(procedure, Channel.DIRECT, on=dt.date(2023, 6, 30)).lines == ()
    assert quote(procedure, Channel.DIRECT, on=dt.date(2023, 6, 30)).mode == "none"
    inside = quote(procedure, Channel.DIRECT, on=dt.date(2023, 7, 1))
    assert inside.total == 10000
    assert inside.lines[0].legal_basis == "Thông tư 44/2023/TT-BTC"
    assert quote(procedure, Channel.DIRECT, on=dt.date(2023, 12, 31)).total == 10000
    assert quote(procedure, Channel.DIRECT, on=dt.date(2024, 1, 1)).lines == ()
    snapshot = procedure.terms_snapshot()["fees"][0]
    assert (snapshot["effective_from"], snapshot["effective_to"]) == ("2023-07-01",
                                                                     "2023-12-31")


def test_the_dossier_keeps_its_fee_terms(province, birth_procedure, desk_a1):
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    before = quote_terms(dossier.terms, channel=dossier.channel, on=dossier.received_at.date())
    FeeItem.objects.filter(procedure=birth_procedure).update(amount=99000)
    birth_procedure.refresh_from_db()
    clear_terms_cache()
    assert quote(birth_procedure, Channel.DIRECT).total == 99000
    dossier.refresh_from_db()
    after = quote_terms(dossier.terms, channel=dossier.channel, on=dossier.received_at.date())
    assert after == before
    assert after.total == 8000 == dossier.fee_total


def test_a_fee_bearing_desk_receipt_creates_one_payment_order_with_the_items(
        province, birth_procedure, desk_a1):
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    order = PaymentOrder.objects.get(dossier=dossier)
    assert order.amount == 8000 == dossier.fee_total
    assert order.reference.startswith(f"HS{dossier.pk}-")  # made before the code is taken
    assert [(i["kind"], i["name"], i["amount"]) for i in order.items] == [
        ("le_phi", "Lệ phí đăng ký khai sinh", 8000)]
    exempt = desk_receive(desk_a1, birth_procedure, province.commune_a1, fee_exemptions=[POOR])
    assert exempt.fee_total == 0
    assert exempt.fee_exemptions == [POOR]
    assert not PaymentOrder.objects.filter(dossier=exempt).exists()


def test_an_online_submission_is_quoted_online_and_gets_its_order(province, birth_procedure,
                                                                  citizen):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    assert dossier.fee_total == 4000
    assert PaymentOrder.objects.get(dossier=dossier).amount == 4000


def test_the_fee_quote_api(client, birth_procedure):
    url = f"/api/v1/procedures/{birth_procedure.national_code}/fee-quote/"
    online = client.get(url, {"channel": "online"}).json()
    assert online["total"] == 4000
    assert online["published"]
    assert online["mode"] == "at_intake"
    assert online["timing"] == "at_intake"
    assert online["items"][0]["base_amount"] == 8000
    assert online["items"][0]["exemptions"] == [{"group": POOR,
                                                 "proof": "Giấy xác nhận hộ nghèo"}]
    waived = client.get(url, {"channel": "online", "exemption": POOR,
                              "on": "2026-01-05"}).json()
    assert (waived["total"], waived["mode"]) == (0, "exempt")
    bad = client.get(url, {"channel": "fax"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "bad_channel"
    bad_day = client.get(url, {"on": "05/01/2026"})
    assert bad_day.status_code == 400
    assert bad_day.json()["code"] == "bad_date"
    assert "Ngày" in bad_day.json()["detail"]


def test_money_is_int_never_float(birth_procedure):
    result = quote(birth_procedure, Channel.ONLINE)
    assert isinstance(result, Quote)
    assert isinstance(result.lines[0], QuoteLine)
    assert type(result.total) is int
    for key in ("base_amount", "amount", "discount"):
        assert type(result.lines[0].as_json()[key]) is int
    assert set(result.lines[0].as_json()) == {"kind", "name", "base_amount", "amount",
                                              "discount", "exempt_group", "proof",
                                              "legal_basis", "unit"}
