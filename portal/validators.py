"""Validators for identifiers citizens type: CCCD, tax code, phone, agency code."""

import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Province codes of the 12-digit personal identification number (CCCD / số định danh cá nhân),
# TT 07/2016/TT-BCA Annex I as carried into TT 59/2021/TT-BCA: the 63 pre-2025 province codes.
CCCD_PROVINCE_CODES = frozenset(
    f"{n:03d}"
    for n in (
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36,
        37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74,
        75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96
    )
)
# The 4th digit encodes sex and century of birth: 0/1 = 1900s, 2/3 = 2000s, 4/5 = 2100s,
# 6/7 = 2200s, 8/9 = 2300s (even = male, odd = female).
_CENTURY_BY_DIGIT = {
    0: 1900,
    1: 1900,
    2: 2000,
    3: 2000,
    4: 2100,
    5: 2100,
    6: 2200,
    7: 2200,
    8: 2300,
    9: 2300,
}

CCCD_NOT_12_DIGITS = _("Số CCCD phải gồm đúng 12 chữ số.")
CCCD_BAD_PROVINCE = _(
    "Số CCCD không hợp lệ: 3 chữ số đầu (%(code)s) không phải mã tỉnh, thành phố."
)
CCCD_BAD_BIRTH_YEAR = _("Số CCCD không hợp lệ: năm sinh mã hóa trong số (%(year)s) chưa đến.")


def validate_cccd(value: str) -> None:
    """Check a CCCD: 12 digits, a real province code, a birth year not in the future."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{12}", value):
        raise ValidationError(CCCD_NOT_12_DIGITS, code="cccd_format")
    if value[:3] not in CCCD_PROVINCE_CODES:
        raise ValidationError(CCCD_BAD_PROVINCE, code="cccd_province", params={"code": value[:3]})
    year = _CENTURY_BY_DIGIT[int(value[3])] + int(value[4:6])
    if year > timezone.localdate().year:
        raise ValidationError(CCCD_BAD_BIRTH_YEAR, code="cccd_birth_year", params={"year": year})


TAX_CODE_INVALID = _("Mã số thuế phải gồm 10 chữ số, hoặc 10 chữ số, dấu gạch ngang và 3 chữ số.")


def validate_tax_code(value: str) -> None:
    if not re.fullmatch(r"\d{10}(-\d{3})?", value or ""):
        raise ValidationError(TAX_CODE_INVALID, code="tax_code_format")


PHONE_INVALID = _("Số điện thoại không hợp lệ (ví dụ: 0912345678 hoặc +84912345678).")


def validate_phone(value: str) -> None:
    if not re.fullmatch(r"(0|\+84)(3|5|7|8|9)\d{8}", value or ""):
        raise ValidationError(PHONE_INVALID, code="phone_format")


# Electronic agency identifier in the QCVN 102 / TT 10/2016/TT-BTTTT style
# V1V2V3.Z1Z2.Y1Y2.MX1X2, e.g. 000.00.17.H58 (DESIGN.md §3).
AGENCY_CODE_RE = re.compile(r"[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}")
AGENCY_CODE_INVALID = _(
    "Mã định danh cơ quan không đúng định dạng V1V2V3.Z1Z2.Y1Y2.MX1X2 (ví dụ 000.00.17.H58)."
)


def validate_agency_code(value: str) -> None:
    if not AGENCY_CODE_RE.fullmatch(value or ""):
        raise ValidationError(AGENCY_CODE_INVALID, code="agency_code_format")


WORKING_HOURS_INVALID = _(
    "Giờ làm việc phải có dạng 07:30-11:30,13:30-17:00 (các khoảng tăng dần, không chồng nhau)."
)


def validate_working_hours(value: str) -> None:
    from portal.calendar import parse_working_hours

    if not value:
        return
    try:
        parse_working_hours(value)
    except ValueError as exc:
        raise ValidationError(WORKING_HOURS_INVALID, code="working_hours_format") from exc
