"""Figures a report is pre-filled with, computed from the portal's own data.

A form with a `source` is computable: its draft starts with these values (and, for a TABLE
form without fixed rows, with these rows), and the officer reviews them, changes what the
portal cannot know and explains the change in a note. The values are exactly those of the
live reports of issue 9, for the same agency subtree and period, so the report sent and the
report the province can compute never disagree at the moment of pre-filling:

- "handling" — Biểu II.06a/VPCP/KSTT, baocao.handling.handling_report: rows by level, rows by
  field, the total; columns "3"…"13";
- "procedure_count" — Biểu II.07b/VPCP/KSTT, baocao.procedure_counts.procedure_count_report:
  rows by field and the total; columns "3"…"14" (three groups × total/tỉnh/huyện/xã).
"""

from __future__ import annotations

from decimal import Decimal

from baocao.definitions import COUNT_COLUMNS
from baocao.models import AgencyReport, ReportForm
from baocao.periodic.deadlines import period_of
from portal.errors import InvalidInput

NO_SOURCE = "Biểu “%(code)s” không có nguồn số liệu tính sẵn."

Rows = list[dict]
Values = dict[str, dict[str, Decimal]]


def _handling(report: AgencyReport) -> tuple[Rows, Values]:
    from baocao.handling import handling_report

    live = handling_report(report.agency, period_of(report.period))
    rows: Rows = []
    values: Values = {}
    for section, section_rows in live.sections:
        for row in section_rows:
            rows.append({"code": row.key, "label": row.label, "section": section,
                         "number": row.number})
            values[row.key] = {str(c): Decimal(row.cells[c]) for c in COUNT_COLUMNS}
    rows.append({"code": live.total.key, "label": live.total.label, "section": "",
                 "number": "", "total": True})
    values[live.total.key] = {str(c): Decimal(live.total.cells[c]) for c in COUNT_COLUMNS}
    return rows, values


def _procedure_count(report: AgencyReport) -> tuple[Rows, Values]:
    from baocao.procedure_counts import procedure_count_report

    live = procedure_count_report(report.agency, period_of(report.period))
    rows: Rows = []
    values: Values = {}
    for row in [*live.rows, live.total]:
        total = row is live.total
        rows.append({"code": row.key, "label": row.label,
                     "section": "" if total else "Theo lĩnh vực", "number": row.number,
                     **({"total": True} if total else {})})
        values[row.key] = {str(3 + i): Decimal(v) for i, v in enumerate(row.values())}
    return rows, values


SOURCES = {
    ReportForm.Source.HANDLING: _handling,
    ReportForm.Source.PROCEDURE_COUNT: _procedure_count,
}


def prefill(report: AgencyReport) -> tuple[Rows, Values]:
    """(rows, values) computed for the report's agency subtree and period: rows as
    [{"code", "label", "section", "number"(, "total")}], values as {row: {column: Decimal}}.
    InvalidInput when the form has no source."""
    form = report.period.assignment.form
    compute = SOURCES.get(form.source)
    if compute is None:
        raise InvalidInput("no_prefill_source", NO_SOURCE % {"code": form.code})
    return compute(report)
