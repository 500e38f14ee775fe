"""Dossier codes: `<unit code>-YYMMDD-XXXX` by default (TT 01/2018 Art. 19; DOMAIN-2025.md N18).

The day's number comes from a counter row per unit and day, taken with an UPDATE that locks the
row until the receipt commits: concurrent receipts queue on it, a rolled-back receipt gives its
number back, so the committed numbers are exactly 1..N with no repeat and no gap.
"""

from __future__ import annotations

import datetime as dt
import re
import string

from django.conf import settings
from django.db import connection

from hoso.models import Dossier, DossierCounter
from portal.models import Agency

NEXT_NUMBER_SQL = (
    f"INSERT INTO {DossierCounter._meta.db_table} (agency_id, day, value) VALUES (%s, %s, 1) "  # noqa: S608 — table name from the model, values are parameters
    "ON CONFLICT (agency_id, day) DO UPDATE SET value = "
    f"{DossierCounter._meta.db_table}.value + 1 RETURNING value"
)


def next_number(agency: Agency, day: dt.date) -> int:
    """Take the next number of `agency` on `day` (call inside the receipt's transaction): one
    upsert that creates the day's row or increments it, locking it until commit."""
    with connection.cursor() as cursor:
        cursor.execute(NEXT_NUMBER_SQL, [agency.pk, day])
        return cursor.fetchone()[0]


def format_code(unit_code: str, day: dt.date, number: int) -> str:
    return settings.DOSSIER_CODE_FORMAT.format(unit=unit_code, date=day, seq=number)


def new_code(*, receiving: Agency, deciding: Agency, day: dt.date) -> str:
    unit = deciding if settings.DOSSIER_CODE_UNIT == "deciding" else receiving
    return format_code(unit.code, day, next_number(unit, day))



def _split_format(unit_code: str, day: dt.date) -> tuple[str, int, str] | None:
    """DOSSIER_CODE_FORMAT as (text before the number, zero-padded width, text after) when
    the number appears once as {seq}, {seq:d} or {seq:0Nd}; None for any other shape."""
    parts, seq_at, width = [], None, 0
    for literal, name, spec, conversion in string.Formatter().parse(
            settings.DOSSIER_CODE_FORMAT):
        parts.append(literal)
        if name is None:
            continue
        if name == "seq":
            match = re.fullmatch(r"(?:0(\d+))?d?", spec or "")
            if seq_at is not None or conversion or match is None:
                return None
            seq_at, width = len(parts), int(match.group(1) or 0)
            parts.append("")
            continue
        field = "{" + name + ("!" + conversion if conversion else "") + (
            ":" + spec if spec else "") + "}"
        parts.append(field.format(unit=unit_code, date=day))
    if seq_at is None:
        return None
    return "".join(parts[:seq_at]), width, "".join(parts[seq_at + 1:])


ASSIGN_SQL = (
    f"WITH n AS ({NEXT_NUMBER_SQL}) "  # noqa: S608 — names from the models, values are parameters
    f"UPDATE {Dossier._meta.db_table} SET code = %s || lpad(n.value::text, "
    "greatest(%s, length(n.value::text)), '0') || %s FROM n WHERE id = %s RETURNING code"
)


def assign_code(dossier: Dossier, day: dt.date) -> str:
    """Give a dossier being received its code. Call it last in the receipt's transaction: the
    day's counter row stays locked from here to the commit, so what follows it (the message
    that carries the code) is all that other desks wait for. On PostgreSQL the number is
    taken and written in one statement."""
    unit = (dossier.deciding_agency if settings.DOSSIER_CODE_UNIT == "deciding"
            else dossier.receiving_agency)
    parts = _split_format(unit.code, day) if connection.vendor == "postgresql" else None
    if parts is None:
        dossier.code = format_code(unit.code, day, next_number(unit, day))
        Dossier.objects.filter(pk=dossier.pk).update(code=dossier.code)
        return dossier.code
    prefix, width, suffix = parts
    with connection.cursor() as cursor:
        cursor.execute(ASSIGN_SQL, [unit.pk, day, prefix, width, suffix, dossier.pk])
        dossier.code = cursor.fetchone()[0]
    return dossier.code
