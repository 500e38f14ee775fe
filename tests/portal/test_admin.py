"""The admin pages administrators configure the portal with."""

import datetime as dt

import pytest
from django.urls import reverse

from portal.calendar import TZ, add_working_time
from portal.choices import Role
from portal.models import Agency, AgencyMembership, CalendarYear
from portal.permissions import has_agency_perm
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    admin = UserFactory(username="quantri_test", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def inline(prefix: str, rows: list[dict], total: int | None = None) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(total or len(rows)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def test_administrator_enters_a_years_schedule_and_deadlines_follow(admin_client):
    friday = dt.datetime(2027, 3, 5, 10, 0, tzinfo=TZ)
    assert add_working_time(friday, 1) == dt.datetime(2027, 3, 8, 10, 0, tzinfo=TZ)
    response = admin_client.post(reverse("admin:portal_calendaryear_add"), {
        "year": "2027", "decision": "Thông báo thử nghiệm", "note": "",
        **inline("days", [
            {"date": "06/03/2027", "kind": "makeup_workday", "name": "Làm bù", "decision": ""},
            {"date": "09/03/2027", "kind": "day_off", "name": "Nghỉ hoán đổi", "decision": ""},
        ]),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CalendarYear.objects.get(year=2027).days.count() == 2
    assert add_working_time(friday, 1) == dt.datetime(2027, 3, 6, 10, 0, tzinfo=TZ)
    assert add_working_time(friday, 2) == dt.datetime(2027, 3, 8, 10, 0, tzinfo=TZ)
    assert add_working_time(friday, 3) == dt.datetime(2027, 3, 10, 10, 0, tzinfo=TZ)


def test_a_day_outside_the_year_is_refused_in_vietnamese(admin_client):
    response = admin_client.post(reverse("admin:portal_calendaryear_add"), {
        "year": "2027", "decision": "", "note": "",
        **inline("days", [{"date": "06/03/2028", "kind": "holiday", "name": "Sai năm",
                           "decision": ""}]),
    })
    assert response.status_code == 200
    assert "không thuộc năm 2027" in response.content.decode()
    assert not CalendarYear.objects.exists()


def test_agency_tree_admin_lists_and_adds_under_a_parent(admin_client, province):
    assert admin_client.get(reverse("admin:portal_agency_changelist")).status_code == 200
    response = admin_client.post(reverse("admin:portal_agency_add"), {
        "code": "000.03.41.T99", "name": "UBND xã A3", "short_name": "", "level": "commune",
        "kind": "peoples_committee", "admin_unit_code": "", "address": "", "phone": "",
        "email": "", "working_hours": "", "is_active": "on",
        "treebeard_position": "sorted-child", "treebeard_ref_node": str(province.district_a.pk),
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    added = Agency.objects.get(code="000.03.41.T99")
    assert Agency.objects.get_parent(added) == province.district_a


def test_agency_admin_refuses_a_malformed_code(admin_client, province):
    response = admin_client.post(reverse("admin:portal_agency_add"), {
        "code": "H55", "name": "Sai mã", "level": "commune", "kind": "peoples_committee",
        "treebeard_position": "sorted-child", "treebeard_ref_node": str(province.root.pk),
    })
    assert "Mã định danh cơ quan không đúng định dạng" in response.content.decode()
    assert not Agency.objects.filter(name="Sai mã").exists()


def test_role_added_in_user_admin_grants_the_agency_permissions(admin_client, province):
    officer = UserFactory(username="canbo_moi")
    url = reverse("admin:portal_user_change", args=[officer.pk])
    response = admin_client.post(url, {
        "username": "canbo_moi", "full_name": "Cán bộ mới", "cccd": "", "tax_code": "",
        "phone": "", "email": "canbo@example.vn", "is_active": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "01/11/2026",
        "date_joined_1": "08:00",
        **inline("memberships", [{"agency": str(province.commune_b1.pk),
                                  "role": Role.DESK_OFFICER}]),
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AgencyMembership.objects.filter(user=officer, role=Role.DESK_OFFICER).exists()
    assert has_agency_perm(officer, "portal.receive_dossier", province.commune_b1)
    assert not has_agency_perm(officer, "portal.receive_dossier", province.commune_a1)


def test_role_removed_in_user_admin_revokes_the_permissions(admin_client, province):
    from tests.conftest import make_officer

    officer = make_officer(province.commune_b1, Role.DESK_OFFICER, username="canbo_cu")
    membership = AgencyMembership.objects.get(user=officer)
    response = admin_client.post(reverse("admin:portal_user_change", args=[officer.pk]), {
        "username": "canbo_cu", "full_name": "Cán bộ cũ", "cccd": "", "tax_code": "",
        "phone": "", "email": "canbo@example.vn", "is_active": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "01/11/2026",
        "date_joined_1": "08:00",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(membership.pk), "memberships-0-user": str(officer.pk),
        "memberships-0-agency": str(province.commune_b1.pk),
        "memberships-0-role": Role.DESK_OFFICER, "memberships-0-DELETE": "on",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not AgencyMembership.objects.filter(user=officer).exists()
    assert not has_agency_perm(officer, "portal.receive_dossier", province.commune_b1)
