"""One real Celery worker on Redis (STYLE.md §4.6): a task sent through the broker runs and
writes to the database the web process reads."""

import os
import select
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from portal.celery import app as celery_app
from portal.models import Heartbeat
from tests.hoso.conftest import birth_procedure, desk_a1  # noqa: F401 — fixtures

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90


def read_until(proc: subprocess.Popen, needle: str, log: list[str]) -> None:
    """Read the worker's output until a line contains `needle` (blocking reads, no sleeping)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        ready, _w, _x = select.select([proc.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        log.append(line)
        if needle in line:
            return
    pytest.fail(f"worker never printed {needle!r}:\n" + "".join(log[-40:]))


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
@pytest.mark.django_db(transaction=True)
def test_real_worker_on_redis_runs_the_heartbeat_task(tmp_path):
    assert settings.REDIS_URL, "make test runs this against Redis"
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "integration-test-secret-" + "x" * 40,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue, "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    log: list[str] = []
    try:
        read_until(worker, " ready.", log)
        sent_at = timezone.now()
        celery_app.send_task("portal.record_heartbeat", queue=queue)
        read_until(worker, "succeeded", log)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert Heartbeat.objects.get(source="worker").beat_at > sent_at


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_the_overdue_sweep_once_however_often_it_is_sent(tmp_path, province,
                                                                         birth_procedure,
                                                                         desk_a1):
    """The scheduled job through the broker: sent three times, one overdue event."""
    import datetime as dt

    from hoso.choices import Action
    from hoso.models import Dossier, DossierEvent
    from portal.models import JobRun
    from tests.hoso.conftest import desk_receive

    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    Dossier.objects.filter(pk=dossier.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=2))  # past its due time
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "integration-test-secret-" + "x" * 40,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue, "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    log: list[str] = []
    try:
        read_until(worker, " ready.", log)
        for _time in range(3):
            celery_app.send_task("portal.run_job", args=["overdue_sweep"], queue=queue)
        for _time in range(3):
            read_until(worker, "succeeded", log)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert DossierEvent.objects.filter(dossier=dossier, action=Action.OVERDUE).count() == 1
    assert sorted(r.counts["dossiers"] for r in JobRun.objects.filter(job="overdue_sweep")) == [
        0, 0, 1]
