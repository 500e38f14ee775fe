"""Đối soát (PAYMENTS.md A2 "Reconciliation job") and the officer payment list: each class
found in a prepared file, a lost IPN paid through record_evidence, the same file imported
twice changes nothing, a bad line refused with its number; the list filtered by the officer's
agencies, totals in SQL, constant queries."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from portal.calendar import TZ
from portal.errors import InvalidInput
from tests.hoso.conftest import (  # noqa: F401
    _private_files_per_test,
    birth_procedure,
    desk_a1,
    desk_b1,
    desk_receive,
)
from tests.thanhtoan.test_receipts import make_order
from thanhtoan import services
from thanhtoan.choices import AttemptStatus, OrderStatus, Outcome
from thanhtoan.models import (
    PaymentAttempt,
    PaymentEvent,
    PaymentOrder,
    ReconciliationItem,
    ReconciliationRun,
)
from thanhtoan.providers.base import ProviderResult
from thanhtoan.reconciliation import import_settlement

pytestmark = pytest.mark.django_db

HEADER = "txn_ref,transaction_no,amount,pay_date,bank_code,status,fee\n"
DAY = dt.date(2026, 11, 20)
PAID_AT = dt.datetime(2026, 11, 20, 10, 30, tzinfo=TZ)
ITEMS = [{"kind": "le_phi", "name": "Lệ phí đăng ký khai sinh", "amount": 50000}]


def vnpay_attempt(officer, procedure, agency, *, paid: bool) -> PaymentAttempt:
    order = make_order(desk_receive(officer, procedure, agency), items=ITEMS)
    attempt = services.start_attempt(order_id=order.pk, provider="vnpay")
    if paid:
        services.record_evidence(ProviderResult(
            txn_ref=attempt.txn_ref, outcome=Outcome.PAID, amount=attempt.amount,
            provider_txn_id="1400", paid_at=PAID_AT), source="ipn")
    attempt.refresh_from_db()
    return attempt


@pytest.fixture
def book(province, desk_a1, birth_procedure):  # noqa: F811
    """Four vnpay attempts: matched, lost IPN, missing at the gateway, wrong amount."""
    a = province.commune_a1
    return {name: vnpay_attempt(desk_a1, birth_procedure, a, paid=paid) for name, paid in (
        ("matched", True), ("lost_ipn", False), ("theirs_missing", True), ("amount", True))}


def settlement_csv(book) -> bytes:
    stamp = "20261120103000"
    rows = [
        f"{book['matched'].txn_ref},1400,50000,{stamp},NCB,00,550",
        f"{book['lost_ipn'].txn_ref},1401,50000,{stamp},NCB,00,550",
        f"{book['amount'].txn_ref},1402,60000,{stamp},NCB,00,550",
        f"P20261120999999,1403,70000,{stamp},NCB,00,550",  # unknown to us
        f"{book['matched'].txn_ref},1400,50000,{stamp},NCB,00,550",  # duplicate line
    ]
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_reconciliation_finds_each_class(book, desk_a1):  # noqa: F811
    run = import_settlement(provider="vnpay", fileobj=io.BytesIO(settlement_csv(book)),
                            file_name="vnpay-20261120.csv", user=desk_a1)
    assert run.day == DAY
    counts = run.counts
    assert (counts["matched"], counts["missing_ours"], counts["auto_fixed"],
            counts["missing_theirs"], counts["amount_mismatch"], counts["duplicate"]) == (
        1, 2, 1, 1, 1, 1)
    items = {(i.kind, i.txn_ref): i for i in run.items.all()}
    assert ("matched", book["matched"].txn_ref) not in items  # matched is only counted
    for attempt in book.values():
        attempt.refresh_from_db()
    assert book["matched"].settled_on == DAY

    fixed = items["missing_ours", book["lost_ipn"].txn_ref]
    assert fixed.detail.startswith("auto_fixed")
    assert book["lost_ipn"].status == AttemptStatus.PAID
    assert book["lost_ipn"].order.status == OrderStatus.PAID
    assert book["lost_ipn"].order.receipts.count() == 1
    assert PaymentEvent.objects.filter(attempt=book["lost_ipn"], source="settlement",
                                       action="attempt_pay").count() == 1

    unknown = items["missing_ours", "P20261120999999"]
    assert unknown.attempt is None
    assert unknown.their_amount == 70000
    critical = items["missing_theirs", book["theirs_missing"].txn_ref]
    assert "NGHIÊM TRỌNG" in critical.detail
    assert critical.our_amount == 50000
    mismatch = items["amount_mismatch", book["amount"].txn_ref]
    assert (mismatch.our_amount, mismatch.their_amount) == (50000, 60000)
    assert book["amount"].settled_on is None
    assert ("duplicate", book["matched"].txn_ref) in items


def test_reimporting_the_same_file_changes_nothing(book, desk_a1):  # noqa: F811
    data = settlement_csv(book)
    first = import_settlement(provider="vnpay", fileobj=io.BytesIO(data), file_name="a.csv",
                              user=desk_a1)
    before = (ReconciliationItem.objects.count(), PaymentEvent.objects.count(),
              list(PaymentAttempt.objects.order_by("pk").values_list("status", "settled_on")))
    again = import_settlement(provider="vnpay", fileobj=io.BytesIO(data), file_name="b.csv",
                              user=desk_a1)
    assert again.pk == first.pk
    assert ReconciliationRun.objects.count() == 1
    assert before == (ReconciliationItem.objects.count(), PaymentEvent.objects.count(),
                      list(PaymentAttempt.objects.order_by("pk")
                           .values_list("status", "settled_on")))


def test_a_malformed_line_is_refused_with_its_number_and_nothing_is_stored(book):
    data = (HEADER + f"{book['lost_ipn'].txn_ref},1401,50000,20261120103000,NCB,00,0\n"
            f"{book['matched'].txn_ref},1400,50.000đ,20261120103000,NCB,00,0\n").encode()
    with pytest.raises(InvalidInput) as refused:
        import_settlement(provider="vnpay", fileobj=io.BytesIO(data), file_name="bad.csv",
                          user=None)
    assert "Dòng 3" in refused.value.message
    assert not ReconciliationRun.objects.exists()
    book["lost_ipn"].refresh_from_db()
    assert book["lost_ipn"].status != AttemptStatus.PAID


def test_reconciliation_pages_upload_show_and_export(client, book, desk_a1):  # noqa: F811
    client.force_login(desk_a1)
    page = reverse("thanhtoan:reconciliation")
    assert page == "/mot-cua/thanh-toan/doi-soat/"
    assert client.get(page).status_code == 200
    upload = io.BytesIO(settlement_csv(book))
    upload.name = "vnpay-20261120.csv"
    response = client.post(page, {"provider": "vnpay", "file": upload})
    run = ReconciliationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("thanhtoan:reconciliation_run", args=[run.pk])
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "Lệch số tiền" in detail.content.decode()
    excel = client.get(reverse("thanhtoan:reconciliation_run_excel", args=[run.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(excel.streaming_content))).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "KẾT QUẢ ĐỐI SOÁT GIAO DỊCH THANH TOÁN" in values
    assert book["theirs_missing"].txn_ref in values
    bad = io.BytesIO(HEADER.encode() + b"P1,1,abc,20261120103000,NCB,00,0\n")
    bad.name = "bad.csv"
    refused = client.post(page, {"provider": "vnpay", "file": bad})
    assert refused.status_code == 400
    assert "Dòng 2" in refused.content.decode()


def test_citizens_may_not_reconcile(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("thanhtoan:reconciliation")).status_code == 403


# --- the payment list ----------------------------------------------------------------------

def orders_at(officer, procedure, agency, n: int, *, paid: int = 0) -> list[PaymentOrder]:
    orders = [make_order(desk_receive(officer, procedure, agency), items=ITEMS)
              for _ in range(n)]
    for order in orders[:paid]:
        services.record_cash(order_id=order.pk, officer=officer)
    return orders


def test_the_payment_list_shows_the_officers_agencies_with_totals(
        client, province, desk_a1, desk_b1, birth_procedure):  # noqa: F811
    mine = orders_at(desk_a1, birth_procedure, province.commune_a1, 3, paid=2)
    theirs = orders_at(desk_b1, birth_procedure, province.commune_b1, 2, paid=1)
    client.force_login(desk_a1)
    url = reverse("thanhtoan:payment_list")
    assert url == "/mot-cua/thanh-toan/"
    response = client.get(url)
    assert response.status_code == 200
    listed = {o.pk for o in response.context["page"].object_list}
    assert listed == {o.pk for o in mine}
    totals = {t["status"]: (t["count"], t["total"]) for t in response.context["totals"]}
    assert totals == {"paid": (2, 100000), "unpaid": (1, 50000)}
    html = response.content.decode()
    assert "100.000 đ" in html
    assert theirs[0].reference not in html

    paid_only = client.get(url, {"status": "paid"})
    assert {o.pk for o in paid_only.context["page"].object_list} == {o.pk for o in mine[:2]}
    by_code = client.get(url, {"code": mine[2].dossier.code})
    assert [o.pk for o in by_code.context["page"].object_list] == [mine[2].pk]
    cash = client.get(url, {"provider": "cash"})
    assert {o.pk for o in cash.context["page"].object_list} == {o.pk for o in mine[:2]}
    today = timezone.localdate().strftime("%d/%m/%Y")
    dated = client.get(url, {"date_from": today, "date_to": today})
    assert len(dated.context["page"].object_list) == 3
    old = client.get(url, {"date_to": "01/01/2020"})
    assert len(old.context["page"].object_list) == 0
    assert client.get(url, {"date_from": "31/02/2026"}).status_code == 400

    excel = client.get(reverse("thanhtoan:payment_list_excel"), {"status": "paid"})
    sheet = load_workbook(io.BytesIO(b"".join(excel.streaming_content))).active
    references = {row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert references == {o.reference for o in mine[:2]}


def test_the_payment_list_runs_a_constant_number_of_queries(
        client, province, desk_a1, birth_procedure):  # noqa: F811
    client.force_login(desk_a1)
    url = reverse("thanhtoan:payment_list")
    orders_at(desk_a1, birth_procedure, province.commune_a1, 2, paid=1)
    client.get(url)  # warm the per-generation caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    orders_at(desk_a1, birth_procedure, province.commune_a1, 6, paid=4)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["page"].object_list) == 8
    assert len(many.captured_queries) == len(few.captured_queries)
