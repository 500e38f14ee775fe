"""Celery tasks of the portal app: thin wrappers around services."""

from celery import shared_task
from celery.signals import worker_ready

from portal import services


@shared_task(name="portal.record_heartbeat", ignore_result=True)
def record_heartbeat_task() -> None:
    """Scheduled every 30 s by beat; proves the worker consumes the queue."""
    services.record_heartbeat()


@worker_ready.connect
def record_heartbeat_on_start(**kwargs) -> None:
    """A fresh worker reports at once instead of waiting for the first scheduled beat."""
    services.record_heartbeat()
