"""A small HTTP load generator using only the standard library.

N worker processes each keep one HTTP/1.1 keep-alive connection (http.client) and loop requests
on one path: GET by default, or another method with a body and headers (e.g. a JSON POST with
an `Authorization` header). A body template may contain `{unique}`, replaced in every request
by an integer no other request of the run gets (unique_base + sequence × concurrency + worker).
Every worker follows the same clock: a warm-up (not counted), then a measured window; a
request counts when it completes inside the window. A server that closes the connection
(gunicorn's sync workers answer ``Connection: close``) is reconnected transparently by
http.client, so the figure then includes the cost of a new TCP connection.
"""

from __future__ import annotations

import http.client
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.queues import Queue
from urllib.parse import urlsplit

DEFAULT_CONCURRENCY = 4
DEFAULT_DURATION = 5.0
DEFAULT_WARMUP = 1.0
REQUEST_TIMEOUT = 10.0
ERROR_BACKOFF = 0.01


@dataclass(frozen=True)
class LoadSpec:
    """What to load and for how long."""

    host: str
    port: int
    path: str
    concurrency: int = DEFAULT_CONCURRENCY
    duration: float = DEFAULT_DURATION
    warmup: float = DEFAULT_WARMUP
    method: str = "GET"
    body: bytes | None = None
    body_template: str | None = None  # wins over body; "{unique}" → a per-request integer
    headers: tuple[tuple[str, str], ...] = ()
    unique_base: int = 0

    def request_body(self, worker: int, sequence: int) -> bytes | None:
        if self.body_template is None:
            return self.body
        unique = self.unique_base + sequence * self.concurrency + worker
        return self.body_template.replace("{unique}", str(unique)).encode()


@dataclass
class Tally:
    """What one worker (or all of them together) observed in the measured window."""

    latencies_ms: list[float]
    non2xx: int = 0
    errors: int = 0
    first_failure: str = ""  # status and start of the body of the first non-2xx answer

    def merge(self, other: Tally) -> None:
        self.latencies_ms.extend(other.latencies_ms)
        self.non2xx += other.non2xx
        self.errors += other.errors
        self.first_failure = self.first_failure or other.first_failure


@dataclass(frozen=True)
class LoadResult:
    """Completed requests, throughput and latency of one load run."""

    requests: int
    non2xx: int
    errors: int
    duration: float
    latencies_ms: list[float]  # sorted
    first_failure: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.duration

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies in ms (0.0 when nothing completed)."""
        if not self.latencies_ms:
            return 0.0
        rank = max(1, math.ceil(q / 100 * len(self.latencies_ms)))
        return self.latencies_ms[rank - 1]


def spec_from_env(env: Mapping[str, str], host: str, port: int, path: str,
                  **request: object) -> LoadSpec:
    """A LoadSpec whose sizes come from BENCH_CONCURRENCY, BENCH_DURATION and BENCH_WARMUP;
    `request` sets the other fields (method, body, body_template, headers, unique_base)."""
    return LoadSpec(
        host=host,
        port=port,
        path=path,
        concurrency=int(env.get("BENCH_CONCURRENCY", DEFAULT_CONCURRENCY)),
        duration=float(env.get("BENCH_DURATION", DEFAULT_DURATION)),
        warmup=float(env.get("BENCH_WARMUP", DEFAULT_WARMUP)),
        **request,  # type: ignore[arg-type]
    )


def fetch(conn: http.client.HTTPConnection, path: str, method: str = "GET",
          body: bytes | None = None, headers: Mapping[str, str] | None = None) -> int:
    """Send one request on conn, read the whole body, return the HTTP status."""
    return fetch_response(conn, path, method, body, headers)[0]


def fetch_response(conn: http.client.HTTPConnection, path: str, method: str = "GET",
                   body: bytes | None = None, headers: Mapping[str, str] | None = None
                   ) -> tuple[int, bytes]:
    """Send one request on conn; the HTTP status and the whole body."""
    conn.request(method, path, body=body, headers=dict(headers or {}))
    response = conn.getresponse()
    return response.status, response.read()


def _work(spec: LoadSpec, start_at: float, stop_at: float, worker: int = 0) -> Tally:
    tally = Tally(latencies_ms=[])
    conn = http.client.HTTPConnection(spec.host, spec.port, timeout=REQUEST_TIMEOUT)
    headers = dict(spec.headers)
    sequence = 0
    try:
        while time.monotonic() < stop_at:
            body = spec.request_body(worker, sequence)
            sequence += 1
            began = time.monotonic()
            try:
                status, content = fetch_response(conn, spec.path, spec.method, body, headers)
            except (OSError, http.client.HTTPException):
                conn.close()
                status, content = None, b""
            ended = time.monotonic()
            if not start_at <= ended <= stop_at:
                continue
            if status is None:
                tally.errors += 1
                time.sleep(ERROR_BACKOFF)
                continue
            tally.latencies_ms.append((ended - began) * 1000)
            if not 200 <= status < 300:
                tally.non2xx += 1
                if not tally.first_failure:
                    tally.first_failure = f"{status} {content[:300].decode(errors='replace')}"
    finally:
        conn.close()
    return tally


def _worker(spec: LoadSpec, start_at: float, stop_at: float, results: Queue[Tally],
            worker: int = 0) -> None:
    results.put(_work(spec, start_at, stop_at, worker))


def run_load(spec: LoadSpec) -> LoadResult:
    """Run spec.concurrency workers against one path and aggregate what they saw."""
    start_at = time.monotonic() + spec.warmup  # CLOCK_MONOTONIC is shared by all processes
    stop_at = start_at + spec.duration
    results: Queue[Tally] = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_worker, args=(spec, start_at, stop_at, results, index))
        for index in range(spec.concurrency)
    ]
    for worker in workers:
        worker.start()
    total = Tally(latencies_ms=[])
    try:
        for _ in workers:
            total.merge(results.get(timeout=spec.warmup + spec.duration + REQUEST_TIMEOUT + 30))
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.terminate()
    return LoadResult(
        requests=len(total.latencies_ms),
        non2xx=total.non2xx,
        errors=total.errors,
        duration=spec.duration,
        latencies_ms=sorted(total.latencies_ms),
        first_failure=total.first_failure,
    )


def main(argv: list[str]) -> int:
    """Ad-hoc use: python bench/loadgen.py http://127.0.0.1:8000/path"""
    if len(argv) != 1:
        print("usage: loadgen.py http://host:port/path", file=sys.stderr)
        return 2
    url = urlsplit(argv[0])
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    result = run_load(spec_from_env(os.environ, url.hostname or "127.0.0.1", url.port or 80, path))
    print(
        f"{result.requests} requests, {result.rps:.1f} req/s, "
        f"p50 {result.percentile(50):.2f} ms, p95 {result.percentile(95):.2f} ms, "
        f"non-2xx {result.non2xx}, errors {result.errors}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
