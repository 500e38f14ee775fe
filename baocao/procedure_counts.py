"""Biểu II.07b/VPCP/KSTT — "Tổng hợp số lượng TTHC" (DOMAIN.md §5): the procedures in force in
the catalogue on the last day of the period, by level (tỉnh / huyện / xã), in three column
groups, each split into total / tỉnh / huyện / xã:

- thuộc thẩm quyền: every procedure published for the level;
- theo cơ chế một cửa (tiếp nhận tại Bộ phận Một cửa): those the desk accepts on paper
  (accepts_direct) — the others are online-only;
- có quy trình nội bộ ban hành: those with an internal workflow for that level.

The total of a group counts a procedure once even when it belongs to several levels. Only the
levels present in the agency's subtree are counted (a district sees district and commune).
Rows by field and a total row, all from ONE query (COUNT(DISTINCT …) FILTER with GROUPING SETS).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from baocao.definitions import Period
from portal.choices import AgencyLevel
from portal.models import Agency
from tthc.models import Field, Procedure, ProcedureLevel, Workflow

KIND = "procedure_count"  # ReportExport.kind of its frozen exports
TITLE = "TỔNG HỢP SỐ LƯỢNG THỦ TỤC HÀNH CHÍNH"
FORM = "Biểu II.07b/VPCP/KSTT"
LEVELS = (AgencyLevel.PROVINCE, AgencyLevel.DISTRICT, AgencyLevel.COMMUNE)
GROUPS = (("authority", "TTHC thuộc thẩm quyền"),
          ("one_stop", "TTHC tiếp nhận theo cơ chế một cửa, một cửa liên thông"),
          ("workflow", "TTHC đã ban hành quy trình nội bộ"))
SUB_HEADINGS = ("Tổng số", "Cấp tỉnh", "Cấp huyện", "Cấp xã")

_SQL = f"""
SELECT GROUPING(p.field_id), GROUPING(pl.level), p.field_id, pl.level,
  COUNT(DISTINCT p.id),
  COUNT(DISTINCT p.id) FILTER (WHERE p.accepts_direct),
  COUNT(DISTINCT p.id) FILTER (WHERE EXISTS (
      SELECT 1 FROM {Workflow._meta.db_table} w
      WHERE w.procedure_id = p.id AND w.level = pl.level))
FROM {Procedure._meta.db_table} p
JOIN {ProcedureLevel._meta.db_table} pl ON pl.procedure_id = p.id
WHERE p.published_from <= %(day)s AND (p.retired_on IS NULL OR p.retired_on > %(day)s)
  AND pl.level = ANY(%(levels)s)
GROUP BY GROUPING SETS ((p.field_id, pl.level), (p.field_id), (pl.level), ())
"""  # noqa: S608 — table names from the models, values are parameters


@dataclass
class CountRow:
    key: str
    label: str
    number: str = ""
    # group → [total, province, district, commune]
    cells: dict[str, list[int]] = field(default_factory=dict)

    def values(self) -> list[int]:
        return [v for g, _label in GROUPS for v in self.cells[g]]


@dataclass
class ProcedureCountReport:
    agency_id: int
    agency_name: str
    agency_code: str
    period: Period
    rows: list[CountRow]
    total: CountRow

    def to_data(self) -> dict:
        def one(r: CountRow) -> dict:
            return {"key": r.key, "label": r.label, "number": r.number, "cells": r.values()}
        return {"kind": KIND, "form": FORM,
                "agency": {"id": self.agency_id, "name": self.agency_name,
                           "code": self.agency_code},
                "period": {**self.period.as_params(), "label": self.period.label},
                "sections": [{"title": "Theo lĩnh vực", "rows": [one(r) for r in self.rows]}],
                "total": one(self.total)}


def _empty() -> dict[str, list[int]]:
    return {g: [0, 0, 0, 0] for g, _label in GROUPS}


def procedure_count_report(agency: Agency, period: Period) -> ProcedureCountReport:
    levels = sorted(set(Agency.objects.filter(path__startswith=agency.path)
                        .values_list("level", flat=True)) & set(LEVELS))
    with connection.cursor() as cursor:
        cursor.execute(_SQL, {"day": period.last_day, "levels": levels})
        found = cursor.fetchall()
    per_field: dict[int, dict[str, list[int]]] = {}
    total = _empty()
    for g_field, g_level, field_id, level, *counts in found:
        target = total if g_field else per_field.setdefault(field_id, _empty())
        slot = 0 if g_level else 1 + LEVELS.index(level)
        for (group, _label), value in zip(GROUPS, counts, strict=True):
            target[group][slot] = int(value)
    fields = sorted(Field.objects.filter(pk__in=list(per_field)).values_list("pk", "code", "name"),
                    key=lambda f: (f[2], f[1]))
    rows = [CountRow(key=f"field:{code}", label=name, number=str(i), cells=per_field[pk])
            for i, (pk, code, name) in enumerate(fields, 1)]
    return ProcedureCountReport(agency_id=agency.pk, agency_name=agency.name,
                                agency_code=agency.code, period=period, rows=rows,
                                total=CountRow(key="total", label="Tổng cộng", cells=total))
