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


def receipt_messages_after_commit() -> None:
    """After a receipt commits, have its message written by a worker: the receipt event is
    the outbox. A burst of receipts shares one task (a cache flag set only when absent), so
    a busy desk pays one cache round trip per receipt; a lost kick is caught by the sweep
    that beat runs every minute."""
    from django.db import transaction

    transaction.on_commit(kick_receipt_messages, robust=True)


def kick_receipt_messages() -> None:
    from hoso.tasks import write_receipt_messages_task
    from portal.cache import kick_once

    kick_once("receipt-messages", write_receipt_messages_task)


RECEIPT_WINDOW = dt.timedelta(hours=6)
RECEIPT_BATCH = 500


def write_receipt_messages(*, now: dt.datetime | None = None) -> int:
    """Write the receipt message of every dossier received in the last RECEIPT_WINDOW that
    has none yet (one set-based query, then notify_applicant, idempotent per event); the
    number of dossiers notified. The kick flag is dropped first, so a receipt committed
    after the query kicks a new run."""
    from django.db.models import CharField, Exists, OuterRef, Value
    from django.db.models.functions import Cast, Concat
    from django.utils import timezone

    from hoso.choices import Action
    from hoso.models import DossierEvent
    from portal.cache import kicked
    from portal.models import Notification
    from portal.notifications import find_template

    kicked("receipt-messages")
    now = now or timezone.now()
    template = find_template("dossier_received")
    if template is not None and not template.is_active:
        return 0  # the administrator turned the message off
    written = Notification.objects.filter(
        template_code="dossier_received",
        object_ref=Concat(Value("dossier:"), Cast(OuterRef("dossier_id"), CharField())))
    events = (DossierEvent.objects.filter(action=Action.RECEIVE, at__gte=now - RECEIPT_WINDOW)
              .filter(~Exists(written)))
    # dossiers nothing can be sent to would be read again on every run
    events = events.exclude(dossier__owner_email="", dossier__owner_phone="",
                            dossier__submitter_phone="")
    if template is not None and not template.sms_body.strip():
        events = events.exclude(dossier__owner_email="")
    batch = list(events.select_related("dossier__procedure", "dossier__receiving_agency",
                                       "dossier__deciding_agency").order_by("at")[
                                           :RECEIPT_BATCH])
    for event in batch:
        dossier = event.dossier
        dossier.last_event = event
        notify_applicant(dossier, "dossier_received", template)
    if len(batch) == RECEIPT_BATCH:
        kick_receipt_messages()  # more are waiting
    return len(batch)
