"""The officer inbox over a provincial history: page and count latency per queue, next to a
hand-written keyset query, with every query's plan checked.

Makes sure the bench database holds BENCH_INBOX_SIZE dossiers (default 1,000,000; the demo
province is seeded first if missing) by running `generate_dossiers` for the missing ones only
(3 years of history; a few minutes the first time, reused afterwards), then, for a
province-wide leader (bench.lanhdao.tinh, leader on UBND tỉnh) and a commune desk officer
(xa.motcua), times `hoso.selectors.inbox_page` for every queue of `QUEUES`, first page and the
page reached by following the cursor LATER_PAGE - 1 times, and `queue_counts`:
BENCH_INBOX_ROUNDS rounds each (default 15; fewer when a call is slow, at least 3). The baseline
is the main queue ("da-tiep-nhan") written by hand: the same rows, the same joins, keyset
`ORDER BY due_at, id LIMIT 51`, with the officer's agencies passed as an array of ids.

Every query the selectors ran is EXPLAINed: a sequential scan of hoso_dossier or
hoso_dossierevent, or a count without a LIMIT under it (a full-table COUNT), is counted and its
plan printed to stderr with EXPLAIN ANALYZE, as is the plan of any scenario slower than SLOW_MS.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

NAME = "inbox"

DEFAULT_SIZE = 1_000_000
DEFAULT_ROUNDS = 15
MIN_ROUNDS = 3
BUDGET_S = 3.0  # per scenario, after MIN_ROUNDS
LATER_PAGE = 10
SLOW_MS = 100.0
GENERATE_YEARS = 3
PROVINCE_LEADER = "bench.lanhdao.tinh"
COMMUNE_DESK = "xa.motcua"
MAIN_QUEUE = "da-tiep-nhan"
SCANNED_TABLES = {"hoso_dossier", "hoso_dossierevent"}
PLANS_FILE = "bench-inbox-plans.txt"  # in VAR_DIR, rewritten by every run

RAW_PAGE = """
SELECT d.*, p.*, ra.*, da.*
FROM hoso_dossier d
JOIN tthc_procedure p ON p.id = d.procedure_id
JOIN portal_agency ra ON ra.id = d.receiving_agency_id
JOIN portal_agency da ON da.id = d.deciding_agency_id
WHERE (d.receiving_agency_id = ANY(%(ids)s) OR d.deciding_agency_id = ANY(%(ids)s))
  AND d.status = ANY(%(states)s) {after}
ORDER BY d.due_at, d.id
LIMIT %(limit)s
"""
RAW_AFTER = "AND (d.due_at > %(due)s OR (d.due_at = %(due)s AND d.id > %(id)s))"


def _setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def ensure_dossiers(size: int) -> tuple[int, float]:
    """Generate the dossiers missing up to `size`; (generated, seconds)."""
    from django.core.management import call_command

    from hoso.models import Dossier

    missing = size - Dossier.objects.count()
    if missing <= 0:
        return 0, 0.0
    started = time.perf_counter()
    call_command("generate_dossiers", count=missing, years=GENERATE_YEARS, stdout=io.StringIO())
    return missing, time.perf_counter() - started


def officers() -> dict[str, object]:
    from bench.bench_intake import ensure_officer
    from portal.choices import Role
    from portal.demo import ROOT_CODE
    from portal.models import User

    return {"province": ensure_officer(PROVINCE_LEADER, ROOT_CODE, Role.LEADER),
            "commune": User.objects.get(username=COMMUNE_DESK)}


def analyze_reference_tables() -> None:
    """Statistics of the small tables the inbox joins, as autovacuum keeps them on a live site
    (right after seed_demo they have none, and the planner then joins badly)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE portal_agency, tthc_procedure, auth_permission, "
                       "django_content_type, portal_agencyuserobjectpermission, "
                       "portal_agencygroupobjectpermission, portal_user_groups")


def _timed(fn, rounds: int) -> list[float]:
    fn()  # warm: connection, caches, plans
    samples: list[float] = []
    began = time.perf_counter()
    while len(samples) < rounds:
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        if len(samples) >= MIN_ROUNDS and time.perf_counter() - began > BUDGET_S:
            break
    return samples


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def later_cursor(user, queue: str) -> str | None:
    """The cursor of page LATER_PAGE (or of the last page there is)."""
    from hoso.selectors import inbox_page

    cursor, found = "", None
    for _page in range(LATER_PAGE - 1):
        cursor = inbox_page(user, queue, cursor=cursor).next_cursor
        if not cursor:
            break
        found = cursor
    return found


def scenarios(users: dict) -> list[tuple[str, object]]:
    """(figure name, call) for every user × queue × page, and the counts."""
    from hoso.selectors import QUEUES, inbox_page, queue_counts

    calls = []
    for who, user in users.items():
        for queue in QUEUES:
            slug = queue.replace("-", "_")
            calls.append((f"inbox_{who}_{slug}_first",
                          lambda u=user, q=queue: inbox_page(u, q).rows))
            cursor = later_cursor(user, queue)
            if cursor:
                calls.append((f"inbox_{who}_{slug}_page{LATER_PAGE}",
                              lambda u=user, q=queue, c=cursor: inbox_page(u, q, cursor=c).rows))
        calls.append((f"inbox_{who}_counts", lambda u=user: queue_counts(u)))
    return calls


def raw_calls(users: dict) -> list[tuple[str, str, str, object]]:
    """The hand-written main queue: (figure, selector figure, ratio name, call)."""
    from django.db import connection

    from hoso.choices import DossierStatus
    from hoso.selectors import PAGE_SIZE, inbox_page
    from portal.permissions import agencies_with_perm

    def page(params: dict, after: str = "") -> list:
        with connection.cursor() as cursor:
            cursor.execute(RAW_PAGE.format(after=after), params)
            return cursor.fetchall()

    calls = []
    slug = MAIN_QUEUE.replace("-", "_")
    for who, user in users.items():
        ids = list(agencies_with_perm(user, "portal.view_dossier").values_list("pk", flat=True))
        first = {"ids": ids, "states": sorted(DossierStatus.open_states()),
                 "limit": PAGE_SIZE + 1}
        ratio = "inbox_page" if who == "commune" else f"inbox_page_{who}"
        calls.append((f"inbox_{who}_raw_sql_first", f"inbox_{who}_{slug}_first", ratio,
                      lambda p=first: page(p)))
        cursor = later_cursor(user, MAIN_QUEUE)
        if not cursor:
            continue
        due, last_id = _cursor_parts(cursor)
        later = {**first, "due": due, "id": last_id}
        expected = [row.pk for row in inbox_page(user, MAIN_QUEUE, cursor=cursor).rows]
        if [row[0] for row in page(later, RAW_AFTER)][:PAGE_SIZE] != expected:
            raise RuntimeError(f"the raw keyset query of {who} returns other rows")
        calls.append((f"inbox_{who}_raw_sql_page{LATER_PAGE}",
                      f"inbox_{who}_{slug}_page{LATER_PAGE}", f"{ratio}_later",
                      lambda p=later: page(p, RAW_AFTER)))
    return calls


def _cursor_parts(cursor: str):
    import datetime as dt

    moment, _sep, last_id = cursor.partition("|")
    return dt.datetime.fromisoformat(moment), int(last_id)


def explain_all(calls: list[tuple[str, object]]) -> tuple[int, list[tuple[str, str, str]]]:
    """EXPLAIN every query the scenarios run; (queries, [(scenario, problem, sql)])."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    checked, problems = 0, []
    indexes = _indexes()
    for name, call in calls:
        with CaptureQueriesContext(connection) as captured:
            call()
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or "hoso_dossier" not in sql:
                continue
            checked += 1
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                plan = _as_json(cursor.fetchone()[0])[0]["Plan"]
            for problem in sorted(set(_plan_problems(plan, indexes))):
                problems.append((name, problem, sql))
    return checked, problems


def _as_json(value):
    return json.loads(value) if isinstance(value, str) else value


def _indexes() -> dict[str, tuple[str, bool]]:
    """Index name → (leading column, partial?) for the scanned tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT i.relname, a.attname, x.indpred IS NOT NULL
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
            WHERE t.relname = ANY(%s)""", [sorted(SCANNED_TABLES)])
        return {name: (column, partial) for name, column, partial in cursor.fetchall()}


def _plan_problems(node: dict, indexes: dict[str, tuple[str, bool]],
                   under_limit: bool = False) -> list[str]:
    """Full scans of the big tables: sequential, or of a whole index (its leading column not
    in the index condition), and counts with no LIMIT under them."""
    problems = []
    kind = node.get("Node Type")
    if kind == "Seq Scan" and node.get("Relation Name") in SCANNED_TABLES:
        problems.append(f"full scan of {node['Relation Name']}")
    if node.get("Index Name") in indexes and kind != "Bitmap Heap Scan":
        leading, partial = indexes[node["Index Name"]]
        condition = node.get("Index Cond", "")
        if (condition and leading not in condition) or (
                not condition and not partial and not under_limit):
            problems.append(f"whole index {node['Index Name']} scanned ({leading} not in the "
                            f"index condition {condition or '(none)'})")
    if (kind == "Aggregate" and node.get("Strategy") == "Plain" and not under_limit
            and not _has_limit(node)):
        problems.append("count without a LIMIT under it")
    for child in node.get("Plans", []):
        problems += _plan_problems(child, indexes, under_limit or kind == "Limit")
    return problems


def _has_limit(node: dict) -> bool:
    return any(child.get("Node Type") == "Limit" or _has_limit(child)
               for child in node.get("Plans", []))


def explain_analyze(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def slow_plans(calls: list[tuple[str, object]], slow: set[str]) -> list[tuple[str, str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plans = []
    for name, call in calls:
        if name not in slow:
            continue
        with CaptureQueriesContext(connection) as captured:
            call()
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        plans.append((name, explain_analyze(slowest["sql"])))
    return plans


def report_plans(env: dict[str, str], title: str, plans: list[tuple[str, str]]) -> None:
    if not plans:
        return
    path = Path(env["VAR_DIR"]) / PLANS_FILE
    with path.open("a", encoding="utf-8") as out:
        for name, plan in plans:
            text = f"--- {title}: {name}\n{plan}\n"
            out.write(text)
            print(text, file=sys.stderr)
    print(f"bench inbox: plans written to {path}", file=sys.stderr)


def run(env: dict[str, str]) -> list[str]:
    _setup(env)
    from bench.bench_intake import ensure_demo
    from hoso.models import Dossier

    ensure_demo()
    size = int(env.get("BENCH_INBOX_SIZE", DEFAULT_SIZE))
    rounds = int(env.get("BENCH_INBOX_ROUNDS", DEFAULT_ROUNDS))
    generated, seconds = ensure_dossiers(size)
    lines = [f"BENCH inbox_dossiers {Dossier.objects.count()} dossiers",
             f"BENCH inbox_generated {generated} dossiers"]
    if generated:
        lines += [f"BENCH inbox_generate_time {seconds:.1f} s",
                  f"BENCH inbox_generate_rate {generated / seconds:.0f} dossiers/s"]
    Path(env["VAR_DIR"], PLANS_FILE).unlink(missing_ok=True)
    analyze_reference_tables()
    users = officers()
    calls = scenarios(users)
    results = {name: _timed(call, rounds) for name, call in calls}
    for name, _call in calls:
        lines += [f"BENCH {name}_p50 {statistics.median(results[name]):.2f} ms",
                  f"BENCH {name}_p95 {_p(results[name], 0.95):.2f} ms"]
    for name, of, ratio, call in raw_calls(users):
        samples = _timed(call, rounds)
        raw_p50 = statistics.median(samples)
        lines += [f"BENCH {name}_p50 {raw_p50:.2f} ms",
                  f"BENCH {name}_p95 {_p(samples, 0.95):.2f} ms",
                  f"BENCH {ratio} ratio={statistics.median(results[of]) / raw_p50:.2f} "
                  "vs=raw_sql_keyset"]
    checked, problems = explain_all(calls)
    lines += [f"BENCH inbox_explain_queries {checked} queries",
              f"BENCH inbox_explain_problems {len(problems)} queries"]
    report_plans(env, "plan problem", [(f"{name}: {problem}", explain_analyze(sql))
                                       for name, problem, sql in problems])
    slow = {name for name, samples in results.items() if statistics.median(samples) > SLOW_MS}
    report_plans(env, f"slower than {SLOW_MS:.0f} ms", slow_plans(calls, slow))
    return lines
