"""What periodic reporting tells people by e-mail about a report (issue 10), through
portal.notifications.notify (idempotent per event key, sent after commit):

- submitted: the agency's leaders who may approve get "Báo cáo … chờ duyệt"
  (template `periodic_report_submitted`);
- returned: the reporter who submitted gets "Báo cáo … bị trả lại: <lý do>"
  (template `periodic_report_returned`);
- the reminders (reminders.py) use `recipients` and `report_url` too.

Called by the verbs inside their transactions (services.submit_report, return_report), so a
rolled-back verb sends nothing. Contexts hold plain values only (portal.notifications).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings

from baocao.models import AgencyReport, ReportVersion
from portal.models import Agency, AgencyGroupObjectPermission, AgencyUserObjectPermission

SUBMITTED_CODE = "periodic_report_submitted"
RETURNED_CODE = "periodic_report_returned"

# The built-in texts, exactly as portal/migrations/0016 installed them (a test keeps them
# equal): used only when the row is missing, so a submission never fails for want of a text.
# Administrators edit the rows.
SUBMITTED_TEMPLATE = {
    "name": "Báo cáo định kỳ chờ duyệt",
    "email_subject": ("[{{ site_name }}] Báo cáo {{ form_code }} {{ period_name }} của "
                      "{{ agency_name }} chờ duyệt"),
    "email_body": """Kính gửi: {{ recipient_name }}

{{ submitted_by }} đã trình báo cáo {{ form_code }} “{{ form_title }}”, {{ period_label }}, của {{ agency_name }} lúc {{ submitted_at|date:"H:i d/m/Y" }} (phiên bản {{ version_number }}).
{% if replacement %}Đây là phiên bản thay thế báo cáo đã gửi. Lý do thay thế: {{ reason }}
{% endif %}Hạn gửi: {{ deadline|date:"H:i d/m/Y" }}{% if overdue %} (đã quá hạn){% endif %}. Đơn vị nhận báo cáo: {{ receiving_agency }}.

Đề nghị Ông/Bà xem và duyệt để gửi báo cáo, hoặc trả lại kèm lý do, tại: {{ report_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
    "sms_body": ("Báo cáo {{ form_code }} {{ period_name }} của {{ agency_name }} chờ duyệt. "
                 "{{ report_url }}"),
}
RETURNED_TEMPLATE = {
    "name": "Báo cáo định kỳ bị trả lại",
    "email_subject": ("[{{ site_name }}] Báo cáo {{ form_code }} {{ period_name }} bị trả lại: "
                      "{{ reason|truncatechars:120 }}"),
    "email_body": """Kính gửi: {{ recipient_name }}

{{ returned_by }} đã trả lại báo cáo {{ form_code }} “{{ form_title }}”, {{ period_label }}, của {{ agency_name }} (phiên bản {{ version_number }}) lúc {{ returned_at|date:"H:i d/m/Y" }}.
Lý do: {{ reason }}

Hạn gửi: {{ deadline|date:"H:i d/m/Y" }}{% if overdue %} (đã quá hạn){% endif %}. Đề nghị Ông/Bà lập lại báo cáo theo ý kiến trên và trình lãnh đạo duyệt tại: {{ report_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
    "sms_body": ("Báo cáo {{ form_code }} {{ period_name }} bị trả lại: "
                 "{{ reason|truncatechars:80 }}. {{ report_url }}"),
}

Recipient = tuple[str, str, str]  # (key for the event, name, e-mail)


def recipients(agencies: Iterable[Agency], codenames: Iterable[str], *,
               mailbox: bool = False) -> dict[int, list[Recipient]]:
    """{agency id: [(key, name, e-mail)]}: the active users with an e-mail who hold one of
    the `codenames` on the agency itself — directly or through a group (a leader of the
    province may approve below, but is not told of every commune's report) — ordered by
    id, then the agency's own mailbox when `mailbox`. Three queries for any number of
    agencies."""
    from portal.models import User

    agencies = list(agencies)
    where = {"permission__codename__in": tuple(codenames),
             "permission__content_type__app_label": "portal",
             "content_object__path__in": sorted({a.path for a in agencies})}
    grants = list(AgencyUserObjectPermission.objects.filter(**where)
                  .values_list("content_object__path", "user_id"))
    grants += [(path, user) for path, user in AgencyGroupObjectPermission.objects.filter(
        **where).values_list("content_object__path", "group__user") if user is not None]
    users = {u.pk: u for u in User.objects.filter(pk__in={u for _p, u in grants},
                                                  is_active=True)}
    out: dict[int, list[Recipient]] = {}
    for agency in agencies:
        found = {}
        for path, user_id in grants:
            user = users.get(user_id)
            if user is not None and path == agency.path and user.email:
                found[user.pk] = person(user)
        people = [found[k] for k in sorted(found)]
        if mailbox and agency.email:
            people.append((f"agency:{agency.pk}", agency.name, agency.email))
        out[agency.pk] = people
    return out


def person(user) -> Recipient:
    return f"user:{user.pk}", user.get_full_name() or user.username, user.email


def report_url(report: AgencyReport) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/bao-cao-dinh-ky/{report.pk}/"


def report_context(report: AgencyReport, now) -> dict:
    """What every message about a report says: the form, the period, the agency, the
    deadline, the link."""
    period, assignment = report.period, report.period.assignment
    return {"form_code": assignment.form.code, "form_title": assignment.form.title,
            "period_label": period.label, "period_name": period.label.split(" (")[0],
            "agency_name": report.agency.name,
            "receiving_agency": assignment.receiving_agency.name,
            "deadline": period.deadline_at, "overdue": now > period.deadline_at,
            "report_url": report_url(report)}


def _send(code: str, fallback: Mapping[str, str], version: ReportVersion, event: str,
          people: list[Recipient], context: dict) -> None:
    from portal.models import MessageTemplate
    from portal.notifications import find_template, notify

    if not people:
        return
    template = find_template(code) or MessageTemplate(code=code, **fallback)
    for key, name, email in people:
        notify(code=code, template=template, email=email, phone=None,
               object_ref=f"agency_report:{version.report_id}",
               event_key=f"report_version:{version.pk}:{event}:{key}",
               context={**context, "recipient_name": name})


def tell_submitted(report: AgencyReport, version: ReportVersion,
                   leaders: list[Recipient]) -> None:
    """Tell the agency's leaders (not the submitter) that `version` awaits their
    approval; once per version and leader. A replacement (the report was sent before) says
    so, with its reason."""
    by = version.submitted_by
    people = [p for p in leaders if by is None or p[0] != f"user:{by.pk}"]
    _send(SUBMITTED_CODE, SUBMITTED_TEMPLATE, version, "submitted", people, {
        **report_context(report, version.submitted_at),
        "version_number": version.number,
        "replacement": report.current_version_id is not None, "reason": version.reason,
        "submitted_at": version.submitted_at,
        "submitted_by": (by.get_full_name() or by.username) if by else ""})


def tell_returned(report: AgencyReport, version: ReportVersion) -> None:
    """Tell the reporter who submitted `version` that the leader returned it, with the
    reason; nobody when the leader returned their own submission."""
    reporter, leader = version.submitted_by, version.decided_by
    if reporter is None or not reporter.is_active or not reporter.email or reporter == leader:
        return
    _send(RETURNED_CODE, RETURNED_TEMPLATE, version, "returned", [person(reporter)], {
        **report_context(report, version.decided_at),
        "version_number": version.number, "reason": version.return_reason,
        "returned_at": version.decided_at,
        "returned_by": (leader.get_full_name() or leader.username) if leader else ""})
