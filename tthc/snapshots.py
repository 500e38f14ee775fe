"""The terms a dossier is received under: a JSON copy of the procedure that later amendments
never touch (DESIGN.md §3: "a dossier keeps a snapshot of the terms it was received under")."""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict

from django.utils import timezone

SNAPSHOT_FORMAT = 1

# Built terms per (procedure, version, last change), as JSON text, so that a busy desk does
# not rebuild them from seven tables on every receipt. Any amendment bumps `version` (and
# `updated_at`), so a stale entry is never hit; each caller gets its own fresh copy.
_CACHE_SIZE = 512
_cache: OrderedDict[tuple, str] = OrderedDict()
_cache_lock = threading.Lock()


def procedure_terms(procedure) -> dict:
    """Everything a dossier's deadlines, fees, checks and receipt depend on, as plain JSON."""
    key = (procedure.pk, procedure.version, procedure.updated_at)
    with _cache_lock:
        text = _cache.get(key)
        if text is not None:
            _cache.move_to_end(key)
    if text is None or procedure.pk is None:
        text = json.dumps(_build_terms(procedure))
        if procedure.pk is not None:
            with _cache_lock:
                _cache[key] = text
                while len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
    return {**json.loads(text), "taken_at": timezone.now().isoformat()}


def clear_terms_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _build_terms(procedure) -> dict:
    return {
        "format": SNAPSHOT_FORMAT,
        "procedure": {
            "national_code": procedure.national_code,
            "name": procedure.name,
            "version": procedure.version,
            "field": procedure.field.name,
            "processing_time": str(procedure.processing_time),
            "time_unit": procedure.time_unit,
            "same_day_cutoff": procedure.same_day_cutoff,
            "supplement_clock": procedure.supplement_clock,
            "fee_timing": procedure.fee_timing,
            "service_mode": procedure.service_mode,
            "channels": procedure.channels,
            "online_only": procedure.online_only,
            "result_name": procedure.result_name,
            "legal_basis": procedure.legal_basis,
        },
        "documents": [
            {"position": d.position, "name": d.name, "doc_type_code": d.doc_type_code,
             "originals": d.originals,
             "copies": d.copies, "required": d.required}
            for d in procedure.documents.all()
        ],
        "fees": [
            {"kind": f.kind, "name": f.name, "amount": f.amount, "unit": f.unit,
             "per_unit": f.per_unit, "amount_online": f.amount_online,
             "online_discount_percent": str(f.online_discount_percent),
             "online_amount": f.online_amount(), "discount_basis": f.discount_basis,
             "effective_from": f.effective_from.isoformat() if f.effective_from else None,
             "effective_to": f.effective_to.isoformat() if f.effective_to else None,
             "legal_basis": f.legal_basis,
             "exemptions": [{"group": e.group, "proof": e.proof} for e in f.exemptions.all()]}
            for f in procedure.fees.all()
        ],
        "workflows": {
            w.level: [{"position": s.position, "name": s.name, "role": s.role,
                       "agency": s.agency, "share": str(s.share),
                       "may_send_back": s.may_send_back} for s in w.steps.all()]
            for w in procedure.workflows.all()
        },
        "eform_schema": copy.deepcopy(procedure.eform_schema),
    }
