"""Deadline jobs (run by beat through portal.jobs): near-due warnings and the overdue sweep.

Each job is set-based: one INSERT … SELECT writes the alerts of every dossier (and step) that
qualifies and has none yet, relying on the unique (dossier, kind, step) constraint, and
returns only the new ones; only those are then recorded and announced. So a run killed
mid-way is completed by the next, two runs at once alert once, and no Python loop walks the
open dossiers. Messages are queued in the notifications outbox and leave after commit.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from hoso.choices import Action, AlertKind, DossierStatus
from hoso.models import Dossier, DossierAlert, DossierEvent, DossierStep
from portal.calendar import get_calendar
from portal.choices import TimeUnit

# The clock runs only for these; while the citizen supplements or pays it is paused.
RUNNING = (DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS)

_ALERT_SQL = (
    f"INSERT INTO {DossierAlert._meta.db_table} (dossier_id, step_id, due_at, kind, at) "  # noqa: S608 — names from the models, values are parameters
    # "WHERE 1 = 1": SQLite needs a WHERE before ON CONFLICT after a SELECT (parser ambiguity)
    "SELECT x.dossier_id, x.step_id, x.due_at, %s, %s FROM ({select}) x WHERE 1 = 1 "
    "ON CONFLICT DO NOTHING RETURNING dossier_id, step_id"
)
_DOSSIERS = (
    f"SELECT d.id AS dossier_id, CAST(NULL AS BIGINT) AS step_id, d.due_at FROM "  # noqa: S608
    f"{Dossier._meta.db_table} d WHERE d.status IN (%s, %s) AND d.due_at {{cmp}}"
)
_STEPS = (
    f"SELECT s.dossier_id, s.id AS step_id, s.due_at FROM {DossierStep._meta.db_table} s "  # noqa: S608
    f"JOIN {Dossier._meta.db_table} d ON d.id = s.dossier_id "
    "WHERE s.outcome = 'open' AND d.status IN (%s, %s) AND s.due_at {cmp}"
)


KIND_LABELS = {"apology_draft": "Cần ban hành văn bản xin lỗi, hẹn lại ngày trả kết quả"}


def _insert_alerts(kind: str, select: str, params: list, now: dt.datetime) -> list[tuple]:
    """INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING: the alerts that are new. Portable
    SQL (PostgreSQL, and SQLite in the demo)."""
    params = [connection.ops.adapt_datetimefield_value(p) if isinstance(p, dt.datetime)
              else p for p in params]
    now = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_ALERT_SQL.format(select=select), [kind, now, *params])
        return cursor.fetchall()


def overdue_sweep(*, now: dt.datetime | None = None) -> dict:
    """Dossiers and steps past their due time: record the overdue event once (DESIGN.md §4:
    overdue is not a state; the moment it happened is an event) and tell the officers."""
    now = now or timezone.now()
    running = [str(s) for s in RUNNING]
    with transaction.atomic():
        dossiers = _insert_alerts(AlertKind.OVERDUE, _DOSSIERS.format(cmp="< %s"),
                                  [*running, now], now)
        steps = _insert_alerts(AlertKind.STEP_OVERDUE, _STEPS.format(cmp="< %s"),
                               [*running, now], now)
        new = Dossier.objects.filter(pk__in=[d for d, _s in dossiers]).select_related(
            "procedure", "handling_agency", "deciding_agency", "assignee")
        DossierEvent.objects.bulk_create([
            DossierEvent(dossier=d, at=now, agency=d.handling_agency or d.deciding_agency,
                         action=Action.OVERDUE, status_before=d.status,
                         status_after=d.status, data={"due_at": d.due_at.isoformat()})
            for d in new])
        leaders: dict[int, dict] = {}
        for dossier in new:
            _tell_officers(dossier, AlertKind.OVERDUE, now, leaders)
    return {"dossiers": len(dossiers), "steps": len(steps)}


def near_due_scan(*, now: dt.datetime | None = None) -> dict:
    """Dossiers and steps due within PORTAL_NEAR_DUE_WORKING_DAYS (default 1) working day:
    warn the assigned officer and the agency's leaders once per dossier and step."""
    now = now or timezone.now()
    soon = get_calendar().add(now, settings.PORTAL_NEAR_DUE_WORKING_DAYS,
                              TimeUnit.WORKING_DAYS)
    running = [str(s) for s in RUNNING]
    window = "BETWEEN %s AND %s"
    with transaction.atomic():
        dossiers = _insert_alerts(AlertKind.NEAR_DUE, _DOSSIERS.format(cmp=window),
                                  [*running, now, soon], now)
        steps = _insert_alerts(AlertKind.STEP_NEAR_DUE, _STEPS.format(cmp=window),
                               [*running, now, soon], now)
        leaders: dict[int, dict] = {}
        for dossier in Dossier.objects.filter(pk__in=[d for d, _s in dossiers]).select_related(
                "procedure", "handling_agency", "deciding_agency", "assignee"):
            _tell_officers(dossier, AlertKind.NEAR_DUE, now, leaders)
    return {"dossiers": len(dossiers), "steps": len(steps)}


def _tell_officers(dossier: Dossier, kind: str, now: dt.datetime,
                   leaders: dict[int, dict]) -> None:
    """E-mail the assigned officer and the handling agency's leaders (outbox, after commit);
    `leaders` remembers each agency's leaders for the rest of the run."""
    from portal.notifications import find_template, notify
    from portal.permissions import users_with_perm

    agency = dossier.handling_agency or dossier.deciding_agency
    if agency.pk not in leaders:
        leaders[agency.pk] = {u.pk: u for u in users_with_perm(agency,
                                                               "portal.approve_dossier")}
    people = dict(leaders[agency.pk])
    if dossier.assignee_id:
        people[dossier.assignee_id] = dossier.assignee
    for person in people.values():
        if not person.email:
            continue
        notify(code="deadline_alert", context={
            "dossier_code": dossier.code or "", "procedure_name": dossier.procedure.name,
            "owner_name": dossier.owner_name, "officer_name": person.full_name,
            "kind": KIND_LABELS.get(kind) or AlertKind(kind).label, "due_at": dossier.due_at},
            email=person.email, phone=None, object_ref=f"dossier:{dossier.pk}",
            event_key=f"dossier:{dossier.pk}:{kind}:{person.pk}",
            template=find_template("deadline_alert"))


def apology_check(*, now: dt.datetime | None = None) -> dict:
    """Dossiers that will not make it (running, due within PORTAL_NEAR_DUE_WORKING_DAYS, no
    apology yet): prepare the Mẫu 04 draft, with a suggested new appointment
    PORTAL_APOLOGY_SUGGESTED_WORKING_DAYS after the due time, for the leader to sign and send
    (processing.apologize); one draft per dossier however often this runs (a partial unique
    constraint), and the leaders are told of each new one."""
    from hoso.models import Apology

    now = now or timezone.now()
    soon = get_calendar().add(now, settings.PORTAL_NEAR_DUE_WORKING_DAYS,
                              TimeUnit.WORKING_DAYS)
    candidates = list(
        Dossier.objects.filter(status__in=RUNNING, due_at__gt=now, due_at__lte=soon,
                               apology_count=0)
        .exclude(apologies__status="draft")
        .select_related("deciding_agency").only("pk", "due_at", "deciding_agency"))
    drafts = [Apology(dossier_id=d.pk, status="draft", drafted_at=now,
                      new_due_at=get_calendar(d.deciding_agency).add(
                          d.due_at, settings.PORTAL_APOLOGY_SUGGESTED_WORKING_DAYS,
                          TimeUnit.WORKING_DAYS))
              for d in candidates]
    with transaction.atomic():
        Apology.objects.bulk_create(drafts, ignore_conflicts=True)
        new = Dossier.objects.filter(apologies__status="draft", apologies__drafted_at=now,
                                     pk__in=[d.pk for d in candidates]).select_related(
            "procedure", "handling_agency", "deciding_agency", "assignee")
        count, leaders = 0, {}
        for dossier in new:
            _tell_officers(dossier, "apology_draft", now, leaders)
            count += 1
    return {"drafts": count}
