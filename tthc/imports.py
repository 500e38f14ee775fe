"""Loading procedures from a JSON or CSV file (format in README "Importing procedures").

Every record is saved by `services.save_procedure` in its own transaction: a good record is
imported (or replaces the procedure with the same national code), a bad one is rejected whole,
with its reasons, and the rest of the file still loads.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import IO

from django.utils.translation import gettext as _

from portal.errors import InvalidInput
from tthc import services

LIST_SEP = "|"
PART_SEP = "::"
CSV_COLUMNS = [
    "national_code", "name", "field_code", "field_name", "levels", "processing_time",
    "time_unit", "service_mode", "channels", "online_only", "boundary_free",
    "boundary_free_scope", "result_name", "result_type", "legal_basis", "published_from",
    "documents", "fees", "workflow", "eform",
]
REQUIRED_CSV_COLUMNS = {"national_code", "name", "field_code", "field_name", "levels",
                        "processing_time", "result_name", "workflow"}


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    rejected: list[tuple[int, str, list[str]]] = field(default_factory=list)  # row, code, why


def _split(text: str, sep: str = LIST_SEP) -> list[str]:
    return [part.strip() for part in (text or "").split(sep) if part.strip()]


def _parts(entry: str, size: int) -> list[str]:
    parts = [p.strip() for p in entry.split(PART_SEP)]
    return parts + [""] * (size - len(parts))


def _int(text: str, default: int) -> int | str:
    return default if text == "" else (int(text) if text.lstrip("-").isdigit() else text)


def record_from_row(row: dict[str, str]) -> dict:
    """A CSV row (flat columns; lists separated by "|", parts by "::") as an import record."""
    record = {key: row[key] for key in ("national_code", "name", "processing_time", "time_unit",
                                        "service_mode", "online_only", "boundary_free",
                                        "boundary_free_scope", "result_name", "result_type",
                                        "legal_basis", "published_from") if row.get(key)}
    record["field"] = {"code": row.get("field_code", ""), "name": row.get("field_name", "")}
    record["levels"] = _split(row.get("levels", ""))
    if row.get("channels"):
        record["channels"] = _split(row["channels"])
    record["documents"] = []
    for entry in _split(row.get("documents", "")):
        name, code, originals, copies, required = _parts(entry, 5)
        record["documents"].append({
            "name": name, "doc_type_code": code, "originals": _int(originals, 1),
            "copies": _int(copies, 0), "required": required != "0"})
    record["fees"] = []
    for entry in _split(row.get("fees", "")):
        kind, name, amount, unit, discount = _parts(entry, 5)
        record["fees"].append({
            "kind": kind, "name": name, "amount": None if amount == "" else _int(amount, 0),
            "unit": unit or "hồ sơ", "online_discount_percent": discount or "0"})
    steps = []
    for entry in _split(row.get("workflow", "")):
        name, role, agency, share = _parts(entry, 4)
        steps.append({"name": name, "role": role, "agency": agency or "deciding",
                      "share": share})
    record["workflows"] = [{"level": level, "steps": steps} for level in record["levels"]]
    if row.get("eform"):
        record["eform"] = json.loads(row["eform"])
    return record


def read_records(stream: IO[bytes], fmt: str) -> list[tuple[int, dict | Exception]]:
    """(row number, record or the error that made the row unreadable) for every row."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig")
    if fmt == "json":
        try:
            data = json.load(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput("bad_json", _("Tệp JSON không đọc được: %(e)s") % {"e": exc}) \
                from exc
        if not isinstance(data, list):
            raise InvalidInput("bad_json", _("Tệp JSON phải là một danh sách thủ tục."))
        return list(enumerate(data, 1))
    reader = csv.DictReader(text)
    missing = REQUIRED_CSV_COLUMNS - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput("bad_csv", _("Tệp CSV thiếu cột: %(cols)s.")
                           % {"cols": ", ".join(sorted(missing))})
    rows: list[tuple[int, dict | Exception]] = []
    for number, row in enumerate(reader, 2):  # row 1 is the header
        try:
            rows.append((number, record_from_row(row)))
        except (ValueError, json.JSONDecodeError) as exc:
            rows.append((number, exc))
    return rows


def import_records(rows: list[tuple[int, dict | Exception]]) -> ImportReport:
    report = ImportReport()
    for number, record in rows:
        code = record.get("national_code", "?") if isinstance(record, dict) else "?"
        if isinstance(record, Exception):
            report.rejected.append((number, code, [_("Dòng không đọc được: %(e)s")
                                                   % {"e": record}]))
            continue
        try:
            procedure, created = services.save_procedure(record)
        except services.RecordInvalid as exc:
            report.rejected.append((number, str(code), exc.reasons))
            continue
        (report.created if created else report.updated).append(procedure.national_code)
    return report
