"""Validation of a report's cells (baocao/periodic/validation.py): types, non-negative and
percent bounds, required cells on submission, identity columns ("(3) = (4) + (5) + (6)"),
sum rows, with a Vietnamese message on the very cell. Pure: forms are unsaved objects, except
where the seeded form is read."""

from decimal import Decimal

import pytest

from baocao.models import FormColumn, FormRow, ReportForm
from baocao.periodic import validation
from baocao.periodic.validation import ALL, CellError, CellRule, cell_rule, parse_value, validate

INTEGER = CellRule(value_type="integer")
DECIMAL = CellRule(value_type="decimal")
PERCENT = CellRule(value_type="percent", max_value=Decimal(100))
TEXT = CellRule(value_type="text", required=False, min_value=None)


def handling_like_form() -> tuple[ReportForm, list[dict], list[FormColumn]]:
    """Biểu II.06a's shape: rows from the data, columns 3…13, its four identities."""
    form = ReportForm(code="II.06a/VPCP/KSTT", layout="table", source="handling", rules=[
        {"kind": "sum", "axis": "column", "target": "3", "parts": ["4", "5", "6"]},
        {"kind": "sum", "axis": "column", "target": "7", "parts": ["8", "9", "10"]},
        {"kind": "sum", "axis": "column", "target": "11", "parts": ["12", "13"]},
        {"kind": "sum", "axis": "column", "target": "3", "parts": ["7", "11"]},
    ])
    columns = [FormColumn(code=str(c), heading=f"Cột {c}") for c in range(3, 14)]
    rows = [{"code": "level:commune", "label": "Cấp xã"}, {"code": "total", "label": "Tổng cộng"}]
    return form, rows, columns


def consistent_row() -> dict[str, str]:
    # (3)=12 = (4)2+(5)7+(6)3 = (7)8+(11)4; (7)8 = 5+2+1; (11)4 = 3+1
    return dict(zip([str(c) for c in range(3, 14)],
                    ["12", "2", "7", "3", "8", "5", "2", "1", "4", "3", "1"], strict=True))


def indicator_form() -> tuple[ReportForm, list[FormRow], list[FormColumn]]:
    form = ReportForm(code="CT", layout="indicators", rules=[
        {"kind": "sum", "axis": "row", "target": "DS", "parts": ["DS_NAM", "DS_NU"]},
        {"kind": "lte", "axis": "row", "target": "HN", "parts": ["HO"]}])
    rows = [FormRow(code="DS", label="Dân số", value_type="integer"),
            FormRow(code="DS_NAM", label="Nam", value_type="integer"),
            FormRow(code="DS_NU", label="Nữ", value_type="integer"),
            FormRow(code="HO", label="Số hộ", value_type="integer"),
            FormRow(code="HN", label="Số hộ nghèo", value_type="integer"),
            FormRow(code="LUA", label="Diện tích lúa", value_type="decimal"),
            FormRow(code="TL", label="Tỷ lệ", value_type="percent", max_value=Decimal(100),
                    aggregation="avg"),
            FormRow(code="GC", label="Ghi chú", value_type="text", required=False,
                    min_value=None, aggregation="none")]
    return form, rows, [FormColumn(code="value", heading="Số liệu", value_type="integer")]


# --- parse_value ------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("1250", Decimal(1250)), ("1.250", Decimal(1250)), ("1 250", Decimal(1250)),
    ("1.250.000", Decimal(1250000)), (" 7 ", Decimal(7)), ("0", Decimal(0)),
    (12, Decimal(12)), (Decimal("4.0000"), Decimal(4)),
])
def test_integers_are_read_with_vietnamese_thousands_separators(raw, expected):
    value = parse_value(raw, INTEGER)
    assert value == expected
    assert value.as_tuple().exponent == 0  # 1250, never 1.25E+3


@pytest.mark.parametrize(("raw", "expected"), [
    ("12,5", Decimal("12.5")), ("12.5", Decimal("12.5")), ("1.250,75", Decimal("1250.75")),
    ("0,0001", Decimal("0.0001")), ("1.020,25", Decimal("1020.25")),
])
def test_decimals_take_a_comma_or_a_dot_and_are_never_floats(raw, expected):
    value = parse_value(raw, DECIMAL)
    assert isinstance(value, Decimal)
    assert value == expected


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_an_empty_cell_is_none(raw):
    assert parse_value(raw, INTEGER) is None
    assert parse_value(raw, TEXT) is None


@pytest.mark.parametrize(("raw", "rule", "message"), [
    ("-1", INTEGER, "Phải là số nguyên không âm."),
    ("2,5", INTEGER, "Phải là số nguyên không âm."),
    ("abc", INTEGER, "Phải là số nguyên không âm."),
    ("1e3", INTEGER, "Phải là số nguyên không âm."),
    ("NaN", DECIMAL, "Phải là số."),
    ("1,2,3", DECIMAL, "Phải là số."),
    ("-0,5", DECIMAL, "Phải là số không âm."),
    ("0,00001", DECIMAL, "Tối đa 4 chữ số sau dấu phẩy."),
    ("12345678901234567", DECIMAL, "Số quá lớn (tối đa 16 chữ số phần nguyên)."),
    ("101", PERCENT, "Phải là tỷ lệ phần trăm từ 0 đến 100."),
    ("-3", PERCENT, "Phải là tỷ lệ phần trăm từ 0 đến 100."),
    ("mười", PERCENT, "Phải là tỷ lệ phần trăm từ 0 đến 100."),
    (True, INTEGER, "Phải là số."),
])
def test_a_value_that_does_not_fit_is_refused_with_a_vietnamese_message(raw, rule, message):
    with pytest.raises(CellError) as caught:
        parse_value(raw, rule)
    assert caught.value.message == message


def test_a_percentage_may_end_with_a_percent_sign():
    assert parse_value("4,2 %", PERCENT) == Decimal("4.2")
    assert parse_value("100%", PERCENT) == Decimal(100)


def test_explicit_bounds_give_their_own_messages():
    rule = CellRule(value_type="decimal", min_value=Decimal(10), max_value=Decimal("1250.5"))
    with pytest.raises(CellError, match=r"^Phải lớn hơn hoặc bằng 10\.$"):
        parse_value("9", rule)
    with pytest.raises(CellError, match=r"^Phải nhỏ hơn hoặc bằng 1\.250,5\.$"):
        parse_value("1300", rule)
    negative_allowed = CellRule(value_type="integer", min_value=None)
    assert parse_value("-5", negative_allowed) == Decimal(-5)
    with pytest.raises(CellError, match=r"^Phải là số nguyên\.$"):
        parse_value("-5,5", negative_allowed)


def test_text_is_kept_stripped_and_bounded():
    assert parse_value("  Mưa lớn  ", TEXT) == "Mưa lớn"
    with pytest.raises(CellError, match="Tối đa 5000 ký tự"):
        parse_value("x" * 5001, TEXT)


def test_format_number_uses_vietnamese_separators():
    assert validation.format_number(Decimal("1250.5")) == "1.250,5"
    assert validation.format_number(Decimal("1000000")) == "1.000.000"
    assert validation.format_number(Decimal("-12.0000")) == "-12"
    assert validation.format_number(None) == ""


# --- cell_rule ----------------------------------------------------------------------------------

def test_an_indicator_form_takes_the_rule_of_the_indicator_and_a_table_that_of_the_column():
    form, rows, columns = indicator_form()
    assert cell_rule(form, rows[6], columns[0]).value_type == "percent"
    assert cell_rule(form, rows[6], columns[0]).aggregation == "avg"
    assert cell_rule(form, rows[7], columns[0]).required is False
    table, table_rows, table_columns = handling_like_form()
    table_columns[0].value_type = "decimal"
    assert cell_rule(table, table_rows[0], table_columns[0]).value_type == "decimal"
    assert cell_rule(table, table_rows[0], table_columns[1]).value_type == "integer"


# --- validate: identity columns, sum rows, required -------------------------------------------

def test_a_consistent_handling_row_is_valid():
    form, rows, columns = handling_like_form()
    values = {"level:commune": consistent_row(), "total": consistent_row()}
    assert validate(form, rows, values, final=True, columns=columns) == {}


def test_identity_columns_put_the_message_on_the_total_cell():
    form, rows, columns = handling_like_form()
    broken = {**consistent_row(), "4": "1"}  # (4)+(5)+(6) = 11, (3) says 12
    errors = validate(form, rows, {"level:commune": broken, "total": consistent_row()},
                      final=True, columns=columns)
    assert errors == {("level:commune", "3"): ["Cột (3) phải bằng (4) + (5) + (6): 12 ≠ 11."]}


def test_every_identity_of_the_handling_form_is_checked():
    form, rows, columns = handling_like_form()
    row = {**consistent_row(), "9": "3", "13": "2"}  # (7)=8 ≠ 9, (11)=4 ≠ 5
    errors = validate(form, rows, {"level:commune": row, "total": consistent_row()},
                      final=True, columns=columns)
    assert errors == {
        ("level:commune", "7"): ["Cột (7) phải bằng (8) + (9) + (10): 8 ≠ 9."],
        ("level:commune", "11"): ["Cột (11) phải bằng (12) + (13): 4 ≠ 5."],
    }
    total_off = {**consistent_row(), "3": "13", "5": "8"}  # (3)=13=(4)+(5)+(6) but ≠ (7)+(11)
    errors = validate(form, rows, {"level:commune": consistent_row(), "total": total_off},
                      final=True, columns=columns)
    assert errors == {("total", "3"): ["Cột (3) phải bằng (7) + (11): 13 ≠ 12."]}


def test_required_cells_are_enforced_on_submission_only():
    form, rows, columns = handling_like_form()
    partial = {"level:commune": {"3": "12", "4": "2"}}
    assert validate(form, rows, partial, final=False, columns=columns) == {}
    errors = validate(form, rows, partial, final=True, columns=columns)
    assert errors[("level:commune", "5")] == ["Chưa nhập."]
    assert errors[("total", "3")] == ["Chưa nhập."]
    assert len(errors) == 2 * 11 - 2


def test_a_draft_still_checks_types_and_bounds():
    form, rows, columns = handling_like_form()
    errors = validate(form, rows, {"level:commune": {"4": "-2", "5": "hai"}}, final=False,
                      columns=columns)
    assert errors == {("level:commune", "4"): ["Phải là số nguyên không âm."],
                      ("level:commune", "5"): ["Phải là số nguyên không âm."]}


def test_a_bad_cell_gets_its_own_message_and_no_identity_message():
    form, rows, columns = handling_like_form()
    row = {**consistent_row(), "4": "-1"}
    errors = validate(form, rows, {"level:commune": row, "total": consistent_row()},
                      final=True, columns=columns)
    # the identity over a cell that is already wrong is not checked (no false sum)
    assert errors == {("level:commune", "4"): ["Phải là số nguyên không âm."]}


def test_a_sum_row_and_a_lte_row_on_an_indicator_form():
    form, rows, columns = indicator_form()
    values = {"DS": {"value": "12.500"}, "DS_NAM": {"value": "6.100"},
              "DS_NU": {"value": "6.300"}, "HO": {"value": "3000"}, "HN": {"value": "3001"},
              "LUA": {"value": "850,5"}, "TL": {"value": "4,2"}}
    errors = validate(form, rows, values, final=True, columns=columns)
    assert errors == {
        ("DS", "value"): ["Chỉ tiêu DS phải bằng DS_NAM + DS_NU: 12.500 ≠ 12.400."],
        ("HN", "value"): ["Chỉ tiêu HN không được lớn hơn HO: 3.001 > 3.000."],
    }
    values.update(DS_NU={"value": "6400"}, HN={"value": "3000"})
    assert validate(form, rows, values, final=True, columns=columns) == {}  # GC is optional


def test_unknown_rows_and_columns_are_reported_for_the_whole_report():
    form, rows, columns = indicator_form()
    errors = validate(form, rows, {"XX": {"value": "1"}, "DS": {"nam_truoc": "1"}},
                      final=False, columns=columns)
    assert errors == {ALL: ["Dòng “XX” không có trong biểu.",
                            "Cột “nam_truoc” không có trong biểu."]}


def test_clean_returns_the_parsed_values():
    form, rows, columns = indicator_form()
    parsed, errors = validation.clean(form, rows, {"LUA": {"value": "1.020,25"},
                                                   "GC": {"value": " Ngập "}},
                                      final=False, columns=columns)
    assert errors == {}
    assert parsed == {"LUA": {"value": Decimal("1020.25")}, "GC": {"value": "Ngập"}}


def test_rule_shapes_are_checked_against_the_codes_of_the_form():
    problems = validation.check_rules_shape(
        [{"kind": "sum", "axis": "column", "target": "3", "parts": ["4", "99"]},
         {"kind": "avg", "axis": "row", "target": "DS", "parts": ["DS_NAM"]},
         {"axis": "diagonal", "target": "3", "parts": ["4"]},
         {"target": "3"}],
        row_codes={"DS", "DS_NAM"}, column_codes={"3", "4"})
    assert problems == [
        "Quy tắc 1: không có cột “99” trong biểu.",
        "Quy tắc 2: loại “avg” không hợp lệ (sum hoặc lte).",
        "Quy tắc 3: “axis” phải là column hoặc row.",
        "Quy tắc 4: cần có “target” và danh sách “parts”.",
    ]


@pytest.mark.django_db
def test_the_seeded_handling_form_validates_a_live_report_row(handling_form):
    rows = [{"code": "total", "label": "Tổng cộng"}]
    errors = validate(handling_form, rows, {"total": {**consistent_row(), "8": "4"}},
                      final=True)
    assert errors == {("total", "7"): ["Cột (7) phải bằng (8) + (9) + (10): 8 ≠ 7."]}
