"""Biên lai điện tử (DOMAIN.md §7): the amount in words, the one-page PDF, phí and lệ phí on
separate receipts numbered per agency and year, and who may download one."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from hoso.models import Dossier
from portal.choices import Role
from tests.conftest import make_officer
from tests.hoso.conftest import (  # noqa: F401
    _private_files_per_test,
    birth_procedure,
    desk_a1,
    desk_b1,
    desk_receive,
    other_citizen,
)
from thanhtoan import services
from thanhtoan.models import PaymentOrder, Receipt
from thanhtoan.receipts import amount_in_words, money, receipt_document, render_receipt

ITEMS = [{"kind": "phi", "name": "Phí thẩm định hồ sơ", "amount": 15000},
         {"kind": "le_phi", "name": "Lệ phí đăng ký khai sinh", "amount": 1235000}]


def make_order(dossier: Dossier, items=ITEMS, reference: str = "") -> PaymentOrder:
    """A payment order of the dossier with the given items (replacing one intake made)."""
    PaymentOrder.objects.filter(dossier=dossier).delete()
    fee = sum(i["amount"] for i in items if i["kind"] == "phi")
    charge = sum(i["amount"] for i in items if i["kind"] == "le_phi")
    return PaymentOrder.objects.create(
        dossier=dossier, agency=dossier.receiving_agency,
        reference=reference or f"TEST-{dossier.pk}", items=items, amount=fee + charge,
        fee_amount=fee, charge_amount=charge, timing="at_intake")


def received(officer, procedure, agency) -> Dossier:
    return desk_receive(officer, procedure, agency)


@pytest.mark.parametrize(("amount", "words"), [
    (0, "Không đồng"),
    (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
    (15_000, "Mười lăm nghìn đồng"),
    (1_000_005, "Một triệu không trăm lẻ năm đồng"),
    (2_000_000_000, "Hai tỷ đồng"),
    (21, "Hai mươi mốt đồng"),
    (105, "Một trăm lẻ năm đồng"),
    (1_234_567_891, "Một tỷ hai trăm ba mươi tư triệu năm trăm sáu mươi bảy nghìn tám trăm "
                    "chín mươi mốt đồng"),
])
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words


def test_money_is_written_with_dots():
    assert money(1_250_000) == "1.250.000 đ"


@pytest.fixture
def paid_order(province, desk_a1, birth_procedure):  # noqa: F811
    order = make_order(received(desk_a1, birth_procedure, province.commune_a1))
    services.record_cash(order_id=order.pk, officer=desk_a1)
    order.refresh_from_db()
    return order


@pytest.mark.django_db
def test_phi_and_le_phi_get_separate_receipts_numbered_per_agency_and_year(
        province, desk_a1, desk_b1, birth_procedure, paid_order):  # noqa: F811
    second = make_order(received(desk_a1, birth_procedure, province.commune_a1))
    services.record_cash(order_id=second.pk, officer=desk_a1)
    elsewhere = make_order(received(desk_b1, birth_procedure, province.commune_b1))
    services.record_cash(order_id=elsewhere.pk, officer=desk_b1)

    first = {r.kind: r for r in paid_order.receipts.all()}
    assert (first["phi"].amount, first["le_phi"].amount) == (15000, 1235000)
    assert first["phi"].series != first["le_phi"].series
    a1 = Receipt.objects.filter(agency=province.commune_a1)
    for kind in ("phi", "le_phi"):
        assert list(a1.filter(kind=kind).order_by("number")
                    .values_list("order_id", "number")) == [(paid_order.pk, 1), (second.pk, 2)]
    assert set(Receipt.objects.filter(order=elsewhere).values_list("number", flat=True)) == {1}


@pytest.mark.django_db
def test_a_receipt_pdf_is_one_page_with_its_number_series_and_words(paid_order):
    receipt = paid_order.receipts.get(kind="le_phi")
    assert len(receipt_document(receipt).pages) == 1
    pdf = render_receipt(receipt)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "BIÊN LAI THU LỆ PHÍ" in text
    assert f"{receipt.number:07d}" in text
    assert receipt.series in text
    assert paid_order.dossier.code in text
    assert "1.235.000 đ" in text
    assert "Một triệu hai trăm ba mươi lăm nghìn đồng" in text
    assert paid_order.paid_attempt.txn_ref in text
    fee_text = PdfReader(io.BytesIO(render_receipt(paid_order.receipts.get(kind="phi"))))
    assert "BIÊN LAI THU PHÍ" in fee_text.pages[0].extract_text()


@pytest.mark.django_db
def test_the_citizen_who_owns_the_dossier_and_its_officers_may_download_the_receipt(
        client, province, citizen, other_citizen, desk_a1, desk_b1, paid_order):  # noqa: F811
    Dossier.objects.filter(pk=paid_order.dossier_id).update(account=citizen)
    receipt = paid_order.receipts.get(kind="phi")
    url = reverse("thanhtoan:receipt_pdf", args=[receipt.pk])
    assert url == f"/thanh-toan/bien-lai/{receipt.pk}.pdf"
    leader = make_officer(province.district_a, Role.LEADER, username="leader_a")
    for user, status in ((citizen, 200), (desk_a1, 200), (leader, 200),
                         (other_citizen, 404), (desk_b1, 404)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Type"] == "application/pdf"
            assert response.content.startswith(b"%PDF")
    client.force_login(citizen)
    assert client.get(reverse("thanhtoan:receipt_pdf", args=[receipt.pk + 999])
                      ).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
