"""The deadline jobs over the provincial history: the overdue sweep, the near-due scan and
the apology check (hoso.jobs) timed on the 1,000,000-dossier bench database (the inbox bench
generates it; this module does the same when it is missing).

Each job runs twice: the first run alerts every dossier that qualifies and has no alert yet
(on a fresh history, the whole backlog), the second finds nothing new: the cost of a routine
run. Target: under 10 s a run. The alerts, events, drafts and messages stay in the bench
database, so a later run of this benchmark measures routine runs only.
"""

from __future__ import annotations

import time

NAME = "deadlines"
TARGET_S = 10.0


def run(env: dict[str, str]) -> list[str]:
    from bench.bench_inbox import DEFAULT_SIZE, _setup, ensure_dossiers

    _setup(env)
    from bench.bench_intake import ensure_demo
    from hoso.choices import DossierStatus
    from hoso.models import Dossier
    from portal.jobs import run_job

    ensure_demo()
    ensure_dossiers(int(env.get("BENCH_INBOX_SIZE", DEFAULT_SIZE)))
    lines = [f"BENCH deadlines_dossiers {Dossier.objects.count()} dossiers",
             f"BENCH deadlines_open {Dossier.objects.filter(status__in=DossierStatus.open_states()).count()} dossiers"]  # noqa: E501
    for job in ("overdue_sweep", "near_due_scan", "apology_check"):
        for label in ("first", "again"):
            start = time.perf_counter()
            result = run_job(job, trigger="bench")
            seconds = time.perf_counter() - start
            lines.append(f"BENCH deadlines_{job}_{label} {seconds:.2f} s")
            lines += [f"BENCH deadlines_{job}_{label}_{key} {value} count"
                      for key, value in result.counts.items()]
        lines.append(f"BENCH deadlines_{job} ratio={seconds / TARGET_S:.2f} vs=target_10_s")
    return lines
