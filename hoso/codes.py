"""Dossier codes: `<unit code>-YYMMDD-XXXX` by default (TT 01/2018 Art. 19; DOMAIN-2025.md N18).

The day's number comes from a counter row per unit and day, taken with an UPDATE that locks the
row until the receipt commits: concurrent receipts queue on it, a rolled-back receipt gives its
number back, so the committed numbers are exactly 1..N with no repeat and no gap.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection

from hoso.models import DossierCounter
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

