"""A small HTTP load generator using only the standard library.

N worker processes each keep one HTTP/1.1 keep-alive connection (http.client) and loop GET
requests on one path. Every worker follows the same clock: a warm-up (not counted), then a
measured window; a request counts when it completes inside the window. A server that closes
the connection (gunicorn's sync workers answer ``Connection: close``) is reconnected
transparently by http.client, so the figure then includes the cost of a new TCP connection.
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


@dataclass
class Tally:
    """What one worker (or all of them together) observed in the measured window."""

    latencies_ms: list[float]
    non2xx: int = 0
    errors: int = 0

    def merge(self, other: Tally) -> None:
        self.latencies_ms.extend(other.latencies_ms)
        self.non2xx += other.non2xx
        self.errors += other.errors


@dataclass(frozen=True)
class LoadResult:
    """Completed requests, throughput and latency of one load run."""

    requests: int
    non2xx: int
    errors: int
    duration: float
    latencies_ms: list[float]  # sorted

    @property
    def rps(self) -> float:
        return self.requests / self.duration

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies in ms (0.0 when nothing completed)."""
        if not self.latencies_ms:
            return 0.0
        rank = max(1, math.ceil(q / 100 * len(self.latencies_ms)))
        return self.latencies_ms[rank - 1]


def spec_from_env(env: Mapping[str, str], host: str, port: int, path: str) -> LoadSpec:
    """A LoadSpec whose sizes come from BENCH_CONCURRENCY, BENCH_DURATION and BENCH_WARMUP."""
    return LoadSpec(
        host=host,
        port=port,
        path=path,
        concurrency=int(env.get("BENCH_CONCURRENCY", DEFAULT_CONCURRENCY)),
        duration=float(env.get("BENCH_DURATION", DEFAULT_DURATION)),
        warmup=float(env.get("BENCH_WARMUP", DEFAULT_WARMUP)),
    )


def fetch(conn: http.client.HTTPConnection, path: str) -> int:
    """GET path on conn, read the whole body, return the HTTP status."""
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status


def _work(spec: LoadSpec, start_at: float, stop_at: float) -> Tally:
    tally = Tally(latencies_ms=[])
    conn = http.client.HTTPConnection(spec.host, spec.port, timeout=REQUEST_TIMEOUT)
    try:
        while time.monotonic() < stop_at:
            began = time.monotonic()
            try:
                status: int | None = fetch(conn, spec.path)
            except (OSError, http.client.HTTPException):
                conn.close()
                status = None
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
    finally:
        conn.close()
    return tally


def _worker(spec: LoadSpec, start_at: float, stop_at: float, results: Queue[Tally]) -> None:
    results.put(_work(spec, start_at, stop_at))


def run_load(spec: LoadSpec) -> LoadResult:
    """Run spec.concurrency workers against one path and aggregate what they saw."""
    start_at = time.monotonic() + spec.warmup  # CLOCK_MONOTONIC is shared by all processes
    stop_at = start_at + spec.duration
    results: Queue[Tally] = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_worker, args=(spec, start_at, stop_at, results))
        for _ in range(spec.concurrency)
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
