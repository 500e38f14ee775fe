"""What the applicant is told, and when: the dossier side of portal.notifications."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse

from hoso.models import Dossier


def tracking_url(dossier: Dossier) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("hoso:track_code",
                                                          args=[dossier.code or ""])


def notify_applicant(dossier: Dossier, code: str, template=None) -> None:
    """E-mail and SMS the owner (and the submitter's phone if the owner has none) about an
    event; one message per dossier, event and channel however often this runs."""
    from portal.notifications import notify

    context = {
        "dossier_code": dossier.code or "",
        "procedure_name": dossier.procedure.name,
        "owner_name": dossier.owner_name,
        "receiving_agency": dossier.receiving_agency.name,
        "deciding_agency": dossier.deciding_agency.name,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "reason": dossier.refusal_reason or dossier.completion_request,
        "missing_items": dossier.completion_request,
        "tracking_url": tracking_url(dossier) if dossier.code else settings.PORTAL_BASE_URL,
    }
    notify(code=code, context=context, email=dossier.owner_email or None,
           phone=dossier.owner_phone or dossier.submitter_phone or None,
           object_ref=f"dossier:{dossier.pk}",
           event_key=f"dossier:{dossier.pk}:{code}:{_event_id(dossier)}", template=template)


def _event_id(dossier: Dossier) -> int:
    """The event this message is about: the transition just applied, else the latest."""
    event = getattr(dossier, "last_event", None)
    if event is not None:
        return event.pk
    return dossier.events.order_by("-pk").values_list("pk", flat=True).first() or 0


def notify_applicant_after_commit(dossier: Dossier, code: str, template=None) -> None:
    """notify_applicant once the transaction has committed: a receipt's message is written
    after the day's counter row is released. A message lost in between (the process died)
    is written by `notify_missed_receipts`, so none is lost."""
    from django.db import transaction

    transaction.on_commit(lambda: notify_applicant(dossier, code, template), robust=True)


MISSED_GRACE = dt.timedelta(minutes=1)  # a commit hook still running is not "missed"
MISSED_WINDOW = dt.timedelta(hours=6)
MISSED_BATCH = 500


def notify_missed_receipts(*, now: dt.datetime | None = None) -> int:
    """Write the receipt message of every dossier received in the last MISSED_WINDOW (and
    more than MISSED_GRACE ago) that has none: one set-based query, then notify_applicant,
    idempotent per event. Run by beat; the number of dossiers notified."""
    from django.db.models import CharField, Exists, OuterRef, Value
    from django.db.models.functions import Cast, Concat
    from django.utils import timezone

    from hoso.choices import Action
    from hoso.models import DossierEvent
    from portal.models import Notification

    now = now or timezone.now()
    written = Notification.objects.filter(
        template_code="dossier_received",
        object_ref=Concat(Value("dossier:"), Cast(OuterRef("dossier_id"), CharField())))
    events = (DossierEvent.objects.filter(action=Action.RECEIVE, at__gte=now - MISSED_WINDOW,
                                          at__lt=now - MISSED_GRACE)
              .exclude(dossier__owner_email="", dossier__owner_phone="",
                       dossier__submitter_phone="")
              .filter(~Exists(written)).select_related(
                  "dossier__procedure", "dossier__receiving_agency",
                  "dossier__deciding_agency").order_by("at")[:MISSED_BATCH])
    count = 0
    for event in events:
        dossier = event.dossier
        dossier.last_event = event
        notify_applicant(dossier, "dossier_received")
        count += 1
    return count
