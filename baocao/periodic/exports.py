"""Files of periodic reports (issue 10): one agency's report version, and the aggregate of an
agency's subtree, as XLSX (openpyxl) and PDF (WeasyPrint, A4 landscape), with the official
header (đơn vị báo cáo, đơn vị nhận báo cáo, the form's code and legal basis, kỳ báo cáo từ
ngày … đến ngày …, đơn vị tính) and merged header cells for column groups (Biểu II.06a:
"Số hồ sơ nhận giải quyết" over (3)–(6) …).

Both files are drawn from one sheet (`Sheet`: the header, the columns, the rows and the
cells), built from the database once, so the XLSX and the PDF of a version say the same
numbers. The styles and the PDF helper are baocao.exports' (the official reports of issue 9);
the PDF shares templates/pdf/_report.css.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from baocao import exports as official
from baocao import handling
from baocao.definitions import LOCAL_TZ, ROMAN
from baocao.models import (
    AgencyReport,
    Aggregation,
    FormColumn,
    ReportForm,
    ReportingPeriod,
    ReportVersion,
)
from baocao.periodic import selectors
from baocao.periodic.validation import format_number
from baocao.procedure_count_exports import LABEL_HEADINGS as PROCEDURE_COUNT_HEADINGS
from portal.models import Agency

CONTENT_TYPES = official.CONTENT_TYPES
TOTAL_ROW = handling.TOTAL_KEY
INDICATOR_HEADING = "Chỉ tiêu"
TABLE_HEADING = "Nội dung"
UNIT_HEADING = "Đơn vị tính"
NUMBER_HEADING = "TT"
PDF_TEMPLATE = "baocao/periodic/pdf/report.html"
DRAFT_MARK = "BẢN NHÁP — CHƯA GỬI"
_DATES_IN_LABEL = re.compile(r"\s*\(\d{2}/\d{2}/\d{4}\s*[–-]\s*\d{2}/\d{2}/\d{4}\)\s*$")


@dataclass
class HeaderCell:
    """A cell of the header: its text, where it starts (1-based column) and how far it spans."""

    text: str
    column: int
    colspan: int = 1
    rowspan: int = 1


@dataclass
class Sheet:
    """What a periodic report's file shows, in the order it shows it."""

    form_code: str
    title: str
    legal_basis: str
    agency: str
    receiving: str
    period_text: str  # "Quý IV/2026 (từ ngày 15/09/2026 đến ngày 14/12/2026)"
    unit_note: str
    lead_headings: list[str]  # TT, Chỉ tiêu[, Đơn vị tính]
    columns: list[FormColumn]
    rows: list[dict]  # {"mark", "label", "unit", "cells": [value], "kind": section|row|total}
    numbered: bool  # the (1), (2) … row under the headings
    notes: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    signatures: list[tuple[str, str]] = field(default_factory=list)  # (role, name)
    draft: bool = False

    @property
    def width(self) -> int:
        return len(self.lead_headings) + len(self.columns)

    @property
    def grouped(self) -> bool:
        return any(c.group for c in self.columns)

    def header_rows(self) -> list[list[HeaderCell]]:
        """One or two header rows: a column group's heading merged over its columns (the
        columns' headings below it), the lead columns and ungrouped columns spanning both."""
        lead = len(self.lead_headings)
        if not self.grouped:
            return [[HeaderCell(h, i) for i, h in enumerate(self.lead_headings, 1)]
                    + [HeaderCell(c.heading, lead + i) for i, c in enumerate(self.columns, 1)]]
        top = [HeaderCell(h, i, rowspan=2) for i, h in enumerate(self.lead_headings, 1)]
        sub: list[HeaderCell] = []
        for i, column in enumerate(self.columns, lead + 1):
            if not column.group:
                top.append(HeaderCell(column.heading, i, rowspan=2))
            elif top[-1].text == column.group and top[-1].rowspan == 1 \
                    and top[-1].column + top[-1].colspan == i:
                top[-1].colspan += 1
                sub.append(HeaderCell(column.heading, i))
            else:
                top.append(HeaderCell(column.group, i))
                sub.append(HeaderCell(column.heading, i))
        return [top, sub]

    def number_cells(self) -> list[str]:
        """(1), (2), then each column's code in brackets."""
        lead = [f"({i})" for i in range(1, len(self.lead_headings) + 1)]
        return lead + [f"({c.code})" for c in self.columns]


# --- building the sheet ---------------------------------------------------------------------

def period_text(period: ReportingPeriod) -> str:
    """The period's label followed by "(từ ngày dd/mm/yyyy đến ngày dd/mm/yyyy)", the end
    date inclusive (a period's end is exclusive)."""
    first = timezone.localtime(period.start, LOCAL_TZ).date()
    last = (timezone.localtime(period.end, LOCAL_TZ) - dt.timedelta(microseconds=1)).date()
    label = _DATES_IN_LABEL.sub("", period.label)
    return f"{label} (từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y})"


def _lead_headings(form: ReportForm) -> list[str]:
    if form.layout == ReportForm.Layout.INDICATORS:
        return [NUMBER_HEADING, INDICATOR_HEADING, UNIT_HEADING]
    if form.source == ReportForm.Source.HANDLING:
        return [handling.COLUMN_HEADINGS[1], handling.COLUMN_HEADINGS[2]]
    if form.source == ReportForm.Source.PROCEDURE_COUNT:
        return list(PROCEDURE_COUNT_HEADINGS)
    return [NUMBER_HEADING, TABLE_HEADING]


def _body(form: ReportForm, rows: list[dict], columns: list[FormColumn],
          value_of) -> list[dict]:
    """The table's lines: a heading line per section (I, II …), the rows numbered within
    their section, the total row last and bold. `value_of(row, column)` gives a cell."""
    out: list[dict] = []
    section, sections, number = None, 0, 0
    for row in rows:
        cells = [value_of(row["code"], c.code) for c in columns]
        if row.get("total") or row["code"] == TOTAL_ROW:
            out.append({"kind": "total", "mark": "", "label": row["label"],
                        "unit": row.get("unit", ""), "cells": cells})
            continue
        if row.get("section") and row["section"] != section:
            section, sections, number = row["section"], sections + 1, 0
            out.append({"kind": "section", "mark": ROMAN.get(sections, str(sections)),
                        "label": section, "unit": "", "cells": []})
        number += 1
        out.append({"kind": "row", "mark": str(number), "label": row["label"],
                    "unit": row.get("unit", ""), "cells": cells})
    return out


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _when(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment, LOCAL_TZ):%H:%M %d/%m/%Y}" if moment else ""


def version_sheet(version: ReportVersion) -> Sheet:
    """The sheet of one version of an agency's report (a frozen one as it was sent, a draft
    marked as such)."""
    report: AgencyReport = (AgencyReport.objects
                            .select_related("agency", "period__assignment__form",
                                            "period__assignment__receiving_agency")
                            .get(pk=version.report_id))
    form = report.period.assignment.form
    columns = selectors.form_columns(form)
    rows = selectors.rows_of(version, selectors.form_rows(form))
    cells = selectors.cells_of(version)

    def value_of(row: str, column: str):
        cell = cells.get(row, {}).get(column)
        if cell is None:
            return None
        return selectors.plain(cell.number) if cell.number is not None else (cell.text or None)

    labels = {r["code"]: r["label"] for r in rows}
    headings = {c.code: c.heading for c in columns}
    notes = [f"{labels.get(c.row, c.row)}, {_column_name(form, c.column, headings)}: {c.note}"
             for by_row in cells.values() for c in by_row.values() if c.note]
    if version.note:
        notes.insert(0, f"Ghi chú, giải trình: {version.note}")
    footer = [f"Phiên bản {version.number} — {version.get_status_display()}"
              + (f", trình lúc {_when(version.submitted_at)}" if version.submitted_at else "")
              + (f", duyệt lúc {_when(version.decided_at)}"
                 if version.decided_at and version.status != ReportVersion.Status.RETURNED
                 else "") + "."]
    if version.reason:
        footer.append(f"Lý do thay thế phiên bản trước: {version.reason}")
    if report.channel == AgencyReport.Channel.PAPER:
        footer.append("Báo cáo giấy do văn phòng nhập hộ trên hệ thống.")
    if version.content_sha256:
        footer.append(f"Mã kiểm tra nội dung (SHA-256): {version.content_sha256}")
    return Sheet(
        form_code=form.code, title=form.title, legal_basis=form.legal_basis,
        agency=report.agency.name, receiving=report.period.assignment.receiving_agency.name,
        period_text=period_text(report.period), unit_note=form.unit_note,
        lead_headings=_lead_headings(form), columns=columns,
        rows=_body(form, rows, columns, value_of),
        numbered=form.layout == ReportForm.Layout.TABLE, notes=notes, footer=footer,
        signatures=[("Người lập biểu", _name(version.submitted_by)),
                    ("Thủ trưởng đơn vị", _name(version.decided_by)
                     if version.status in (ReportVersion.Status.APPROVED,
                                           ReportVersion.Status.SUPERSEDED) else "")],
        draft=not version.is_frozen)


def _column_name(form: ReportForm, code: str, headings: dict[str, str]) -> str:
    if form.layout == ReportForm.Layout.INDICATORS:
        return headings.get(code, code).lower()
    return f"cột ({code})"


def aggregate_sheet(period: ReportingPeriod, agency: Agency, user) -> Sheet:
    """The sheet of the aggregate of `agency`'s subtree (selectors.aggregate: the user must
    follow the agency), with who was counted and who has not sent."""
    found = selectors.aggregate(period, agency, user)
    form: ReportForm = found["form"]
    values = found["values"]
    columns = found["columns"]
    names = found["agencies"]
    expected = len(found["included"]) + len(found["missing"])
    notes = [f"Số liệu tổng hợp từ báo cáo đã gửi của {len(found['included'])}/{expected} "
             f"đơn vị thuộc {agency.name}."]
    if found["missing"]:
        notes.append("Chưa gửi, không được tính: "
                     + ", ".join(names[i]["name"] for i in found["missing"]) + ".")
    fixed = selectors.form_rows(form) or [None]
    rules = {selectors.aggregation_of(form, r, c) for r in fixed for c in columns}
    if Aggregation.AVERAGE in rules:
        notes.append("Chỉ tiêu tỷ lệ, bình quân: lấy trung bình cộng của các đơn vị; "
                     "các chỉ tiêu khác: cộng.")
    return Sheet(
        form_code=form.code, title=form.title, legal_basis=form.legal_basis,
        agency=f"{agency.name} (tổng hợp)",
        receiving=period.assignment.receiving_agency.name,
        period_text=period_text(period), unit_note=form.unit_note,
        lead_headings=_lead_headings(form), columns=columns,
        rows=_body(form, found["rows"], columns,
                   lambda row, column: values.get(row, {}).get(column)),
        numbered=form.layout == ReportForm.Layout.TABLE, notes=notes,
        footer=[f"Lập lúc {_when(timezone.now())} trên Cổng Một Cửa."])


# --- XLSX -------------------------------------------------------------------------------------

def _number_format(value: Decimal) -> str:
    """Thousands grouped; decimals only when the figure has some (a format ending in a bare
    decimal separator would print "6.")."""
    return "#,##0" if value == value.to_integral_value() else "#,##0.####"


def sheet_xlsx(sheet: Sheet) -> bytes:
    """The workbook: the header block, merged group headings, the column numbers, the rows
    (sections bold, the total bold), the notes; A4 landscape."""
    box, center, bold = official._BOX, official._CENTER, official._BOLD  # noqa: SLF001 — shared styles
    book = Workbook()
    ws = book.active
    ws.title = re.sub(r"[\\/*?:\[\]]", "-", sheet.form_code)[:31] or "Bao cao"
    width = max(sheet.width, 4)
    last = get_column_letter(width)
    half = max(width // 2, 2)
    right = get_column_letter(half + 1)
    ws["A1"] = f"Đơn vị báo cáo: {sheet.agency}"
    ws["A2"] = f"Đơn vị nhận báo cáo: {sheet.receiving}"
    ws[f"{right}1"] = f"Biểu số: {sheet.form_code}"
    ws[f"{right}2"] = sheet.legal_basis
    for line in (1, 2):
        ws.merge_cells(f"A{line}:{get_column_letter(half)}{line}")
        ws.merge_cells(f"{right}{line}:{last}{line}")
        ws[f"{right}{line}"].alignment = Alignment(horizontal="right", wrap_text=True)
    ws["A1"].font = ws[f"{right}1"].font = bold
    ws["A4"] = sheet.title.upper()
    ws["A4"].font = Font(bold=True, size=13)
    ws["A5"] = f"Kỳ báo cáo: {sheet.period_text}"
    for line in (4, 5):
        ws[f"A{line}"].alignment = center
        ws.merge_cells(f"A{line}:{last}{line}")
    if sheet.unit_note:
        ws["A6"] = sheet.unit_note
        ws["A6"].alignment = Alignment(horizontal="right")
        ws.merge_cells(f"A6:{last}6")
    if sheet.draft:
        ws["A3"] = DRAFT_MARK
        ws["A3"].font = Font(bold=True, color="C00000")
    at = 8
    header_rows = sheet.header_rows()
    for offset, cells in enumerate(header_rows):
        for cell in cells:
            ws.cell(at + offset, cell.column, cell.text)
            if cell.colspan > 1 or cell.rowspan > 1:
                ws.merge_cells(start_row=at + offset, start_column=cell.column,
                               end_row=at + offset + cell.rowspan - 1,
                               end_column=cell.column + cell.colspan - 1)
    heading_lines = len(header_rows)
    if sheet.numbered:
        for i, text in enumerate(sheet.number_cells(), 1):
            ws.cell(at + heading_lines, i, text)
        heading_lines += 1
    for line in range(at, at + heading_lines):
        for column in range(1, sheet.width + 1):
            cell = ws.cell(line, column)
            cell.alignment, cell.border, cell.font = center, box, bold
    at += heading_lines
    lead = len(sheet.lead_headings)
    for row in sheet.rows:
        ws.cell(at, 1, row["mark"])
        ws.cell(at, 2, row["label"])
        if lead > 2:
            ws.cell(at, 3, row["unit"])
        for index, value in enumerate(row["cells"], lead + 1):
            cell = ws.cell(at, index, value)
            if isinstance(value, Decimal):
                cell.number_format = _number_format(value)
        for column in range(1, sheet.width + 1):
            cell = ws.cell(at, column)
            cell.border = box
            if row["kind"] != "row":
                cell.font = bold
        at += 1
    at += 1
    for text in [*sheet.notes, *sheet.footer]:
        ws.cell(at, 1, text)
        ws.merge_cells(start_row=at, start_column=1, end_row=at, end_column=width)
        ws.cell(at, 1).alignment = Alignment(wrap_text=True, vertical="top")
        at += 1
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 48
    for column in range(3, sheet.width + 1):
        ws.column_dimensions[get_column_letter(column)].width = 14
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def sheet_html(sheet: Sheet) -> str:
    rows = [{**row, "texts": [(_text(v), "num" if isinstance(v, Decimal) else "text")
                              for v in row["cells"]]} for row in sheet.rows]
    return render_to_string(PDF_TEMPLATE, {
        "sheet": sheet, "header_rows": sheet.header_rows(),
        "numbers": sheet.number_cells() if sheet.numbered else [], "rows": rows,
        "span": sheet.width - 1, "lead_extra": len(sheet.lead_headings) > 2,
        "draft_mark": DRAFT_MARK,
    })


def sheet_pdf(sheet: Sheet) -> bytes:
    return official.pdf_from_html(sheet_html(sheet))


# --- the public functions ---------------------------------------------------------------------

def report_xlsx(version: ReportVersion) -> bytes:
    """One version of an agency's report as XLSX."""
    return sheet_xlsx(version_sheet(version))


def report_pdf(version: ReportVersion) -> bytes:
    """One version of an agency's report as PDF (A4 landscape): what submit_report freezes."""
    return sheet_pdf(version_sheet(version))


def aggregate_xlsx(period: ReportingPeriod, agency: Agency, user) -> bytes:
    """The aggregate of `agency`'s subtree for the period, as XLSX."""
    return sheet_xlsx(aggregate_sheet(period, agency, user))


def aggregate_pdf(period: ReportingPeriod, agency: Agency, user) -> bytes:
    """The aggregate of `agency`'s subtree for the period, as PDF (A4 landscape)."""
    return sheet_pdf(aggregate_sheet(period, agency, user))


def file_name(*, form: ReportForm, agency: Agency, period: ReportingPeriod, fmt: str,
              version: ReportVersion | None = None) -> str:
    """bao-cao-II.06a-VPCP-KSTT-000.00.17.H58-2026-4-v2.xlsx (ASCII, no slash)."""
    code = re.sub(r"[^A-Za-z0-9.]+", "-", form.code).strip("-")
    kind = "bao-cao" if version is not None else "tong-hop"
    suffix = f"-v{version.number}" if version is not None else ""
    return f"{kind}-{code}-{agency.code}-{period.year}-{period.number}{suffix}.{fmt}"
