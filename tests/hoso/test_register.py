"""The dossier register (Sổ theo dõi hồ sơ): the period and the agency's subtree only, what the
officer may see only, one query whatever the number of dossiers, the XLSX download, overdue
marks, Vietnamese errors for bad dates, 404 for an agency out of the officer's grant."""

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hoso import register
from hoso.choices import DossierStatus, ReturnMethod
from hoso.models import Dossier, Result
from hoso.register_views import XLSX
from portal.calendar import TZ
from portal.choices import Role
from tests.conftest import make_officer
from tests.hoso.conftest import applicant, desk_receive

pytestmark = pytest.mark.django_db

PAGE = reverse("register:page")
EXCEL = reverse("register:excel")
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def receive_at(moment, officer, procedure, agency, **kwargs):
    with time_machine.travel(moment, tick=False):
        return desk_receive(officer, procedure, agency, **kwargs)


def query(agency, **params):
    return {"agency": agency.code, **NOVEMBER, **params}


def workbook(response):
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def data_rows(sheet):
    return list(sheet.iter_rows(min_row=register.HEADER_ROW + 1, values_only=True))


@pytest.fixture
def district_a_desk(province):
    return make_officer(province.district_a, Role.DESK_OFFICER, username="desk_a")


@pytest.fixture
def november(province, birth_procedure, desk_a1, desk_b1):
    """A1: one dossier before November, two in it (the last at 23:00 on the 30th), one just
    after midnight on 1 December; B1: one in November."""
    a1 = province.commune_a1
    return {
        "before": receive_at(at(2026, 10, 30, 10, 0), desk_a1, birth_procedure, a1),
        "first": receive_at(at(2026, 11, 16, 9, 0), desk_a1, birth_procedure, a1),
        "last": receive_at(at(2026, 11, 30, 23, 0), desk_a1, birth_procedure, a1),
        "after": receive_at(at(2026, 12, 1, 0, 30), desk_a1, birth_procedure, a1),
        "other": receive_at(at(2026, 11, 17, 9, 0), desk_b1, birth_procedure,
                            province.commune_b1),
    }


# --- the rows ------------------------------------------------------------------------------------

def test_rows_are_the_period_and_the_agency_only_in_receipt_order(province, desk_a1, november):
    rows = register.register_rows(desk_a1, province.commune_a1, dt.date(2026, 11, 1),
                                  dt.date(2026, 11, 30))
    assert [r.code for r in rows] == [november["first"].code, november["last"].code]
    assert [r.number for r in rows] == [1, 2]


def test_an_agency_s_register_includes_the_agencies_under_it(province, birth_procedure,
                                                             district_a_desk, november):
    in_a2 = receive_at(at(2026, 11, 18, 9, 0), district_a_desk, birth_procedure,
                       province.commune_a2)
    start, end = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    district = register.register_rows(district_a_desk, province.district_a, start, end)
    assert [r.code for r in district] == [november["first"].code, in_a2.code,
                                          november["last"].code]
    a2 = register.register_rows(district_a_desk, province.commune_a2, start, end)
    assert [r.code for r in a2] == [in_a2.code]


def test_rows_keep_to_what_the_user_may_see(province, desk_b1, november):
    rows = register.register_rows(desk_b1, province.root, dt.date(2026, 11, 1),
                                  dt.date(2026, 11, 30))
    assert [r.code for r in rows] == [november["other"].code]


def test_row_columns(province, birth_procedure, desk_a1):
    dossier = receive_at(at(2026, 11, 16, 9, 0), desk_a1, birth_procedure, province.commune_a1,
                         applicant=applicant(owner_address="Thôn Đông, xã A1"))
    for number in ("12/2026/KS", "13/2026/BS"):
        Result.objects.create(dossier=dossier, code=f"{dossier.code}-KQ{number[:2]}",
                              name="Giấy khai sinh", number=number,
                              issued_on=dt.date(2026, 11, 16), added_by=desk_a1)
    Dossier.objects.filter(pk=dossier.pk).update(
        status=DossierStatus.RETURNED, finished_at=at(2026, 11, 16, 14, 0),
        returned_at=at(2026, 11, 17, 8, 30), return_method=ReturnMethod.DESK,
        returned_to="Trần Thị Mai", extended_due_at=at(2026, 11, 20, 17, 0))
    [row] = register.register_rows(desk_a1, province.commune_a1, dt.date(2026, 11, 16),
                                   dt.date(2026, 11, 16), now=at(2026, 11, 30, 9, 0))
    assert row.owner_name == "Nguyễn Văn An"
    assert row.owner_address == "Thôn Đông, xã A1"
    assert row.procedure == birth_procedure.name
    assert row.deciding_agency == province.commune_a1.name
    assert register.moment_text(row.received_at) == "16/11/2026 09:00"
    assert register.moment_text(row.appointment) == "20/11/2026 17:00"  # the apology's date
    assert register.moment_text(row.finished_at) == "16/11/2026 14:00"
    assert register.moment_text(row.returned_at) == "17/11/2026 08:30"
    assert row.results == "12/2026/KS; 13/2026/BS"
    assert row.status == "Đã trả kết quả"
    assert not row.overdue
    assert row.channel == "Trực tiếp"
    assert row.note == "Trả tại Bộ phận Một cửa, người nhận: Trần Thị Mai"


def test_overdue_open_and_late_finished_dossiers_say_qua_han(province, birth_procedure,
                                                             desk_a1):
    late_open = receive_at(at(2026, 11, 16, 9, 0), desk_a1, birth_procedure,
                           province.commune_a1)
    late_done = receive_at(at(2026, 11, 16, 9, 5), desk_a1, birth_procedure,
                           province.commune_a1)
    on_time = receive_at(at(2026, 11, 16, 9, 10), desk_a1, birth_procedure,
                         province.commune_a1)
    Dossier.objects.filter(pk=late_done.pk).update(
        status=DossierStatus.RESOLVED, finished_at=late_done.due_at + dt.timedelta(hours=1))
    Dossier.objects.filter(pk=on_time.pk).update(
        status=DossierStatus.RESOLVED, finished_at=on_time.due_at - dt.timedelta(hours=1))
    rows = {r.code: r for r in register.register_rows(
        desk_a1, province.commune_a1, dt.date(2026, 11, 16), dt.date(2026, 11, 16),
        now=at(2026, 11, 23, 9, 0))}
    assert rows[late_open.code].status == "Đã tiếp nhận, Quá hạn"
    assert rows[late_done.code].status == "Đã có kết quả, Quá hạn"
    assert rows[on_time.code].status == "Đã có kết quả"
    assert [rows[d.code].overdue for d in (late_open, late_done, on_time)] == [
        True, True, False]
    # the same open dossier before its due time is not late
    [early] = [r for r in register.register_rows(
        desk_a1, province.commune_a1, dt.date(2026, 11, 16), dt.date(2026, 11, 16),
        now=at(2026, 11, 16, 10, 0)) if r.code == late_open.code]
    assert not early.overdue


def test_page_marks_overdue_dossiers(client, province, birth_procedure, desk_a1):
    receive_at(at(2026, 11, 16, 9, 0), desk_a1, birth_procedure, province.commune_a1)
    client.force_login(desk_a1)
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):
        response = client.get(PAGE, query(province.commune_a1))
    assert response.status_code == 200
    assert "Quá hạn" in response.content.decode()


# --- the page ------------------------------------------------------------------------------------

def test_page_lists_the_register_with_an_excel_link(client, province, desk_a1, november):
    client.force_login(desk_a1)
    response = client.get(PAGE, query(province.commune_a1))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sổ theo dõi hồ sơ" in html
    assert "Từ ngày 01/11/2026 đến ngày 30/11/2026" in html
    assert november["first"].code in html
    assert november["last"].code in html
    for outside in ("before", "after", "other"):
        assert november[outside].code not in html
    assert (f'href="{EXCEL}?agency={province.commune_a1.code}'
            f'&amp;date_from=2026-11-01&amp;date_to=2026-11-30"') in html


def test_page_defaults_to_the_officer_s_agency_and_the_current_month(client, province,
                                                                    desk_a1, november):
    client.force_login(desk_a1)
    with time_machine.travel(at(2026, 11, 20, 9, 0), tick=False):
        response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Từ ngày 01/11/2026 đến ngày 30/11/2026" in html
    assert november["first"].code in html
    assert november["before"].code not in html


def test_another_commune_s_officer_gets_404(client, province, desk_b1, november):
    client.force_login(desk_b1)
    assert client.get(PAGE, query(province.commune_a1)).status_code == 404
    assert client.get(EXCEL, query(province.commune_a1)).status_code == 404
    assert client.get(PAGE, {"agency": "000.00.99.Z99"}).status_code == 404


def test_citizens_and_anonymous_users_are_kept_out(client, province, citizen, november):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "dang-nhap" in response["Location"]
    client.force_login(citizen)
    assert client.get(PAGE).status_code == 404


@pytest.mark.parametrize(("params", "message"), [
    ({"date_from": "31/02/2026"}, "Ngày không hợp lệ"),
    ({"date_to": "hôm qua"}, "Ngày không hợp lệ"),
    ({"date_from": ""}, "Vui lòng nhập ngày bắt đầu."),
    ({"date_from": "2026-12-01"}, "Đến ngày phải sau hoặc bằng từ ngày."),
])
def test_bad_dates_give_a_vietnamese_form_error(client, province, desk_a1, params, message):
    client.force_login(desk_a1)
    response = client.get(PAGE, query(province.commune_a1, **params))
    assert response.status_code == 200
    assert message in response.content.decode()
    response = client.get(EXCEL, query(province.commune_a1, **params))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_page_stops_at_the_limit_and_points_to_excel(client, province, birth_procedure,
                                                     desk_a1, monkeypatch):
    for minute in range(3):
        receive_at(at(2026, 11, 16, 9, minute), desk_a1, birth_procedure, province.commune_a1)
    monkeypatch.setattr(register, "PAGE_LIMIT", 2)
    client.force_login(desk_a1)
    html = client.get(PAGE, query(province.commune_a1)).content.decode()
    assert "Trang này chỉ hiện 2 hồ sơ đầu tiên" in html
    assert html.count('<td class="num">') == 2
    sheet = workbook(client.get(EXCEL, query(province.commune_a1))).active
    assert len(data_rows(sheet)) == 3


# --- the workbook --------------------------------------------------------------------------------

def test_excel_download_has_the_header_and_one_row_per_dossier(client, province, desk_a1,
                                                              november):
    client.force_login(desk_a1)
    response = client.get(EXCEL, query(province.commune_a1))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert (f'so-theo-doi-ho-so-{province.commune_a1.code}-20261101-20261130.xlsx'
            in response["Content-Disposition"])
    sheet = workbook(response).active
    assert sheet["A1"].value == "SỔ THEO DÕI HỒ SƠ"
    assert sheet["A2"].value == province.commune_a1.name
    assert sheet["A3"].value == "Từ ngày 01/11/2026 đến ngày 30/11/2026"
    header = next(sheet.iter_rows(min_row=register.HEADER_ROW, max_row=register.HEADER_ROW,
                                  values_only=True))
    assert list(header) == [h for h, _w in register.COLUMNS]
    rows = data_rows(sheet)
    assert [r[1] for r in rows] == [november["first"].code, november["last"].code]
    assert [r[0] for r in rows] == [1, 2]
    assert rows[0][5] == dt.datetime(2026, 11, 16, 9, 0)  # local time, shown dd/mm/yyyy hh:mm
    assert sheet.freeze_panes == f"A{register.HEADER_ROW + 1}"
    assert sheet.column_dimensions["C"].width == 40
    assert sheet.cell(register.HEADER_ROW + 1, 3).alignment.wrap_text


# --- queries -------------------------------------------------------------------------------------

def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
        if url == EXCEL:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [PAGE, EXCEL])
def test_constant_number_of_queries_whatever_the_number_of_dossiers(
        client, province, birth_procedure, desk_a1, url):
    def add(count, start):
        for i in range(count):
            dossier = receive_at(at(2026, 11, 16, 9, start + i), desk_a1, birth_procedure,
                                 province.commune_a1)
            Result.objects.create(dossier=dossier, code=f"{dossier.code}-KQ1",
                                  name="Giấy khai sinh", number=f"{start + i}/KS",
                                  issued_on=dt.date(2026, 11, 16), added_by=desk_a1)

    client.force_login(desk_a1)
    params = query(province.commune_a1)
    add(2, 0)
    _queries(client, url, params)  # warm the shared caches (roles, permissions)
    two = _queries(client, url, params)
    add(4, 10)
    six = _queries(client, url, params)
    assert two == six
    rows = register.register_rows(desk_a1, province.commune_a1, dt.date(2026, 11, 1),
                                  dt.date(2026, 11, 30))
    assert len(rows) == 6
    assert all(r.results.endswith("/KS") for r in rows)


def test_register_rows_is_one_query(province, birth_procedure, desk_a1,
                                    django_assert_num_queries):
    for minute in range(3):
        receive_at(at(2026, 11, 16, 9, minute), desk_a1, birth_procedure, province.commune_a1)
    register.register_rows(desk_a1, province.commune_a1, dt.date(2026, 11, 1),
                           dt.date(2026, 11, 30))  # the officer's access facts now cached
    desk_a1 = type(desk_a1).objects.get(pk=desk_a1.pk)  # a new request's user
    with django_assert_num_queries(1):
        rows = register.register_rows(desk_a1, province.commune_a1, dt.date(2026, 11, 1),
                                      dt.date(2026, 11, 30))
        assert len(rows) == 3
