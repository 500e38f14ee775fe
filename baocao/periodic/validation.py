"""Validation of a report's cells, on the server, with a Vietnamese message per cell.

Rules:
- each cell has a rule (`cell_rule`): on a TABLE form the column's, on an INDICATORS form the
  indicator's (its row) — type (integer, decimal, percent, text), required, bounds;
- numbers are typed the Vietnamese way or the machine way: "1.250" and "1 250" are 1250,
  "12,5" and "12.5" are 12.5, "1.250,75" is 1250.75 (a dot followed by groups of three
  digits separates thousands); a percentage may end with "%"; at most 4 decimals and 16
  integer digits (the DecimalField), never a float;
- a draft may be incomplete: `validate(final=False)` checks types and bounds only; the
  submission (`final=True`) also checks required cells ("Chưa nhập.") and the form's
  cross-cell rules:
  {"kind": "sum", "axis": "column", "target": "3", "parts": ["4", "5", "6"]} — on every row,
  column 3 = 4 + 5 + 6 (Biểu II.06a, DOMAIN.md §5); "axis": "row" — on every column, the
  target row = the sum of the part rows (a total indicator = the sum of its parts);
  "kind": "lte" — the target is at most the sum of the parts (poor households ≤ households).
  A rule with an empty target or part is not checked on that line ("Chưa nhập." says it).
Errors are {(row code, column code): [messages]} plus "__all__" for the report as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from baocao.models import FormColumn, FormRow, ReportForm, ValueType

ALL = "__all__"

MISSING = "Chưa nhập."
NOT_A_NUMBER = "Phải là số."
NOT_AN_INTEGER = "Phải là số nguyên."
NOT_A_NON_NEGATIVE_INTEGER = "Phải là số nguyên không âm."
NOT_NON_NEGATIVE = "Phải là số không âm."
NOT_A_PERCENT = "Phải là tỷ lệ phần trăm từ 0 đến 100."
TOO_SMALL = "Phải lớn hơn hoặc bằng %(min)s."
TOO_LARGE = "Phải nhỏ hơn hoặc bằng %(max)s."
TOO_MANY_DECIMALS = "Tối đa 4 chữ số sau dấu phẩy."
TOO_BIG = "Số quá lớn (tối đa 16 chữ số phần nguyên)."
TEXT_TOO_LONG = "Tối đa %(max)s ký tự."
COLUMN_SUM = "Cột (%(target)s) phải bằng %(parts)s: %(found)s ≠ %(expected)s."
COLUMN_LTE = "Cột (%(target)s) không được lớn hơn %(parts)s: %(found)s > %(expected)s."
ROW_SUM = "Chỉ tiêu %(target)s phải bằng %(parts)s: %(found)s ≠ %(expected)s."
ROW_LTE = "Chỉ tiêu %(target)s không được lớn hơn %(parts)s: %(found)s > %(expected)s."
UNKNOWN_ROW = "Dòng “%(row)s” không có trong biểu."
UNKNOWN_COLUMN = "Cột “%(column)s” không có trong biểu."

MAX_TEXT = 5000
MAX_INTEGER_DIGITS = 16
DECIMAL_PLACES = 4
RULE_KINDS = ("sum", "lte")
RULE_AXES = ("column", "row")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_SPACES = re.compile(r"[\s\u00a0\u202f]")

Key = tuple[str, str] | str


@dataclass(frozen=True)
class CellRule:
    """What one cell may hold."""

    value_type: str = ValueType.INTEGER
    required: bool = True
    min_value: Decimal | None = Decimal(0)
    max_value: Decimal | None = None
    aggregation: str = "sum"

    @property
    def is_number(self) -> bool:
        return self.value_type != ValueType.TEXT


class CellError(ValueError):
    """A raw value a cell cannot take; `message` is Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _rule_of(source: Any) -> CellRule:
    def get(name, default=None):
        if isinstance(source, Mapping):
            return source.get(name, default)
        return getattr(source, name, default)

    def number(value):
        return None if value is None or value == "" else Decimal(str(value))

    return CellRule(value_type=get("value_type") or ValueType.INTEGER,
                    required=bool(get("required", True)),
                    min_value=number(get("min_value", 0)),
                    max_value=number(get("max_value")),
                    aggregation=get("aggregation") or "sum")


def cell_rule(form: ReportForm, row: FormRow | Mapping | None,
              column: FormColumn | Mapping) -> CellRule:
    """The rule of the cell at `row` × `column`: the indicator's (its row) on an INDICATORS
    form, the column's on a TABLE form. A row that comes from the data (a dict) has no rule
    of its own."""
    if form.layout == ReportForm.Layout.INDICATORS and row is not None \
            and not isinstance(row, Mapping):
        return _rule_of(row)
    if form.layout == ReportForm.Layout.INDICATORS and isinstance(row, Mapping) \
            and "value_type" in row:
        return _rule_of(row)
    return _rule_of(column)


# --- numbers --------------------------------------------------------------------------------

def _to_decimal(raw: str) -> Decimal:
    text = _SPACES.sub("", raw)
    if "," in text:
        # Vietnamese: "." separates thousands, "," the decimals
        if text.count(",") > 1:
            raise CellError(NOT_A_NUMBER)
        text = text.replace(".", "").replace(",", ".")
    elif _THOUSANDS.match(text):
        text = text.replace(".", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        raise CellError(NOT_A_NUMBER)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise CellError(NOT_A_NUMBER) from None


def format_number(value: Decimal | int | None) -> str:
    """1250.5 → "1.250,5" (Vietnamese separators, no trailing zeros)."""
    if value is None:
        return ""
    value = Decimal(value)
    sign = "-" if value < 0 else ""
    text = format(abs(value).normalize(), "f")
    whole, _dot, fraction = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + fraction if fraction else "")


def parse_value(raw: Any, rule: CellRule) -> Decimal | str | None:
    """The value of a raw cell under its rule: a Decimal, a text, or None when empty.
    Raises CellError with the Vietnamese message when the value does not fit."""
    if raw is None:
        return None
    if rule.value_type == ValueType.TEXT:
        text = str(raw).strip()
        if len(text) > MAX_TEXT:
            raise CellError(TEXT_TOO_LONG % {"max": MAX_TEXT})
        return text or None
    if isinstance(raw, bool):
        raise CellError(NOT_A_NUMBER)
    if isinstance(raw, Decimal | int):
        value = Decimal(raw)
    else:
        text = str(raw).strip()
        if not text:
            return None
        if rule.value_type == ValueType.PERCENT:
            text = text.removesuffix("%").strip()
        try:
            value = _to_decimal(text)
        except CellError:
            raise CellError(_type_message(rule)) from None
    return _checked(value, rule)


def _type_message(rule: CellRule) -> str:
    non_negative = rule.min_value is not None and rule.min_value >= 0
    if rule.value_type == ValueType.INTEGER:
        return NOT_A_NON_NEGATIVE_INTEGER if non_negative else NOT_AN_INTEGER
    if rule.value_type == ValueType.PERCENT:
        return NOT_A_PERCENT
    return NOT_A_NUMBER


def _checked(value: Decimal, rule: CellRule) -> Decimal:
    if not value.is_finite():
        raise CellError(_type_message(rule))
    if rule.value_type == ValueType.INTEGER and value != value.to_integral_value():
        raise CellError(_type_message(rule))
    if abs(value) >= Decimal(10) ** MAX_INTEGER_DIGITS:
        raise CellError(TOO_BIG)
    if value != value.quantize(Decimal(1).scaleb(-DECIMAL_PLACES)):
        raise CellError(TOO_MANY_DECIMALS)
    default_bounds = rule.min_value in (None, Decimal(0)) and rule.max_value in (
        None, Decimal(100))
    if rule.value_type == ValueType.PERCENT and default_bounds and not (
            Decimal(0) <= value <= Decimal(100)):
        raise CellError(NOT_A_PERCENT)
    if rule.min_value is not None and value < rule.min_value:
        if rule.min_value == 0:
            raise CellError(NOT_A_NON_NEGATIVE_INTEGER
                            if rule.value_type == ValueType.INTEGER else NOT_NON_NEGATIVE)
        raise CellError(TOO_SMALL % {"min": format_number(rule.min_value)})
    if rule.max_value is not None and value > rule.max_value:
        raise CellError(TOO_LARGE % {"max": format_number(rule.max_value)})
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


# --- the whole report -------------------------------------------------------------------------

def _code(item: Any) -> str:
    return str(item["code"] if isinstance(item, Mapping) else item.code)


def clean(form: ReportForm, rows: Iterable, values: Mapping[str, Mapping[str, Any]], *,
          final: bool, columns: Iterable | None = None
          ) -> tuple[dict[str, dict[str, Decimal | str | None]], dict[Key, list[str]]]:
    """Parse and check every cell of `values` ({row: {column: raw}}) against the form's
    `rows` (FormRow objects or dicts with "code") and columns: (parsed values, errors).
    `final`: a submission (required cells and cross-cell rules too)."""
    rows = list(rows)
    columns = list(columns if columns is not None else form.columns.all())
    row_by_code = {_code(r): r for r in rows}
    column_by_code = {_code(c): c for c in columns}
    errors: dict[Key, list[str]] = {}
    parsed: dict[str, dict[str, Decimal | str | None]] = {}
    for row_code, cells in values.items():
        if str(row_code) not in row_by_code:
            errors.setdefault(ALL, []).append(UNKNOWN_ROW % {"row": row_code})
            continue
        for column_code, raw in (cells or {}).items():
            if str(column_code) not in column_by_code:
                message = UNKNOWN_COLUMN % {"column": column_code}
                if message not in errors.get(ALL, []):
                    errors.setdefault(ALL, []).append(message)
                continue
            rule = cell_rule(form, row_by_code[str(row_code)], column_by_code[str(column_code)])
            try:
                value = parse_value(raw, rule)
            except CellError as exc:
                errors.setdefault((str(row_code), str(column_code)), []).append(exc.message)
                continue
            parsed.setdefault(str(row_code), {})[str(column_code)] = value
    if final:
        for row_code, row in row_by_code.items():
            for column_code, column in column_by_code.items():
                key = (row_code, column_code)
                if key in errors or not cell_rule(form, row, column).required:
                    continue
                if parsed.get(row_code, {}).get(column_code) is None:
                    errors.setdefault(key, []).append(MISSING)
        for key, messages in rule_errors(form, list(row_by_code), list(column_by_code),
                                         parsed).items():
            if key not in errors:
                errors.setdefault(key, []).extend(messages)
    return parsed, errors


def validate(form: ReportForm, rows: Iterable, values: Mapping[str, Mapping[str, Any]], *,
             final: bool, columns: Iterable | None = None) -> dict[Key, list[str]]:
    """The errors of `values` (empty when valid); see `clean`."""
    return clean(form, rows, values, final=final, columns=columns)[1]


def _parts_text(parts: list[str], axis: str) -> str:
    if axis == "column":
        return " + ".join(f"({p})" for p in parts)
    return " + ".join(parts)


def rule_errors(form: ReportForm, row_codes: list[str], column_codes: list[str],
                parsed: Mapping[str, Mapping[str, Any]]) -> dict[Key, list[str]]:
    """The cross-cell rules of the form broken by `parsed` values; each message on the
    target cell."""
    errors: dict[Key, list[str]] = {}
    for rule in form.rules or []:
        axis, kind = rule.get("axis", "column"), rule.get("kind", "sum")
        target, parts = str(rule["target"]), [str(p) for p in rule["parts"]]
        if axis == "column":
            lines = [(row, target, [(row, p) for p in parts]) for row in row_codes]
        else:
            lines = [(target, column, [(p, column) for p in parts]) for column in column_codes]
        for row, column, part_keys in lines:
            found = parsed.get(row, {}).get(column)
            if not isinstance(found, Decimal):
                continue
            parts_found = [parsed.get(r, {}).get(c) for r, c in part_keys]
            if not all(isinstance(v, Decimal) for v in parts_found):
                continue  # an empty part: "Chưa nhập." says it, not a false sum
            expected = sum(parts_found, Decimal(0))
            broken = found != expected if kind == "sum" else found > expected
            if broken:
                template = {("column", "sum"): COLUMN_SUM, ("column", "lte"): COLUMN_LTE,
                            ("row", "sum"): ROW_SUM, ("row", "lte"): ROW_LTE}[(axis, kind)]
                errors.setdefault((row, column), []).append(template % {
                    "target": target, "parts": _parts_text(parts, axis),
                    "found": format_number(found), "expected": format_number(expected)})
    return errors


def check_rules_shape(rules: Any, row_codes: set[str], column_codes: set[str]) -> list[str]:
    """What is wrong with a form's rules (Vietnamese), for define_form: each rule a dict
    with a known kind and axis, a target and parts that name existing rows or columns."""
    if not isinstance(rules, list):
        return ["Quy tắc kiểm tra phải là một danh sách."]
    problems = []
    for number, rule in enumerate(rules, 1):
        if not isinstance(rule, Mapping) or not rule.get("target") or not isinstance(
                rule.get("parts"), list) or not rule["parts"]:
            problems.append(f"Quy tắc {number}: cần có “target” và danh sách “parts”.")
            continue
        if rule.get("kind", "sum") not in RULE_KINDS:
            problems.append(f"Quy tắc {number}: loại “{rule.get('kind')}” không hợp lệ "
                            "(sum hoặc lte).")
        axis = rule.get("axis", "column")
        if axis not in RULE_AXES:
            problems.append(f"Quy tắc {number}: “axis” phải là column hoặc row.")
            continue
        known, what = (column_codes, "cột") if axis == "column" else (row_codes, "chỉ tiêu")
        for code in [rule["target"], *rule["parts"]]:
            if str(code) not in known:
                problems.append(f"Quy tắc {number}: không có {what} “{code}” trong biểu.")
    return problems
