"""What a confirmed payment does to a dossier (called by thanhtoan.services in the payment's
transaction): the fee is recorded as paid, and for a procedure that collects before
processing (tthc FeeTiming.BEFORE_PROCESSING) the processing clock starts at the payment,
not at the receipt (DOMAIN.md §7: "reset the submission time for thu trước")."""

from __future__ import annotations

import datetime as dt

from hoso.choices import Action, DossierStatus
from hoso.models import Dossier, DossierEvent
from hoso.services.intake import due_time
from portal.calendar import get_calendar


def record_fee_paid(*, dossier_id: int, paid_at: dt.datetime, amount: int,
                    reference: str) -> Dossier:
    """Mark the dossier's fee paid (once) and restart the clock where the procedure says so;
    the caller holds the transaction."""
    dossier = (Dossier.objects.select_for_update().select_related("procedure",
                                                                  "deciding_agency")
               .get(pk=dossier_id))
    if dossier.fee_paid_at is not None:
        return dossier
    changes: dict = {"fee_paid_at": paid_at}
    timing = (dossier.terms or {}).get("procedure", {}).get("fee_timing")
    if timing == "before_processing" and dossier.status == DossierStatus.RECEIVED:
        start = get_calendar(dossier.deciding_agency).next_working_moment(paid_at)
        due = due_time(dossier.procedure, dossier.terms, paid_at, dossier.deciding_agency)
        changes.update(clock_start_at=start, due_at=due, kpi_due_at=due)
    for name, value in changes.items():
        setattr(dossier, name, value)
    dossier.save(update_fields=[*changes, "updated_at"])
    DossierEvent.objects.create(
        dossier=dossier, at=paid_at, agency=dossier.receiving_agency, action=Action.FEE_PAID,
        status_before=dossier.status, status_after=dossier.status,
        note=f"{amount:,} đ".replace(",", "."),
        data={"reference": reference, "amount": amount,
              **({"due_at": changes["due_at"].isoformat()} if "due_at" in changes else {})})
    return dossier
