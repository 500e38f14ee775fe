"""Shared fixtures of periodic reporting (issue 10): agency trees, personas with the right
Agency permissions, a manual indicator form with a sum rule, the seeded GRIS forms, an
assignment with its opened period and reports, and a helper that sends a report through the
real services (start → save draft → submit → approve).

Everything is reached through baocao.periodic.setup and .services (STYLE.md §4.10: state through
services). Time: the period used everywhere is Quý IV/2026 (15/09/2026 – 14/12/2026, GRIS),
opened at OPEN_AT; its deadline is 2 working days after the cut-off, 16/12/2026 17:00 local.

Other test modules import from here, e.g.::

    from tests.baocao.periodic.conftest import OPEN_AT, send_report
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field

import pytest
import time_machine
from django.apps import apps as django_apps
from guardian.shortcuts import assign_perm

from baocao.definitions import gris_period
from baocao.models import AgencyReport, ReportAssignment, ReportForm, ReportingPeriod
from baocao.periodic import services, setup
from portal.calendar import TZ
from portal.choices import AgencyLevel, Role
from portal.models import Agency
from portal.permissions import forget_permissions
from tests.conftest import make_officer
from tests.factories import AgencyFactory, UserFactory

QUARTER_IV = gris_period("quarter", 2026, 4)  # 15/09/2026 00:00 → 15/12/2026 00:00 local
FIRST_PERIOD_START = dt.date(2026, 9, 15)
OPEN_AT = dt.datetime(2026, 12, 15, 6, 0, tzinfo=TZ)  # Tuesday, the day after the cut-off
SEND_AT = dt.datetime(2026, 12, 16, 9, 0, tzinfo=TZ)  # before the deadline
DEADLINE = dt.datetime(2026, 12, 16, 17, 0, tzinfo=TZ)  # 2 working days after 14/12 (Mon)

HANDLING_CODE = "II.06a/VPCP/KSTT"
PROCEDURE_COUNT_CODE = "II.07b/VPCP/KSTT"
INDICATOR_CODE = "TEST.KTXH.01"

SUBMIT = "submit_periodic_report"
APPROVE = "approve_periodic_report"
VIEW_REPORTS = "view_reports"


def grant(user, agency: Agency, *codenames: str):
    """Grant Agency object permissions directly (no role gives the periodic-report ones)."""
    for codename in codenames:
        assign_perm(f"portal.{codename}", user, agency)
    forget_permissions(user)
    return user


@pytest.fixture(autouse=True)
def _private_files_per_test(settings, tmp_path):
    """Each test stores the frozen PDFs in its own folder."""
    from django.utils.functional import empty

    from hoso.models import private_storage

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    private_storage._wrapped = empty
    yield
    private_storage._wrapped = empty


# --- trees -------------------------------------------------------------------------------------

@dataclass
class Tree:
    """A reporting tree: the root (province), the middle level (a district; None in a
    two-level tree) and the communes that report."""

    root: Agency
    district: Agency | None
    communes: list[Agency] = field(default_factory=list)


@pytest.fixture
def three_level_tree(province) -> Tree:
    """Province → district A → communes A1, A2 and a new A3 (tests/conftest.py's province;
    the province also holds district B, commune B1, a department and a two-level commune,
    none of them assigned)."""
    a3 = AgencyFactory(parent=province.district_a, name="UBND xã A3",
                       level=AgencyLevel.COMMUNE)
    return Tree(root=province.root, district=province.district_a,
                communes=[province.commune_a1, province.commune_a2, a3])


@pytest.fixture
def two_level_tree(db) -> Tree:
    """A province organised on two levels since 1/7/2025: province → communes."""
    root = AgencyFactory(name="UBND tỉnh hai cấp", level=AgencyLevel.PROVINCE)
    communes = [AgencyFactory(parent=root, name=name, level=AgencyLevel.COMMUNE)
                for name in ("UBND xã Hòa An", "UBND phường Lê Lợi", "UBND xã Tân Phú")]
    return Tree(root=root, district=None, communes=communes)


# --- personas --------------------------------------------------------------------------------

@dataclass
class People:
    admin: object            # defines forms (manage_agency on the root)
    province_office: object  # Văn phòng UBND tỉnh: view_reports on the root — assigns,
                             # follows completion, reminds, enters paper reports
    district_office: object  # view_reports on district A
    reporter: object         # commune A1: submit_periodic_report
    leader: object           # commune A1: approve_periodic_report
    other_reporter: object   # commune A2: submit_periodic_report


@pytest.fixture
def people(three_level_tree) -> People:
    tree = three_level_tree
    a1, a2 = tree.communes[0], tree.communes[1]
    return People(
        admin=make_officer(tree.root, Role.ADMINISTRATOR, username="report_admin",
                           full_name="Quản trị báo cáo"),
        province_office=make_officer(tree.root, Role.REPORT_VIEWER, username="vp_ubnd_tinh",
                                     full_name="Văn phòng UBND tỉnh"),
        district_office=make_officer(tree.district, Role.REPORT_VIEWER,
                                     username="vp_ubnd_huyen_a"),
        reporter=grant(make_officer(a1, Role.DESK_OFFICER, username="reporter_a1",
                                    full_name="Trần Thị Lan"), a1, SUBMIT),
        leader=grant(make_officer(a1, Role.LEADER, username="leader_a1",
                                  full_name="Nguyễn Văn Bình"), a1, APPROVE),
        other_reporter=grant(make_officer(a2, Role.DESK_OFFICER, username="reporter_a2"),
                             a2, SUBMIT),
    )


@pytest.fixture
def two_level_people(two_level_tree) -> People:
    tree = two_level_tree
    c1, c2 = tree.communes[0], tree.communes[1]
    admin = make_officer(tree.root, Role.ADMINISTRATOR, username="report_admin_2")
    office = make_officer(tree.root, Role.REPORT_VIEWER, username="vp_ubnd_tinh_2")
    return People(
        admin=admin, province_office=office, district_office=office,
        reporter=grant(UserFactory(username="reporter_2c1"), c1, SUBMIT),
        leader=grant(UserFactory(username="leader_2c1"), c1, APPROVE),
        other_reporter=grant(UserFactory(username="reporter_2c2"), c2, SUBMIT),
    )


# --- forms -------------------------------------------------------------------------------------

INDICATOR_ROWS = [
    {"code": "DS", "label": "Dân số trung bình", "section": "Dân số", "unit": "người",
     "value_type": "integer"},
    {"code": "DS_NAM", "label": "Dân số nam", "section": "Dân số", "unit": "người",
     "value_type": "integer"},
    {"code": "DS_NU", "label": "Dân số nữ", "section": "Dân số", "unit": "người",
     "value_type": "integer"},
    {"code": "LUA", "label": "Diện tích gieo trồng lúa", "section": "Nông nghiệp",
     "unit": "ha", "value_type": "decimal"},
    {"code": "HO_NGHEO", "label": "Tỷ lệ hộ nghèo", "section": "Lao động – xã hội",
     "unit": "%", "value_type": "percent", "aggregation": "avg", "max_value": "100"},
    {"code": "GHI_CHU", "label": "Khó khăn, vướng mắc, kiến nghị", "section": "Khác",
     "value_type": "text", "aggregation": "none", "required": False},
]
INDICATOR_RULES = [{"kind": "sum", "axis": "row", "target": "DS", "parts": ["DS_NAM", "DS_NU"]}]
# what each commune sends (raw strings, as typed on the page), by the commune's position
INDICATOR_VALUES = [
    {"DS": "12500", "DS_NAM": "6100", "DS_NU": "6400", "LUA": "850,5", "HO_NGHEO": "4,2",
     "GHI_CHU": "Mưa lớn làm ngập 20 ha lúa."},
    {"DS": "9800", "DS_NAM": "4900", "DS_NU": "4900", "LUA": "1.020,25", "HO_NGHEO": "6",
     "GHI_CHU": ""},
    {"DS": "7300", "DS_NAM": "3650", "DS_NU": "3650", "LUA": "410", "HO_NGHEO": "3,5",
     "GHI_CHU": ""},
]


def indicator_values(position: int) -> dict[str, dict[str, str]]:
    """INDICATOR_VALUES[position] in the {row: {column: raw}} shape of save_draft."""
    return {row: {"value": raw} for row, raw in INDICATOR_VALUES[position].items()}


@pytest.fixture
def indicator_form(people) -> ReportForm:
    """A manual INDICATORS form (quarterly, GRIS cut-offs) with a sum rule DS = DS_NAM + DS_NU,
    integers, a decimal (ha), a percentage averaged up the tree and an optional text."""
    return setup.define_form(
        code=INDICATOR_CODE, title="Một số chỉ tiêu kinh tế – xã hội (thử nghiệm)",
        period_kind="quarter", layout=ReportForm.Layout.INDICATORS, system="gris",
        legal_basis="Thử nghiệm", unit_note="", description="",
        columns=[{"code": "value", "heading": "Số liệu"}],
        rows=INDICATOR_ROWS, rules=INDICATOR_RULES, by=people.admin)


def seed_report_forms() -> None:
    """Run the seeding of baocao/migrations/0004 again (idempotent): the forms are there
    after migrate, but a transactional test may have flushed them."""
    migration = importlib.import_module("baocao.migrations.0004_seed_report_forms")
    migration.seed_report_forms(django_apps, None)


@pytest.fixture
def handling_form(db) -> ReportForm:
    """The seeded Biểu II.06a/VPCP/KSTT (13 columns, dynamic rows, source "handling")."""
    seed_report_forms()
    return ReportForm.objects.get(code=HANDLING_CODE)


@pytest.fixture
def procedure_count_form(db) -> ReportForm:
    seed_report_forms()
    return ReportForm.objects.get(code=PROCEDURE_COUNT_CODE)


# --- assignments, periods, reports ----------------------------------------------------------

@dataclass
class Setup:
    form: ReportForm
    assignment: ReportAssignment
    period: ReportingPeriod  # Quý IV/2026
    reports: dict[Agency, AgencyReport]  # by assigned agency, in the tree's order

    def report(self, agency: Agency) -> AgencyReport:
        return AgencyReport.objects.get(pk=self.reports[agency].pk)


def assign(form: ReportForm, agencies: list[Agency], receiving: Agency, by,
           now: dt.datetime = OPEN_AT) -> Setup:
    """Assign the form from Quý IV/2026 on, at `now` (which opens every started period:
    at OPEN_AT that is Quý IV/2026 and Quý I/2027, which started on 15/12/2026)."""
    assignment = setup.assign_form(
        form=form, agencies=agencies, receiving_agency=receiving,
        first_period_start=FIRST_PERIOD_START, deadline_working_days=2,
        remind_before_days=1, remind_after_days=1, by=by, now=now)
    period = ReportingPeriod.objects.get(assignment=assignment, year=2026, number=4)
    found = {r.agency_id: r for r in AgencyReport.objects.filter(period=period)}
    return Setup(form=form, assignment=assignment, period=period,
                 reports={agency: found[agency.pk] for agency in agencies})


@pytest.fixture
def indicator_setup(three_level_tree, people, indicator_form) -> Setup:
    """The indicator form assigned to the three communes of district A, received by the
    province; Quý IV/2026 opened, every report not started."""
    return assign(indicator_form, three_level_tree.communes, three_level_tree.root,
                  people.province_office)


@pytest.fixture
def handling_setup(three_level_tree, people, handling_form) -> Setup:
    """Biểu II.06a assigned to the three communes of district A for Quý IV/2026."""
    return assign(handling_form, three_level_tree.communes, three_level_tree.root,
                  people.province_office)


@pytest.fixture
def two_level_setup(two_level_tree, two_level_people, indicator_form) -> Setup:
    """The indicator form assigned to the three communes of the two-level province."""
    return assign(indicator_form, two_level_tree.communes, two_level_tree.root,
                  two_level_people.province_office)


def send_report(report: AgencyReport, values: dict[str, dict[str, str]], *, reporter=None,
                leader=None, at: dt.datetime = SEND_AT, approve: bool = True):
    """Take a report through the real services at `at`: start, save the values, submit and
    (unless approve=False) approve. Officers with the right permission on the report's
    agency are made when not given. Returns the submitted (or approved) version."""
    agency = report.agency
    reporter = reporter or grant(UserFactory(), agency, SUBMIT)
    leader = leader or grant(UserFactory(), agency, APPROVE)
    with time_machine.travel(at, tick=False):
        services.start_report(report=report, by=reporter)
        services.save_draft(report=report, values=values, notes={}, note="", by=reporter)
        version = services.submit_report(report=report, by=reporter)
        if approve:
            services.approve_report(report=report, by=leader)
            version.refresh_from_db()
    return version


@pytest.fixture
def sent_indicator_reports(indicator_setup) -> Setup:
    """Communes A1 and A2 sent (approved) INDICATOR_VALUES[0] and [1] on 16/12/2026;
    A3 has not started."""
    a1, a2, _a3 = indicator_setup.reports
    send_report(indicator_setup.report(a1), indicator_values(0))
    send_report(indicator_setup.report(a2), indicator_values(1))
    return indicator_setup


@pytest.fixture
def sent_two_level_reports(two_level_setup) -> Setup:
    """Two of the three communes of the two-level province sent (values [0] and [2])."""
    c1, _c2, c3 = two_level_setup.reports
    send_report(two_level_setup.report(c1), indicator_values(0))
    send_report(two_level_setup.report(c3), indicator_values(2))
    return two_level_setup
