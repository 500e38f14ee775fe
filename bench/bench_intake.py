"""Desk receipts per second on PostgreSQL, through the service and through the API, each next
to a baseline measured in the same run.

(a) `hoso.services.intake.intake_at_desk` in-process: BENCH_INTAKE_PROCESSES processes
    (default 2) × BENCH_INTAKE_THREADS threads (default 2), each with its own database
    connection, receive walk-in dossiers (no files; papers ticked with their originals) at one
    commune desk for BENCH_DURATION seconds (default 5) after a BENCH_WARMUP (default 1).
    Processes, as in production (gunicorn and Celery workers): Python threads share one
    interpreter lock, so threads alone would measure one core of the two.
(b) baseline: the same processes, threads and duration, raw SQL through psycopg2: in one
    transaction, take
    a number with `UPDATE hoso_dossiercounter SET value = value + 1 … RETURNING value` (the same
    row lock a receipt holds) and INSERT a dossier with only its NOT NULL columns. It counts on
    its own counter row (the commune on 1/1/2000), deleted afterwards with its dossiers.
(c) the API: gunicorn (`--workers 2`, as bench_http) with the bench environment, a bench desk
    officer's token, and bench/loadgen.py POSTing desk-intake JSON to
    /api/v1/dossiers/desk-intake/.
(d) baseline: a bare DRF create (bench/baseline_api.py) at /bench/drf-create/, same token, same
    loader, a unique year per request; its rows are deleted afterwards.

The receipts of (a) and (c) are real dossiers and stay in the bench database (their codes and
counters are consistent); the demo province is seeded first if the database has none.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

NAME = "intake"

DEFAULT_THREADS = 2
DEFAULT_PROCESSES = 2
DEFAULT_DURATION = 5.0
DEFAULT_WARMUP = 1.0
COMMUNE = "000.01.41.H55"  # UBND phường Quán Triều (portal.demo)
PROCEDURE = "1.004194"  # Đăng ký tạm trú: commune level, no e-form
OFFICER = "bench.motcua"
OFFICER_PASSWORD = "Do-tai-tiep-nhan-2026!"  # noqa: S105 — bench database only
RAW_DAY = dt.date(2000, 1, 1)  # the raw baseline's own counter row
RAW_CODE_PREFIX = "BENCH-RAW-"
OWNER = {"owner_name": "Nguyễn Văn Bình", "owner_id_number": "019090001234",
         "owner_phone": "0912345678"}
SERVICE_TARGET = 0.25
API_TARGET = 0.40


def _setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def ensure_demo() -> None:
    """The demo province and catalogue (seed_demo's two seeders) unless already there."""
    from portal.models import Agency
    from tthc.models import Procedure

    if not Agency.objects.filter(code=COMMUNE).exists():
        from portal.demo import seed_demo

        seed_demo()
    if not Procedure.objects.filter(national_code=PROCEDURE).exists():
        from tthc.demo import seed_catalogue

        seed_catalogue()


def ensure_officer(username: str, agency_code: str, role: str, password: str = ""):
    """A bench officer with `role` on the agency (created once, then reused)."""
    from portal import services
    from portal.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        return services.create_officer(username=username, full_name="Cán bộ đo tải",
                                       agency_code=agency_code, role=role,
                                       password=password or None)
    services.grant_role(user=user, agency=services.get_agency_by_code(agency_code), role=role)
    if password and not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@dataclass
class Run:
    """What the threads of one in-process measurement counted inside the window."""

    done: int = 0
    errors: int = 0
    first_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, done: int, errors: int, first_error: str) -> None:
        with self.lock:
            self.done += done
            self.errors += errors
            self.first_error = self.first_error or first_error


def _threads(env: dict[str, str]) -> int:
    return int(env.get("BENCH_INTAKE_THREADS", DEFAULT_THREADS))


def _processes(env: dict[str, str]) -> int:
    return int(env.get("BENCH_INTAKE_PROCESSES", DEFAULT_PROCESSES))


def _window(env: dict[str, str]) -> tuple[float, float]:
    return (float(env.get("BENCH_WARMUP", DEFAULT_WARMUP)),
            float(env.get("BENCH_DURATION", DEFAULT_DURATION)))


def measure(env: dict[str, str], factory: str, *args) -> tuple[float, Run]:
    """Receipts per second of `factory(*args)` loops (a module-level function of this module
    returning a loop body) run in BENCH_INTAKE_PROCESSES processes × BENCH_INTAKE_THREADS
    threads. Processes, because a desk's receipts are served by several worker processes and
    Python threads share one interpreter lock: threads alone would measure one core."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    processes = _processes(env)
    ready = context.Barrier(processes + 1)
    start_at = context.Value("d", 0.0)
    results = context.Queue()
    children = [context.Process(target=_child, args=(env, factory, args, ready, start_at,
                                                     results)) for _ in range(processes)]
    for child in children:
        child.start()
    ready.wait(timeout=120)  # every child has set Django up and built its workers
    warmup, duration = _window(env)
    start_at.value = time.monotonic() + warmup
    ready.wait(timeout=60)
    run = Run()
    for _child_process in children:
        run.add(*results.get(timeout=warmup + duration + 120))
    for child in children:
        child.join(timeout=60)
    return run.done / duration, run


def _child(env, factory, args, ready, start_at, results) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connections

    make = globals()[factory]
    bodies = [make(*args) for _ in range(_threads(env))]
    connections.close_all()  # each thread opens its own
    ready.wait(timeout=120)
    ready.wait(timeout=60)  # the parent has set the start time
    _warmup, duration = _window(env)
    begin = start_at.value
    run = Run()

    def body(loop) -> None:
        try:
            run.add(*loop(begin, begin + duration))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(loop,)) for loop in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((run.done, run.errors, run.first_error))


def service_worker(officer_id: int):
    """A loop of desk receipts through the service (one thread)."""
    from hoso.services import intake
    from portal.models import Agency, User
    from tthc.models import Procedure

    officer = User.objects.get(pk=officer_id)
    commune = Agency.objects.get(code=COMMUNE)
    procedure = Procedure.objects.get(national_code=PROCEDURE)
    positions = list(procedure.documents.filter(required=True).values_list("position", flat=True))

    def receive() -> None:
        intake.intake_at_desk(officer=officer, request=intake.IntakeRequest(
            procedure=procedure, receiving_agency=commune, deciding_agency=commune,
            applicant=intake.Applicant(**OWNER),
            papers=[intake.PaperIn(position=p, originals=1) for p in positions]))

    return lambda start_at, stop_at: _loop(receive, start_at, stop_at)


def _loop(action, start_at: float, stop_at: float) -> tuple[int, int, str]:
    done = errors = 0
    first_error = ""
    while time.monotonic() < stop_at:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 — counted and reported, the loop goes on
            if time.monotonic() >= start_at:
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"
            continue
        if start_at <= time.monotonic() <= stop_at:
            done += 1
    return done, errors, first_error


RAW_INSERT = (
    "INSERT INTO hoso_dossier (public_id, code, procedure_id, terms, slip_version, status, "
    "channel, receiving_agency_id, deciding_agency_id, owner_type, owner_name, owner_id_type, "
    "owner_id_number, owner_phone, owner_email, owner_address, submitter_name, "
    "submitter_id_number, submitter_phone, submitter_relation, form_data, result_delivery, "
    "delivery_address, postal_service, postal_tracking_number, idempotency_key, refusal_reason, "
    "completion_request, created_at, updated_at) VALUES (gen_random_uuid(), %s, %s, '{}', '', "
    "'received', 'direct', %s, %s, 'citizen', %s, 'cccd', %s, %s, '', '', '', '', '', '', '{}', "
    "'desk', '', '', '', '', '', '', now(), now())")


def raw_worker(dsn: dict, commune_id: int, procedure_id: int):
    """A loop of raw-SQL receipts: the counter row lock and a minimal INSERT (one thread)."""
    import psycopg2

    def body(start_at: float, stop_at: float) -> tuple[int, int, str]:
        conn = psycopg2.connect(**dsn)
        try:
            with conn.cursor() as cursor:
                def receive() -> None:
                    try:
                        cursor.execute("UPDATE hoso_dossiercounter SET value = value + 1 "
                                       "WHERE agency_id = %s AND day = %s RETURNING value",
                                       [commune_id, RAW_DAY])
                        number = cursor.fetchone()[0]
                        cursor.execute(RAW_INSERT, [
                            f"{RAW_CODE_PREFIX}{number:08d}", procedure_id, commune_id,
                            commune_id, OWNER["owner_name"], OWNER["owner_id_number"],
                            OWNER["owner_phone"]])
                        conn.commit()
                    except Exception:
                        conn.rollback()
                        raise

                return _loop(receive, start_at, stop_at)
        finally:
            conn.close()

    return body


def _dsn() -> dict:
    from django.db import connection

    params = connection.get_connection_params()
    return {k: v for k, v in params.items() if k in {
        "dbname", "database", "user", "password", "host", "port"}}


def clean_raw_baseline(commune_id: int, *, counter_at_zero: bool) -> None:
    """Delete the raw baseline's dossiers and counter row; recreate the row at 0 if asked."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM hoso_dossier WHERE code LIKE %s", [f"{RAW_CODE_PREFIX}%"])
        cursor.execute("DELETE FROM hoso_dossiercounter WHERE agency_id = %s AND day = %s",
                       [commune_id, RAW_DAY])
        if counter_at_zero:
            cursor.execute("INSERT INTO hoso_dossiercounter (agency_id, day, value) "
                           "VALUES (%s, %s, 0)", [commune_id, RAW_DAY])


def in_process(env: dict[str, str], officer) -> list[str]:
    from portal.models import Agency
    from tthc.models import Procedure

    commune = Agency.objects.get(code=COMMUNE)
    procedure = Procedure.objects.get(national_code=PROCEDURE)
    service_rps, service = measure(env, "service_worker", officer.pk)
    clean_raw_baseline(commune.pk, counter_at_zero=True)
    try:
        dsn = _dsn()
        raw_rps, raw = measure(env, "raw_worker", dsn, commune.pk, procedure.pk)
    finally:
        clean_raw_baseline(commune.pk, counter_at_zero=False)
    threads = _threads(env) * _processes(env)
    lines = [
        f"BENCH intake_service_rps {service_rps:.1f} receipts/s",
        f"BENCH intake_raw_sql_rps {raw_rps:.1f} receipts/s",
        f"BENCH intake_service ratio={service_rps / raw_rps:.3f} "
        "vs=raw_sql_insert_with_counter_lock",
        f"BENCH intake_service_errors {service.errors} count",
        f"BENCH intake_raw_sql_errors {raw.errors} count",
        f"BENCH intake_threads {threads} threads",
        f"BENCH intake_processes {_processes(env)} processes",
    ]
    for label, run in (("service", service), ("raw_sql", raw)):
        if run.errors:
            print(f"bench intake: {label} had {run.errors} errors; first: {run.first_error}",
                  file=sys.stderr)
    return lines


def api(env: dict[str, str]) -> list[str]:
    """(c) and (d) under gunicorn."""
    from bench.baseline_api import BENCH_YEAR_FROM
    from bench.bench_http import (
        HOST,
        free_port,
        start_gunicorn,
        stop_gunicorn,
        wait_until_answering,
    )
    from bench.loadgen import run_load, spec_from_env

    port = free_port()
    log_path = Path(env["VAR_DIR"]) / "gunicorn-bench-intake.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    _delete_bench_years(BENCH_YEAR_FROM)
    with log_path.open("wb") as log:
        server = start_gunicorn(env, port, log)
        try:
            wait_until_answering(server, port, log_path)
            headers = (("Authorization", f"Token {_token(port)}"),
                       ("Content-Type", "application/json"), ("Accept", "application/json"))
            intake_body = json.dumps({
                "procedure": PROCEDURE, "deciding_agency": COMMUNE, "receiving_agency": COMMUNE,
                **OWNER, "papers": _papers(), "form_data": {}, "channel": "direct"}).encode()
            api_result = run_load(spec_from_env(
                env, HOST, port, "/api/v1/dossiers/desk-intake/", method="POST",
                body=intake_body, headers=headers))
            bare_result = run_load(spec_from_env(
                env, HOST, port, "/bench/drf-create/", method="POST", headers=headers,
                body_template='{"year": {unique}, "decision": "đo tải"}',
                unique_base=BENCH_YEAR_FROM + random.randrange(0, 800_000_000)))
        finally:
            stop_gunicorn(server)
            _delete_bench_years(BENCH_YEAR_FROM)
    return _api_lines(api_result, bare_result)


def _api_lines(api_result, bare_result) -> list[str]:
    if bare_result.rps == 0:
        raise RuntimeError("no request to the bare DRF create endpoint completed")
    lines = [
        f"BENCH intake_api_rps {api_result.rps:.1f} req/s",
        f"BENCH intake_bare_drf_create_rps {bare_result.rps:.1f} req/s",
        f"BENCH intake_api ratio={api_result.rps / bare_result.rps:.3f} vs=bare_drf_create",
        f"BENCH intake_api_p50 {api_result.percentile(50):.2f} ms",
        f"BENCH intake_api_p95 {api_result.percentile(95):.2f} ms",
        f"BENCH intake_bare_drf_create_p50 {bare_result.percentile(50):.2f} ms",
        f"BENCH intake_bare_drf_create_p95 {bare_result.percentile(95):.2f} ms",
    ]
    for name, result in (("intake_api", api_result), ("intake_bare_drf_create", bare_result)):
        lines.append(f"BENCH {name}_non2xx {result.non2xx} count")
        lines.append(f"BENCH {name}_errors {result.errors} count")
        if result.first_failure:
            print(f"bench intake: {name}: first non-2xx answer: {result.first_failure}",
                  file=sys.stderr)
    return lines


def _papers() -> list[dict]:
    from tthc.models import Procedure

    procedure = Procedure.objects.get(national_code=PROCEDURE)
    return [{"position": p, "originals": 1} for p in
            procedure.documents.filter(required=True).values_list("position", flat=True)]


def _token(port: int) -> str:
    import http.client

    from bench.bench_http import HOST
    from bench.loadgen import fetch_response

    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        status, body = fetch_response(
            conn, "/api/v1/auth/token/", "POST",
            json.dumps({"username": OFFICER, "password": OFFICER_PASSWORD}).encode(),
            {"Content-Type": "application/json"})
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(f"no API token for {OFFICER}: {status} {body[:300]!r}")
    return json.loads(body)["token"]


def _delete_bench_years(first: int) -> None:
    from portal.models import CalendarYear

    CalendarYear.objects.filter(year__gte=first).delete()


def run(env: dict[str, str]) -> list[str]:
    _setup(env)
    from django.db import connections

    from portal.choices import Role

    ensure_demo()
    officer = ensure_officer(OFFICER, COMMUNE, Role.DESK_OFFICER, OFFICER_PASSWORD)
    lines = in_process(env, officer)
    connections.close_all()  # gunicorn's workers get their own
    lines += api(env)
    return lines
