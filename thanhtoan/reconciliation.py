"""Đối soát (PAYMENTS.md A2 "Reconciliation job"): import a provider's settlement file once
(its SHA-256), compare it with our attempts set-based (one query for the file's references,
one for our paid attempts of the file's days), and keep one ReconciliationItem per exception:

| case | action |
|---|---|
| matched (paid both sides, same amount) | attempt.settled_on |
| provider paid, ours unpaid (a lost IPN) | record_evidence(PAID, source="settlement"), auto-fixed |
| provider paid, reference unknown to us | missing_ours, open |
| ours paid, not in the file | missing_theirs, **critical** (a possible forged IPN) |
| different amount / status, duplicate lines | open item for an officer |
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections import Counter
from collections.abc import Iterable
from typing import IO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from portal.calendar import TZ
from portal.errors import InvalidInput, NotFoundError
from thanhtoan.choices import AttemptStatus, Outcome, Provider
from thanhtoan.models import PaymentAttempt, ReconciliationItem, ReconciliationRun
from thanhtoan.providers.base import Effect, ProviderResult, SettlementLine
from thanhtoan.settlement import EMPTY_FILE, parse_csv

logger = logging.getLogger(__name__)

MATCHED = "matched"
MISSING_OURS = "missing_ours"
MISSING_THEIRS = "missing_theirs"
AMOUNT_MISMATCH = "amount_mismatch"
STATUS_MISMATCH = "status_mismatch"
DUPLICATE = "duplicate"
UNPAID_BOTH = "unpaid_both"  # the gateway says not paid and so do we: nothing to do
AUTO_FIXED = "auto_fixed"

KIND_LABELS = {
    MATCHED: "Khớp",
    MISSING_OURS: "Cổng đã thu, hệ thống chưa ghi nhận",
    MISSING_THEIRS: "Hệ thống ghi nhận đã thu, cổng không có",
    AMOUNT_MISMATCH: "Lệch số tiền",
    STATUS_MISMATCH: "Lệch trạng thái",
    DUPLICATE: "Dòng trùng lặp",
    UNPAID_BOTH: "Chưa thanh toán ở cả hai bên",
    AUTO_FIXED: "Đã tự động ghi nhận thanh toán",
}
COUNT_KEYS = (MATCHED, MISSING_OURS, AUTO_FIXED, MISSING_THEIRS, AMOUNT_MISMATCH,
              STATUS_MISMATCH, DUPLICATE, UNPAID_BOTH)

UNKNOWN_PROVIDER = "Kênh thanh toán không hợp lệ."
DETAIL_AUTO_FIXED = "auto_fixed: đã tự động ghi nhận thanh toán theo tệp đối soát."
DETAIL_NOT_FIXED = "Không tự động ghi nhận được (%(effect)s); cần cán bộ xem xét."
DETAIL_UNKNOWN = "Cổng báo đã thu nhưng hệ thống không có giao dịch này."
DETAIL_THEIRS = ("NGHIÊM TRỌNG: hệ thống ghi nhận đã thanh toán nhưng tệp đối soát của cổng "
                 "không có giao dịch này (có thể là thông báo giả mạo); cần truy vấn lại cổng.")
DETAIL_AMOUNT = "Số tiền theo cổng %(theirs)s đ, theo hệ thống %(ours)s đ."
DETAIL_STATUS_PAID_OURS = "Hệ thống ghi nhận đã thanh toán, cổng báo trạng thái “%(status)s”."
DETAIL_STATUS_UNKNOWN = "Cổng báo trạng thái “%(status)s” cho giao dịch hệ thống không có."
DETAIL_DUPLICATE = "Mã tham chiếu xuất hiện nhiều lần trong tệp (lần thứ %(n)d)."


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _parse(provider: str, data: bytes) -> list[SettlementLine]:
    """The provider's own parser when it has one, else the documented CSV. A file the
    provider's parser refuses is read again by the shared parser for a Vietnamese message
    naming the bad line."""
    from thanhtoan.providers import get_provider

    try:
        parse = getattr(get_provider(provider), "parse_settlement", None)
    except (ImportError, NotFoundError):
        parse = None  # provider module not there (yet) or switched off: the shared format
    if parse is None:
        return parse_csv(io.BytesIO(data))
    try:
        lines = list(parse(io.BytesIO(data)))
    except NotImplementedError:
        return parse_csv(io.BytesIO(data))
    except ValueError as exc:
        parse_csv(io.BytesIO(data))  # raises the line's InvalidInput when it finds one
        raise InvalidInput("settlement_bad_file", str(exc)) from None
    if not lines:
        raise InvalidInput("settlement_empty", EMPTY_FILE)
    return lines


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment, TZ).date() if moment else None


def import_settlement(*, provider: str, fileobj: IO[bytes], file_name: str,
                      user=None) -> ReconciliationRun:
    """Import one settlement file and reconcile it; the same file again (same SHA-256) returns
    the run it made the first time and changes nothing. A malformed file raises InvalidInput
    and stores nothing."""
    if provider not in Provider.values:
        raise InvalidInput("settlement_provider", UNKNOWN_PROVIDER)
    data = fileobj.read()
    digest = file_sha256(data)
    existing = ReconciliationRun.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing
    lines = _parse(provider, data)
    days = sorted({d for d in (_local_day(line.paid_at) for line in lines) if d})
    try:
        with transaction.atomic():
            run = ReconciliationRun.objects.create(
                provider=provider, file_name=file_name[:255], sha256=digest,
                day=days[0] if len(days) == 1 else None, imported_by=user,
                imported_at=timezone.now())
            run.counts = _reconcile(run, lines, days)
            run.save(update_fields=["counts"])
    except IntegrityError:  # the same file imported at the same moment by someone else
        return ReconciliationRun.objects.get(sha256=digest)
    return run


def _reconcile(run: ReconciliationRun, lines: list[SettlementLine],
               days: list[dt.date]) -> dict:
    refs = {line.txn_ref for line in lines}
    ours = {a.txn_ref: a for a in PaymentAttempt.objects.filter(provider=run.provider,
                                                                 txn_ref__in=refs)}
    counts: Counter = Counter()
    items: list[ReconciliationItem] = []
    settled: dict[dt.date, list[int]] = {}
    seen: Counter = Counter()
    for line in lines:
        seen[line.txn_ref] += 1
        attempt = ours.get(line.txn_ref)
        if seen[line.txn_ref] > 1:
            counts[DUPLICATE] += 1
            items.append(_item(run, DUPLICATE, line, attempt,
                               DETAIL_DUPLICATE % {"n": seen[line.txn_ref]}))
            continue
        kind, detail = _classify(line, attempt)
        counts[kind] += 1
        if kind == MISSING_OURS and attempt is not None:
            detail = _auto_fix(line, attempt)
            if detail == DETAIL_AUTO_FIXED:
                counts[AUTO_FIXED] += 1
                settled.setdefault(_local_day(line.paid_at) or timezone.localdate(),
                                   []).append(attempt.pk)
        if kind == MATCHED:
            settled.setdefault(_local_day(line.paid_at) or _local_day(attempt.paid_at)
                               or timezone.localdate(), []).append(attempt.pk)
        elif kind != UNPAID_BOTH:
            items.append(_item(run, kind, line, attempt, detail))
    for theirs_missing in _paid_not_in_file(run.provider, refs, days):
        counts[MISSING_THEIRS] += 1
        logger.critical("settlement %s: paid attempt %s missing from the provider's file",
                        run.file_name, theirs_missing.txn_ref)
        items.append(ReconciliationItem(
            run=run, kind=MISSING_THEIRS, txn_ref=theirs_missing.txn_ref,
            attempt=theirs_missing, our_amount=theirs_missing.amount, detail=DETAIL_THEIRS))
    for day, ids in settled.items():
        PaymentAttempt.objects.filter(pk__in=ids).update(settled_on=day)
    ReconciliationItem.objects.bulk_create(items)
    result = {key: counts.get(key, 0) for key in COUNT_KEYS}
    result["lines"] = len(lines)
    result["amount"] = sum(line.amount for line in lines if line.status == "paid")
    result["fee"] = sum(line.fee for line in lines)
    return result


def _classify(line: SettlementLine, attempt: PaymentAttempt | None) -> tuple[str, str]:
    """The case of a first line for its reference and the item's detail."""
    paid_theirs = line.status == "paid"
    if attempt is None:
        if paid_theirs:
            return MISSING_OURS, DETAIL_UNKNOWN
        return STATUS_MISMATCH, DETAIL_STATUS_UNKNOWN % {"status": line.status}
    if paid_theirs and line.amount != attempt.amount:
        return AMOUNT_MISMATCH, DETAIL_AMOUNT % {"theirs": f"{line.amount:,}".replace(",", "."),
                                                 "ours": f"{attempt.amount:,}".replace(",", ".")}
    paid_ours = attempt.status == AttemptStatus.PAID
    if paid_theirs:
        return (MATCHED, "") if paid_ours else (MISSING_OURS, "")
    if paid_ours:
        return STATUS_MISMATCH, DETAIL_STATUS_PAID_OURS % {"status": line.status}
    return UNPAID_BOTH, ""


def _auto_fix(line: SettlementLine, attempt: PaymentAttempt) -> str:
    """A payment the gateway settled but we never heard of (a lost IPN): record it through
    the one state changer, as any other evidence."""
    from thanhtoan.services import record_evidence

    evidence = record_evidence(ProviderResult(
        txn_ref=attempt.txn_ref, outcome=Outcome.PAID, amount=line.amount,
        provider_txn_id=line.provider_txn_id, paid_at=line.paid_at,
        response_code="00", raw={"settlement": True}), source="settlement")
    if evidence.effect == Effect.OK:
        return DETAIL_AUTO_FIXED
    return DETAIL_NOT_FIXED % {"effect": evidence.effect}


def _paid_not_in_file(provider: str, refs: set[str],
                      days: list[dt.date]) -> Iterable[PaymentAttempt]:
    """Our paid attempts of the file's days (GMT+7 sessions) that the file does not list."""
    if not days:
        return []
    start = dt.datetime.combine(days[0], dt.time.min, tzinfo=TZ)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time.min, tzinfo=TZ)
    return (PaymentAttempt.objects.filter(provider=provider, status=AttemptStatus.PAID,
                                          paid_at__gte=start, paid_at__lt=end)
            .exclude(txn_ref__in=refs).order_by("paid_at", "pk"))


def _item(run: ReconciliationRun, kind: str, line: SettlementLine,
          attempt: PaymentAttempt | None, detail: str) -> ReconciliationItem:
    return ReconciliationItem(
        run=run, kind=kind, txn_ref=line.txn_ref, attempt=attempt,
        our_amount=attempt.amount if attempt else None, their_amount=line.amount,
        their_status=line.status[:20], detail=detail)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


# --- the workbook ------------------------------------------------------------------------

ITEM_COLUMNS: tuple[tuple[str, int], ...] = (
    ("STT", 6), ("Loại chênh lệch", 36), ("Mã tham chiếu giao dịch", 22),
    ("Số tiền theo hệ thống (đồng)", 18), ("Số tiền theo cổng (đồng)", 18),
    ("Trạng thái theo cổng", 16), ("Chi tiết", 70),
)


def excel_filename(run: ReconciliationRun) -> str:
    return f"doi-soat-{run.provider}-{run.pk}.xlsx"


def write_run_workbook(out: IO[bytes], run: ReconciliationRun) -> None:
    """The run as an XLSX workbook: the summary of counts, then one row per item."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Đối soát"))
    for index, (_header, width) in enumerate(ITEM_COLUMNS):
        ws.column_dimensions[chr(ord("A") + index)].width = width

    def cell(value, **style):
        c = WriteOnlyCell(ws, value=value)
        for name, item in style.items():
            setattr(c, name, item)
        return c

    bold = Font(bold=True)
    ws.append([cell(_("KẾT QUẢ ĐỐI SOÁT GIAO DỊCH THANH TOÁN"), font=Font(bold=True, size=14))])
    ws.append([_("Kênh thanh toán"), str(Provider(run.provider).label)])
    ws.append([_("Tệp"), run.file_name])
    ws.append([_("Ngày nhập"), timezone.localtime(run.imported_at, TZ).strftime("%d/%m/%Y %H:%M")])
    if run.day:
        ws.append([_("Ngày giao dịch"), run.day.strftime("%d/%m/%Y")])
    for key in COUNT_KEYS:
        ws.append([kind_label(key), run.counts.get(key, 0)])
    ws.append([_("Số dòng trong tệp"), run.counts.get("lines", 0)])
    ws.append([])
    ws.append([cell(h, font=bold, fill=PatternFill("solid", fgColor="E3EAF2"),
                    alignment=Alignment(wrap_text=True, vertical="center"))
               for h, _w in ITEM_COLUMNS])
    wrap = Alignment(wrap_text=True, vertical="top")
    for number, item in enumerate(run.items.order_by("pk").iterator(), start=1):
        ws.append([number, kind_label(item.kind), item.txn_ref, item.our_amount,
                   item.their_amount, item.their_status, cell(item.detail, alignment=wrap)])
    wb.save(out)
