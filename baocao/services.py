"""The 2-day duty report: one set-based query per report (COUNT(*) FILTER … GROUP BY the
deciding agency), stored, then e-mailed through the notifications outbox."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from baocao.models import DutyReport
from hoso.choices import DossierStatus
from hoso.models import Apology, Dossier
from portal.models import Agency

COLUMNS = ("received", "resolved_on_time", "resolved_late", "open_on_time", "open_overdue",
           "apologies_sent")
COLUMN_TITLES = {
    "received": "Tiếp nhận trong kỳ",
    "resolved_on_time": "Giải quyết đúng hạn",
    "resolved_late": "Giải quyết quá hạn",
    "open_on_time": "Đang giải quyết, còn hạn",
    "open_overdue": "Đang giải quyết, quá hạn",
    "apologies_sent": "Văn bản xin lỗi đã gửi",
}
DONE = (DossierStatus.RESOLVED, DossierStatus.RETURNED)
OPEN = tuple(DossierStatus.open_states())

_SQL_TEMPLATE = f"""
SELECT d.deciding_agency_id,
  COUNT(*) FILTER (WHERE d.received_at >= %(start)s AND d.received_at < %(end)s),
  COUNT(*) FILTER (WHERE d.status IN ({{done}}) AND d.finished_at >= %(start)s
                   AND d.finished_at < %(end)s AND d.finished_at <= d.due_at),
  COUNT(*) FILTER (WHERE d.status IN ({{done}}) AND d.finished_at >= %(start)s
                   AND d.finished_at < %(end)s AND d.finished_at > d.due_at),
  COUNT(*) FILTER (WHERE d.status IN ({{open}}) AND d.due_at >= %(end)s),
  COUNT(*) FILTER (WHERE d.status IN ({{open}}) AND d.due_at < %(end)s),
  COALESCE(SUM(a.sent), 0)
FROM {Dossier._meta.db_table} d
LEFT JOIN (SELECT dossier_id, COUNT(*) AS sent FROM {Apology._meta.db_table}
           WHERE status = 'sent' AND issued_at >= %(start)s AND issued_at < %(end)s
           GROUP BY dossier_id) a ON a.dossier_id = d.id
WHERE d.received_at IS NOT NULL
  AND (d.status IN ({{open}}) OR d.received_at >= %(start)s OR d.finished_at >= %(start)s
       OR a.sent IS NOT NULL)
GROUP BY d.deciding_agency_id
"""  # noqa: S608 — table names from the models, values are parameters

# "Overdue" is measured against the legal due time (the apology's new date is reported in
# its own column), as the provincial office asks.


def duty_report_rows(start: dt.datetime, end: dt.datetime) -> list[dict]:
    """One row per deciding agency with any activity in [start, end) or open dossiers."""
    params = {"start": start, "end": end}
    params.update({f"done{i}": str(v) for i, v in enumerate(DONE)})
    params.update({f"open{i}": str(v) for i, v in enumerate(OPEN)})
    sql = _SQL_TEMPLATE.replace("{done}", ", ".join(f"%(done{i})s" for i in range(len(DONE))))
    sql = sql.replace("{open}", ", ".join(f"%(open{i})s" for i in range(len(OPEN))))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # portable SQL: PostgreSQL, and SQLite in the demo
        found = cursor.fetchall()
    names = dict(Agency.objects.filter(pk__in=[r[0] for r in found])
                 .values_list("pk", "name"))
    rows = [{"agency_id": r[0], "agency": names.get(r[0], ""),
             **dict(zip(COLUMNS, (int(v) for v in r[1:]), strict=True))} for r in found]
    return sorted(rows, key=lambda row: row["agency"])


def take_duty_report(*, now: dt.datetime | None = None) -> dict:
    """Take, store and e-mail the report of the period since the last one (2 days at most
    the first time). Idempotent per period end: a second run at the same moment reuses it."""
    from portal.notifications import notify

    now = now or timezone.now()
    previous = DutyReport.objects.order_by("-period_end").first()
    start = previous.period_end if previous else now - dt.timedelta(days=2)
    with transaction.atomic():
        report, created = DutyReport.objects.get_or_create(
            period_end=now, defaults={"period_start": start, "taken_at": now,
                                      "rows": duty_report_rows(start, now)})
        recipients = list(settings.PORTAL_DUTY_REPORT_RECIPIENTS)
        for email in recipients:
            notify(code="duty_report", context={
                "period_start": report.period_start, "period_end": report.period_end,
                "lines": [_line(row) for row in report.rows]},
                email=email, phone=None, object_ref=f"duty_report:{report.pk}",
                event_key=f"duty_report:{report.pk}:{email}")
        if recipients and report.emailed_to != recipients:
            report.emailed_to = recipients
            report.save(update_fields=["emailed_to"])
    return {"agencies": len(report.rows), "created": int(created)}


def _line(row: dict) -> str:
    return f"{row['agency']}: " + "; ".join(
        f"{COLUMN_TITLES[c].lower()} {row[c]}" for c in COLUMNS)
