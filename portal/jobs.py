"""Scheduled jobs: a registry of named jobs, each run recorded as a JobRun (what /healthz and
the administrators' job page show). Jobs are set-based and idempotent, so a run killed
mid-way is finished by the next one and two runs at once do the work once."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.utils import timezone
from django.utils.module_loading import import_string

from portal.errors import InvalidInput
from portal.models import JobRun, JobRunStatus

logger = logging.getLogger(__name__)

# name → "module.function" returning a dict of counts; the Celery task of each is
# "portal.run_job" with the name (portal.tasks), scheduled in settings.CELERY_BEAT_SCHEDULE.
JOBS: dict[str, str] = {
    "near_due_scan": "hoso.jobs.near_due_scan",
    "overdue_sweep": "hoso.jobs.overdue_sweep",
    "apology_check": "hoso.jobs.apology_check",
    "duty_report": "baocao.services.take_duty_report",
    "kpi_snapshot": "baocao.snapshots.scheduled_snapshot",
    "payment_poll": "thanhtoan.services.poll_pending",
    "periodic_open": "baocao.periodic.jobs.open_reporting_periods",
    "periodic_remind": "baocao.periodic.jobs.send_report_reminders",
}


def job_function(name: str) -> Callable[..., dict]:
    if name not in JOBS:
        raise InvalidInput("unknown_job", f"Không có công việc “{name}”. Có: {', '.join(JOBS)}.")
    return import_string(JOBS[name])


def run_job(name: str, *, trigger: str = "schedule", now=None,
            params: dict | None = None) -> JobRun:
    """Run a job once and record the run; a failure is recorded and raised again. `params`:
    keyword arguments of the job (a backlog's cursor, see hoso.jobs)."""
    function = job_function(name)
    run = JobRun.objects.create(job=name, started_at=timezone.now(), trigger=trigger)
    kwargs = {**(params or {}), **({"now": now} if now is not None else {})}
    try:
        counts = function(**kwargs)
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(status=JobRunStatus.FAILED, error=repr(exc),
                                                finished_at=timezone.now())
        logger.exception("Job %s failed", name)
        raise
    run.status, run.counts, run.finished_at = JobRunStatus.OK, counts, timezone.now()
    run.save(update_fields=["status", "counts", "finished_at"])
    return run


def last_runs() -> dict[str, JobRun | None]:
    """The latest run of each job (two queries, on any database)."""
    from django.db.models import Max

    ids = JobRun.objects.filter(job__in=list(JOBS)).values("job").annotate(last=Max("id"))
    latest = {run.job: run for run in JobRun.objects.filter(
        pk__in=[row["last"] for row in ids])}
    return {name: latest.get(name) for name in JOBS}
