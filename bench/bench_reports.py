"""Reports at provincial scale (issue 9): the quarterly handling-results report (Biểu II.06a)
for the whole province and for one commune, the dashboard's headline rates, and one KPI
snapshot run — each next to the time of the equivalent hand-written SQL on the same data.

Its own database, `<bench database>_reports`, filled once by `generate_dossiers` (2 years of
history with papers, results, payments, reuse and ratings) up to BENCH_REPORTS_DOSSIERS
(default 1,000,000); BENCH_REPORTS_DOSSIERS=5000000 with BENCH_REPORTS_SUFFIX=_reports5m
measures the 5-million case in a second database. Generated once (about a quarter of an hour
per million on this machine), reused after.

Figures (medians of BENCH_REPORTS_REPEAT runs, default 3, after one warm-up):
- `reports_handling_province_p50` / `_commune_p50`: `baocao.handling.handling_report` for the
  last full GRIS quarter; the baseline `_raw` is a hand-written single query with the same
  13 COUNT(*) FILTER columns grouped by level, by field and in total (GROUPING SETS) over the
  same subtree, reading the same two index-only halves (finished after the start, not
  finished) as an expert would. Target: ≤ 1.5× the raw SQL and under 2 s for the province at 1M.
- `reports_headline_p50`: the dashboard's four headline rates (`baocao.kpis.compute_many`) for the
  province; the baseline is one hand-written query counting their numerators and
  denominators.
- `reports_snapshot_s`: one `take_snapshot` (every KPI × every agency); the baseline re-runs
  the SELECT statements the snapshot issued, as raw SQL on a cursor (what the ORM costs on
  top of the same queries).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

NAME = "reports"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DOSSIERS = 1_000_000
GENERATE_YEARS = 2.0
TARGET_RATIO = 1.5
TARGET_PROVINCE_S = 2.0
HEADLINE = ("online_dossiers", "online_procedures_with_dossiers", "digitised_dossiers",
            "on_time")

# overdue at the period's end (or now), rebuilt from the supplement history when there is one
RAW_OVERDUE = """(CASE WHEN s.dossier_id IS NULL THEN COALESCE(d.due_at < %(as_of)s, FALSE)
  ELSE COALESCE(s.second_before OR (COALESCE(s.due_then, d.due_at) < %(as_of)s
                                    AND NOT s.paused_then), FALSE) END)"""

RAW_HANDLING = """
SELECT GROUPING(a.level), GROUPING(p.field_id), a.level, p.field_id,
  COUNT(*) FILTER (WHERE d.received_at >= %(start)s OR d.finished_at IS NULL
                   OR d.finished_at >= %(start)s),
  COUNT(*) FILTER (WHERE d.received_at >= %(start)s
                   AND d.channel IN ('online', 'national_portal', 'vneid')),
  COUNT(*) FILTER (WHERE d.received_at >= %(start)s
                   AND d.channel NOT IN ('online', 'national_portal', 'vneid')),
  COUNT(*) FILTER (WHERE d.received_at < %(start)s),
  COUNT(*) FILTER (WHERE d.finished_at >= %(start)s AND d.finished_at < %(end)s),
  COUNT(*) FILTER (WHERE d.finished_at >= %(start)s AND d.finished_at < %(end)s
                   AND d.status <> 'withdrawn' AND NOT d.counted_overdue
                   AND d.due_at IS NOT NULL AND d.finished_at <= d.due_at
                   AND (d.finished_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                       < (d.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date),
  COUNT(*) FILTER (WHERE d.finished_at >= %(start)s AND d.finished_at < %(end)s
                   AND (d.status = 'withdrawn' OR (NOT d.counted_overdue
                        AND (d.due_at IS NULL OR (d.finished_at <= d.due_at
                        AND (d.finished_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                            >= (d.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date))))),
  COUNT(*) FILTER (WHERE d.finished_at >= %(start)s AND d.finished_at < %(end)s
                   AND d.status <> 'withdrawn'
                   AND (d.counted_overdue OR d.finished_at > d.due_at)),
  COUNT(*) FILTER (WHERE d.finished_at IS NULL OR d.finished_at >= %(end)s),
  COUNT(*) FILTER (WHERE (d.finished_at IS NULL OR d.finished_at >= %(end)s)
                   AND NOT {overdue}),
  COUNT(*) FILTER (WHERE (d.finished_at IS NULL OR d.finished_at >= %(end)s)
                   AND {overdue})
FROM (SELECT id, received_at, finished_at, deciding_agency_id, procedure_id, channel, status,
             due_at, counted_overdue FROM hoso_dossier
      WHERE finished_at >= %(start)s
      UNION ALL
      SELECT id, received_at, finished_at, deciding_agency_id, procedure_id, channel, status,
             due_at, counted_overdue FROM hoso_dossier
      WHERE finished_at IS NULL) d
JOIN portal_agency a ON a.id = d.deciding_agency_id
JOIN tthc_procedure p ON p.id = d.procedure_id
LEFT JOIN (SELECT dossier_id,
                  bool_or(number >= 2 AND requested_at < %(as_of)s) AS second_before,
                  bool_or(requested_at < %(as_of)s AND (received_at IS NULL
                          OR received_at >= %(as_of)s)) AS paused_then,
                  (array_agg(due_at_before ORDER BY number)
                     FILTER (WHERE requested_at >= %(as_of)s))[1] AS due_then
           FROM hoso_supplementrequest GROUP BY dossier_id) s ON s.dossier_id = d.id
WHERE a.path LIKE %(path)s AND d.received_at IS NOT NULL AND d.received_at < %(end)s
  AND (d.finished_at IS NULL OR d.finished_at >= %(start)s)
GROUP BY GROUPING SETS ((a.level), (p.field_id), ())
""".replace("{overdue}", RAW_OVERDUE)

RAW_HEADLINE = """
WITH scope AS (
  SELECT d.id, d.channel, d.status, d.finished_at, d.due_at, d.counted_overdue,
         d.received_at, d.procedure_id
  FROM hoso_dossier d JOIN portal_agency a ON a.id = d.deciding_agency_id
  WHERE a.path LIKE %(path)s AND d.received_at IS NOT NULL AND d.received_at < %(end)s
    AND (d.finished_at IS NULL OR d.finished_at >= %(start)s))
SELECT
  COUNT(*) FILTER (WHERE received_at >= %(start)s),
  COUNT(*) FILTER (WHERE received_at >= %(start)s
                   AND channel IN ('online', 'national_portal', 'vneid')),
  COUNT(*) FILTER (WHERE received_at >= %(start)s AND NOT EXISTS (
      SELECT 1 FROM hoso_dossierdocument x WHERE x.dossier_id = scope.id
      AND x.digitisation NOT IN ('digitised', 'reused_document', 'reused_result',
                                 'national_source'))),
  COUNT(*) FILTER (WHERE finished_at >= %(start)s AND finished_at < %(end)s),
  COUNT(*) FILTER (WHERE finished_at >= %(start)s AND finished_at < %(end)s
                   AND (status = 'withdrawn' OR (NOT counted_overdue
                        AND (due_at IS NULL OR finished_at <= due_at)))),
  (SELECT COUNT(DISTINCT procedure_id) FROM scope
     JOIN tthc_procedure p ON p.id = scope.procedure_id
     WHERE scope.received_at >= %(start)s AND p.service_mode IN ('partial', 'full'))
FROM scope
"""


def reports_database_url(database_url: str) -> str:
    suffix = os.environ.get("BENCH_REPORTS_SUFFIX", "_reports")
    url = urlsplit(database_url)
    return urlunsplit(url._replace(path=url.path.rstrip("/") + suffix))


def run(env: dict[str, str]) -> list[str]:
    from bench.run import ensure_database, manage

    env = {**env, "DATABASE_URL": reports_database_url(env["DATABASE_URL"])}
    ensure_database(env["DATABASE_URL"])
    manage(env, "migrate", "--noinput")
    done = subprocess.run([sys.executable, "-m", "bench.bench_reports"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"bench reports failed ({done.returncode})")
    return [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]


def _median(action, repeat: int) -> float:
    action()  # warm-up: plans and caches as a page would find them
    times = []
    for _n in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _raw(sql: str, params: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()


def _ratio(name: str, value: float, raw: float, baseline: str) -> str:
    return f"BENCH {name} ratio={value / raw:.2f} vs={baseline}"


def measure() -> list[str]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from baocao import kpis, snapshots
    from baocao.definitions import gris_period
    from baocao.handling import handling_report
    from bench.bench_intake import ensure_demo
    from hoso.models import Dossier
    from portal.choices import AgencyLevel
    from portal.models import Agency

    ensure_demo()
    wanted = int(os.environ.get("BENCH_REPORTS_DOSSIERS", DEFAULT_DOSSIERS))
    repeat = int(os.environ.get("BENCH_REPORTS_REPEAT", "3"))
    lines = []
    have = Dossier.objects.count()
    if have < wanted:
        started = time.perf_counter()
        call_command("generate_dossiers", count=wanted - have, years=GENERATE_YEARS, seed=9,
                     verbosity=0)
        lines.append(f"BENCH reports_generated {wanted - have} dossiers in "
                     f"{time.perf_counter() - started:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    lines.append(f"BENCH reports_dossiers {Dossier.objects.count()} dossiers")

    today = timezone.localdate()
    quarter = (today.month - 1) // 3  # the last full GRIS quarter before today's
    year = today.year if quarter else today.year - 1
    period = gris_period("quarter", year, quarter or 4)
    if period.end > timezone.now():
        period = gris_period("quarter", year - (quarter == 1), (quarter - 2) % 4 + 1)
    province = Agency.objects.filter(depth=1).order_by("path").first()
    commune = (Agency.objects.filter(level=AgencyLevel.COMMUNE,
                                     decided_dossiers__received_at__gte=period.start)
               .order_by("path").first())
    lines.append(f"BENCH reports_period {period.range_text} quarter")

    for label, agency in (("province", province), ("commune", commune)):
        params = {**period.sql_params, "path": f"{agency.path}%"}
        report = _median(lambda a=agency: handling_report(a, period), repeat)
        raw = _median(lambda p=params: _raw(RAW_HANDLING, p), repeat)
        lines += [f"BENCH reports_handling_{label}_p50 {report * 1000:.0f} ms",
                  f"BENCH reports_handling_{label}_raw_p50 {raw * 1000:.0f} ms",
                  _ratio(f"reports_handling_{label}", report, raw, "raw_sql")]
        if label == "province":
            lines.append(f"BENCH reports_handling_province target "
                         f"ratio={report / TARGET_PROVINCE_S:.2f} vs=2s")

    ids = list(Agency.objects.filter(path__startswith=province.path)
               .values_list("pk", flat=True))
    params = {**period.sql_params, "path": f"{province.path}%"}
    headline = _median(lambda: kpis.compute_many(HEADLINE, period, ids), repeat)
    raw = _median(lambda: _raw(RAW_HEADLINE, params), repeat)
    lines += [f"BENCH reports_headline_p50 {headline * 1000:.0f} ms",
              f"BENCH reports_headline_raw_p50 {raw * 1000:.0f} ms",
              _ratio("reports_headline", headline, raw, "raw_sql")]

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        outcome = snapshots.take_snapshot(trigger="manual", day=today)
        snapshot = time.perf_counter() - started
    selects = [q["sql"] for q in captured.captured_queries
               if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
    started = time.perf_counter()
    for statement in selects:
        _raw(statement.replace("%", "%%"), {})
    raw = time.perf_counter() - started
    lines += [f"BENCH reports_snapshot_s {snapshot:.2f} s "
              f"({outcome.run.values.count()} values, {len(selects)} queries)",
              f"BENCH reports_snapshot_raw_s {raw:.2f} s",
              _ratio("reports_snapshot", snapshot, raw, "raw_sql_same_selects")]
    return lines


if __name__ == "__main__":
    for line in measure():
        print(line)
