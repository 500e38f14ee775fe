"""The page of Biểu II.07b/VPCP/KSTT (Tổng hợp số lượng TTHC): its numbers are those of
procedure_count_report, the official column groups each split total / tỉnh / huyện / xã, the
XLSX has the groups as merged header cells, an export is frozen and shown again as exported
(with "Tính lại"), and another agency's viewer gets 403 like on the II.06a page."""

import datetime as dt
import hashlib
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from baocao import definitions as defs
from baocao import procedure_count_exports as pc_exports
from baocao.models import ReportExport
from baocao.procedure_counts import procedure_count_report
from portal.calendar import TZ
from portal.choices import Role
from tests.conftest import make_officer
from tests.tthc.conftest import record
from tthc import services as tthc_services
from tthc.models import Procedure

pytestmark = pytest.mark.django_db

QUARTER = defs.gris_period("quarter", 2026, 4)
PAGE = reverse("baocao:procedure_count")
EXPORT = reverse("baocao:export_procedure_count")


@pytest.fixture(autouse=True)
def _after_the_quarter():
    with time_machine.travel(dt.datetime(2027, 1, 20, 9, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def catalogue(db):
    """Birth (commune), LLTP (province), CT (district and commune, desk only)."""
    for values in (
        {},
        {"national_code": "2.000635", "name": "Cấp phiếu lý lịch tư pháp",
         "field": {"code": "LLTP", "name": "Lý lịch tư pháp"}, "levels": ["province"],
         "processing_time": "10", "eform": None, "workflows": [{"level": "province", "steps": [
             {"name": "Xử lý", "role": "processing_officer", "share": "10"}]}]},
        {"national_code": "2.001023", "name": "Chứng thực bản sao từ bản chính",
         "field": {"code": "CT", "name": "Chứng thực"}, "levels": ["district", "commune"],
         "service_mode": "info", "channels": ["direct"], "eform": None,
         "processing_time": "1", "workflows": [{"level": lvl, "steps": [
             {"name": "Chứng thực", "role": "processing_officer", "share": "1"}]}
             for lvl in ("district", "commune")]},
    ):
        tthc_services.save_procedure(record(**values))


@pytest.fixture
def viewer(province):
    return make_officer(province.root, Role.REPORT_VIEWER, username="xem_tinh",
                        full_name="Trần Văn Báo")


def _query(agency, period=QUARTER):
    return {"agency": agency.pk, **period.as_params()}


def test_the_page_shows_the_numbers_of_procedure_count_report(client, province, catalogue,
                                                              viewer):
    client.force_login(viewer)
    response = client.get(PAGE, _query(province.root))
    assert response.status_code == 200
    expected = procedure_count_report(province.root, QUARTER)
    assert response.context["report"].to_data() == expected.to_data()
    assert response.context["total"]["cells"] == expected.total.values()
    assert response.context["total"]["cells"][:4] == [3, 1, 1, 2]
    html = response.content.decode()
    for heading in ("TTHC thuộc thẩm quyền",
                    "TTHC tiếp nhận theo cơ chế một cửa, một cửa liên thông",
                    "TTHC đã ban hành quy trình nội bộ"):
        assert f'colspan="4">{heading}</th>' in html
    assert html.count("<th scope=\"col\">Cấp huyện</th>") == 3
    assert "(14)" in html
    assert "Quý IV/2026 (15/09/2026 – 14/12/2026)" in html


def test_a_district_page_counts_its_levels_only(client, province, catalogue, viewer):
    client.force_login(viewer)
    response = client.get(PAGE, _query(province.district_a))
    cells = response.context["report"].total.cells
    assert cells == procedure_count_report(province.district_a, QUARTER).total.cells
    assert cells["authority"] == [2, 0, 1, 2]


def test_the_page_defaults_to_the_viewer_s_agency_and_current_gris_month(client, province,
                                                                        catalogue, viewer):
    client.force_login(viewer)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.context["report"].agency_id == province.root.pk
    assert response.context["report"].period == defs.gris_period("month", 2027, 2)


def test_a_bad_period_is_refused_in_vietnamese(client, province, viewer):
    client.force_login(viewer)
    response = client.get(PAGE, {"agency": province.root.pk, "system": "gris",
                                 "kind": "quarter", "year": "2026", "number": "5"})
    assert response.status_code == 400
    assert "Số quý phải từ 1 đến 4." in response.content.decode()


def test_the_xlsx_has_the_three_groups_as_merged_headers(province, catalogue, viewer):
    export = pc_exports.export_procedure_count(province.root, QUARTER, "xlsx", viewer)
    assert export.kind == "procedure_count"
    sheet = load_workbook(io.BytesIO(export.file.open("rb").read())).active
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A7:A8", "B7:B8", "C7:F7", "G7:J7", "K7:N7"} <= merged
    assert sheet["C7"].value == "TTHC thuộc thẩm quyền"
    assert sheet["G7"].value == "TTHC tiếp nhận theo cơ chế một cửa, một cửa liên thông"
    assert sheet["K7"].value == "TTHC đã ban hành quy trình nội bộ"
    assert [sheet.cell(8, c).value for c in range(3, 7)] == [
        "Tổng số", "Cấp tỉnh", "Cấp huyện", "Cấp xã"]
    assert [sheet.cell(9, c).value for c in range(1, 15)] == [f"({c})" for c in range(1, 15)]
    assert "Kỳ báo cáo: Quý IV/2026 (15/09/2026 – 14/12/2026)" in sheet["A4"].value
    expected = procedure_count_report(province.root, QUARTER)
    last = sheet.max_row
    assert sheet.cell(last, 2).value == "Tổng cộng"
    assert [sheet.cell(last, c).value for c in range(3, 15)] == expected.total.values()
    assert [sheet.cell(10 + i, 2).value for i in range(3)] == [r.label for r in expected.rows]


def test_the_pdf_renders_on_a4_landscape(province, catalogue, viewer):
    export = pc_exports.export_procedure_count(province.root, QUARTER, "pdf", viewer)
    assert export.file.open("rb").read().startswith(b"%PDF")
    html = pc_exports.procedure_count_html(export.data)
    assert "size: A4 landscape" in html
    assert "TTHC đã ban hành quy trình nội bộ" in html


def test_exporting_from_the_page_freezes_the_report_and_shows_it_again(client, province,
                                                                       catalogue, viewer):
    client.force_login(viewer)
    response = client.post(EXPORT, {**_query(province.root), "format": "xlsx"})
    export = ReportExport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("baocao:report_export", args=[export.pk])
    assert export.kind == "procedure_count"
    assert export.created_by == viewer
    assert export.params["period"]["from"] == "2026-09-15"
    content = export.file.open("rb").read()
    assert export.sha256 == hashlib.sha256(content).hexdigest()
    frozen = export.data["total"]["cells"]

    # the catalogue changes after the export: the birth procedure is retired
    Procedure.objects.filter(national_code="1.001193").update(retired_on=dt.date(2026, 1, 1))
    page = client.get(reverse("baocao:report_export", args=[export.pk]))
    assert page.status_code == 200
    assert page.context["total"]["cells"] == frozen  # shown as exported
    html = page.content.decode()
    assert export.sha256 in html
    assert "TTHC thuộc thẩm quyền" in html

    recomputed = client.get(reverse("baocao:report_export", args=[export.pk]),
                            {"tinh_lai": "1"})
    changes = {(c.row_key, c.column): (c.before, c.after)
               for c in recomputed.context["changes"]}
    assert changes[("total", 3)] == (3, 2)  # total authority
    assert changes[("total", 6)] == (2, 1)  # commune authority
    assert changes[("field:HT", 3)] == (1, 0)
    listing = client.get(reverse("baocao:report_exports")).content.decode()
    assert export.title in listing
    download = client.get(reverse("baocao:report_export_file", args=[export.pk]))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == export.sha256


def test_a_bad_export_format_is_refused(client, province, catalogue, viewer):
    client.force_login(viewer)
    response = client.post(EXPORT, {**_query(province.root), "format": "docx"})
    assert response.status_code == 400
    assert not ReportExport.objects.exists()


def test_another_district_s_viewer_gets_403(client, province, catalogue, viewer):
    viewer_b = make_officer(province.district_b, Role.REPORT_VIEWER, username="xem_huyen_b")
    client.force_login(viewer_b)
    assert client.get(PAGE, _query(province.district_a)).status_code == 403
    assert client.get(PAGE, _query(province.root)).status_code == 403
    assert client.get(PAGE, {"agency": "999999"}).status_code == 403
    response = client.post(EXPORT, {**_query(province.district_a), "format": "xlsx"})
    assert response.status_code == 403
    assert not ReportExport.objects.exists()
    # another viewer's frozen export is not theirs either
    export = pc_exports.export_procedure_count(province.district_a, QUARTER, "xlsx", viewer)
    assert client.get(reverse("baocao:report_export", args=[export.pk])).status_code == 403
    # their own district works
    assert client.get(PAGE, _query(province.district_b)).status_code == 200


def test_citizens_are_kept_out(client, province, citizen):
    client.force_login(citizen)
    assert client.get(PAGE).status_code in (403, 404)
