"""E-forms: rendered as HTML forms, validated on the server with field-level Vietnamese
messages; broken schemas are refused when a procedure is saved."""

import pytest

from tests.tthc.conftest import BIRTH_EFORM, record
from tthc import services
from tthc.eforms import EForm, labelled_answers, schema_errors, validate_data

GOOD = {
    "child_full_name": "Nguyễn Minh Khang",
    "date_of_birth": "01/11/2026",
    "sex": "male",
    "birth_order": "1",
    "mother__full_name": "Trần Thị Mai",
    "mother__cccd": "019190004321",
}


def test_a_good_submission_becomes_nested_json():
    form = EForm(BIRTH_EFORM, data=GOOD)
    assert form.is_valid(), form.errors
    assert form.cleaned_json == {
        "child_full_name": "Nguyễn Minh Khang", "date_of_birth": "2026-11-01", "sex": "male",
        "birth_order": 1, "mother": {"full_name": "Trần Thị Mai", "cccd": "019190004321"}}


def test_the_form_renders_real_inputs_with_vietnamese_labels():
    html = str(EForm(BIRTH_EFORM).as_div())
    assert 'name="child_full_name"' in html
    assert 'name="mother__cccd"' in html
    assert "<select" in html
    assert ">Nữ</option>" in html
    assert "Họ, chữ đệm, tên của trẻ" in html
    sections = [title for title, _fields in EForm(BIRTH_EFORM).sections()]
    assert "Thông tin người mẹ" in sections


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"child_full_name": ""}, "child_full_name", "Trường này là bắt buộc."),
    ({"mother__cccd": "12345"}, "mother__cccd", "Số CCCD phải gồm 12 chữ số."),
    ({"date_of_birth": "31/02/2026"}, "date_of_birth", "Nhập một ngày hợp lệ."),
    ({"sex": "other"}, "sex", "Hãy chọn một lựa chọn hợp lệ."),
    ({"birth_order": "0"}, "birth_order", "lớn hơn hoặc bằng với 1"),
    ({"child_full_name": "x" * 101}, "child_full_name", "tối đa 100 kí tự"),
])
def test_bad_input_is_refused_with_a_field_level_vietnamese_message(changes, field, message):
    form = EForm(BIRTH_EFORM, data={**GOOD, **changes})
    assert not form.is_valid()
    assert any(message in m for m in form.errors[field]), form.errors


def test_json_data_is_validated_with_vietnamese_messages_per_field():
    errors = validate_data(BIRTH_EFORM, {
        "child_full_name": "A", "date_of_birth": "2026-13-01", "sex": "x",
        "mother": {"full_name": "B", "cccd": "abc"}})
    assert errors == {
        "date_of_birth": ["“Ngày, tháng, năm sinh” phải là ngày hợp lệ (dd/mm/yyyy)."],
        "mother.cccd": ["Số CCCD phải gồm 12 chữ số."],
        "sex": ["“Giới tính” phải là một trong các giá trị cho phép."],
    }
    assert validate_data(BIRTH_EFORM, {})["mother"] == ["Vui lòng nhập “Thông tin người mẹ”."]


@pytest.mark.parametrize("schema", [
    {"type": "array"},
    {"type": "object", "properties": {"a": {"type": "string"}}},  # no title
    {"type": "object", "properties": {"a": {"type": "array", "title": "Danh sách"}}},
    {"type": "object", "properties": {"a": {"type": "string", "title": "A",
                                            "enum": ["x", "y"], "x-enumLabels": ["X"]}}},
    {"type": "object", "properties": {"a": {"type": "string", "title": "A", "maxLength": -1}}},
])
def test_unusable_schemas_are_reported(schema):
    assert schema_errors(schema)


@pytest.mark.django_db
def test_a_procedure_with_a_broken_eform_is_not_saved():
    with pytest.raises(services.RecordInvalid) as exc:
        services.save_procedure(record(eform={"type": "object", "properties": {
            "a": {"type": "string"}}}))
    assert any("eform_schema" in r and "tiêu đề" in r for r in exc.value.reasons)


def test_submitted_answers_are_read_back_with_the_forms_titles():
    answers = labelled_answers(BIRTH_EFORM, {
        "child_full_name": "Nguyễn Minh Khang", "date_of_birth": "2026-11-01", "sex": "female",
        "mother": {"full_name": "Trần Thị Mai", "cccd": "019190004321"}})
    assert answers == [
        (None, "Họ, chữ đệm, tên của trẻ", "Nguyễn Minh Khang"),
        (None, "Ngày, tháng, năm sinh", "01/11/2026"),
        (None, "Giới tính", "Nữ"),
        ("Thông tin người mẹ", "Họ, chữ đệm, tên người mẹ", "Trần Thị Mai"),
        ("Thông tin người mẹ", "Số CCCD của người mẹ", "019190004321"),
    ]
