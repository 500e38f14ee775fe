"""The scheduled jobs of periodic reporting, run through portal.jobs (JOBS, run_job) by Celery
beat (settings.CELERY_BEAT_SCHEDULE): thin wrappers returning counts for the JobRun row."""

from __future__ import annotations

import datetime as dt

from baocao.periodic import reminders, setup


def open_reporting_periods(*, now: dt.datetime | None = None) -> dict:
    """Daily, early in the morning: open every period that has started (idempotent)."""
    return {"opened": setup.open_periods(now=now)}


def send_report_reminders(*, now: dt.datetime | None = None) -> dict:
    """Daily at 08:00: reminders before and after the deadline, at most one per report, kind
    and day."""
    return reminders.send_due_reminders(now=now)
