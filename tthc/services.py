"""The verbs of the catalogue: save a whole procedure from a record, retire it, validate its
workflows. The import command, the API, the seed and the admin all go through here.

A *record* is the JSON shape documented in README ("Importing procedures"): the procedure's
fields plus its field (lĩnh vực), levels, documents, fees, workflows and e-form. Saving a record
is all or nothing: one invalid part and nothing of the record is written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.choices import AgencyLevel, TimeUnit
from portal.errors import InvalidInput
from tthc.choices import Channel
from tthc.models import (
    FeeExemption,
    FeeItem,
    Field,
    Procedure,
    ProcedureLevel,
    RequiredDocument,
    Workflow,
    WorkflowStep,
)

PROCEDURE_KEYS = {
    "name", "processing_time", "time_unit", "same_day_cutoff", "service_mode", "online_only",
    "boundary_free", "boundary_free_scope", "boundary_free_decision", "boundary_free_from",
    "boundary_free_until", "result_name", "result_type", "result_electronic", "legal_basis",
    "interagency", "competent_authority", "announcing_decision", "source", "illustrative",
    "published_from", "retired_on", "notes", "featured", "supplement_clock", "fee_timing",
}
RECORD_KEYS = PROCEDURE_KEYS | {"national_code", "field", "levels", "channels", "documents",
                                "fees", "workflows", "eform"}
DATE_KEYS = {"boundary_free_from", "boundary_free_until", "published_from", "retired_on"}


class RecordInvalid(InvalidInput):
    """A record that cannot be saved; `reasons` lists every problem found, in Vietnamese."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("invalid_procedure", "; ".join(reasons))
        self.reasons = reasons


def _messages(exc: ValidationError, where: str) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{where}{name}: {m}" if name != "__all__" else f"{where}{m}"
                for name, errors in exc.error_dict.items()
                for m in ValidationError(errors).messages]
    return [f"{where}{m}" for m in exc.messages]


def _decimal(value: Any, where: str, reasons: list[str]) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        reasons.append(_("%(where)s: “%(value)s” không phải là số.")
                       % {"where": where, "value": value})
        return None
    if not number.is_finite():
        reasons.append(_("%(where)s: phải là số hữu hạn.") % {"where": where})
        return None
    return number


def _date(value: Any, where: str, reasons: list[str]) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        reasons.append(_("%(where)s: “%(value)s” không phải ngày dạng YYYY-MM-DD.")
                       % {"where": where, "value": value})
        return None


def _bool(value: Any, where: str, reasons: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "có", "co", "x", "yes"}:
        return True
    if text in {"0", "false", "không", "khong", "", "no"}:
        return False
    reasons.append(_("%(where)s: “%(value)s” không phải giá trị đúng/sai.")
                   % {"where": where, "value": value})
    return False


def _procedure_from(record: dict, field: Field | None, existing: Procedure | None,
                    reasons: list[str]) -> Procedure:
    procedure = existing or Procedure(national_code=str(record.get("national_code", "")).strip())
    procedure.field = field
    for key in PROCEDURE_KEYS & record.keys():
        value = record[key]
        if key in DATE_KEYS:
            value = _date(value, key, reasons)
        elif key == "processing_time":
            value = _decimal(value, key, reasons)
        elif key in {"same_day_cutoff", "online_only", "boundary_free", "result_electronic",
                     "interagency", "featured"}:
            value = _bool(value, key, reasons)
        elif value is None:
            value = ""
        setattr(procedure, key, value)
    if procedure.published_from is None:
        procedure.published_from = timezone.localdate()
    channels = record.get("channels", [Channel.DIRECT, Channel.POSTAL])
    unknown = set(channels) - set(Channel.values)
    if unknown:
        reasons.append(_("channels: kênh không hợp lệ %(v)s.") % {"v": ", ".join(sorted(unknown))})
    procedure.accepts_direct = Channel.DIRECT in channels
    procedure.accepts_postal = Channel.POSTAL in channels
    procedure.accepts_online = Channel.ONLINE in channels
    procedure.eform_schema = record.get("eform") or {}
    return procedure


def _field_from(record: dict, reasons: list[str]) -> Field | None:
    data = record.get("field")
    if not isinstance(data, dict) or not data.get("code") or not data.get("name"):
        reasons.append(_("field: cần mã và tên lĩnh vực."))
        return None
    field = Field.objects.filter(code=data["code"]).first() or Field(code=data["code"])
    field.name = data["name"]
    try:
        field.full_clean()
    except ValidationError as exc:
        reasons += _messages(exc, "field.")
        return None
    return field


def _levels_from(record: dict, reasons: list[str]) -> list[str]:
    levels = record.get("levels") or []
    if not levels:
        reasons.append(_("levels: thủ tục phải có ít nhất một cấp thực hiện."))
    bad = [lvl for lvl in levels if lvl not in AgencyLevel.values]
    if bad:
        reasons.append(_("levels: cấp không hợp lệ %(v)s.") % {"v": ", ".join(map(str, bad))})
    return [lvl for lvl in dict.fromkeys(levels) if lvl in AgencyLevel.values]


def _children_from(record: dict, reasons: list[str]) -> tuple[list, list, list]:
    documents = []
    for i, data in enumerate(record.get("documents") or [], 1):
        document = RequiredDocument(
            position=i, name=data.get("name", ""), doc_type_code=data.get("doc_type_code") or "",
            originals=data.get("originals", 1), copies=data.get("copies", 0),
            required=_bool(data.get("required", True), f"documents[{i}].required", reasons),
            note=data.get("note") or "")
        _check(document, f"documents[{i}].", reasons, exclude=["procedure"])
        documents.append(document)
    fees = []
    for i, data in enumerate(record.get("fees") or [], 1):
        fee = FeeItem(position=i, kind=data.get("kind", ""), name=data.get("name", ""),
                      amount=data.get("amount"), amount_online=data.get("amount_online"),
                      unit=data.get("unit") or "hồ sơ",
                      per_unit=_bool(data.get("per_unit", False), f"fees[{i}].per_unit", reasons),
                      online_discount_percent=_decimal(
                          data.get("online_discount_percent", 0), f"fees[{i}].online_discount",
                          reasons) or Decimal(0),
                      discount_basis=data.get("discount_basis") or "")
        _check(fee, f"fees[{i}].", reasons, exclude=["procedure"])
        exemptions = [FeeExemption(group=e.get("group", ""), proof=e.get("proof") or "")
                      for e in data.get("exemptions") or []]
        for exemption in exemptions:
            _check(exemption, f"fees[{i}].exemptions.", reasons, exclude=["fee"])
        fees.append((fee, exemptions))
    workflows = []
    for data in record.get("workflows") or []:
        steps = []
        for i, step in enumerate(data.get("steps") or [], 1):
            where = f"workflows[{data.get('level')}].steps[{i}]"
            share = _decimal(step.get("share"), f"{where}.share", reasons)
            candidate = WorkflowStep(
                position=i, name=step.get("name", ""), role=step.get("role", ""),
                agency=step.get("agency", "deciding"), share=share if share is not None else 0,
                may_send_back=_bool(step.get("may_send_back", False), where, reasons))
            _check(candidate, f"{where}.", reasons, exclude=["workflow"])
            steps.append(candidate)
        workflows.append((data.get("level"), steps))
    return documents, fees, workflows


def _check(instance, where: str, reasons: list[str], exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        reasons += _messages(exc, where)


def share_problems(processing_time: Decimal, time_unit: str, shares: list[Decimal]) -> list[str]:
    """A workflow's step shares must add up to the procedure's processing time."""
    if not shares:
        return [_("Quy trình phải có ít nhất một bước.")]
    total = sum(shares, Decimal(0))
    if total != processing_time:
        unit = TimeUnit(time_unit).label.lower()
        return [_("Tổng thời gian các bước (%(total)s %(unit)s) phải bằng thời hạn giải quyết "
                  "(%(time)s %(unit)s).")
                % {"total": _num(total), "time": _num(processing_time), "unit": unit}]
    return []


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def _workflow_problems(procedure: Procedure, levels: list[str], workflows: list) -> list[str]:
    reasons = []
    seen = [level for level, _steps in workflows]
    for level in seen:
        if level not in levels:
            reasons.append(_("workflows: cấp “%(level)s” không thuộc các cấp thực hiện.")
                           % {"level": level})
    for level in levels:
        if seen.count(level) != 1:
            reasons.append(_("workflows: cần đúng một quy trình cho cấp “%(level)s”.")
                           % {"level": AgencyLevel(level).label})
    if procedure.processing_time is not None:
        for level, steps in workflows:
            for problem in share_problems(procedure.processing_time, procedure.time_unit,
                                          [s.share for s in steps]):
                reasons.append(f"workflows[{level}]: {problem}")
    return reasons


@transaction.atomic
def save_procedure(record: dict) -> tuple[Procedure, bool]:
    """Create or replace a procedure from a record, matched by national code. Returns the
    procedure and whether it was created. Raises RecordInvalid (nothing written) on any error."""
    if not isinstance(record, dict):
        raise RecordInvalid([_("Mỗi thủ tục phải là một đối tượng JSON.")])
    reasons: list[str] = []
    unknown = sorted(set(record) - RECORD_KEYS)
    if unknown:
        reasons.append(_("Trường không được hỗ trợ: %(keys)s.") % {"keys": ", ".join(unknown)})
    code = str(record.get("national_code", "")).strip()
    existing = Procedure.objects.select_for_update().filter(national_code=code).first()
    field = _field_from(record, reasons)
    procedure = _procedure_from(record, field, existing, reasons)
    levels = _levels_from(record, reasons)
    documents, fees, workflows = _children_from(record, reasons)
    try:
        # The field may be new (unsaved) here; _field_from validated it.
        procedure.full_clean(exclude=["field"], validate_constraints=False)
    except ValidationError as exc:
        reasons += _messages(exc, "")
    reasons += _workflow_problems(procedure, levels, workflows)
    if reasons:
        raise RecordInvalid(reasons)

    field.save()
    procedure.field = field
    created = existing is None
    if not created:
        procedure.version += 1
        for related in (procedure.levels, procedure.documents, procedure.fees,
                        procedure.workflows):
            related.all().delete()
    procedure.save()
    ProcedureLevel.objects.bulk_create(
        ProcedureLevel(procedure=procedure, level=level) for level in levels)
    for document in documents:
        document.procedure = procedure
    RequiredDocument.objects.bulk_create(documents)
    for fee, exemptions in fees:
        fee.procedure = procedure
        fee.save()
        for exemption in exemptions:
            exemption.fee = fee
        FeeExemption.objects.bulk_create(exemptions)
    for level, steps in workflows:
        workflow = Workflow.objects.create(procedure=procedure, level=level)
        for step in steps:
            step.workflow = workflow
        WorkflowStep.objects.bulk_create(steps)
    return procedure, created


@transaction.atomic
def retire_procedure(*, procedure: Procedure, on: dt.date | None = None) -> Procedure:
    """Take a procedure out of the catalogue from a date (today by default); dossiers already
    received keep their snapshot."""
    on = on or timezone.localdate()
    if on <= procedure.published_from:
        raise InvalidInput("retire_before_publish",
                           _("Ngày hết hiệu lực phải sau ngày công bố."))
    procedure.retired_on = on
    procedure.version += 1
    procedure.save(update_fields=["retired_on", "version", "updated_at"])
    return procedure


def validate_workflow(workflow: Workflow) -> None:
    """Raise a Vietnamese ValidationError when the step shares do not add up (admin use)."""
    problems = share_problems(workflow.procedure.processing_time, workflow.procedure.time_unit,
                              [s.share for s in workflow.steps.all()])
    if problems:
        raise ValidationError(problems)
