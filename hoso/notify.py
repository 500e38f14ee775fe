"""What the applicant is told, and when: the dossier side of portal.notifications."""

from __future__ import annotations

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
