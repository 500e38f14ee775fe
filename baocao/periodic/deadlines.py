"""Periods, deadlines and reminder days of periodic reports, on the working-day calendar.

Rules (DOMAIN.md §5 and §6):
- a form's periods are GRIS periods (NĐ 09/2019: the 15th of the month before → the 14th) or
  calendar periods, built by baocao.definitions (the one place that knows the cut-offs);
- a period is opened as soon as it starts (so the reporter sees the figures grow); it is due
  N working days after its cut-off date (its last day): the deadline is the closing time of
  the N-th working day after the cut-off (Khánh Hòa QĐ 01/2023 Art. 4: 2 working days), on
  portal.calendar — a weekend or a holiday after the cut-off pushes the deadline;
- reminders go out on working days only: "before" on each working day from `before_days`
  working days before the deadline's date until the deadline; "after" every `after_every`
  working days once the deadline has passed, for AFTER_WINDOW working days at most (an agency
  that never reports is not reminded of an old period forever).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from baocao.definitions import PERIOD_KINDS, Period, calendar_period, gris_period
from portal.calendar import TZ, WorkCalendar, get_calendar
from portal.choices import TimeUnit

BEFORE = "before"
AFTER = "after"
# after-deadline reminders stop this many working days after the deadline
AFTER_WINDOW = 20
# how many periods one opening run may create for one assignment (a catch-up after a long
# stop opens the rest at the next run)
MAX_PERIODS_PER_RUN = 60
PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "half": 2, "nine_months": 1, "year": 1}


def make_period(system: str, kind: str, year: int, number: int) -> Period:
    """The Period of a form's system ("gris" or "calendar"), kind, year and number."""
    make = calendar_period if system == "calendar" else gris_period
    return make(kind, year, number)


def period_of(reporting_period) -> Period:
    """The baocao.definitions.Period of a ReportingPeriod (its form's system and kind)."""
    form = reporting_period.assignment.form
    return make_period(form.system, form.period_kind, reporting_period.year,
                       reporting_period.number)


def periods_between(system: str, kind: str, first_day: dt.date,
                    now: dt.datetime) -> Iterator[Period]:
    """The periods that end on or after `first_day` and have started by `now`, in order."""
    if kind not in PERIOD_KINDS:
        raise ValueError(f"unknown period kind {kind!r}")
    today = now.astimezone(TZ).date()
    candidates = [make_period(system, kind, year, number)
                  for year in range(first_day.year - 1, today.year + 2)
                  for number in range(1, PERIODS_PER_YEAR[kind] + 1)
                  if 2000 <= year <= 2100]
    for period in sorted(candidates, key=lambda p: (p.start, p.end)):
        if period.last_day >= first_day and period.start <= now:
            yield period


def deadline_for(period_end_utc: dt.datetime, working_days: int, agency=None, *,
                 calendar: WorkCalendar | None = None) -> dt.datetime:
    """When a period ending (exclusive) at `period_end_utc` is due: the closing time of the
    `working_days`-th working day after its cut-off date, in UTC. 0 working days: due at the
    end of the cut-off date itself."""
    if working_days <= 0:
        return period_end_utc.astimezone(dt.UTC)
    calendar = calendar or get_calendar(agency)
    return calendar.add(period_end_utc, working_days, TimeUnit.WORKING_DAYS).astimezone(dt.UTC)


def _working_days_back(day: dt.date, count: int, calendar: WorkCalendar) -> dt.date:
    """The working day `count` working days before `day`."""
    found = 0
    while found < count:
        day -= dt.timedelta(days=1)
        if calendar.is_working_day(day):
            found += 1
    return day


def _working_days_after(start: dt.date, end: dt.date, calendar: WorkCalendar) -> int:
    """How many working days lie after `start`, up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


def reminder_kind(*, deadline: dt.datetime, now: dt.datetime, before_days: int,
                  after_every: int, agency=None,
                  calendar: WorkCalendar | None = None) -> str | None:
    """Which scheduled reminder (BEFORE, AFTER or None) is due today (`now`'s local date)
    for a report not yet sent that is due at `deadline` (module docstring)."""
    calendar = calendar or get_calendar(agency)
    today = now.astimezone(TZ).date()
    if not calendar.is_working_day(today):
        return None
    deadline_day = deadline.astimezone(TZ).date()
    if now < deadline:
        if before_days <= 0:
            return None
        return BEFORE if today >= _working_days_back(deadline_day, before_days, calendar) \
            else None
    if after_every <= 0:
        return None
    elapsed = _working_days_after(deadline_day, today, calendar)
    if elapsed == 0 or elapsed > AFTER_WINDOW:
        return None
    return AFTER if (elapsed - 1) % after_every == 0 else None


def reminder_days(deadline: dt.datetime, *, before_days: int, after_every: int,
                  until: dt.date, agency=None,
                  calendar: WorkCalendar | None = None) -> list[tuple[dt.date, str]]:
    """Every (local date, kind) a scheduled reminder is due, from the first "before" day up
    to `until`, for a report that is never sent (for pages and tests; the job asks
    reminder_kind day by day). The reminder is judged at 08:00 local time, when the job
    runs."""
    calendar = calendar or get_calendar(agency)
    deadline_day = deadline.astimezone(TZ).date()
    day = _working_days_back(deadline_day, max(before_days, 0), calendar)
    out = []
    while day <= until:
        at_eight = dt.datetime.combine(day, dt.time(8, 0), tzinfo=TZ)
        kind = reminder_kind(deadline=deadline, now=at_eight, before_days=before_days,
                             after_every=after_every, calendar=calendar)
        if kind:
            out.append((day, kind))
        day += dt.timedelta(days=1)
    return out
