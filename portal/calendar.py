"""The working-day calendar: the only way the portal computes deadlines.

Rules (DOMAIN.md §6, DOMAIN-2025.md §3.4 and N17, N28–N31):
- Saturday and Sunday are days off; statutory holidays come from the `holidays` package
  (Bộ luật Lao động 2019 Art. 112: Tết Dương lịch, Tết Âm lịch, Giỗ Tổ Hùng Vương, 30/4, 1/5,
  2/9 and its adjacent day, plus the package's known swaps); days an administrator enters for a
  year (extra days off, make-up working Saturdays) override both.
- Working hours default to 07:30–11:30 and 13:30–17:00 and may differ per agency.
- A dossier received outside working hours or on a day off is counted from the start of the
  next working period: after closing time → the next working day's opening; before opening →
  that day's opening; at lunch → the afternoon's opening (DOMAIN.md §6, after TH
  `CaculateTime.cs`; DOMAIN-2025.md §3.4: "received outside working hours or on a day off is
  received on the next working day", NĐ 45/2020 pattern, TT 87/2021/TT-BTC Art. 10) [K].
- A limit in working days is that many full working days of working time: 9:00 Monday plus
  3 working days is 9:00 Thursday; a limit that ends exactly at a closing time is due at that
  closing time (17:00), never at the next morning's opening.
- A limit in calendar days ("ngày") counts every day, but the due date never falls on a
  non-working day: it moves to the next working day (DOMAIN.md §6, N31).

Everything here is pure: `WorkCalendar` holds the rules, `add_working_time` and
`working_time_between` do the arithmetic. `get_calendar()` builds the calendar from the
database (cached) for code that does not pass one.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

from portal.choices import CalendarDayKind, TimeUnit

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Guard against a calendar with no working day at all (a misconfiguration): never loop forever.
MAX_SCAN_DAYS = 3660

Interval = tuple[dt.time, dt.time]
# Statutory Vietnamese holidays, expanded lazily per year; shared by every calendar.
_STATUTORY = holidays.country_holidays("VN", language="vi")


def parse_working_hours(text: str) -> tuple[Interval, ...]:
    """Parse "07:30-11:30,13:30-17:00" into ordered, non-overlapping intervals."""
    intervals: list[Interval] = []
    for part in text.split(","):
        start_text, _sep, end_text = part.strip().partition("-")
        start = dt.time.fromisoformat(start_text.strip())
        end = dt.time.fromisoformat(end_text.strip())
        if end <= start or (intervals and start < intervals[-1][1]):
            raise ValueError(f"bad working hours: {text!r}")
        intervals.append((start, end))
    if not intervals:
        raise ValueError("no working hours")
    return tuple(intervals)


@dataclass(frozen=True)
class WorkCalendar:
    """Working hours plus the days that differ from the statutory calendar."""

    hours: tuple[Interval, ...]
    extra_days_off: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    tz: dt.tzinfo = TZ
    _statutory: holidays.HolidayBase = field(
        default_factory=lambda: _STATUTORY, compare=False, repr=False
    )

    @cached_property
    def day_length(self) -> dt.timedelta:
        """Working time in one working day (7 h 30 min with the default hours)."""
        return sum(
            (_combine(dt.date(2000, 1, 3), e) - _combine(dt.date(2000, 1, 3), s)
             for s, e in self.hours),
            dt.timedelta(),
        )

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        # The package knows weekends, statutory holidays and its own make-up Saturdays.
        return self._statutory.is_working_day(day)

    def holiday_name(self, day: dt.date) -> str | None:
        return self._statutory.get(day)

    def periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working periods of a day as aware datetimes (empty on a day off)."""
        if not self.is_working_day(day):
            return []
        return [(_combine(day, s, self.tz), _combine(day, e, self.tz)) for s, e in self.hours]

    def _periods_from(self, moment: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working periods that end after `moment`, in order, clipped to start at `moment`."""
        day = moment.date()
        for _i in range(MAX_SCAN_DAYS):
            for start, end in self.periods(day):
                if end > moment:
                    yield max(start, moment), end
            day += dt.timedelta(days=1)
        raise ValueError("the calendar has no working time in the next ten years")

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        """When the clock starts for something received at `moment` (module docstring)."""
        moment = _local(moment, self.tz)
        start, _end = next(self._periods_from(moment))
        return start

    def add(self, start: dt.datetime, amount: int | Decimal, unit: str) -> dt.datetime:
        """The moment `amount` units of time after `start` (received at `start`)."""
        if amount < 0:
            raise ValueError("amount must not be negative")
        start = _local(start, self.tz)
        if unit == TimeUnit.CALENDAR_DAYS:
            return self._add_calendar_days(start, amount)
        if unit == TimeUnit.WORKING_DAYS:
            remaining = _scaled(self.day_length, amount)
        elif unit == TimeUnit.WORKING_HOURS:
            remaining = _scaled(dt.timedelta(hours=1), amount)
        else:
            raise ValueError(f"unknown time unit {unit!r}")
        for period_start, period_end in self._periods_from(start):
            available = period_end - period_start
            if remaining <= available:
                return period_start + remaining
            remaining -= available
        raise AssertionError("unreachable")  # _periods_from raises first

    def _add_calendar_days(self, start: dt.datetime, amount: int | Decimal) -> dt.datetime:
        due = start + dt.timedelta(days=int(amount))
        for _i in range(MAX_SCAN_DAYS):
            if self.is_working_day(due.date()):
                return due
            due += dt.timedelta(days=1)
        raise ValueError("the calendar has no working day in the next ten years")

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time from `a` to `b` (negative when `b` is before `a`)."""
        a, b = _local(a, self.tz), _local(b, self.tz)
        if b < a:
            return -self.between(b, a)
        total = dt.timedelta()
        day = a.date()
        while day <= b.date():
            for start, end in self.periods(day):
                overlap = min(end, b) - max(start, a)
                if overlap > dt.timedelta():
                    total += overlap
            day += dt.timedelta(days=1)
        return total

    def same_day_due(self, received: dt.datetime, cutoff: dt.time) -> dt.datetime:
        """Due time of a same-day service ("trả trong ngày; nếu tiếp nhận sau 15 giờ thì trả
        trong ngày làm việc tiếp theo", DOMAIN-2025.md §3.4, N29–N30 [K]): the end of the day it
        is received on, or of the next working day when received after the cut-off or on a
        day off."""
        start = self.next_working_moment(received)
        local_received = _local(received, self.tz)
        if start.date() == local_received.date() and local_received.time() > cutoff:
            start = self.next_working_moment(
                _combine(start.date(), self.hours[-1][1], self.tz)
            )
        return self.periods(start.date())[-1][1]


def _combine(day: dt.date, time: dt.time, tz: dt.tzinfo = TZ) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=tz)


def _local(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the calendar only takes aware datetimes")
    return moment.astimezone(tz)


def _scaled(delta: dt.timedelta, amount: int | Decimal) -> dt.timedelta:
    """`delta` × `amount` in whole seconds, without floats (amounts such as 0.5 day)."""
    seconds = Decimal(int(delta.total_seconds())) * Decimal(amount)
    return dt.timedelta(seconds=int(seconds.to_integral_value()))


def build_calendar(
    hours: str | tuple[Interval, ...],
    days: Iterable[tuple[dt.date, str]] = (),
) -> WorkCalendar:
    """A calendar from working hours and (date, CalendarDayKind) overrides."""
    if isinstance(hours, str):
        hours = parse_working_hours(hours)
    off, working = set(), set()
    for day, kind in days:
        (off if kind in CalendarDayKind.off_kinds() else working).add(day)
    return WorkCalendar(hours=hours, extra_days_off=frozenset(off),
                        extra_working_days=frozenset(working))


def _cache_key() -> str:
    """Per database, so portals (or parallel test databases) sharing one Redis never mix."""
    from django.db import connection

    return f"portal:calendar-days:v1:{connection.settings_dict['NAME']}"


def get_calendar(agency=None) -> WorkCalendar:
    """The calendar an agency works by: its own hours or the province's, plus the days an
    administrator entered (cached; the cache is cleared when a day is saved or deleted)."""
    from django.conf import settings
    from django.core.cache import cache

    from portal.cache import memo
    from portal.models import CalendarDay

    def load() -> list:
        days = cache.get(_cache_key())
        if days is None:
            days = list(CalendarDay.objects.values_list("date", "kind"))
            cache.set(_cache_key(), days, timeout=3600)
        return days

    days = memo.get(_cache_key(), load)
    hours = (agency.working_hours if agency is not None else "") or settings.PORTAL_WORKING_HOURS
    return _built_calendar(hours, tuple(days))


@functools.lru_cache(maxsize=64)
def _built_calendar(hours: str, days: tuple[tuple[dt.date, str], ...]) -> WorkCalendar:
    """build_calendar memoised on its inputs (a WorkCalendar is immutable)."""
    return build_calendar(hours, days)


def clear_calendar_cache() -> None:
    from django.core.cache import cache

    from portal.cache import memo

    cache.delete(_cache_key())
    memo.clear()


def add_working_time(
    start: dt.datetime,
    amount: int | Decimal,
    unit: str = TimeUnit.WORKING_DAYS,
    *,
    calendar: WorkCalendar | None = None,
) -> dt.datetime:
    """Due time of a limit of `amount` `unit`s for something received at `start`."""
    return (calendar or get_calendar()).add(start, amount, unit)


def working_time_between(
    a: dt.datetime, b: dt.datetime, *, calendar: WorkCalendar | None = None
) -> dt.timedelta:
    """Working time elapsed between two moments."""
    return (calendar or get_calendar()).between(a, b)
