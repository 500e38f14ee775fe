"""Official reports exported and frozen (issue 9 item 4): XLSX (openpyxl) and PDF (WeasyPrint,
A4 landscape) of Biểu II.06a/VPCP/KSTT, each stored as a ReportExport with its parameters, its
cells (`data`), the generating code version and the SHA-256 of the file, so the report can be
shown again exactly as it was sent, and a recomputation says what changed.

The files are rendered from `data` (the report's JSON), never from the database, so what is
shown again, what was downloaded and what was hashed are the same numbers.
"""

from __future__ import annotations

import functools
import hashlib
import io
import subprocess  # noqa: S404 — only `git rev-parse HEAD`, fixed arguments
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from baocao import handling
from baocao.definitions import COUNT_COLUMNS, Period, period_from_params
from baocao.handling import COLUMN_GROUPS, COLUMN_HEADINGS, rows_of_data
from baocao.models import ReportExport
from portal.errors import InvalidInput
from portal.models import Agency

FORMATS = (ReportExport.Format.XLSX, ReportExport.Format.PDF)
CONTENT_TYPES = {
    ReportExport.Format.XLSX:
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportExport.Format.PDF: "application/pdf",
}
BAD_FORMAT = "Định dạng tệp xuất không hợp lệ (chọn XLSX hoặc PDF)."


@functools.cache
def code_version() -> str:
    """The git commit of the running code (read once per process), else
    settings.CODE_VERSION, else "unknown"."""
    try:
        found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(settings.BASE_DIR),  # noqa: S607
                               capture_output=True, text=True, timeout=5, check=True)
        value = found.stdout.strip()
        if value:
            return value[:64]
    except (OSError, subprocess.SubprocessError):
        pass
    return str(getattr(settings, "CODE_VERSION", "") or "unknown")[:64]


def number_text(value: int) -> str:
    """1.250 — the Vietnamese thousands separator."""
    return f"{value:,}".replace(",", ".")


# --- XLSX -------------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_BOLD = Font(bold=True)
LAST_COLUMN = 13
HEADER_ROW = 7  # the group headings; the sub-headings on 8, the column numbers on 9


def handling_xlsx(data: dict) -> bytes:
    """The report's workbook: header block (đơn vị báo cáo, title, kỳ báo cáo, unit), merged
    header cells for the three column groups, the column numbers row (1)…(13), the rows."""
    book = Workbook()
    sheet = book.active
    sheet.title = "II.06a"
    last = get_column_letter(LAST_COLUMN)
    sheet["A1"] = f"Đơn vị báo cáo: {data['agency']['name']}"
    sheet["A1"].font = _BOLD
    sheet.merge_cells("A1:F1")
    sheet["J1"] = handling.FORM
    sheet["J1"].font = _BOLD
    sheet.merge_cells(f"J1:{last}1")
    sheet["A3"] = handling.TITLE
    sheet["A3"].font = Font(bold=True, size=13)
    sheet["A3"].alignment = _CENTER
    sheet.merge_cells(f"A3:{last}3")
    sheet["A4"] = f"Kỳ báo cáo: {data['period']['label']}"
    sheet["A4"].alignment = _CENTER
    sheet.merge_cells(f"A4:{last}4")
    sheet["A5"] = handling.UNIT
    sheet["A5"].alignment = Alignment(horizontal="right")
    sheet.merge_cells(f"A5:{last}5")

    top, sub, numbers = HEADER_ROW, HEADER_ROW + 1, HEADER_ROW + 2
    for column in (1, 2):  # TT and the row label span both header rows
        sheet.cell(top, column, COLUMN_HEADINGS[column])
        sheet.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)
    for title, first, end in COLUMN_GROUPS:
        sheet.cell(top, first, title)
        sheet.merge_cells(start_row=top, start_column=first, end_row=top, end_column=end)
        for column in range(first, end + 1):
            sheet.cell(sub, column, COLUMN_HEADINGS[column])
    for column in range(1, LAST_COLUMN + 1):
        sheet.cell(numbers, column, f"({column})")
        for row in (top, sub, numbers):
            cell = sheet.cell(row, column)
            cell.alignment, cell.border, cell.font = _CENTER, _BOX, _BOLD

    at = numbers + 1
    for index, section in enumerate(data["sections"]):
        sheet.cell(at, 1, ("I", "II", "III")[index])
        sheet.cell(at, 2, section["title"])
        for column in range(1, LAST_COLUMN + 1):
            sheet.cell(at, column).font, sheet.cell(at, column).border = _BOLD, _BOX
        at += 1
        for row in section["rows"]:
            _xlsx_row(sheet, at, row, bold=False)
            at += 1
    _xlsx_row(sheet, at, data["total"], bold=True)

    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 38
    for column in range(3, LAST_COLUMN + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 12
    sheet.row_dimensions[sub].height = 45
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_row(sheet, at: int, row: dict, *, bold: bool) -> None:
    sheet.cell(at, 1, row["number"])
    sheet.cell(at, 2, row["label"])
    for column, value in zip(COUNT_COLUMNS, row["cells"], strict=True):
        cell = sheet.cell(at, column, value)
        cell.number_format = "#,##0"
    for column in range(1, LAST_COLUMN + 1):
        cell = sheet.cell(at, column)
        cell.border = _BOX
        if bold:
            cell.font = _BOLD


def display_row(row: dict) -> dict:
    """A row of the report's JSON with its counts written 1.250."""
    return {**row, "texts": [number_text(v) for v in row["cells"]]}


def display_sections(data: dict) -> list[tuple[str, dict]]:
    """(mark I/II…, section with display rows) of a report's JSON, for the templates."""
    return [(("I", "II", "III")[i], {"title": s["title"],
                                    "rows": [display_row(r) for r in s["rows"]]})
            for i, s in enumerate(data["sections"])]


# --- PDF --------------------------------------------------------------------------------------

def handling_html(data: dict, *, created_at=None) -> str:
    return render_to_string("pdf/report_handling.html", {
        "data": data, "form": handling.FORM, "title": handling.TITLE, "unit": handling.UNIT,
        "groups": COLUMN_GROUPS, "headings": COLUMN_HEADINGS,
        "sub_columns": [(c, COLUMN_HEADINGS[c]) for c in COUNT_COLUMNS],
        "numbers": [f"({c})" for c in range(1, LAST_COLUMN + 1)],
        "sections": display_sections(data), "total": display_row(data["total"]),
        "created_at": created_at,
    })


# --- freezing -----------------------------------------------------------------------------------

def pdf_from_html(html: str) -> bytes:
    """An exported report's PDF (A4 landscape in its template), fetching only static files."""
    from weasyprint import HTML

    from tthc.pdf import StaticOnlyFetcher

    return HTML(string=html, url_fetcher=StaticOnlyFetcher(fail_on_errors=True)).write_pdf()


def export_handling(agency: Agency, period: Period, fmt: str, user) -> ReportExport:
    """Compute the report (identities checked), render the file from its cells, store both
    with the SHA-256 of the file and the code version. One transaction."""
    if fmt not in FORMATS:
        raise InvalidInput("bad_export_format", BAD_FORMAT)
    report = handling.handling_report(agency, period)
    return freeze(kind=handling.KIND, title=report.title, form="II06a", agency=agency,
                  period=period, data=report.to_data(), fmt=fmt, user=user,
                  xlsx=handling_xlsx, html=handling_html)


def freeze(*, kind: str, title: str, form: str, agency: Agency, period: Period, data: dict,
           fmt: str, user, xlsx, html) -> ReportExport:
    """Render the file of a report from its cells — `xlsx(data)` for Excel, the PDF from
    `html(data, created_at=)` — and store both, with the SHA-256 of the file, the parameters
    and the code version, in one transaction: the export as it was sent, shown again later
    exactly so."""
    if fmt not in FORMATS:
        raise InvalidInput("bad_export_format", BAD_FORMAT)
    now = timezone.now()
    content = (xlsx(data) if fmt == ReportExport.Format.XLSX
               else pdf_from_html(html(data, created_at=now)))
    with transaction.atomic():
        export = ReportExport(
            kind=kind, title=title, agency=agency, period_start=period.start,
            period_end=period.end, params={"agency_id": agency.pk, "period": period.as_params()},
            data=data, format=fmt, sha256=hashlib.sha256(content).hexdigest(),
            code_version=code_version(), created_by=user, created_at=now)
        stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
        export.file.save(f"bieu-{form}-{agency.code}-{stamp}.{fmt}", ContentFile(content),
                         save=False)
        export.save()
    return export


def file_sha256(export: ReportExport) -> str:
    """The SHA-256 of the stored file as it is now (equals `export.sha256` unless the file was
    altered)."""
    digest = hashlib.sha256()
    with export.file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class CellChange:
    row_key: str
    row_label: str
    column: int
    before: int | None
    after: int | None


def recompute(export: ReportExport) -> tuple[dict, list[CellChange]]:
    """The same report computed again now (same agency and period) and the cells that differ
    from the frozen one: rows matched by key, a row missing on one side counts as zeros."""
    period = period_from_params(export.params["period"])
    fresh = handling.handling_report(export.agency, period).to_data()
    return fresh, differences(rows_of_data(export.data), rows_of_data(fresh), COUNT_COLUMNS)


def differences(before: list[dict], after: list[dict], columns) -> list[CellChange]:
    """The cells of two versions of a report's rows (each {"key", "label", "cells"}, cells in
    the order of `columns`) that differ: rows matched by key, a missing row counts as zeros."""
    old = {r["key"]: r for r in before}
    new = {r["key"]: r for r in after}
    changes = []
    for key in [*old, *(k for k in new if k not in old)]:
        a, b = old.get(key), new.get(key)
        label = (a or b)["label"]
        for i, column in enumerate(columns):
            va = a["cells"][i] if a else 0
            vb = b["cells"][i] if b else 0
            if va != vb:
                changes.append(CellChange(key, label, column, va, vb))
    return changes


# --- background jobs (baocao.report_jobs picks these up) --------------------------------------

def build_handling_job(params: dict, progress) -> ReportExport:
    """A report job of kind "handling": params agency_id, period (Period.as_params()),
    format and user_id (set by report_jobs)."""
    from portal.models import User

    progress(0, 2)
    agency = Agency.objects.get(pk=int(params["agency_id"]))
    period = period_from_params(params.get("period") or {})
    user = User.objects.get(pk=int(params["user_id"]))
    export = export_handling(agency, period, params.get("format") or "xlsx", user)
    progress(2, 2)
    return export


REPORT_JOB_BUILDERS = {handling.KIND: build_handling_job}
