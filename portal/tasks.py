"""Celery tasks of the portal app: thin wrappers around services."""

from celery import shared_task
from celery.signals import beat_init, worker_ready

from portal import services
from portal.choices import HeartbeatSource


@shared_task(name="portal.record_heartbeat", ignore_result=True)
def record_heartbeat_task() -> None:
    """Scheduled every 30 s by beat; proves the worker consumes the queue."""
    services.record_heartbeat()


@worker_ready.connect
def record_heartbeat_on_start(**kwargs) -> None:
    """A fresh worker reports at once instead of waiting for the first scheduled beat."""
    services.record_heartbeat()


@beat_init.connect
def record_scheduler_start(**kwargs) -> None:
    """A fresh scheduler reports at once; afterwards its dispatches are its pulse. It also
    runs the deadline jobs once, so a restarted portal does not wait a whole interval to
    catch up (they are idempotent)."""
    services.record_heartbeat(source=HeartbeatSource.SCHEDULER)
    for name in STARTUP_JOBS:
        run_job_task.delay(name)


# Run once when the scheduler starts (see record_scheduler_start); the duty report keeps
# its own days and hour.
STARTUP_JOBS = ("overdue_sweep", "near_due_scan", "apology_check", "periodic_open")


# --- notifications ------------------------------------------------------------------------
from portal import notifications  # noqa: E402

NOTIFICATION_MAX_RETRIES = 5


def notification_retry_delay(retries: int) -> int:
    """Seconds before retry number `retries + 1`: 30 s, 90 s, 4.5 min, 13.5 min, 30 min.
    Capped well under the Redis visibility timeout (SECURITY.md B5: no long countdowns)."""
    return min(30 * 3**retries, 1800)


@shared_task(name="portal.deliver_notification", bind=True, ignore_result=True,
             max_retries=NOTIFICATION_MAX_RETRIES)
def deliver_notification_task(self, notification_id: int) -> None:
    """Send one notification; retry temporary failures with backoff, then mark it failed."""
    try:
        notifications.deliver_notification(notification_id=notification_id)
    except notifications.TemporaryDeliveryError as exc:
        if self.request.retries >= self.max_retries:
            notifications.fail_notification(notification_id=notification_id, error=exc.message)
            return
        raise self.retry(exc=exc, countdown=notification_retry_delay(self.request.retries)) from exc


@shared_task(name="portal.relay_notifications", ignore_result=True)
def relay_notifications_task() -> int:
    """Kicked after commits that wrote notifications: queue their delivery tasks."""
    return notifications.relay_notifications()


@shared_task(name="portal.redeliver_lost_notifications", ignore_result=True)
def redeliver_lost_notifications_task() -> int:
    """Scheduled by beat: re-queue notifications whose first delivery task was lost."""
    return notifications.redeliver_lost_notifications()


@shared_task(name="portal.run_job", ignore_result=True, acks_late=True)
def run_job_task(name: str, params: dict | None = None) -> None:
    """A scheduled job (portal.jobs.JOBS); acks_late: a worker killed mid-run leaves the
    message to be run again, and the job's own idempotence makes the rerun safe."""
    from portal.jobs import run_job

    run = run_job(name, params=params)
    if run.counts.get("more"):  # a full batch: the backlog goes on in a fresh run
        cursor = run.counts.get("cursor")
        run_job_task.delay(name, {"after": cursor} if cursor else None)
