"""/healthz reports the database, cache, broker, worker heartbeat and scheduler."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from portal.models import Heartbeat
from portal.tasks import record_heartbeat_task

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def beat_ran_at(moment):
    every = IntervalSchedule.objects.create(every=30, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(
        name="portal-heartbeat",
        defaults={"task": "portal.record_heartbeat", "interval": every, "last_run_at": moment},
    )


@time_machine.travel(NOW, tick=False)
def test_healthz_is_ok_when_worker_and_scheduler_are_alive(client):
    record_heartbeat_task.delay()  # eager in tests: the task body really runs
    beat_ran_at(timezone.now() - dt.timedelta(seconds=20))
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "vendor": "postgresql"}
    assert body["worker"]["age_seconds"] == 0
    assert body["scheduler"]["age_seconds"] == 20
    assert body["broker"]["transport"] == "redis"


@time_machine.travel(NOW, tick=False)
def test_healthz_fails_when_the_worker_is_silent(client):
    Heartbeat.objects.create(source="worker", beat_at=timezone.now() - dt.timedelta(minutes=5))
    beat_ran_at(timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"]["ok"] is False
    assert response.json()["scheduler"]["ok"] is True


@time_machine.travel(NOW, tick=False)
def test_healthz_fails_when_the_scheduler_never_ran(client):
    record_heartbeat_task.delay()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["scheduler"] == {"ok": False, "last": None, "age_seconds": None}


def test_healthz_is_never_cached(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_heartbeat_schedule_is_declared_in_code():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["portal-heartbeat"]
    assert entry["task"] == "portal.record_heartbeat"
    assert entry["schedule"] < settings.HEALTH_MAX_AGE


@time_machine.travel(NOW, tick=False)
def test_healthz_fails_when_the_broker_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    record_heartbeat_task.delay()
    beat_ran_at(timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == {"ok": False, "transport": "redis",
                                         "error": "ConnectionError"}


@time_machine.travel(NOW, tick=False)
def test_a_scheduler_that_just_started_counts_as_alive(client):
    from portal.tasks import record_scheduler_start

    record_heartbeat_task.delay()
    record_scheduler_start()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["scheduler"]["age_seconds"] == 0
