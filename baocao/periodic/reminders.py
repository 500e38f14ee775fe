"""Reminders to agencies about their periodic reports (issue 10): before the deadline and
after it (the daily `periodic_remind` job, at most once per report, kind and local day), or
at one click by the provincial office. A reminder is a ReportReminder row per report and an
e-mail (template `periodic_report_reminder`) to each person who may submit or approve the
report on the agency itself, and to the agency's mailbox. Each verb is one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from baocao.models import AgencyReport, ReportingPeriod, ReportReminder
from baocao.periodic import deadlines, notices
from baocao.periodic.services import (
    APPROVE_PERM,
    FORBIDDEN_FOLLOW,
    SUBMIT_PERM,
    VIEW_PERM,
    require_perm,
)
from baocao.periodic.setup import MAX_WORKING_DAYS
from portal.calendar import TZ
from portal.errors import InvalidInput

REMINDER_CODE = "periodic_report_reminder"
OPEN_STATUSES = (AgencyReport.Status.NOT_STARTED, AgencyReport.Status.DRAFT,
                 AgencyReport.Status.SUBMITTED, AgencyReport.Status.RETURNED)
BAD_KIND = "Loại nhắc không hợp lệ."

REMINDER_KINDS = {
    ReportReminder.Kind.BEFORE: "Nhắc gửi báo cáo sắp đến hạn",
    ReportReminder.Kind.AFTER: "Báo cáo đã quá hạn gửi",
    ReportReminder.Kind.MANUAL: "Nhắc gửi báo cáo",
}
# The built-in text of the reminder, exactly as portal/migrations/0014 installed it (a test
# keeps the two equal): used only when the row is missing, so a reminder never fails for want
# of a text. Administrators edit the row.
REMINDER_TEMPLATE = {
    "name": "Nhắc gửi báo cáo định kỳ",
    "email_subject": "[{{ site_name }}] {{ kind }}: báo cáo {{ form_code }} {{ period_name }}",
    "email_body": """Kính gửi: {{ recipient_name }}

{{ kind }}: báo cáo {{ form_code }} “{{ form_title }}”, {{ period_label }}, của {{ agency_name }}.
Hạn gửi: {{ deadline|date:"H:i d/m/Y" }}{% if overdue %} (đã quá hạn){% endif %}. Đơn vị nhận báo cáo: {{ receiving_agency }}.
Tình trạng hiện nay: {{ status }}.

Đề nghị Ông/Bà lập báo cáo, trình lãnh đạo duyệt và gửi trên hệ thống tại: {{ report_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
    "sms_body": ("{{ kind }}: báo cáo {{ form_code }} {{ period_name }}, hạn "
                 "{{ deadline|date:\"H:i d/m/Y\" }}. {{ report_url }}"),
}


_REMINDER_TABLE = ReportReminder._meta.db_table
_REMINDER_SQL = (f"INSERT INTO {_REMINDER_TABLE} (report_id, kind, day, sent_at, sent_by_id, "  # noqa: S608 — table name from the model
                 "recipients) SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::date[], "
                 "%s::timestamptz[], %s::bigint[], %s::jsonb[]) "
                 "ON CONFLICT DO NOTHING RETURNING id, report_id")


def _record(found: list[AgencyReport], kind: str, day: dt.date, now: dt.datetime, by,
            people: dict) -> dict[int, int]:
    """Insert one ReportReminder per report, skipping those already sent today for a
    scheduled kind; {report id: reminder id} of the rows inserted. One statement on
    PostgreSQL; on the SQLite demo of `make run` a portable insert and a read back."""
    sent_by = by.pk if by is not None else None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_REMINDER_SQL, [
                [r.pk for r in found], [kind] * len(found), [day] * len(found),
                [now] * len(found), [sent_by] * len(found),
                [json.dumps([p[2] for p in people[r.agency_id]]) for r in found]])
            return {report_id: pk for pk, report_id in cursor.fetchall()}
    before = set(ReportReminder.objects.filter(report__in=found, kind=kind, day=day)
                 .values_list("pk", flat=True))
    ReportReminder.objects.bulk_create(
        [ReportReminder(report=r, kind=kind, day=day, sent_at=now, sent_by_id=sent_by,
                        recipients=[p[2] for p in people[r.agency_id]]) for r in found],
        ignore_conflicts=True)
    return dict(ReportReminder.objects.filter(report__in=found, kind=kind, day=day)
                .exclude(pk__in=before).values_list("report_id", "pk"))


@transaction.atomic
def remind(*, reports: Iterable[AgencyReport], by=None, kind: str = "manual",
           now: dt.datetime | None = None) -> int:
    """Remind the agencies of these reports (the not yet sent ones) by e-mail: a
    ReportReminder row per report and a message per person who may submit or approve it.
    A scheduled kind ("before", "after") is sent at most once per report and local day;
    a manual reminder needs `view_reports` on the agency. The number of reports reminded."""
    from portal.models import MessageTemplate
    from portal.notifications import find_template, notify

    if kind not in ReportReminder.Kind.values:
        raise InvalidInput("bad_reminder_kind", BAD_KIND)
    now = now or timezone.now()
    ids = sorted({r.pk if isinstance(r, AgencyReport) else int(r) for r in reports})
    found = list(AgencyReport.objects.filter(pk__in=ids).exclude(
        status=AgencyReport.Status.APPROVED).select_related(
            "agency", "period__assignment__form", "period__assignment__receiving_agency"))
    if kind == ReportReminder.Kind.MANUAL:
        for report in found:
            require_perm(by, VIEW_PERM, report.agency, FORBIDDEN_FOLLOW)
    if not found:
        return 0
    # the agency's own reporters and leaders (granted on the agency itself) and its mailbox
    people = notices.recipients({r.agency for r in found}, (SUBMIT_PERM, APPROVE_PERM),
                                mailbox=True)
    day = now.astimezone(TZ).date()
    created = _record(found, kind, day, now, by, people)
    template = find_template(REMINDER_CODE) or MessageTemplate(code=REMINDER_CODE,
                                                                **REMINDER_TEMPLATE)
    for report in found:
        if report.pk not in created:
            continue
        context = {**notices.report_context(report, now), "kind": REMINDER_KINDS[kind],
                   "status": report.get_status_display()}
        for key, name, email in people[report.agency_id]:
            notify(code=REMINDER_CODE, template=template, email=email, phone=None,
                   object_ref=f"agency_report:{report.pk}",
                   event_key=f"agency_report:{report.pk}:reminder:{created[report.pk]}:{key}",
                   context={**context, "recipient_name": name})
    AgencyReport.objects.filter(pk__in=list(created)).update(last_reminded_at=now)
    return len(created)


def send_due_reminders(*, now: dt.datetime | None = None) -> dict:
    """The daily job: for each open period whose deadline is near or passed, remind the
    agencies that have not sent their report — "before" / "after" per
    deadlines.reminder_kind on the receiving agency's calendar, at most once per report, kind
    and day. {"before": n, "after": m} reports reminded."""
    now = now or timezone.now()
    window = dt.timedelta(days=2 * MAX_WORKING_DAYS)
    by_kind: dict[str, list[int]] = {ReportReminder.Kind.BEFORE: [],
                                     ReportReminder.Kind.AFTER: []}
    for period in (ReportingPeriod.objects
                   .filter(assignment__is_active=True, deadline_at__gte=now - window,
                           deadline_at__lte=now + window)
                   .select_related("assignment__receiving_agency").order_by("pk")):
        assignment = period.assignment
        kind = deadlines.reminder_kind(
            deadline=period.deadline_at, now=now, before_days=assignment.remind_before_days,
            after_every=assignment.remind_after_days, agency=assignment.receiving_agency)
        if kind:
            by_kind[kind].append(period.pk)
    counts = {}
    for kind, period_ids in by_kind.items():
        pending = AgencyReport.objects.filter(period_id__in=period_ids,
                                              status__in=OPEN_STATUSES).values_list("pk",
                                                                                    flat=True)
        counts[kind] = remind(reports=list(pending), kind=kind, now=now) if period_ids else 0
    return counts
