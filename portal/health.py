"""/healthz: database, cache, broker, worker heartbeat and the scheduler's last dispatch."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from portal.choices import HeartbeatSource


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 — any failure means "down"
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_cache() -> dict:
    try:
        cache.set("healthz", "1", timeout=10)
        ok = cache.get("healthz") == "1"
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": ok}


def check_broker() -> dict:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        ok = folder.is_dir() and os.access(folder, os.W_OK)
        return {"ok": ok, "transport": "filesystem"}
    try:
        ok = bool(_redis_client(url).ping())
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "transport": "redis", "error": exc.__class__.__name__}
    return {"ok": ok, "transport": "redis"}


@functools.cache
def _redis_client(url: str):
    """One client (and connection pool) per process: a health check must be cheap."""
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def _age_check(moment) -> dict:
    if moment is None:
        return {"ok": False, "last": None, "age_seconds": None}
    age = (timezone.now() - moment).total_seconds()
    return {
        "ok": age <= settings.HEALTH_MAX_AGE.total_seconds(),
        "last": moment.isoformat(),
        "age_seconds": round(age),
    }


def check_worker() -> dict:
    from portal.models import Heartbeat

    beat_at = (
        Heartbeat.objects.filter(source=HeartbeatSource.WORKER)
        .values_list("beat_at", flat=True)
        .first()
    )
    return _age_check(beat_at)


def check_scheduler() -> dict:
    """The scheduler's last dispatch, or its start when it has not dispatched yet."""
    from django_celery_beat.models import PeriodicTask

    from portal.models import Heartbeat

    dispatched = PeriodicTask.objects.aggregate(last=Max("last_run_at"))["last"]
    started = (Heartbeat.objects.filter(source=HeartbeatSource.SCHEDULER)
               .values_list("beat_at", flat=True).first())
    moments = [m for m in (dispatched, started) if m is not None]
    return _age_check(max(moments) if moments else None)


def health_report() -> dict:
    """Every check; the status is "ok" only when all of them pass."""
    report = {"database": check_database()}
    report["cache"] = check_cache()
    report["broker"] = check_broker()
    if report["database"]["ok"]:
        report["worker"] = check_worker()
        report["scheduler"] = check_scheduler()
    else:
        report["worker"] = report["scheduler"] = {"ok": False, "error": "database unavailable"}
    report["status"] = "ok" if all(part["ok"] for part in report.values()) else "fail"
    if report["database"]["ok"]:
        report["jobs"] = job_report()  # informative: a job's failure does not fail /healthz
    return report


def job_report() -> dict:
    """The last run of each scheduled job: when, how it ended, what it counted."""
    from portal.jobs import last_runs

    return {name: None if run is None else {
        "started_at": run.started_at.isoformat(), "status": run.status, "counts": run.counts,
        "error": run.error[:200]} for name, run in last_runs().items()}
