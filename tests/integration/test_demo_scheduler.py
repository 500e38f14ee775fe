"""`make run` without Redis: the demo stack (SQLite, Celery's filesystem broker) really runs
the scheduled deadline jobs, and the administrators' job-runs page lists them.

Starts what the Procfile starts, the worker and beat, with the environment `make run` gives
(no DATABASE_URL, no REDIS_URL), on a fresh SQLite database in a temporary VAR_DIR."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from portal.tasks import STARTUP_JOBS
from tests.integration.test_celery_worker import read_until

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def demo_env(var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER",
                          "DJANGO_SETTINGS_MODULE"}}
    return {**env, "VAR_DIR": str(var_dir), "SECRET_KEY": "demo-scheduler-test-" + "x" * 40,
            "HTTPS": "0", "PORTAL_DEMO": "1", "DJANGO_SETTINGS_MODULE": "portal.settings"}


def finished_runs(database: Path) -> set[str]:
    if not database.exists():
        return set()
    with sqlite3.connect(database) as db:
        try:
            rows = db.execute("SELECT job FROM portal_jobrun WHERE status = 'ok'").fetchall()
        except sqlite3.OperationalError:  # not migrated yet
            return set()
    return {job for (job,) in rows}


def test_make_run_scheduler_runs_the_jobs_without_redis(tmp_path):
    env = demo_env(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   env=env, check=True, timeout=TIMEOUT)
    celery = [sys.executable, "-m", "celery", "-A", "portal"]
    logs = {"beat": (tmp_path / "beat.log").open("w")}
    worker = subprocess.Popen([*celery, "worker", "--pool", "solo", "--without-gossip",
                               "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    processes = [
        worker,
        subprocess.Popen([*celery, "beat", "--loglevel", "INFO", "--pidfile=",
                          "--schedule", str(tmp_path / "beat-schedule")],
                         cwd=ROOT, env=env, stdout=logs["beat"], stderr=subprocess.STDOUT),
    ]
    database = tmp_path / "portal.sqlite3"
    worker_log: list[str] = []
    try:
        # beat sends each job once at start; after each task the worker finishes, look
        # whether all three runs are recorded (heartbeats finish in between)
        for _task in range(30):
            if set(STARTUP_JOBS) <= finished_runs(database):
                break
            read_until(worker, "succeeded", worker_log)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        for log in logs.values():
            log.close()
    done = finished_runs(database)
    assert set(STARTUP_JOBS) <= done, "".join(worker_log[-40:]) + (
        tmp_path / "beat.log").read_text()[-3000:]

    # The administrators' page lists the runs (rendered by the demo's own settings).
    page = subprocess.run([sys.executable, "-c", (
        "import django; django.setup()\n"
        "from django.conf import settings\n"  # no collectstatic here: plain static URLs
        "settings.STORAGES = {**settings.STORAGES, 'staticfiles': {'BACKEND': "
        "'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        "from django.test import Client\n"
        "from portal.models import User\n"
        "admin = User.objects.create_superuser('quantri', 'qt@example.vn', 'x' * 20)\n"
        "client = Client(HTTP_HOST='127.0.0.1')\n"
        "client.force_login(admin)\n"
        "print(client.get('/quan-tri/portal/jobrun/').content.decode())\n")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert page.returncode == 0, page.stderr[-3000:]
    page = page.stdout
    for job in STARTUP_JOBS:
        assert job in page
