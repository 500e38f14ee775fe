"""Catalogue fixtures: records in the import format, saved through the real service."""

import copy

import pytest

from tthc import services

BIRTH_EFORM = {
    "type": "object",
    "title": "Tờ khai đăng ký khai sinh",
    "required": ["child_full_name", "date_of_birth", "sex", "mother"],
    "properties": {
        "child_full_name": {"type": "string", "title": "Họ, chữ đệm, tên của trẻ",
                            "maxLength": 100},
        "date_of_birth": {"type": "string", "format": "date", "title": "Ngày, tháng, năm sinh"},
        "sex": {"type": "string", "title": "Giới tính", "enum": ["male", "female"],
                "x-enumLabels": ["Nam", "Nữ"]},
        "birth_order": {"type": "integer", "title": "Con thứ", "minimum": 1, "maximum": 20},
        "mother": {
            "type": "object", "title": "Thông tin người mẹ", "required": ["full_name", "cccd"],
            "properties": {
                "full_name": {"type": "string", "title": "Họ, chữ đệm, tên người mẹ"},
                "cccd": {"type": "string", "title": "Số CCCD của người mẹ",
                         "pattern": "^[0-9]{12}$",
                         "x-patternMessage": "Số CCCD phải gồm 12 chữ số."},
            },
        },
        "email": {"type": "string", "format": "email", "title": "Thư điện tử"},
    },
}

RECORD = {
    "national_code": "1.001193",
    "name": "Đăng ký khai sinh",
    "field": {"code": "HT", "name": "Hộ tịch"},
    "levels": ["commune"],
    "processing_time": "1",
    "time_unit": "working_days",
    "same_day_cutoff": True,
    "service_mode": "full",
    "channels": ["direct", "postal", "online"],
    "boundary_free": True,
    "boundary_free_scope": "province",
    "result_name": "Giấy khai sinh",
    "result_type": "certificate",
    "result_electronic": True,
    "legal_basis": "Luật Hộ tịch 2014",
    "published_from": "2025-07-01",
    "documents": [
        {"name": "Tờ khai đăng ký khai sinh", "doc_type_code": "TK-KS", "originals": 1,
         "copies": 0, "required": True},
        {"name": "Giấy chứng sinh", "doc_type_code": "GCS", "originals": 1, "copies": 0,
         "required": True},
    ],
    "fees": [
        {"kind": "le_phi", "name": "Lệ phí đăng ký khai sinh", "amount": 8000, "unit": "hồ sơ",
         "online_discount_percent": "50", "discount_basis": "Nghị quyết thử nghiệm",
         "exemptions": [{"group": "Người thuộc hộ nghèo", "proof": "Giấy xác nhận hộ nghèo"}]},
    ],
    "workflows": [
        {"level": "commune", "steps": [
            {"name": "Tiếp nhận", "role": "desk_officer", "agency": "receiving", "share": "0.25"},
            {"name": "Thẩm định", "role": "processing_officer", "share": "0.5",
             "may_send_back": True},
            {"name": "Ký duyệt", "role": "leader", "share": "0.25"},
        ]},
    ],
    "eform": BIRTH_EFORM,
}


def record(**overrides) -> dict:
    data = copy.deepcopy(RECORD)
    data.update(overrides)
    return data


@pytest.fixture
def birth(db):
    procedure, _created = services.save_procedure(record())
    return procedure


@pytest.fixture
def small_catalogue(db, birth):
    """A handful of procedures over fields, levels and service modes."""
    rows = [
        record(national_code="2.000635", name="Cấp phiếu lý lịch tư pháp cho công dân Việt Nam",
               field={"code": "LLTP", "name": "Lý lịch tư pháp"}, levels=["province"],
               processing_time="10", service_mode="partial", eform=None,
               workflows=[{"level": "province", "steps": [
                   {"name": "Tiếp nhận", "role": "desk_officer", "share": "1"},
                   {"name": "Xử lý", "role": "processing_officer", "share": "9"}]}]),
        record(national_code="2.001023", name="Chứng thực bản sao từ bản chính",
               field={"code": "CT", "name": "Chứng thực"}, levels=["district", "commune"],
               service_mode="info", channels=["direct"], eform=None,
               workflows=[{"level": lvl, "steps": [
                   {"name": "Chứng thực", "role": "processing_officer", "share": "1"}]}
                   for lvl in ("district", "commune")]),
        record(national_code="1.001612", name="Đăng ký thành lập hộ kinh doanh",
               field={"code": "HKD", "name": "Thành lập và hoạt động của hộ kinh doanh"},
               levels=["commune"], processing_time="3", service_mode="full", eform=None,
               workflows=[{"level": "commune", "steps": [
                   {"name": "Xử lý", "role": "processing_officer", "share": "3"}]}]),
    ]
    return [birth] + [services.save_procedure(r)[0] for r in rows]
