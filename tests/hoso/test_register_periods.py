"""The dossier register over reporting periods (issue 9 item 2): a GRIS quarter selects the
dossiers received from 15/09 00:00 to 15/12 00:00 (up to the 14th inclusive), a calendar
month from the 1st, the Excel follows the same period; a report viewer over a subtree opens
the register of that subtree only."""

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from hoso import register
from portal.calendar import TZ
from portal.choices import Role
from tests.conftest import make_officer
from tests.hoso.conftest import desk_receive

pytestmark = pytest.mark.django_db

PAGE = reverse("register:page")
EXCEL = reverse("register:excel")
GRIS_Q4 = {"system": "gris", "kind": "quarter", "number": "4", "year": "2026"}


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def receive_at(moment, officer, procedure, agency):
    with time_machine.travel(moment, tick=False):
        return desk_receive(officer, procedure, agency)


@pytest.fixture
def edges(province, birth_procedure, desk_a1, desk_b1):
    """A1: just before, at the start, at the last minute and at the end of GRIS Q4/2026;
    B1 (another district): one inside."""
    a1 = province.commune_a1
    return {
        "before": receive_at(at(2026, 9, 14, 23, 59), desk_a1, birth_procedure, a1),
        "first": receive_at(at(2026, 9, 15, 0, 0), desk_a1, birth_procedure, a1),
        "last": receive_at(at(2026, 12, 14, 23, 59), desk_a1, birth_procedure, a1),
        "after": receive_at(at(2026, 12, 15, 0, 0), desk_a1, birth_procedure, a1),
        "other": receive_at(at(2026, 10, 1, 9, 0), desk_b1, birth_procedure,
                            province.commune_b1),
    }


@pytest.fixture
def district_a_viewer(province):
    return make_officer(province.district_a, Role.REPORT_VIEWER, username="xem_huyen_a")


def codes(response):
    return [r.code for r in response.context["rows"]]


def test_a_gris_quarter_selects_the_dossiers_received_from_the_15th_to_the_14th(
        client, province, desk_a1, edges):
    client.force_login(desk_a1)
    response = client.get(PAGE, {"agency": province.commune_a1.code, **GRIS_Q4})
    assert response.status_code == 200
    assert codes(response) == [edges["first"].code, edges["last"].code]
    html = response.content.decode()
    assert "Quý IV/2026 (15/09/2026 – 14/12/2026)" in html
    assert "system=gris" in response.context["query_string"]


def test_the_gris_quarter_ignores_the_typed_dates(client, province, desk_a1, edges):
    client.force_login(desk_a1)
    response = client.get(PAGE, {"agency": province.commune_a1.code, **GRIS_Q4,
                                 "date_from": "2026-11-01", "date_to": ""})
    assert codes(response) == [edges["first"].code, edges["last"].code]


def test_a_calendar_month_runs_from_the_1st(client, province, desk_a1, edges):
    client.force_login(desk_a1)
    response = client.get(PAGE, {"agency": province.commune_a1.code, "system": "calendar",
                                 "kind": "month", "number": "12", "year": "2026"})
    assert codes(response) == [edges["last"].code, edges["after"].code]
    assert "Tháng 12/2026 (01/12/2026 – 31/12/2026)" in response.content.decode()


def test_the_report_pages_custom_range_is_accepted(client, province, desk_a1, edges):
    client.force_login(desk_a1)
    response = client.get(PAGE, {"agency": province.commune_a1.code, "system": "custom",
                                 "from": "2026-09-14", "to": "2026-09-15"})
    assert codes(response) == [edges["before"].code, edges["first"].code]


def test_a_bad_reporting_period_is_a_vietnamese_form_error(client, province, desk_a1):
    client.force_login(desk_a1)
    response = client.get(PAGE, {"agency": province.commune_a1.code, **GRIS_Q4,
                                 "number": "5"})
    assert response.status_code == 200
    assert "Số quý phải từ 1 đến 4." in response.content.decode()
    assert not response.context["query_string"]
    response = client.get(EXCEL, {"agency": province.commune_a1.code, **GRIS_Q4,
                                  "year": "hai nghìn"})
    assert response.status_code == 400
    assert "Năm báo cáo không hợp lệ." in response.content.decode()


def test_the_excel_follows_the_gris_quarter(client, province, desk_a1, edges):
    client.force_login(desk_a1)
    response = client.get(EXCEL, {"agency": province.commune_a1.code, **GRIS_Q4})
    assert response.status_code == 200
    assert "20260915-20261214.xlsx" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["A3"].value == "Quý IV/2026 (15/09/2026 – 14/12/2026)"
    rows = list(sheet.iter_rows(min_row=register.HEADER_ROW + 1, values_only=True))
    assert [r[1] for r in rows] == [edges["first"].code, edges["last"].code]


def test_a_subtree_report_viewer_sees_only_the_subtree(client, province, edges,
                                                       district_a_viewer):
    client.force_login(district_a_viewer)
    default = client.get(PAGE, GRIS_Q4)
    assert default.status_code == 200
    assert default.context["agency"] == province.district_a
    assert codes(default) == [edges["first"].code, edges["last"].code]
    commune = client.get(PAGE, {"agency": province.commune_a1.code, **GRIS_Q4})
    assert codes(commune) == [edges["first"].code, edges["last"].code]
    choices = [code for code, _label in default.context["form"].fields["agency"].choices]
    assert province.commune_b1.code not in choices
    assert province.root.code not in choices
    for outside in (province.commune_b1, province.district_b, province.root):
        assert client.get(PAGE, {"agency": outside.code, **GRIS_Q4}).status_code == 404
        assert client.get(EXCEL, {"agency": outside.code, **GRIS_Q4}).status_code == 404
    rows = register.register_rows(district_a_viewer, province.district_a,
                                  dt.date(2026, 9, 15), dt.date(2026, 12, 14))
    assert edges["other"].code not in [r.code for r in rows]


def test_a_province_report_viewer_sees_every_district(client, province, edges):
    viewer = make_officer(province.root, Role.REPORT_VIEWER, username="xem_tinh")
    client.force_login(viewer)
    response = client.get(PAGE, {"agency": province.root.code, **GRIS_Q4})
    assert sorted(codes(response)) == sorted(
        [edges["first"].code, edges["last"].code, edges["other"].code])
