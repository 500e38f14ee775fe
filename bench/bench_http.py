"""HTTP throughput of the portal under gunicorn, compared with a bare Django view.

Starts ``gunicorn portal.wsgi --workers 2`` on a free local port, then loads three URLs in turn
with bench/loadgen.py: the home page, /healthz and /bench/bare/ (a tiny JSON view served only
when BENCH_ENDPOINTS=1). The bare view is the baseline: the cost of Django's request cycle and
middleware with no work in the view, so home/bare and healthz/bare show what the pages add.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from bench.loadgen import LoadResult, fetch, run_load, spec_from_env

NAME = "http"

HOST = "127.0.0.1"
GUNICORN_WORKERS = 2
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
BASELINE = "bare"
BASELINE_LABEL = "bare_django_view"
# (figure name, path); every URL is loaded in this order.
URLS = (("home", "/"), ("healthz", "/healthz"), ("bare", "/bench/bare/"))
# Non-2xx answers are expected here (503 while no Celery worker is running).
NON2XX_ALWAYS_REPORTED = {"healthz"}

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def gunicorn_binary() -> Path:
    venv_binary = ROOT / ".venv" / "bin" / "gunicorn"
    return venv_binary if venv_binary.exists() else Path(sys.executable).parent / "gunicorn"


def start_gunicorn(env: dict[str, str], port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    command = [
        str(gunicorn_binary()),
        "portal.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(GUNICORN_WORKERS),
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def answers(port: int) -> bool:
    """True once the server returns any complete HTTP response."""
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        fetch(conn, "/healthz")
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    return True


def wait_until_answering(server: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not answers(port):
        if server.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"gunicorn did not start (exit code {server.poll()}):\n{tail}")
        time.sleep(0.2)


def stop_gunicorn(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.terminate()  # SIGTERM: gunicorn's graceful shutdown
    try:
        server.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def measure(env: dict[str, str], port: int) -> dict[str, LoadResult]:
    return {name: run_load(spec_from_env(env, HOST, port, path)) for name, path in URLS}


def figure(name: str, value: float, unit: str, digits: int = 1) -> str:
    return f"BENCH {name} {value:.{digits}f} {unit}"


def ratio(name: str, value: float, baseline: str) -> str:
    return f"BENCH {name} ratio={value:.3f} vs={baseline}"


def report(results: dict[str, LoadResult]) -> list[str]:
    baseline = results[BASELINE]
    if baseline.requests == 0:
        raise RuntimeError(f"no request to the baseline ({BASELINE}) completed")
    lines = [figure(f"http_{name}_rps", result.rps, "req/s") for name, result in results.items()]
    lines += [
        ratio(f"http_{name}", result.rps / baseline.rps, BASELINE_LABEL)
        for name, result in results.items()
        if name != BASELINE
    ]
    for name, result in results.items():
        lines.append(figure(f"http_{name}_p50", result.percentile(50), "ms", digits=2))
        lines.append(figure(f"http_{name}_p95", result.percentile(95), "ms", digits=2))
    for name, result in results.items():
        if result.non2xx or name in NON2XX_ALWAYS_REPORTED:
            lines.append(figure(f"http_{name}_non2xx", result.non2xx, "count", digits=0))
        if result.errors:
            lines.append(figure(f"http_{name}_errors", result.errors, "count", digits=0))
    return lines


def run(env: dict[str, str]) -> list[str]:
    port = free_port()
    log_path = Path(env["VAR_DIR"]) / "gunicorn-bench.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        server = start_gunicorn(env, port, log)
        try:
            wait_until_answering(server, port, log_path)
            results = measure(env, port)
        finally:
            stop_gunicorn(server)
    return report(results)
