"""Run the benchmarks: `make bench` (all of them) or `make bench BENCH=<name>` (one).

Prepares a PostgreSQL bench database (created if missing, then migrated) and the static files
(collected unless their sources are unchanged since the last collection), then runs every module
bench/bench_*.py, or the one whose NAME is given. A benchmark module exposes ``NAME = "..."``
and ``run(env) -> list[str]``, the lines to print, each ``BENCH <name> <value> <unit>`` or
``BENCH <name> ratio=<x> vs=<baseline>``.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
import sys
import sysconfig
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"

# A bench-only key, never used anywhere else: benchmarks run with DEBUG off.
BENCH_SECRET_KEY = "bench-only-key-do-not-use-anywhere-else-4f7c1e9a2b6d8035c1ab"  # noqa: S105

DEFAULT_ENV = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cong_mot_cua_bench",
    "REDIS_URL": "redis://127.0.0.1:6379/2",
    "DEBUG": "0",
    "HTTPS": "0",
    "SECRET_KEY": BENCH_SECRET_KEY,
    "BENCH_ENDPOINTS": "1",
    # Outside the working tree, so that cleaning var/ during a run cannot disturb it.
    "VAR_DIR": str(Path(tempfile.gettempdir()) / "cong-mot-cua-bench"),
    "DJANGO_SETTINGS_MODULE": "portal.settings",
}


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Callable[[dict[str, str]], list[str]]


def bench_env() -> dict[str, str]:
    """The process environment completed with the bench defaults (set values win)."""
    env = dict(os.environ)
    for key, value in DEFAULT_ENV.items():
        env.setdefault(key, value)
    return env


def ensure_database(database_url: str) -> None:
    """Create the database named in database_url unless it exists (PostgreSQL only)."""
    url = urlsplit(database_url)
    if url.scheme not in {"postgres", "postgresql", "pgsql"}:
        return
    name = unquote(url.path.lstrip("/"))
    conn = psycopg2.connect(
        dbname="postgres",
        user=unquote(url.username or "postgres"),
        password=unquote(url.password) if url.password else None,
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def manage(env: dict[str, str], *args: str) -> None:
    """Run manage.py quietly; show its output only if it fails."""
    command = [sys.executable, str(ROOT / "manage.py"), *args, "--verbosity", "0"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"manage.py {' '.join(args)} failed ({done.returncode})")


def static_fingerprint() -> str:
    """Changes when a static source may have: project static files, installed packages, settings."""
    digest = hashlib.sha256((ROOT / "portal" / "settings.py").read_bytes())
    apps = [folder for folder in ROOT.glob("*/static") if (folder.parent / "__init__.py").exists()]
    for folder in sorted([ROOT / "static", *apps]):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    packages = sorted(Path(sysconfig.get_paths()["purelib"]).glob("*.dist-info"))
    digest.update("\n".join(package.name for package in packages).encode())
    return digest.hexdigest()


def collectstatic(env: dict[str, str]) -> None:
    """collectstatic, skipped when nothing changed since its last run (it takes ~30 s)."""
    var_dir = Path(env["VAR_DIR"])
    stamp = var_dir / "collectstatic.stamp"
    fingerprint = static_fingerprint()
    manifest = var_dir / "static" / "staticfiles.json"
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return
    manage(env, "collectstatic", "--noinput")
    stamp.write_text(fingerprint)


def prepare(env: dict[str, str]) -> None:
    Path(env["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    ensure_database(env["DATABASE_URL"])
    manage(env, "migrate", "--noinput")
    collectstatic(env)


def discover() -> list[Benchmark]:
    """Every bench/bench_*.py module, in file-name order."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    benchmarks = []
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        module = importlib.import_module(f"bench.{path.stem}")
        benchmarks.append(Benchmark(name=module.NAME, run=module.run))
    return benchmarks


def select(benchmarks: list[Benchmark], names: list[str]) -> list[Benchmark]:
    names = [name for name in names if name]  # `make bench BENCH=` passes an empty name
    if not names:
        return benchmarks
    known = {benchmark.name for benchmark in benchmarks}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(sorted(known))}"
        )
    return [benchmark for benchmark in benchmarks if benchmark.name in names]


def run_one(benchmark: Benchmark, env: dict[str, str]) -> bool:
    """Run one benchmark and print its lines; False if it failed."""
    try:
        lines = benchmark.run(env)
    except Exception:  # noqa: BLE001 — report the failure, go on with the others
        print(f"bench {benchmark.name} failed:", file=sys.stderr)
        traceback.print_exc()
        return False
    for line in lines:
        print(line, flush=True)
    return True


def main(argv: list[str]) -> int:
    chosen = select(discover(), argv)
    env = bench_env()
    try:
        prepare(env)
    except (RuntimeError, psycopg2.Error) as exc:
        print(f"bench: preparation failed: {exc}", file=sys.stderr)
        return 1
    results = [run_one(benchmark, env) for benchmark in chosen]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
