"""Biểu II.06a/VPCP/KSTT — "Tình hình, kết quả giải quyết TTHC" (DOMAIN.md §5) for an agency
subtree (by deciding agency) and a period, and the dossier list behind each of its cells.

The report is ONE set-based query: the 11 counted columns as COUNT(*) FILTER (…) with the
shared SQL fragments of baocao.definitions, grouped by GROUPING SETS ((level), (field), ()),
so the rows by level, the rows by field and the total come from the same pass. Every row's
identities are checked before the report is returned: a broken identity raises
ReportInconsistent, a report that disagrees with itself is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, QuerySet

from baocao import definitions as d
from baocao.definitions import COUNT_COLUMNS, Period
from hoso.models import Dossier
from portal.choices import AgencyLevel
from portal.errors import DomainError, InvalidInput
from portal.models import Agency
from tthc.models import Field, Procedure

KIND = "handling"
TITLE = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
FORM = "Biểu II.06a/VPCP/KSTT"
UNIT = "Đơn vị tính: Số hồ sơ TTHC"

COLUMN_HEADINGS = {
    1: "TT",
    2: "Lĩnh vực, công việc giải quyết theo cấp",
    3: "Tổng số",
    4: "Trực tuyến",
    5: "Trực tiếp, dịch vụ bưu chính",
    6: "Từ kỳ trước",
    7: "Tổng số",
    8: "Trước hạn",
    9: "Đúng hạn",
    10: "Quá hạn",
    11: "Tổng số",
    12: "Trong hạn",
    13: "Quá hạn",
}
# (heading, first column, last column) of the merged header cells
COLUMN_GROUPS = (("Số hồ sơ nhận giải quyết", 3, 6), ("Đã giải quyết", 7, 10),
                 ("Đang giải quyết", 11, 13))
# the heading above a column, for the drill-down list's title
COLUMN_GROUP_OF = {c: g for g, first, last in COLUMN_GROUPS for c in range(first, last + 1)}
LEVELS = (AgencyLevel.PROVINCE, AgencyLevel.DISTRICT, AgencyLevel.COMMUNE)
LEVEL_ROW_LABELS = {AgencyLevel.PROVINCE: "Cấp tỉnh", AgencyLevel.DISTRICT: "Cấp huyện",
                    AgencyLevel.COMMUNE: "Cấp xã", AgencyLevel.MINISTRY: "Cấp bộ"}
SECTION_LEVELS = "Theo cấp giải quyết"
SECTION_FIELDS = "Theo lĩnh vực"
TOTAL_KEY = "total"
TOTAL_LABEL = "Tổng cộng"


class ReportInconsistent(DomainError):
    """The counts break an identity of the form: the report is not shown."""

    status_code = 500

    def __init__(self, problems: list[str]) -> None:
        super().__init__("report_inconsistent",
                         "Số liệu báo cáo không khớp các đẳng thức kiểm tra: "
                         + "; ".join(problems))
        self.problems = problems


@dataclass
class Row:
    key: str       # "total", "level:<level>" or "field:<field code>"
    label: str
    cells: dict[int, int]  # column 3..13 → count
    number: str = ""       # column (1)

    def values(self) -> list[int]:
        return [self.cells[c] for c in COUNT_COLUMNS]


@dataclass
class HandlingReport:
    agency_id: int
    agency_name: str
    agency_code: str
    period: Period
    sections: list[tuple[str, list[Row]]] = field(default_factory=list)
    total: Row | None = None

    @property
    def title(self) -> str:
        return f"{FORM} — Tình hình, kết quả giải quyết TTHC — {self.agency_name} — " \
               f"{self.period.label}"

    def rows(self) -> list[Row]:
        return [r for _t, rows in self.sections for r in rows] + [self.total]

    def to_data(self) -> dict:
        """The report as JSON (what an export freezes): every cell, by row key."""
        return {
            "kind": KIND, "form": FORM, "agency": {"id": self.agency_id,
                                                   "name": self.agency_name,
                                                   "code": self.agency_code},
            "period": {**self.period.as_params(), "label": self.period.label},
            "columns": list(COUNT_COLUMNS),
            "sections": [{"title": t, "rows": [_row_data(r) for r in rows]}
                         for t, rows in self.sections],
            "total": _row_data(self.total),
        }


def _row_data(row: Row) -> dict:
    return {"key": row.key, "label": row.label, "number": row.number, "cells": row.values()}


def rows_of_data(data: dict) -> list[dict]:
    """All rows (sections, then the total) of a report's JSON, for comparisons."""
    return [r for s in data["sections"] for r in s["rows"]] + [data["total"]]


# --- the query ------------------------------------------------------------------------------

_COUNTS = ",\n  ".join(f"COUNT(*) FILTER (WHERE {d.COLUMN_SQL[c]})" for c in COUNT_COLUMNS)
# The dossiers a period may handle, as two index-only scans of dossier_finished_report (the
# finished after the start, the unfinished), disjoint, so UNION ALL; SQL_HANDLED then keeps
# those received before the end.
_REPORT_COLUMNS = ("id, received_at, finished_at, deciding_agency_id, procedure_id, channel, "
                   "status, due_at, counted_overdue")
_TABLE = Dossier._meta.db_table
_HANDLED_ROWS = " UNION ALL ".join(  # constants and the model's table name, no input
    f"SELECT {_REPORT_COLUMNS} FROM {_TABLE} WHERE {condition}"  # noqa: S608
    for condition in ("finished_at >= %(start)s", "finished_at IS NULL"))
HANDLING_SQL = f"""
SELECT GROUPING(a.level), GROUPING(p.field_id), a.level, p.field_id,
  {_COUNTS}
FROM ({_HANDLED_ROWS}) d
JOIN {Agency._meta.db_table} a ON a.id = d.deciding_agency_id
JOIN {Procedure._meta.db_table} p ON p.id = d.procedure_id
LEFT JOIN ({d.SQL_SUPPLEMENTS_AT}) s ON s.dossier_id = d.id
WHERE a.path LIKE %(path)s AND {d.SQL_HANDLED}
GROUP BY GROUPING SETS ((a.level), (p.field_id), ())
"""  # noqa: S608 — table names from the models, fragments are constants, values parameters


def _zero() -> dict[int, int]:
    return dict.fromkeys(COUNT_COLUMNS, 0)


def handling_report(agency: Agency, period: Period, *, check: bool = True) -> HandlingReport:
    """The report of `agency`'s subtree for `period`: rows by level (those present in the
    subtree), rows by field (those with dossiers), the total. Raises ReportInconsistent when
    any row breaks an identity or the sections do not add up to the total."""
    if connection.vendor == "postgresql":
        params = {**period.sql_params, "path": f"{agency.path}%"}
        with connection.cursor() as cursor:
            cursor.execute(HANDLING_SQL, params)
            found = cursor.fetchall()
    else:
        found = _counted_by_orm(agency, period)
    by_level: dict[str, dict[int, int]] = {}
    by_field: dict[int, dict[int, int]] = {}
    total = _zero()
    for g_level, g_field, level, field_id, *counts in found:
        cells = dict(zip(COUNT_COLUMNS, (int(v) for v in counts), strict=True))
        if g_level and g_field:
            total = cells
        elif not g_level:
            by_level[level] = cells
        else:
            by_field[field_id] = cells
    present = set(Agency.objects.filter(path__startswith=agency.path)
                  .values_list("level", flat=True).distinct())
    levels = [lv for lv in (AgencyLevel.MINISTRY, *LEVELS) if lv in present or lv in by_level]
    level_rows = [Row(key=f"level:{lv}", label=LEVEL_ROW_LABELS[lv], number=str(i),
                      cells=by_level.get(lv, _zero())) for i, lv in enumerate(levels, 1)]
    fields = sorted(Field.objects.filter(pk__in=list(by_field)).values_list("pk", "code", "name"),
                    key=lambda f: (f[2], f[1]))
    field_rows = [Row(key=f"field:{code}", label=name, number=str(i), cells=by_field[pk])
                  for i, (pk, code, name) in enumerate(fields, 1)]
    report = HandlingReport(
        agency_id=agency.pk, agency_name=agency.name, agency_code=agency.code, period=period,
        sections=[(SECTION_LEVELS, level_rows), (SECTION_FIELDS, field_rows)],
        total=Row(key=TOTAL_KEY, label=TOTAL_LABEL, cells=total))
    if check:
        problems = check_report(report)
        if problems:
            raise ReportInconsistent(problems)
    return report


def _counted_by_orm(agency: Agency, period: Period) -> list[tuple]:
    """The rows of HANDLING_SQL from the same classification as Q objects (three aggregate
    queries): for the SQLite demo of `make run`, which has no AT TIME ZONE; PostgreSQL runs the
    one GROUPING SETS query."""
    rows = Dossier.objects.filter(d.in_subtree(agency.path), d.handled(period))
    counts = {f"c{c}": Count("pk", filter=d.COLUMN_Q[c](period)) for c in COUNT_COLUMNS}

    def cells(found: dict) -> list[int]:
        return [found[f"c{c}"] for c in COUNT_COLUMNS]

    by_level = rows.values(level=F("deciding_agency__level")).annotate(**counts).order_by()
    by_field = rows.values(field=F("procedure__field_id")).annotate(**counts).order_by()
    return ([(0, 1, r["level"], None, *cells(r)) for r in by_level]
            + [(1, 0, None, r["field"], *cells(r)) for r in by_field]
            + [(1, 1, None, None, *cells(rows.aggregate(**counts)))])


def check_report(report: HandlingReport) -> list[str]:
    """Every row's identities, and each section adding up to the total."""
    problems = [f"{row.label}: {p}" for row in report.rows()
                for p in d.broken_identities(row.cells)]
    for title, rows in report.sections:
        for c in COUNT_COLUMNS:
            found = sum(r.cells[c] for r in rows)
            if found != report.total.cells[c]:
                problems.append(f"{title}, cột ({c}): tổng các dòng {found} ≠ "
                                f"{report.total.cells[c]}")
    return problems


# --- the dossiers behind a cell ---------------------------------------------------------------

def row_filter(row: str) -> dict:
    """The ORM filter of a row key; InvalidInput for an unknown key."""
    if row == TOTAL_KEY:
        return {}
    kind, _sep, value = row.partition(":")
    if kind == "level" and value in AgencyLevel.values:
        return {"deciding_agency__level": value}
    if kind == "field" and value:
        return {"procedure__field__code": value}
    raise InvalidInput("bad_report_cell", "Dòng báo cáo không hợp lệ.")


def cell_dossiers(agency: Agency, period: Period, column: int, row: str,
                  allowed_ids: frozenset[int] | set[int]) -> QuerySet[Dossier]:
    """The dossiers counted in one cell, within the viewer's agencies (`allowed_ids`, the
    view_reports set, already expanded to subtrees): the same classification as the report,
    as Q objects. Ordered by receipt time, then id; a lazy queryset for the Paginator."""
    if column not in d.COLUMN_Q:
        raise InvalidInput("bad_report_cell", "Cột báo cáo không hợp lệ.")
    return (Dossier.objects
            .filter(d.in_subtree(agency.path), d.COLUMN_Q[column](period),
                    deciding_agency_id__in=sorted(allowed_ids), **row_filter(row))
            .select_related("procedure", "deciding_agency")
            .only("code", "status", "channel", "owner_name", "received_at", "due_at",
                  "finished_at", "counted_overdue", "procedure__name",
                  "deciding_agency__name")
            .order_by("received_at", "id"))
