"""A dossier's workflow steps: which steps (from its terms), at which agency, due when.

Each step's due time is its share of the processing time, counted on the deciding agency's
working-day calendar from the clock start, and moved by the working time the clock was paused
(supplement under the "pause" rule, financial obligation).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hoso.choices import StepOutcome
from hoso.models import Dossier, DossierStep
from portal.calendar import get_calendar
from portal.choices import TimeUnit
from portal.models import Agency, User
from tthc.choices import StepAgency

DESK_ROLE = "desk_officer"


def workflow_of(dossier: Dossier) -> list[dict]:
    """The steps of the workflow the dossier was received under, for the deciding agency's
    level (DESIGN.md §3: one workflow per procedure and level); a single processing step
    when the procedure has none."""
    terms = dossier.terms or {}
    workflows = terms.get("workflows") or {}
    steps = workflows.get(dossier.deciding_agency.level) or next(iter(workflows.values()), None)
    if steps:
        return sorted(steps, key=lambda s: s["position"])
    procedure = terms.get("procedure", {})
    return [{"position": 1, "name": "Giải quyết hồ sơ", "role": "processing_officer",
             "agency": StepAgency.DECIDING, "share": procedure.get("processing_time", "1"),
             "may_send_back": False}]


def spec_of(dossier: Dossier, position: int) -> dict:
    return next(s for s in workflow_of(dossier) if s["position"] == position)


def agency_for(dossier: Dossier, spec: dict) -> Agency:
    where = spec.get("agency") or StepAgency.DECIDING
    if where == StepAgency.RECEIVING:
        return dossier.receiving_agency
    if where == StepAgency.PARENT_OF_DECIDING:
        return Agency.objects.get_parent(dossier.deciding_agency) or dossier.deciding_agency
    return dossier.deciding_agency


def step_due(dossier: Dossier, position: int) -> dt.datetime | None:
    """Clock start + the shares of the steps up to `position`, + the paused working time."""
    if dossier.clock_start_at is None:
        return None
    unit = (dossier.terms or {}).get("procedure", {}).get("time_unit",
                                                            TimeUnit.WORKING_DAYS)
    share = sum((Decimal(str(s["share"])) for s in workflow_of(dossier)
                 if s["position"] <= position), Decimal(0))
    calendar = get_calendar(dossier.deciding_agency)
    due = calendar.add(dossier.clock_start_at, share, unit)
    return shift(dossier, due, dossier.paused_seconds)


def shift(dossier: Dossier, moment: dt.datetime | None, seconds: int) -> dt.datetime | None:
    """`moment` moved later by `seconds` of working time (nothing to move: unchanged)."""
    if moment is None or seconds <= 0:
        return moment
    calendar = get_calendar(dossier.deciding_agency)
    return calendar.add(moment, Decimal(seconds) / 3600, TimeUnit.WORKING_HOURS)


def finish(step: DossierStep | None, outcome: str, at: dt.datetime, note: str = "") -> None:
    """Close a step: when, how, and whether on time (finished by its due time)."""
    if step is None or step.outcome != StepOutcome.OPEN:
        return
    step.finished_at = at
    step.outcome = outcome
    step.on_time = step.due_at is None or at <= step.due_at
    if note:
        step.note = note
    step.save(update_fields=["finished_at", "outcome", "on_time", "note"])


def enter(dossier: Dossier, position: int, *, at: dt.datetime, assignee: User | None = None,
          agency: Agency | None = None, transfer_from: Agency | None = None,
          due_at: dt.datetime | None = None, name: str = "", note: str = "") -> DossierStep:
    """Open a step (a new row each time, so every handover is kept)."""
    spec = spec_of(dossier, position)
    return DossierStep.objects.create(
        dossier=dossier, position=position, name=name or spec["name"],
        role=spec.get("role", ""), agency=agency or agency_for(dossier, spec),
        assignee=assignee, transfer_from=transfer_from, started_at=at,
        due_at=due_at or step_due(dossier, position), note=note)
