"""The demo province (seed_demo): Thái Nguyên's real administrative units, the official
holiday schedules, and demo accounts for every role at province, district and commune desks.

Sources (copied from ../shared/data into portal/data/, see its README there):
- admin-units-thai-nguyen.csv: GSO units valid until 30/6/2025 (three levels);
- admin-units-thai-nguyen-2025.csv: the communes from 1/7/2025 (two levels, NQ 1683/NQ-UBTVQH15);
- holidays-vn.csv: the Government's yearly day-off and make-up-day notices;
- agency-codes-thai-nguyen.csv: the only agency identifiers seen in public material
  (000.00.00.H55 UBND tỉnh, 000.00.01.H55 Văn phòng UBND tỉnh). Every other code below is a
  demo code in the QCVN 102 shape: replace them with the province's decision on mã định danh.

Idempotent: agencies are matched by code, users by username, calendar days by date.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from portal import services
from portal.calendar import clear_calendar_cache
from portal.choices import AgencyKind, AgencyLevel, CalendarDayKind, Role
from portal.models import Agency, CalendarDay, CalendarYear, User

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "ThaiNguyen@2026"  # noqa: S105 — documented demo password (README)
PROVINCE_SUFFIX = "H55"
DEMO_DISTRICTS = 8
COMMUNES_PER_DISTRICT = 5

DEPARTMENTS = [
    # (Y1Y2, name, short name, kind)
    ("11", "Sở Tư pháp", "STP", AgencyKind.DEPARTMENT),
    ("12", "Sở Tài chính", "STC", AgencyKind.DEPARTMENT),
    ("13", "Sở Xây dựng", "SXD", AgencyKind.DEPARTMENT),
    ("14", "Sở Nông nghiệp và Môi trường", "SNNMT", AgencyKind.DEPARTMENT),
    ("15", "Sở Công Thương", "SCT", AgencyKind.DEPARTMENT),
    ("16", "Sở Giáo dục và Đào tạo", "SGDĐT", AgencyKind.DEPARTMENT),
    ("17", "Sở Y tế", "SYT", AgencyKind.DEPARTMENT),
    ("18", "Sở Nội vụ", "SNV", AgencyKind.DEPARTMENT),
    ("19", "Sở Khoa học và Công nghệ", "SKHCN", AgencyKind.DEPARTMENT),
    ("20", "Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL", AgencyKind.DEPARTMENT),
    ("21", "Sở Dân tộc và Tôn giáo", "SDTTG", AgencyKind.DEPARTMENT),
    ("22", "Thanh tra tỉnh", "TTT", AgencyKind.DEPARTMENT),
    ("23", "Công an tỉnh", "CAT", AgencyKind.VERTICAL_AGENCY),
    ("24", "Thuế tỉnh Thái Nguyên", "THUE", AgencyKind.VERTICAL_AGENCY),
    ("25", "Bảo hiểm xã hội tỉnh", "BHXH", AgencyKind.VERTICAL_AGENCY),
]

ROOT_CODE = f"000.00.00.{PROVINCE_SUFFIX}"
OFFICE_CODE = f"000.00.01.{PROVINCE_SUFFIX}"
CENTRE_CODE = f"000.00.02.{PROVINCE_SUFFIX}"
JUSTICE_CODE = f"000.00.11.{PROVINCE_SUFFIX}"
DISTRICT_CODE_BASE = 41  # district UBND codes 000.00.41.H55 …
TWO_LEVEL_COMMUNE_CODE = f"000.00.91.{PROVINCE_SUFFIX}"
TWO_LEVEL_CENTRE_CODE = f"000.01.91.{PROVINCE_SUFFIX}"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    agency_code: str


def _district_code(index: int) -> str:
    return f"000.00.{DISTRICT_CODE_BASE + index}.{PROVINCE_SUFFIX}"


def _commune_code(district_index: int, commune_index: int) -> str:
    return f"000.{commune_index + 1:02d}.{DISTRICT_CODE_BASE + district_index}.{PROVINCE_SUFFIX}"


DEMO_ACCOUNTS = [
    DemoAccount("quantri", "Quản trị hệ thống", Role.ADMINISTRATOR, ROOT_CODE),
    DemoAccount("tinh.motcua", "Trần Thị Hoa", Role.DESK_OFFICER, CENTRE_CODE),
    DemoAccount("tinh.chuyenvien", "Lê Văn Minh", Role.PROCESSING_OFFICER, JUSTICE_CODE),
    DemoAccount("tinh.lanhdao", "Phạm Quốc Hùng", Role.LEADER, JUSTICE_CODE),
    DemoAccount("tinh.baocao", "Nguyễn Thu Trang", Role.REPORT_VIEWER, ROOT_CODE),
    DemoAccount("huyen.motcua", "Đỗ Thị Lan", Role.DESK_OFFICER, _district_code(0)),
    DemoAccount("huyen.chuyenvien", "Hoàng Văn Nam", Role.PROCESSING_OFFICER, _district_code(0)),
    DemoAccount("huyen.lanhdao", "Vũ Đức Thắng", Role.LEADER, _district_code(0)),
    DemoAccount("huyen.baocao", "Bùi Thị Mai", Role.REPORT_VIEWER, _district_code(0)),
    DemoAccount("xa.motcua", "Ngô Thị Hạnh", Role.DESK_OFFICER, _commune_code(0, 0)),
    DemoAccount("xa.chuyenvien", "Đặng Văn Tùng", Role.PROCESSING_OFFICER, _commune_code(0, 0)),
    DemoAccount("xa.lanhdao", "Dương Minh Tuấn", Role.LEADER, _commune_code(0, 0)),
    DemoAccount("xa.baocao", "Phan Thị Thu", Role.REPORTER, _commune_code(0, 0)),
    DemoAccount("xa2cap.motcua", "Lý Thị Ngọc", Role.DESK_OFFICER, TWO_LEVEL_CENTRE_CODE),
]
DEMO_CITIZEN = {
    "full_name": "Nguyễn Văn An",
    "cccd": "019090001234",  # 019 = Thái Nguyên, 0 = male born in the 1900s, 90 = 1990
    "phone": "0912345678",
    "email": "nguyenvanan@example.vn",
}


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def upsert_agency(parent: Agency | None, *, code: str, **fields) -> Agency:
    """Create the agency under `parent`, or update its fields if the code exists."""
    agency = Agency.objects.filter(code=code).first()
    if agency is not None:
        changed = [k for k, v in fields.items() if getattr(agency, k) != v]
        for key in changed:
            setattr(agency, key, fields[key])
        if changed:
            agency.save(update_fields=changed)
        return agency
    return services.create_agency(parent=parent, code=code, **fields)


def seed_agencies() -> Agency:
    units = _read_csv("admin-units-thai-nguyen.csv")
    province = next(u for u in units if u["level"] == "tinh")
    root = upsert_agency(
        None, code=ROOT_CODE, name=f"Ủy ban nhân dân {_lower_first(province['name'])}",
        short_name="UBND tỉnh", level=AgencyLevel.PROVINCE, kind=AgencyKind.PEOPLES_COMMITTEE,
        admin_unit_code=province["code"],
    )
    upsert_agency(root, code=OFFICE_CODE, name="Văn phòng Ủy ban nhân dân tỉnh",
                  short_name="VP UBND tỉnh", level=AgencyLevel.PROVINCE, kind=AgencyKind.OFFICE)
    upsert_agency(root, code=CENTRE_CODE, name="Trung tâm Phục vụ hành chính công tỉnh",
                  short_name="TTPVHCC tỉnh", level=AgencyLevel.PROVINCE,
                  kind=AgencyKind.SERVICE_CENTRE)
    for y1y2, name, short, kind in DEPARTMENTS:
        upsert_agency(root, code=f"000.00.{y1y2}.{PROVINCE_SUFFIX}", name=name, short_name=short,
                      level=AgencyLevel.PROVINCE, kind=kind)

    districts = [u for u in units if u["level"] == "huyen"][:DEMO_DISTRICTS]
    for d_index, district in enumerate(districts):
        d_agency = upsert_agency(
            root, code=_district_code(d_index),
            name=f"Ủy ban nhân dân {_lower_first(district['name'])}",
            short_name=f"UBND {_lower_first(district['name'])}", level=AgencyLevel.DISTRICT,
            kind=AgencyKind.PEOPLES_COMMITTEE, admin_unit_code=district["code"],
        )
        communes = [u for u in units if u["level"] == "xa"
                    and u["parent_code"] == district["code"]][:COMMUNES_PER_DISTRICT]
        for c_index, commune in enumerate(communes):
            upsert_agency(
                d_agency, code=_commune_code(d_index, c_index),
                name=f"Ủy ban nhân dân {_lower_first(commune['name'])}",
                short_name=f"UBND {_lower_first(commune['name'])}", level=AgencyLevel.COMMUNE,
                kind=AgencyKind.PEOPLES_COMMITTEE, admin_unit_code=commune["code"],
            )

    # The two-level branch (from 1/7/2025): a commune directly under the province, with its
    # commune public service centre (DOMAIN-2025.md §1.2).
    new_units = _read_csv("admin-units-thai-nguyen-2025.csv")
    ward = next(u for u in new_units if u["level"] == "xa")
    ward_agency = upsert_agency(
        root, code=TWO_LEVEL_COMMUNE_CODE, name=f"Ủy ban nhân dân {_lower_first(ward['name'])}",
        short_name=f"UBND {_lower_first(ward['name'])}", level=AgencyLevel.COMMUNE,
        kind=AgencyKind.PEOPLES_COMMITTEE, admin_unit_code=ward["code"],
    )
    upsert_agency(
        ward_agency, code=TWO_LEVEL_CENTRE_CODE,
        name=f"Trung tâm Phục vụ hành chính công {_lower_first(ward['name'])}",
        short_name="TTPVHCC", level=AgencyLevel.COMMUNE, kind=AgencyKind.SERVICE_CENTRE,
        admin_unit_code=ward["code"],
    )
    return root


_KIND_FROM_CSV = {
    "holiday": CalendarDayKind.HOLIDAY,
    "day_off_swap": CalendarDayKind.DAY_OFF,
    "makeup_workday": CalendarDayKind.MAKEUP_WORKDAY,
}


def seed_calendar() -> int:
    """Load the official yearly schedules (days off, swaps, make-up Saturdays)."""
    count = 0
    for row in _read_csv("holidays-vn.csv"):
        day = dt.date.fromisoformat(row["date"])
        year, _created = CalendarYear.objects.get_or_create(year=day.year)
        CalendarDay.objects.update_or_create(
            date=day,
            defaults={"calendar_year": year, "kind": _KIND_FROM_CSV[row["kind"]],
                      "name": row["name"][:255], "decision": row["decision"][:255]},
        )
        count += 1
    for year in CalendarYear.objects.filter(decision=""):
        decisions = sorted({d for d in year.days.values_list("decision", flat=True) if d})
        year.decision = "; ".join(decisions)[:255]
        year.save(update_fields=["decision"])
    clear_calendar_cache()
    return count


def seed_users() -> list[DemoAccount]:
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = services.create_officer(
                username=account.username, full_name=account.full_name,
                agency_code=account.agency_code, role=account.role,
                email=f"{account.username}@example.vn", password=DEMO_PASSWORD,
            )
        else:
            agency = services.get_agency_by_code(account.agency_code)
            services.grant_role(user=user, agency=agency, role=account.role)
        if account.role == Role.ADMINISTRATOR and not user.is_superuser:
            user.is_superuser = user.is_staff = True
            user.save(update_fields=["is_superuser", "is_staff"])
    if not User.objects.filter(cccd=DEMO_CITIZEN["cccd"]).exists():
        services.register_citizen(password=DEMO_PASSWORD, **DEMO_CITIZEN)
    return DEMO_ACCOUNTS


@transaction.atomic
def seed_demo() -> dict[str, int]:
    services.ensure_role_groups()
    seed_agencies()
    days = seed_calendar()
    seed_users()
    return {
        "agencies": Agency.objects.count(),
        "calendar_days": days,
        "users": User.objects.count(),
    }
