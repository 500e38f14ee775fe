"""Files of periodic reports (baocao.periodic.exports): one version and the aggregate, as XLSX
and PDF, with the official header (đơn vị báo cáo, đơn vị nhận báo cáo, biểu số, kỳ báo cáo
từ ngày … đến ngày …), merged group headings, the numbers, A4 landscape; the PDF frozen at
submission is the one report_pdf draws."""

import hashlib
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook
from pypdf import PdfReader

from baocao.periodic import exports, services
from tests.baocao.periodic.conftest import (
    SEND_AT,
    assign,
    indicator_values,
    send_report,
)

pytestmark = pytest.mark.django_db

PERIOD_TEXT = "Kỳ báo cáo: Quý IV/2026 (từ ngày 15/09/2026 đến ngày 14/12/2026)"


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def is_landscape_a4(content: bytes) -> bool:
    box = PdfReader(io.BytesIO(content)).pages[0].mediabox
    width, height = float(box.width), float(box.height)
    return round(width / 72 * 25.4) == 297 and round(height / 72 * 25.4) == 210


def cell_texts(sheet) -> list[str]:
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


# --- one version -----------------------------------------------------------------------------

@pytest.fixture
def sent_a1(indicator_setup, three_level_tree):
    a1 = three_level_tree.communes[0]
    return send_report(indicator_setup.report(a1), indicator_values(0))


def test_a_versions_xlsx_has_the_official_header_and_its_numbers(sent_a1, three_level_tree):
    sheet = workbook(exports.report_xlsx(sent_a1))
    assert sheet["A1"].value == f"Đơn vị báo cáo: {three_level_tree.communes[0].name}"
    assert sheet["A2"].value == f"Đơn vị nhận báo cáo: {three_level_tree.root.name}"
    texts = cell_texts(sheet)
    assert "Biểu số: TEST.KTXH.01" in texts
    assert PERIOD_TEXT in texts
    assert "MỘT SỐ CHỈ TIÊU KINH TẾ – XÃ HỘI (THỬ NGHIỆM)" in texts
    by_label = {sheet.cell(r, 2).value: [sheet.cell(r, c).value for c in (1, 3, 4)]
                for r in range(1, sheet.max_row + 1)}
    assert by_label["Dân số"][0] == "I"  # a section heading
    assert by_label["Dân số trung bình"] == ["1", "người", 12500]
    assert by_label["Diện tích gieo trồng lúa"] == ["1", "ha", 850.5]
    assert by_label["Tỷ lệ hộ nghèo"][2] == 4.2
    assert by_label["Khó khăn, vướng mắc, kiến nghị"][2] == "Mưa lớn làm ngập 20 ha lúa."
    assert sheet.page_setup.orientation == "landscape"


def test_a_tables_xlsx_merges_the_column_groups_over_their_columns(handling_setup,
                                                                    three_level_tree):
    version = send_report(handling_setup.report(three_level_tree.communes[0]), {})
    sheet = workbook(exports.report_xlsx(version))
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A8:A9", "B8:B9", "C8:F8", "G8:J8", "K8:M8"} <= merged
    assert sheet["C8"].value == "Số hồ sơ nhận giải quyết"
    assert sheet["G8"].value == "Đã giải quyết"
    assert sheet["K8"].value == "Đang giải quyết"
    assert sheet["B8"].value == "Lĩnh vực, công việc giải quyết theo cấp"
    assert [sheet.cell(10, c).value for c in range(1, 14)] == [f"({c})" for c in range(1, 14)]
    last = max(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 2).value == "Tổng cộng")
    assert [sheet.cell(last, c).value for c in range(3, 14)] == [0] * 11


def test_the_procedure_count_forms_three_groups_are_merged(procedure_count_form,
                                                            three_level_tree, people):
    setup = assign(procedure_count_form, three_level_tree.communes, three_level_tree.root,
                   people.province_office)
    version = send_report(setup.report(three_level_tree.communes[0]), {})
    sheet = workbook(exports.report_xlsx(version))
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A8:A9", "B8:B9", "C8:F8", "G8:J8", "K8:N8"} <= merged
    assert (sheet["A8"].value, sheet["B8"].value) == ("STT", "Lĩnh vực")
    assert sheet["C8"].value == "TTHC thuộc thẩm quyền"
    assert [sheet.cell(10, c).value for c in range(1, 15)] == [f"({c})" for c in range(1, 15)]


def test_a_versions_pdf_is_a4_landscape_with_the_header_numbers_and_signatures(
        sent_a1, three_level_tree, people):
    content = exports.report_pdf(sent_a1)
    assert content.startswith(b"%PDF")
    assert is_landscape_a4(content)
    text = pdf_text(content)
    for expected in ("Đơn vị báo cáo:", three_level_tree.communes[0].name,
                     "Đơn vị nhận báo cáo:", three_level_tree.root.name,
                     "Biểu số: TEST.KTXH.01", "Quý IV/2026", "15/09/2026", "14/12/2026",
                     "12.500", "850,5", "Dân số trung bình", "NGƯỜI LẬP BIỂU",
                     "THỦ TRƯỞNG ĐƠN VỊ", "Phiên bản 1"):
        assert expected in text, expected


def test_the_html_shares_the_report_stylesheet_and_merges_group_headings(handling_setup,
                                                                        three_level_tree):
    version = send_report(handling_setup.report(three_level_tree.communes[0]), {})
    html = exports.sheet_html(exports.version_sheet(version))
    assert "size: A4 landscape" in html
    assert '<th colspan="4">Số hồ sơ nhận giải quyết</th>' in html
    assert '<th colspan="3">Đang giải quyết</th>' in html
    assert '<th rowspan="2">TT</th>' in html


def test_the_frozen_pdf_of_a_submission_is_the_one_report_pdf_draws(sent_a1):
    stored = sent_a1.file.open("rb").read()
    assert hashlib.sha256(stored).hexdigest() == sent_a1.file_sha256
    assert "Đã trình" in pdf_text(stored)
    assert sent_a1.content_sha256 in pdf_text(stored).replace("\n", "")


def test_a_draft_is_marked_as_not_sent(indicator_setup, three_level_tree, people):
    report = indicator_setup.report(three_level_tree.communes[0])
    with time_machine.travel(SEND_AT, tick=False):
        draft = services.save_draft(report=report, values=indicator_values(0), notes={
            "LUA": {"value": "Số liệu ước tính."}}, note="Số liệu sơ bộ.", by=people.reporter)
    sheet = exports.version_sheet(draft)
    assert sheet.draft
    text = pdf_text(exports.report_pdf(draft))
    assert exports.DRAFT_MARK in text
    assert "Ghi chú, giải trình: Số liệu sơ bộ." in text
    assert "Diện tích gieo trồng lúa, số liệu: Số liệu ước tính." in text


# --- the aggregate ---------------------------------------------------------------------------

def test_the_aggregate_xlsx_sums_the_communes_and_names_the_missing(
        sent_indicator_reports, three_level_tree, people):
    content = exports.aggregate_xlsx(sent_indicator_reports.period, three_level_tree.district,
                                     people.province_office)
    sheet = workbook(content)
    assert sheet["A1"].value == f"Đơn vị báo cáo: {three_level_tree.district.name} (tổng hợp)"
    by_label = {sheet.cell(r, 2).value: sheet.cell(r, 4).value
                for r in range(1, sheet.max_row + 1)}
    assert by_label["Dân số trung bình"] == 22300
    assert by_label["Diện tích gieo trồng lúa"] == 1870.75
    assert by_label["Tỷ lệ hộ nghèo"] == 5.1
    assert by_label["Khó khăn, vướng mắc, kiến nghị"] is None
    texts = cell_texts(sheet)
    assert any("2/3 đơn vị" in t for t in texts)
    assert f"Chưa gửi, không được tính: {three_level_tree.communes[2].name}." in texts


def test_the_aggregate_pdf_renders_for_viewers_only(sent_two_level_reports, two_level_tree,
                                                    two_level_people):
    content = exports.aggregate_pdf(sent_two_level_reports.period, two_level_tree.root,
                                    two_level_people.province_office)
    assert is_landscape_a4(content)
    text = pdf_text(content)
    assert "19.800" in text  # 12.500 + 7.300
    assert "trung bình cộng" in text
    with pytest.raises(PermissionDenied):
        exports.aggregate_pdf(sent_two_level_reports.period, two_level_tree.root,
                              two_level_people.reporter)


def test_file_names_are_ascii(sent_a1, indicator_setup, three_level_tree):
    name = exports.file_name(form=indicator_setup.form, agency=three_level_tree.communes[0],
                             period=indicator_setup.period, fmt="pdf", version=sent_a1)
    assert name.isascii()
    assert name.startswith("bao-cao-TEST.KTXH.01-")
    assert name.endswith("-2026-4-v1.pdf")
