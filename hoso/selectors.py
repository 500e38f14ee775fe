"""Named reads of dossiers: access checks, the officer inbox, tracking, "my dossiers"."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from hoso.choices import DossierStatus
from hoso.models import Dossier, DossierEvent
from portal.calendar import WorkCalendar, get_calendar
from portal.choices import TimeUnit
from portal.permissions import agency_ids_with_perm

PAGE_SIZE = 50
COUNT_CAP = 1000  # navigation counts stop here ("1000+"): no full-table COUNT per page
NOT_FOUND = "Không tìm thấy hồ sơ."


def _with_related(qs: QuerySet[Dossier]) -> QuerySet[Dossier]:
    return qs.select_related("procedure", "receiving_agency", "deciding_agency")


def get_dossier_for_officer(user, dossier_id: int, perm: str = "portal.view_dossier") -> Dossier:
    """One 404 for both "missing" and "not yours" (STYLE.md §4.4)."""
    dossier = _with_related(Dossier.objects.visible_to(user, perm)).filter(pk=dossier_id).first()
    if dossier is None:
        raise Http404(_(NOT_FOUND))
    return dossier


def get_dossier_for_citizen(user, dossier_id: int) -> Dossier:
    dossier = _with_related(Dossier.objects.of_account(user)).filter(pk=dossier_id).first()
    if dossier is None:
        raise Http404(_(NOT_FOUND))
    return dossier


def can_view(user, dossier: Dossier) -> bool:
    if not user.is_authenticated:
        return False
    if dossier.account_id == user.pk:
        return True
    return Dossier.objects.visible_to(user).filter(pk=dossier.pk).exists()


def dossiers_of_citizen(user) -> QuerySet[Dossier]:
    return _with_related(Dossier.objects.of_account(user)).order_by("-created_at", "-id")


# --- tracking ------------------------------------------------------------------------------------

def _digits(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def track(code: str, last4: str) -> Dossier | None:
    """The dossier with this code, if `last4` are the last 4 digits of the applicant's phone or
    ID number; otherwise nothing (the same answer for a wrong code and wrong digits)."""
    last4 = _digits(last4)
    dossier = (_with_related(Dossier.objects.filter(code=(code or "").strip().upper()))
               .prefetch_related("events").first())
    if dossier is None or len(last4) != 4:
        return None
    candidates = [_digits(dossier.owner_phone), _digits(dossier.owner_id_number),
                  _digits(dossier.submitter_phone)]
    ok = any(len(c) >= 4 and hmac.compare_digest(c[-4:], last4) for c in candidates)
    return dossier if ok else None


def mask(text: str, keep: int = 1) -> str:
    """Hide personal data on public pages: "Nguyễn Văn An" → "N***** V** A*"."""
    return " ".join(word[:keep] + "*" * max(len(word) - keep, 0) if len(word) > 1 else word
                    for word in (text or "").split())


# --- the officer inbox ---------------------------------------------------------------------------

QUEUES = {
    "cho-kiem-tra": _("Chờ kiểm tra (nộp trực tuyến)"),
    "da-tiep-nhan": _("Đã tiếp nhận tại đơn vị"),
    "cua-toi": _("Hồ sơ tôi đã xử lý"),
    "sap-den-han": _("Sắp đến hạn (trong 1 ngày làm việc)"),
    "qua-han": _("Quá hạn"),
}


@dataclass(frozen=True)
class InboxFilter:
    procedure: str = ""  # national code
    channel: str = ""


def queue_queryset(user, queue: str, flt: InboxFilter | None = None,
                   now: dt.datetime | None = None) -> tuple[QuerySet[Dossier], str]:
    """The dossiers of one queue and the column it is ordered by (keyset: column, id)."""
    now = now or timezone.now()
    flt = flt or InboxFilter()
    open_states = DossierStatus.open_states()
    if queue == "cho-kiem-tra":
        qs = Dossier.objects.filter(
            status=DossierStatus.SUBMITTED,
            receiving_agency__in=sorted(agency_ids_with_perm(user, "portal.receive_dossier")))
        order = "intake_due_at"
    else:
        qs = Dossier.objects.visible_to(user).filter(status__in=open_states)
        order = "due_at"
        if queue == "cua-toi":
            qs = qs.filter(Q(assignee=user) | Exists(DossierEvent.objects.filter(
                dossier=OuterRef("pk"), actor=user)))
        elif queue == "sap-den-han":
            soon = get_calendar().add(now, 1, TimeUnit.WORKING_DAYS)
            qs = qs.filter(due_at__gte=now, due_at__lte=soon)
        elif queue == "qua-han":
            qs = qs.filter(due_at__lt=now)
        elif queue != "da-tiep-nhan":
            raise Http404(_("Không có hàng đợi này."))
    if flt.procedure:
        qs = qs.filter(procedure__national_code=flt.procedure)
    if flt.channel:
        qs = qs.filter(channel=flt.channel)
    return qs, order


@dataclass
class InboxPage:
    rows: list[Dossier]
    next_cursor: str | None


def inbox_page(user, queue: str, flt: InboxFilter | None = None, cursor: str = "",
               size: int = PAGE_SIZE, now: dt.datetime | None = None) -> InboxPage:
    """One page of a queue, oldest deadline first, by keyset (no OFFSET, no COUNT)."""
    qs, order = queue_queryset(user, queue, flt, now)
    if cursor:
        moment_text, _sep, last_id = cursor.partition("|")
        try:
            moment, last_id_int = dt.datetime.fromisoformat(moment_text), int(last_id)
        except ValueError as exc:
            raise Http404(_("Trang không hợp lệ.")) from exc
        qs = qs.filter(Q(**{f"{order}__gt": moment})
                       | Q(**{order: moment, "id__gt": last_id_int}))
    rows = list(_with_related(qs).order_by(order, "id")[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = f"{getattr(last, order).isoformat()}|{last.pk}"
    return InboxPage(rows=rows, next_cursor=next_cursor)


def queue_counts(user, now: dt.datetime | None = None) -> dict[str, str]:
    """Counts for the navigation, capped at COUNT_CAP ("1000+")."""
    counts = {}
    for queue in QUEUES:
        qs, order = queue_queryset(user, queue, now=now)
        # Counted in queue order: PostgreSQL then walks the queue's partial index (open or
        # submitted dossiers by due time) and stops at the cap or at the end of the range,
        # where an unordered count would guess a scan of the whole table is cheaper.
        n = qs.order_by(order, "id")[: COUNT_CAP + 1].count()
        counts[queue] = f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)
    return counts


@dataclass(frozen=True)
class TimeLeft:
    text: str
    colour: str  # "green" | "amber" | "red"


def time_left(dossier: Dossier, now: dt.datetime | None = None,
              calendar: WorkCalendar | None = None) -> TimeLeft | None:
    """Working time left before the due time, as officers read it (green > 1 working day,
    amber ≤ 1 working day, red overdue)."""
    deadline = dossier.intake_due_at if dossier.status == DossierStatus.SUBMITTED else (
        dossier.due_at)
    if deadline is None:
        return None
    now = now or timezone.now()
    calendar = calendar or get_calendar()
    left = calendar.between(now, deadline)
    day = calendar.day_length
    if left <= dt.timedelta():
        late = -left
        return TimeLeft(_("Quá hạn %(t)s") % {"t": _duration(late, day)}, "red")
    colour = "amber" if left <= day else "green"
    return TimeLeft(_("Còn %(t)s") % {"t": _duration(left, day)}, colour)


def _duration(delta: dt.timedelta, day: dt.timedelta) -> str:
    days, rest = divmod(delta, day)
    hours = int(rest.total_seconds() // 3600)
    minutes = int(rest.total_seconds() % 3600 // 60)
    if days:
        return _("%(d)s ngày %(h)s giờ làm việc") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s giờ %(m)s phút làm việc") % {"h": hours, "m": minutes}
    return _("%(m)s phút làm việc") % {"m": minutes}
