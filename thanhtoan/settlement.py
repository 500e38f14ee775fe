"""The settlement file (đối soát) in the documented CSV format, shared by the providers until
their contract formats are known (PAYMENTS.md A1: the format is set by the contract):

    UTF-8 CSV, header txn_ref,transaction_no,amount,pay_date,bank_code,status,fee
    amount and fee in đồng; pay_date yyyyMMddHHmmss in GMT+7; status "00" = paid.

A bad line refuses the whole file (InvalidInput naming the line): nothing is half imported."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import IO

from portal.calendar import TZ
from portal.errors import InvalidInput
from thanhtoan.providers.base import SettlementLine

HEADER = ("txn_ref", "transaction_no", "amount", "pay_date", "bank_code", "status", "fee")
PAID = "00"
BAD_ENCODING = "Tệp đối soát phải là CSV mã hóa UTF-8."
BAD_HEADER = ("Dòng tiêu đề của tệp đối soát phải là: "
              "txn_ref,transaction_no,amount,pay_date,bank_code,status,fee.")
EMPTY_FILE = "Tệp đối soát không có dòng giao dịch nào."
BAD_LINE = "Dòng %(line)d: %(problem)s"


def _line_error(line: int, problem: str) -> InvalidInput:
    return InvalidInput("settlement_bad_line", BAD_LINE % {"line": line, "problem": problem})


def _amount(text: str, label: str) -> int:
    text = text.strip()
    if not text.isdigit():
        raise ValueError(f"{label} “{text}” không phải số nguyên đồng không âm.")
    return int(text)


def _pay_date(text: str) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=TZ)
    except ValueError:
        raise ValueError(f"ngày thanh toán “{text}” không đúng dạng yyyyMMddHHmmss.") from None


def _line(row: list[str]) -> SettlementLine:
    if len(row) != len(HEADER):
        raise ValueError(f"cần {len(HEADER)} cột, có {len(row)} cột.")
    txn_ref, transaction_no, amount, pay_date, bank_code, status, fee = (c.strip() for c in row)
    if not txn_ref:
        raise ValueError("thiếu mã tham chiếu giao dịch (txn_ref).")
    if not status:
        raise ValueError("thiếu trạng thái giao dịch (status).")
    return SettlementLine(
        txn_ref=txn_ref, provider_txn_id=transaction_no,
        amount=_amount(amount, "số tiền"), paid_at=_pay_date(pay_date),
        status="paid" if status == PAID else status.lower(),
        fee=_amount(fee or "0", "phí giao dịch"))


def parse_csv(fileobj: IO[bytes]) -> list[SettlementLine]:
    """The lines of a settlement CSV; InvalidInput (with the line number, the header being
    line 1) on the first bad line. A UTF-8 BOM and blank lines are tolerated."""
    raw = fileobj.read()
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise InvalidInput("settlement_encoding", BAD_ENCODING) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        raise InvalidInput("settlement_header", BAD_HEADER)
    lines = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        try:
            lines.append(_line(row))
        except ValueError as exc:
            raise _line_error(reader.line_num, str(exc)) from None
    if not lines:
        raise InvalidInput("settlement_empty", EMPTY_FILE)
    return lines
