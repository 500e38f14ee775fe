"""Biểu II.07b/VPCP/KSTT ("Tổng hợp số lượng TTHC") exported and frozen (issue 9 items 2 and 4),
the same way baocao/exports.py freezes Biểu II.06a: XLSX (openpyxl, merged header cells for the
three column groups) and PDF (WeasyPrint, A4 landscape), each stored as a ReportExport of kind
"procedure_count" with its parameters, its cells, the code version and the SHA-256 of the file.

The files are rendered from the stored cells (`data`), never from the database. The report
counts the catalogue (one query), so it is always exported at once, never as a background job.
"""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from baocao import exports, procedure_counts
from baocao.definitions import Period, period_from_params
from baocao.exports import BAD_FORMAT, FORMATS, CellChange, display_row, freeze
from baocao.models import ReportExport
from baocao.procedure_counts import FORM, GROUPS, SUB_HEADINGS, TITLE
from portal.errors import InvalidInput
from portal.models import Agency

EXPORT_KIND = procedure_counts.KIND
UNIT = "Đơn vị tính: Số thủ tục hành chính"
LABEL_HEADINGS = ("STT", "Lĩnh vực")
FIRST_COUNT = 3  # column (3) is the first count; 3 groups × 4 sub-columns → (14)
LAST_COLUMN = FIRST_COUNT + len(GROUPS) * len(SUB_HEADINGS) - 1
HEADER_ROW = 7  # the group headings; the sub-headings on 8, the column numbers on 9


def column_groups() -> list[tuple[str, int, int]]:
    """(group heading, first column, last column) of each column group, columns numbered
    from 1 as on the form."""
    width = len(SUB_HEADINGS)
    return [(label, FIRST_COUNT + i * width, FIRST_COUNT + (i + 1) * width - 1)
            for i, (_key, label) in enumerate(GROUPS)]


def sub_columns() -> list[tuple[int, str]]:
    """(column number, sub-heading) of every count column."""
    return [(first + j, heading) for _label, first, _last in column_groups()
            for j, heading in enumerate(SUB_HEADINGS)]


# --- XLSX -------------------------------------------------------------------------------------

def procedure_count_xlsx(data: dict) -> bytes:
    """Header block (đơn vị báo cáo, form, title, kỳ báo cáo, unit), the three column groups
    as merged cells over their four sub-columns, the column numbers (1)…(14), the rows by
    field and the total row."""
    box, center, bold = exports._BOX, exports._CENTER, exports._BOLD  # noqa: SLF001 — shared styles
    book = Workbook()
    sheet = book.active
    sheet.title = "II.07b"
    last = get_column_letter(LAST_COLUMN)
    sheet["A1"] = f"Đơn vị báo cáo: {data['agency']['name']}"
    sheet["A1"].font = bold
    sheet.merge_cells("A1:F1")
    sheet["K1"] = FORM
    sheet["K1"].font = bold
    sheet.merge_cells(f"K1:{last}1")
    sheet["A3"] = TITLE
    sheet["A3"].font = Font(bold=True, size=13)
    sheet["A3"].alignment = center
    sheet.merge_cells(f"A3:{last}3")
    sheet["A4"] = f"Kỳ báo cáo: {data['period']['label']}"
    sheet["A4"].alignment = center
    sheet.merge_cells(f"A4:{last}4")
    sheet["A5"] = UNIT
    sheet["A5"].alignment = Alignment(horizontal="right")
    sheet.merge_cells(f"A5:{last}5")

    top, sub, numbers = HEADER_ROW, HEADER_ROW + 1, HEADER_ROW + 2
    for column, heading in enumerate(LABEL_HEADINGS, 1):  # span both header rows
        sheet.cell(top, column, heading)
        sheet.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)
    for title, first, end in column_groups():
        sheet.cell(top, first, title)
        sheet.merge_cells(start_row=top, start_column=first, end_row=top, end_column=end)
    for column, heading in sub_columns():
        sheet.cell(sub, column, heading)
    for column in range(1, LAST_COLUMN + 1):
        sheet.cell(numbers, column, f"({column})")
        for row in (top, sub, numbers):
            cell = sheet.cell(row, column)
            cell.alignment, cell.border, cell.font = center, box, bold

    at = numbers + 1
    for section in data["sections"]:
        for row in section["rows"]:
            _xlsx_row(sheet, at, row, bold=False)
            at += 1
    _xlsx_row(sheet, at, data["total"], bold=True)

    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 36
    for column in range(FIRST_COUNT, LAST_COLUMN + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 10
    sheet.row_dimensions[top].height = 48
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_row(sheet, at: int, row: dict, *, bold: bool) -> None:
    sheet.cell(at, 1, row["number"])
    sheet.cell(at, 2, row["label"])
    for column, value in enumerate(row["cells"], FIRST_COUNT):
        sheet.cell(at, column, value).number_format = "#,##0"
    for column in range(1, LAST_COLUMN + 1):
        cell = sheet.cell(at, column)
        cell.border = exports._BOX  # noqa: SLF001 — shared style
        if bold:
            cell.font = exports._BOLD  # noqa: SLF001 — shared style


# --- display and PDF ----------------------------------------------------------------------------

def display_context(data: dict) -> dict:
    """What the page, the frozen page and the PDF need to draw the table from a report's JSON
    (numbers written 1.250)."""
    return {
        "data": data, "form": FORM, "title": TITLE, "unit": UNIT,
        "label_headings": LABEL_HEADINGS, "groups": column_groups(),
        "sub_columns": sub_columns(),
        "column_numbers": [f"({c})" for c in range(1, LAST_COLUMN + 1)],
        "rows": [display_row(r) for s in data["sections"] for r in s["rows"]],
        "total": display_row(data["total"]), "group_width": len(SUB_HEADINGS),
    }


def procedure_count_html(data: dict, *, created_at=None) -> str:
    return render_to_string("baocao/procedure_count_pdf.html",
                            {**display_context(data), "created_at": created_at})


# --- freezing -----------------------------------------------------------------------------------

def export_procedure_count(agency: Agency, period: Period, fmt: str, user) -> ReportExport:
    """Compute the report, render the file from its cells, store both with the SHA-256 of the
    file and the code version. One transaction."""
    if fmt not in FORMATS:
        raise InvalidInput("bad_export_format", BAD_FORMAT)
    return freeze(kind=EXPORT_KIND, title=TITLE.capitalize(), form="II07b", agency=agency,
                  period=period,
                  data=procedure_counts.procedure_count_report(agency, period).to_data(),
                  fmt=fmt, user=user, xlsx=procedure_count_xlsx, html=procedure_count_html)


def _rows(data: dict) -> list[dict]:
    return [*(r for s in data["sections"] for r in s["rows"]), data["total"]]


def recompute(export: ReportExport) -> tuple[dict, list[CellChange]]:
    """The same report computed again now and the cells that differ from the frozen one: rows
    matched by key (field code), a row missing on one side counts as zeros."""
    period = period_from_params(export.params["period"])
    fresh = procedure_counts.procedure_count_report(export.agency, period).to_data()
    return fresh, exports.differences(_rows(export.data), _rows(fresh),
                                      [column for column, _heading in sub_columns()])
