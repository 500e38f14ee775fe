"""CCCD, tax code, phone and agency code validation."""

import pytest
import time_machine
from django.core.exceptions import ValidationError

from portal.validators import (
    validate_agency_code,
    validate_cccd,
    validate_phone,
    validate_tax_code,
)


@pytest.mark.parametrize("cccd", [
    "019090001234",  # Thái Nguyên, male, 1990
    "001305012345",  # Hà Nội, female, 2005
    "096185000001",  # Cà Mau, female, 1985
])
def test_valid_cccd_is_accepted(cccd):
    validate_cccd(cccd)


@pytest.mark.parametrize(("cccd", "code", "text"), [
    ("01909000123", "cccd_format", "đúng 12 chữ số"),
    ("0190900012345", "cccd_format", "đúng 12 chữ số"),
    ("01909000123A", "cccd_format", "đúng 12 chữ số"),
    (" 019090001234", "cccd_format", "đúng 12 chữ số"),
    ("", "cccd_format", "đúng 12 chữ số"),
    ("003090001234", "cccd_province", "không phải mã tỉnh"),  # 003 is not a province code
    ("099090001234", "cccd_province", "không phải mã tỉnh"),
])
def test_malformed_cccd_is_refused_with_a_vietnamese_message(cccd, code, text):
    with pytest.raises(ValidationError) as exc:
        validate_cccd(cccd)
    assert exc.value.code == code
    assert text in str(exc.value.messages[0] % (exc.value.params or {}))


@time_machine.travel("2026-11-22 10:00 +0700", tick=False)
def test_cccd_birth_year_in_the_future_is_refused():
    validate_cccd("019226000001")  # born 2026: fine
    with pytest.raises(ValidationError) as exc:
        validate_cccd("019227000001")  # born 2027
    assert exc.value.code == "cccd_birth_year"


@pytest.mark.parametrize("value", ["0101234567", "0101234567-001"])
def test_valid_tax_codes(value):
    validate_tax_code(value)


@pytest.mark.parametrize("value", ["010123456", "0101234567-1", "abc"])
def test_invalid_tax_codes(value):
    with pytest.raises(ValidationError):
        validate_tax_code(value)


@pytest.mark.parametrize("value", ["0912345678", "+84912345678", "0387654321"])
def test_valid_phones(value):
    validate_phone(value)


@pytest.mark.parametrize("value", ["0212345678", "091234567", "12345"])
def test_invalid_phones(value):
    with pytest.raises(ValidationError):
        validate_phone(value)


@pytest.mark.parametrize("value", ["000.00.17.H58", "000.01.41.H55", "A01.B2.03.K54"])
def test_valid_agency_codes(value):
    validate_agency_code(value)


@pytest.mark.parametrize("value", ["H55", "000.00.17", "000.00.17.h58", "000-00-17-H58"])
def test_invalid_agency_codes(value):
    with pytest.raises(ValidationError):
        validate_agency_code(value)
