"""seed_demo: the demo province, the official calendar and an account for every role."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from portal import demo
from portal.calendar import get_calendar
from portal.choices import AgencyLevel, Role
from portal.models import Agency, AgencyMembership, CalendarDay, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return demo.seed_demo()


def test_seed_builds_three_levels_and_a_two_level_branch(seeded):
    root = Agency.objects.get(code=demo.ROOT_CODE)
    assert root.name == "Ủy ban nhân dân tỉnh Thái Nguyên"
    levels = {lvl: Agency.objects.filter(level=lvl).count() for lvl in AgencyLevel.values}
    assert levels[AgencyLevel.DISTRICT] == 8
    assert levels[AgencyLevel.COMMUNE] == 40 + 2
    assert Agency.objects.filter(kind="department").count() == 12
    assert Agency.objects.filter(level=AgencyLevel.PROVINCE).count() == 18
    district_communes = Agency.objects.get_children(Agency.objects.get(code="000.00.41.H55"))
    assert {c.admin_unit_code for c in district_communes} == {
        "05431", "05434", "05437", "05440", "05443"}
    two_level = Agency.objects.get(code=demo.TWO_LEVEL_COMMUNE_CODE)
    assert two_level.level == AgencyLevel.COMMUNE
    assert Agency.objects.get_parent(two_level) == root


def test_seed_is_idempotent(seeded):
    counts = (Agency.objects.count(), User.objects.count(), AgencyMembership.objects.count(),
              CalendarDay.objects.count())
    assert demo.seed_demo() == seeded
    assert counts == (Agency.objects.count(), User.objects.count(),
                      AgencyMembership.objects.count(), CalendarDay.objects.count())


def test_seed_loads_the_official_schedules(seeded):
    # Công văn 12729/VPCP-KGVX: Fri 02/01/2026 off, swapped with Sat 10/01/2026.
    cal = get_calendar()
    assert not cal.is_working_day(dt.date(2026, 1, 2))
    assert cal.is_working_day(dt.date(2026, 1, 10))
    assert CalendarDay.objects.get(date=dt.date(2026, 1, 10)).decision.startswith("Công văn")


def test_every_role_has_demo_accounts_at_province_district_and_commune(seeded):
    officer_roles = {a.role for a in demo.DEMO_ACCOUNTS}
    assert officer_roles == {Role.ADMINISTRATOR, Role.DESK_OFFICER, Role.PROCESSING_OFFICER,
                             Role.LEADER, Role.REPORT_VIEWER, Role.REPORTER}
    desk_levels = {Agency.objects.get(code=a.agency_code).level
                   for a in demo.DEMO_ACCOUNTS if a.role == Role.DESK_OFFICER}
    assert desk_levels == {AgencyLevel.PROVINCE, AgencyLevel.DISTRICT, AgencyLevel.COMMUNE}
    assert User.objects.get(cccd=demo.DEMO_CITIZEN["cccd"]).has_role(Role.CITIZEN)


EXPECTED_LANDING = {
    Role.ADMINISTRATOR: "admin:index",
    Role.DESK_OFFICER: "portal:reception_desk",
    Role.PROCESSING_OFFICER: "portal:processing_desk",
    Role.LEADER: "portal:processing_desk",
    Role.REPORT_VIEWER: "portal:reports_home",
    Role.REPORTER: "baocao:periodic_inbox",
}


def test_every_demo_account_logs_in_and_lands_on_its_role_page(seeded, client):
    accounts = [(a.username, EXPECTED_LANDING[a.role]) for a in demo.DEMO_ACCOUNTS]
    accounts.append((demo.DEMO_CITIZEN["cccd"], "portal:account"))
    for username, landing in accounts:
        client.logout()
        response = client.post(reverse("portal:login"),
                               {"username": username, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, username
        response = client.get(response.url)
        assert response.url == reverse(landing), username
        assert client.get(response.url).status_code == 200, username


def test_province_report_viewer_sees_the_whole_province(seeded, client):
    client.post(reverse("portal:login"),
                {"username": "tinh.baocao", "password": demo.DEMO_PASSWORD})
    page = client.get(reverse("portal:reports_home")).content.decode()
    assert "Ủy ban nhân dân tỉnh Thái Nguyên" in page
    assert f"<th class=\"num\">{Agency.objects.count()}</th>" in page


@override_settings(PORTAL_DEMO=False)
def test_seed_refuses_on_production_settings_unless_forced():
    with pytest.raises(CommandError, match="Từ chối tạo tài khoản mẫu"):
        call_command("seed_demo")
    assert not User.objects.exists()
    call_command("seed_demo", "--force")
    assert User.objects.filter(username="quantri", is_superuser=True).exists()
