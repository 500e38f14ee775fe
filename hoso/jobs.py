"""Deadline jobs (run by beat through portal.jobs): near-due warnings, the overdue sweep and
the apology check.

Each job is set-based: one INSERT … SELECT writes the alerts (or apology drafts) of every
dossier and step that qualifies and has none yet, relying on a unique constraint, and returns
only the new ones; the overdue events are written by one more INSERT … SELECT over those
alerts. So a run killed mid-way is completed by the next, two runs at once alert once, and no
Python loop walks the open dossiers. The officers are told by one digest e-mail each per run
and kind (the dossiers of that run, the first DIGEST_LINES listed), queued in the
notifications outbox and sent after commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from hoso.choices import Action, AlertKind, ApologyStatus, DossierStatus
from hoso.models import Apology, Dossier, DossierAlert, DossierEvent, DossierStep
from portal.calendar import get_calendar
from portal.choices import TimeUnit

# The clock runs only for these; while the citizen supplements or pays it is paused.
RUNNING = (DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS)
DIGEST_LINES = 30  # dossiers listed in one e-mail; the rest are counted, and in the inbox
APOLOGY_DRAFT = "apology_draft"  # the digest kind of the apology check
KIND_LABELS = {APOLOGY_DRAFT: "Cần ban hành văn bản xin lỗi, hẹn lại ngày trả kết quả"}
# The inbox queue each digest points to.
KIND_QUEUES = {AlertKind.NEAR_DUE: "sap-den-han", AlertKind.OVERDUE: "qua-han",
               APOLOGY_DRAFT: "sap-den-han"}

_ALERT_SQL = (
    f"INSERT INTO {DossierAlert._meta.db_table} (dossier_id, step_id, due_at, kind, at) "  # noqa: S608 — names from the models, values are parameters
    # "WHERE 1 = 1": SQLite needs a WHERE before ON CONFLICT after a SELECT (parser ambiguity)
    "SELECT x.dossier_id, x.step_id, x.due_at, %s, %s FROM ({select}) x WHERE 1 = 1 "
    "ON CONFLICT DO NOTHING RETURNING dossier_id, step_id, due_at"
)
# Candidates without their alert yet, oldest due first (keyset: due time, id), at most
# PORTAL_DEADLINE_BATCH a run; a run that continues a backlog starts after the previous run's
# last candidate ({after}), so working off N candidates costs O(N), not O(N² / batch).
# Params: the two running states, the bounds of {cmp}, the cursor if any, the kind, the limit.
_DOSSIERS = (
    f"SELECT d.id AS dossier_id, CAST(NULL AS BIGINT) AS step_id, d.due_at FROM "  # noqa: S608
    f"{Dossier._meta.db_table} d WHERE d.status IN (%s, %s) AND d.due_at {{cmp}} {{after}} "
    f"AND NOT EXISTS (SELECT 1 FROM {DossierAlert._meta.db_table} a WHERE a.dossier_id = d.id "
    "AND a.kind = %s AND a.step_id IS NULL) ORDER BY d.due_at, d.id LIMIT %s"
)
_DOSSIERS_AFTER = "AND (d.due_at > %s OR (d.due_at = %s AND d.id > %s))"
_STEPS = (
    f"SELECT s.dossier_id, s.id AS step_id, s.due_at FROM {DossierStep._meta.db_table} s "  # noqa: S608
    f"JOIN {Dossier._meta.db_table} d ON d.id = s.dossier_id "
    "WHERE s.outcome = 'open' AND d.status IN (%s, %s) AND s.due_at {cmp} {after} "
    f"AND NOT EXISTS (SELECT 1 FROM {DossierAlert._meta.db_table} a WHERE a.dossier_id = "
    "s.dossier_id AND a.kind = %s AND a.step_id = s.id) ORDER BY s.due_at, s.id LIMIT %s"
)
_STEPS_AFTER = "AND (s.due_at > %s OR (s.due_at = %s AND s.id > %s))"
# The overdue event of each dossier alerted by this run (the alerts written at `now`).
_OVERDUE_EVENTS = (
    f"INSERT INTO {DossierEvent._meta.db_table} "  # noqa: S608 — names from the models
    "(dossier_id, at, agency_id, action, status_before, status_after, note, data) "
    "SELECT d.id, a.at, COALESCE(d.handling_agency_id, d.deciding_agency_id), %s, d.status, "
    "d.status, '', {data} "
    f"FROM {DossierAlert._meta.db_table} a JOIN {Dossier._meta.db_table} d "
    "ON d.id = a.dossier_id WHERE a.kind = %s AND a.step_id IS NULL AND a.at = %s "
    # once per alert, even when two runs share a clock reading
    f"AND NOT EXISTS (SELECT 1 FROM {DossierEvent._meta.db_table} e WHERE e.dossier_id = d.id "
    "AND e.action = %s AND e.at = a.at)"
)
_APOLOGY_SQL = (
    f"INSERT INTO {Apology._meta.db_table} "  # noqa: S608 — names from the models
    "(dossier_id, status, reason_code, reason, new_due_at, drafted_at) "
    "SELECT x.id, %s, '', '', x.new_due, %s FROM ({select}) x WHERE 1 = 1 "
    "ON CONFLICT DO NOTHING RETURNING dossier_id"
)


def _adapt(value):
    return (connection.ops.adapt_datetimefield_value(value)
            if isinstance(value, dt.datetime) else value)


def _execute(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [_adapt(p) for p in params])
        return cursor.fetchall() if cursor.description else []


def _insert_alerts(kind: str, template: str, after_sql: str, cmp: str, params: list,
                   after: list | None, now: dt.datetime) -> list[tuple]:
    """INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING: the alerts that are new (at most
    PORTAL_DEADLINE_BATCH, after the cursor `after` = [due time ISO, id] when given).
    Portable SQL (PostgreSQL, and SQLite in the demo)."""
    keyset = []
    if after:
        due = parse_datetime(after[0])
        keyset = [due, due, int(after[1])]
    select = template.format(cmp=cmp, after=after_sql if after else "")
    return _execute(_ALERT_SQL.format(select=select),
                    [kind, now, *params, *keyset, kind, settings.PORTAL_DEADLINE_BATCH])


def _fresh_statistics(after: dict) -> None:
    """A run that continues a backlog first refreshes the planner's statistics of the alerts:
    the previous runs just wrote tens of thousands, and with statistics that still say "none
    of this kind" PostgreSQL rescans them for every candidate (autovacuum's analyse comes
    minutes later)."""
    if after and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DossierAlert._meta.db_table}")


def _cursor(rows: list[tuple], position: int) -> list | None:
    """The keyset position of the last alert written: [due time ISO, id] (`position`: the
    column of the id, dossier 0 or step 1)."""
    if not rows:
        return None
    last = max(rows, key=lambda row: (_moment(row[2]), row[position]))
    return [_moment(last[2]).isoformat(), last[position]]


def _moment(value) -> dt.datetime:
    """A timestamp as the raw cursor returns it (a string on SQLite), aware."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def _counts(dossiers: list, steps: list) -> dict:
    """A run's counts; `more` and the `cursor` when a batch was full: the backlog goes on in
    the next run after the cursor, which the task starts at once (portal.tasks.run_job_task),
    each run in its own transaction."""
    limit = settings.PORTAL_DEADLINE_BATCH
    counts = {"dossiers": len(dossiers), "steps": len(steps)}
    if len(dossiers) >= limit or len(steps) >= limit:
        counts.update(more=True, cursor={"dossiers": _cursor(dossiers, 0),
                                         "steps": _cursor(steps, 1)})
    return counts


def overdue_sweep(*, now: dt.datetime | None = None, after: dict | None = None) -> dict:
    """Dossiers and steps past their due time: record the overdue event once (DESIGN.md §4:
    overdue is not a state; the moment it happened is an event) and tell the officers.
    `after`: the cursor of the previous run of a backlog (see _counts)."""
    now = now or timezone.now()
    after = after or {}
    running = [str(s) for s in RUNNING]
    data = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    _fresh_statistics(after)
    with transaction.atomic():
        dossiers = _insert_alerts(AlertKind.OVERDUE, _DOSSIERS, _DOSSIERS_AFTER, "< %s",
                                  [*running, now], after.get("dossiers"), now)
        steps = _insert_alerts(AlertKind.STEP_OVERDUE, _STEPS, _STEPS_AFTER, "< %s",
                               [*running, now], after.get("steps"), now)
        if dossiers:
            _execute(_OVERDUE_EVENTS.format(data=data),
                     [Action.OVERDUE, '{"alert": "overdue"}', AlertKind.OVERDUE, now,
                      Action.OVERDUE])
        if dossiers or steps:
            _tell_officers(AlertKind.OVERDUE, _alerted(AlertKind.OVERDUE, now), now)
    return _counts(dossiers, steps)


def near_due_scan(*, now: dt.datetime | None = None, after: dict | None = None) -> dict:
    """Dossiers and steps due within PORTAL_NEAR_DUE_WORKING_DAYS (default 1) working day:
    warn the assigned officer and the agency's leaders once per dossier and step."""
    now = now or timezone.now()
    after = after or {}
    soon = get_calendar().add(now, settings.PORTAL_NEAR_DUE_WORKING_DAYS,
                              TimeUnit.WORKING_DAYS)
    running = [str(s) for s in RUNNING]
    window = "BETWEEN %s AND %s"
    _fresh_statistics(after)
    with transaction.atomic():
        dossiers = _insert_alerts(AlertKind.NEAR_DUE, _DOSSIERS, _DOSSIERS_AFTER, window,
                                  [*running, now, soon], after.get("dossiers"), now)
        steps = _insert_alerts(AlertKind.STEP_NEAR_DUE, _STEPS, _STEPS_AFTER, window,
                               [*running, now, soon], after.get("steps"), now)
        if dossiers or steps:
            _tell_officers(AlertKind.NEAR_DUE, _alerted(AlertKind.NEAR_DUE, now), now)
    return _counts(dossiers, steps)


def _alerted(kind: str, now: dt.datetime) -> list[dict]:
    """What this run alerted (the dossier alerts and the step alerts of `kind` written at
    `now`): one row each, with who is to be told."""
    step_kind = {AlertKind.OVERDUE: AlertKind.STEP_OVERDUE,
                 AlertKind.NEAR_DUE: AlertKind.STEP_NEAR_DUE}[kind]
    rows = DossierAlert.objects.filter(kind__in=[kind, step_kind], at=now).order_by(
        "due_at", "dossier_id").values(
        "dossier_id", "due_at", "step__name", "step__agency_id", "step__assignee_id",
        code=F("dossier__code"), procedure_name=F("dossier__procedure__name"),
        owner_name=F("dossier__owner_name"), assignee_id=F("dossier__assignee_id"),
        agency_id=F("dossier__handling_agency_id"),
        deciding_id=F("dossier__deciding_agency_id"))
    return [{**row, "step_name": row["step__name"] or "",
             "agency_id": row["step__agency_id"] or row["agency_id"] or row["deciding_id"],
             "assignee_id": (row["step__assignee_id"] if row["step__name"] is not None
                             else row["assignee_id"])}
            for row in rows]


def _tell_officers(kind: str, items: list[dict], now: dt.datetime) -> None:
    """One digest e-mail per officer for this run: the handling agency's leaders and the
    assigned officer of each dossier (or step) in `items` (outbox, sent after commit)."""
    from portal.models import Agency, User
    from portal.notifications import find_template, notify
    from portal.permissions import users_with_perm

    agencies = Agency.objects.in_bulk({item["agency_id"] for item in items})
    by_agency: dict[int, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        by_agency[item["agency_id"]].append(index)
    mailbox: dict[int, dict[int, dict]] = defaultdict(dict)  # person → item index → item
    for agency_id, agency in agencies.items():
        for leader in users_with_perm(agency, "portal.approve_dossier").values_list(
                "pk", flat=True):
            mailbox[leader].update((index, items[index]) for index in by_agency[agency_id])
    for index, item in enumerate(items):
        if item["assignee_id"]:
            mailbox[item["assignee_id"]][index] = item
    people = User.objects.filter(pk__in=list(mailbox), is_active=True).exclude(email="")
    template = find_template("deadline_alert")
    label = KIND_LABELS.get(kind) or AlertKind(kind).label
    inbox = settings.PORTAL_BASE_URL.rstrip("/") + reverse("hoso:inbox_queue",
                                                           args=[KIND_QUEUES[kind]])
    stamp = now.isoformat()
    for person in people.only("pk", "email", "full_name"):
        listed = sorted(mailbox[person.pk].values(), key=lambda i: (i["due_at"], i["dossier_id"]))
        notify(code="deadline_alert", context={
            "officer_name": person.full_name, "kind": label, "count": len(listed),
            "items": listed[:DIGEST_LINES], "more": max(len(listed) - DIGEST_LINES, 0),
            "inbox_url": inbox},
            email=person.email, phone=None, object_ref=f"user:{person.pk}",
            event_key=f"{kind}:{stamp}:{person.pk}", template=template)


def _day_shifts(first: dt.date, last: dt.date, working_days: int) -> dict[dt.date, int]:
    """For each day in [first, last]: how many calendar days later the `working_days`-th
    working day after it falls (the province's calendar of days off)."""
    calendar = get_calendar()
    shifts = {}
    day = first
    while day <= last:
        later, counted = day, 0
        while counted < working_days:
            later += dt.timedelta(days=1)
            counted += calendar.is_working_day(later)
        shifts[day] = (later - day).days
        day += dt.timedelta(days=1)
    return shifts


def apology_check(*, now: dt.datetime | None = None) -> dict:
    """Dossiers that will not make it (running, due within PORTAL_NEAR_DUE_WORKING_DAYS, no
    apology yet): prepare the Mẫu 04 draft for the leader to sign and send
    (processing.apologize), with a suggested new appointment at the same time of day
    PORTAL_APOLOGY_SUGGESTED_WORKING_DAYS working days after the due time; one INSERT …
    SELECT, one draft per dossier however often this runs (a partial unique constraint), and
    the leaders are told of the new ones."""
    now = now or timezone.now()
    soon = get_calendar().add(now, settings.PORTAL_NEAR_DUE_WORKING_DAYS,
                              TimeUnit.WORKING_DAYS)
    local = timezone.localtime
    shifts = _day_shifts(local(now).date(), local(soon).date(),
                         settings.PORTAL_APOLOGY_SUGGESTED_WORKING_DAYS)
    new_due = Case(*[When(due_at__date=day, then=ExpressionWrapper(
        F("due_at") + Value(dt.timedelta(days=days)), output_field=DateTimeField()))
        for day, days in shifts.items()], output_field=DateTimeField())
    candidates = (Dossier.objects.filter(status__in=RUNNING, due_at__gt=now, due_at__lte=soon,
                                         apology_count=0)
                  .exclude(apologies__status=ApologyStatus.DRAFT)
                  .annotate(new_due=new_due).order_by("due_at")
                  .values_list("id", "new_due")[:settings.PORTAL_DEADLINE_BATCH])
    select, params = candidates.query.sql_with_params()
    with transaction.atomic():
        drafted = _execute(_APOLOGY_SQL.format(select=select),
                           [ApologyStatus.DRAFT, now, *params])
        if drafted:
            rows = Apology.objects.filter(status=ApologyStatus.DRAFT, drafted_at=now).values(
                "dossier_id", "dossier__due_at", code=F("dossier__code"),
                procedure_name=F("dossier__procedure__name"),
                owner_name=F("dossier__owner_name"), assignee_id=F("dossier__assignee_id"),
                agency_id=F("dossier__handling_agency_id"),
                deciding_id=F("dossier__deciding_agency_id"))
            _tell_officers(APOLOGY_DRAFT, [
                {**row, "due_at": row["dossier__due_at"], "step_name": "",
                 "agency_id": row["agency_id"] or row["deciding_id"]} for row in rows], now)
    more = len(drafted) >= settings.PORTAL_DEADLINE_BATCH
    return {"drafts": len(drafted), **({"more": True} if more else {})}
