"""KPI snapshots (issue 9 item 5): every KPI for every agency (its whole subtree), taken every 2
days at 16:30 by the beat job "kpi_snapshot" or at once on request, and kept as taken.

- One pass: compute_by_agency once per KPI (one set-based query each) and one bulk insert.
- The period of a snapshot is the calendar year to date: from 1 January 00:00 (local time) of
  the year of the run to the moment of the run, so successive snapshots show the year's
  figures as they grew (a trend). A caller may pass another Period (``period=``).
- A day has at most one scheduled run (constraint one_scheduled_snapshot_per_day): a second
  scheduled run the same day does nothing and says so. "Chụp ngay" (manual) and "Tính lại"
  (recompute: the same period as the run it recomputes, with today's data, linked by
  ``recomputes``) always make a new run. Rows are never updated: a snapshot is not rewritten.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from baocao import definitions as d
from baocao.kpis import KPIS, compute_by_agency
from baocao.models import KpiSnapshot, SnapshotRun
from portal.errors import InvalidInput
from portal.models import Agency

Trigger = SnapshotRun.Trigger


@dataclass(frozen=True)
class SnapshotOutcome:
    run: SnapshotRun
    created: bool  # False: the day's scheduled run already existed, nothing was computed

    @property
    def message(self) -> str:
        if not self.created:
            return (f"Đã có lần chụp chỉ số theo lịch ngày {self.run.day:%d/%m/%Y}; "
                    "không chụp lại.")
        return f"Đã chụp chỉ số lúc {timezone.localtime(self.run.taken_at):%d/%m/%Y %H:%M}."


def year_to_date(now: dt.datetime) -> d.Period:
    """1 January 00:00 of the local year of `now` → `now`."""
    local = timezone.localtime(now, d.LOCAL_TZ)
    first = dt.date(local.year, 1, 1)
    return d.Period(start=d.local_midnight(first), end=now,
                    label=f"Từ ngày {first:%d/%m/%Y} đến {local:%H:%M} ngày {local:%d/%m/%Y}",
                    first_day=first, last_day=local.date())


def run_period(run: SnapshotRun) -> d.Period:
    """The period a run was computed over (to recompute it, or to drill down from it)."""
    first = timezone.localtime(run.period_start, d.LOCAL_TZ).date()
    last = timezone.localtime(run.period_end - dt.timedelta(microseconds=1), d.LOCAL_TZ).date()
    return d.Period(start=run.period_start, end=run.period_end,
                    label=f"Từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y}",
                    first_day=first, last_day=last)


def code_version() -> str:
    """The commit the code was deployed from: CODE_VERSION if set, else .git's HEAD."""
    configured = getattr(settings, "CODE_VERSION", "")
    if configured:
        return str(configured)[:64]
    git = Path(settings.BASE_DIR) / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            loose = git / ref
            if loose.exists():
                return loose.read_text().strip()[:64]
            for line in (git / "packed-refs").read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0][:64]
            return ""
        return head[:64]
    except OSError:
        return ""


def take_snapshot(*, trigger: str, day: dt.date, taken_by=None, now: dt.datetime | None = None,
                  period: d.Period | None = None,
                  recomputes: SnapshotRun | None = None) -> SnapshotOutcome:
    """Take a snapshot run: every KPI × every agency, one query per KPI, one bulk insert, in one
    transaction. Scheduled: once a day (a second call returns the day's run, created False)."""
    if trigger not in Trigger.values:
        raise InvalidInput("bad_trigger", "Cách chạy lần chụp chỉ số không hợp lệ.")
    if (trigger == Trigger.RECOMPUTE) != (recomputes is not None):
        raise InvalidInput("bad_recompute", "Tính lại phải chỉ rõ lần chụp được tính lại.")
    now = now or timezone.now()
    if trigger == Trigger.SCHEDULE:
        existing = SnapshotRun.objects.filter(day=day, trigger=Trigger.SCHEDULE).first()
        if existing is not None:
            return SnapshotOutcome(existing, created=False)
    if recomputes is not None:
        period = run_period(recomputes)
    period = period or year_to_date(now)
    began = time.monotonic()
    try:
        with transaction.atomic():
            run = SnapshotRun.objects.create(
                day=day, trigger=trigger, period_start=period.start, period_end=period.end,
                taken_at=now, taken_by=taken_by, code_version=code_version(),
                recomputes=recomputes)
            agencies = list(Agency.objects.only("pk", "path", "depth"))
            rows = []
            for kpi_id in KPIS:
                for agency_id, found in compute_by_agency(kpi_id, period, agencies).items():
                    rows.append(KpiSnapshot(run=run, kpi=kpi_id, agency_id=agency_id,
                                            numerator=found.numerator,
                                            denominator=found.denominator, value=found.value))
            KpiSnapshot.objects.bulk_create(rows, batch_size=5000)
            run.duration_ms = int((time.monotonic() - began) * 1000)
            SnapshotRun.objects.filter(pk=run.pk).update(duration_ms=run.duration_ms)
    except IntegrityError:
        if trigger != Trigger.SCHEDULE:
            raise
        # another worker took the day's scheduled run at the same moment
        return SnapshotOutcome(SnapshotRun.objects.get(day=day, trigger=Trigger.SCHEDULE),
                               created=False)
    return SnapshotOutcome(run, created=True)


def scheduled_snapshot(*, now: dt.datetime | None = None) -> dict:
    """The beat job "kpi_snapshot" (portal.jobs): the day's scheduled run, once."""
    now = now or timezone.now()
    outcome = take_snapshot(trigger=Trigger.SCHEDULE,
                            day=timezone.localtime(now, d.LOCAL_TZ).date(), now=now)
    return {"created": int(outcome.created), "run": outcome.run.pk,
            "values": outcome.run.values.count() if outcome.created else 0}


def recompute(*, run: SnapshotRun, taken_by=None, now: dt.datetime | None = None
              ) -> SnapshotOutcome:
    """A new run over the same period as `run`, with today's data, linked to it."""
    now = now or timezone.now()
    return take_snapshot(trigger=Trigger.RECOMPUTE,
                         day=timezone.localtime(now, d.LOCAL_TZ).date(), taken_by=taken_by,
                         now=now, recomputes=run)


@dataclass(frozen=True)
class Change:
    kpi: str
    agency_id: int
    before: KpiSnapshot | None
    after: KpiSnapshot | None


def changes(run: SnapshotRun, agency_ids=None) -> list[Change]:
    """What a recomputation changed against the run it recomputes (two queries): the values
    whose numerator, denominator or value differ, optionally only for some agencies."""
    if run.recomputes_id is None:
        return []
    def values(of_run: int) -> dict:
        qs = KpiSnapshot.objects.filter(run_id=of_run)
        if agency_ids is not None:
            qs = qs.filter(agency_id__in=sorted(agency_ids))
        return {(v.kpi, v.agency_id): v for v in qs}
    before, after = values(run.recomputes_id), values(run.pk)
    out = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is None or new is None or (old.numerator, old.denominator, old.value) != (
                new.numerator, new.denominator, new.value):
            out.append(Change(key[0], key[1], old, new))
    return out
