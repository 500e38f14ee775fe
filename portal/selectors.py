"""Named reads of the portal app."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from portal.calendar import WorkCalendar
from portal.models import Agency, CalendarDay
from portal.permissions import agencies_with_perm


def public_agencies() -> QuerySet[Agency]:
    """Active agencies in tree order (the public directory)."""
    return Agency.objects.filter(is_active=True).order_by("path")


def search_agencies(query: str, limit: int = 50) -> QuerySet[Agency]:
    query = " ".join(query.split())
    if not query:
        return Agency.objects.none()
    return public_agencies().filter(
        Q(name__icontains=query) | Q(short_name__icontains=query) | Q(code__iexact=query)
    )[:limit]


def agencies_of(user, perm: str) -> QuerySet[Agency]:
    """The agencies a user's grant of `perm` covers, in tree order, for landing pages."""
    return agencies_with_perm(user, perm).order_by("path")


def agency_counts_by_level(agencies: QuerySet[Agency]) -> dict[str, int]:
    rows = agencies.order_by().values("level").annotate(n=Count("pk"))
    return {row["level"]: row["n"] for row in rows}


@dataclass(frozen=True)
class DayNote:
    date: dt.date
    working: bool
    name: str


def calendar_notes(calendar: WorkCalendar, start: dt.date, days: int = 60) -> list[DayNote]:
    """Weekdays off and make-up working days in the coming `days` days, with their names."""
    entered = {d.date: d.name for d in CalendarDay.objects.filter(
        date__gte=start, date__lt=start + dt.timedelta(days=days))}
    notes = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        working = calendar.is_working_day(day)
        weekend = day.weekday() >= 5
        if working == weekend:  # a weekday off or a working weekend day
            name = entered.get(day) or calendar.holiday_name(day) or ""
            notes.append(DayNote(date=day, working=working, name=name))
    return notes
