"""Object permissions on Agency apply to the agency's whole subtree (DESIGN.md §3, STYLE §4.4)."""

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from portal import services
from portal.choices import Role
from portal.models import AgencyMembership, AgencyUserObjectPermission
from portal.permissions import agencies_with_perm, has_agency_perm
from tests.conftest import make_officer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def codes(qs):
    return set(qs.values_list("code", flat=True))


def test_district_officer_sees_own_district_and_its_communes_only(province, district_a_desk):
    visible = codes(agencies_with_perm(district_a_desk, "portal.receive_dossier"))
    assert visible == {province.district_a.code, province.commune_a1.code,
                       province.commune_a2.code}


def test_district_a_officer_sees_nothing_of_district_b(province, district_a_desk):
    visible = agencies_with_perm(district_a_desk, "portal.view_dossier")
    assert not visible.filter(pk__in=[province.district_b.pk, province.commune_b1.pk]).exists()
    assert not has_agency_perm(district_a_desk, "portal.receive_dossier", province.commune_b1)
    assert has_agency_perm(district_a_desk, "portal.receive_dossier", province.commune_a2)


def test_province_officer_with_the_permission_sees_all(province, province_viewer):
    assert codes(agencies_with_perm(province_viewer, "portal.view_reports")) == {
        a.code for a in vars(province).values()}


def test_province_officer_without_the_permission_sees_nothing(province, province_viewer):
    assert not agencies_with_perm(province_viewer, "portal.receive_dossier").exists()


def test_commune_in_the_two_level_branch_is_covered_by_the_province(province, province_viewer):
    assert has_agency_perm(province_viewer, "portal.view_reports", province.two_level_commune)


def test_permission_granted_to_a_group_is_inherited_too(province):
    group = Group.objects.create(name="Tổ công tác huyện B")
    user = UserFactory()
    user.groups.add(group)
    assign_perm("portal.view_reports", group, province.district_b)
    assert codes(agencies_with_perm(user, "portal.view_reports")) == {
        province.district_b.code, province.commune_b1.code}


def test_superuser_sees_all_inactive_user_and_anonymous_see_nothing(province, district_a_desk):
    from django.contrib.auth.models import AnonymousUser

    admin = UserFactory(is_superuser=True)
    assert agencies_with_perm(admin, "portal.receive_dossier").count() == 8
    district_a_desk.is_active = False
    assert not agencies_with_perm(district_a_desk, "portal.receive_dossier").exists()
    assert not agencies_with_perm(AnonymousUser(), "portal.receive_dossier").exists()


def test_the_answer_is_one_query(province, district_a_desk, django_assert_num_queries):
    make_officer(province.district_b, Role.LEADER, username="other")
    services.grant_role(user=district_a_desk, agency=province.department, role=Role.DESK_OFFICER)
    with django_assert_num_queries(1):
        assert len(list(agencies_with_perm(district_a_desk, "portal.receive_dossier"))) == 4


def test_roles_grant_their_permission_sets(province):
    leader = make_officer(province.commune_a1, Role.LEADER)
    for perm in ("view_dossier", "process_dossier", "approve_dossier", "assign_dossier",
                 "view_reports"):
        assert has_agency_perm(leader, f"portal.{perm}", province.commune_a1), perm
    assert not has_agency_perm(leader, "portal.receive_dossier", province.commune_a1)
    assert leader.has_role(Role.LEADER)
    # guardian's own API agrees, on the granted agency
    assert leader.has_perm("portal.approve_dossier", province.commune_a1)


def test_permissions_are_rows_on_agencies_never_per_user_object_elsewhere(province,
                                                                           district_a_desk):
    rows = AgencyUserObjectPermission.objects.filter(user=district_a_desk)
    assert {r.content_object_id for r in rows} == {province.district_a.pk}


def test_revoking_a_role_keeps_permissions_of_another_role(province):
    user = make_officer(province.district_a, Role.DESK_OFFICER)
    services.grant_role(user=user, agency=province.district_a, role=Role.PROCESSING_OFFICER)
    services.revoke_role(user=user, agency=province.district_a, role=Role.DESK_OFFICER)
    assert not has_agency_perm(user, "portal.receive_dossier", province.district_a)
    assert has_agency_perm(user, "portal.view_dossier", province.district_a)  # still an officer
    assert not user.has_role(Role.DESK_OFFICER)
    assert user.has_role(Role.PROCESSING_OFFICER)


def test_granting_twice_is_idempotent(province, district_a_desk):
    services.grant_role(user=district_a_desk, agency=province.district_a, role=Role.DESK_OFFICER)
    assert AgencyMembership.objects.filter(user=district_a_desk).count() == 1


def test_citizen_role_cannot_be_granted_in_an_agency(province, citizen):
    from portal.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.grant_role(user=citizen, agency=province.root, role=Role.CITIZEN)
    assert not AgencyMembership.objects.filter(user=citizen).exists()


def test_unknown_permission_names_are_a_programming_error(district_a_desk):
    with pytest.raises(ValueError, match="not a permission"):
        agencies_with_perm(district_a_desk, "portal.fly")


def test_restrict_filters_any_queryset_by_agency_in_one_query(
        province, district_a_desk, district_b_desk, django_assert_num_queries):
    from portal.permissions import restrict

    make_officer(province.commune_a1, Role.LEADER, username="leader_a1")
    make_officer(province.commune_b1, Role.LEADER, username="leader_b1")
    with django_assert_num_queries(1):
        rows = list(restrict(AgencyMembership.objects.all(), district_a_desk,
                             "portal.view_dossier").values_list("user__username", flat=True))
    assert sorted(rows) == ["desk_a", "leader_a1"]


def test_a_revoked_role_is_gone_at_the_next_request_in_every_process(province):
    from portal.models import User
    from portal.permissions import has_agency_perm

    commune = province.commune_a1
    officer = make_officer(commune, Role.DESK_OFFICER, username="mc_thu_hoi")
    first_request = User.objects.get(pk=officer.pk)
    assert has_agency_perm(first_request, "portal.receive_dossier", commune)
    assert Role.DESK_OFFICER in first_request.roles  # both now in the shared cache
    services.revoke_role(user=officer, agency=commune, role=Role.DESK_OFFICER)
    next_request = User.objects.get(pk=officer.pk)
    assert not has_agency_perm(next_request, "portal.receive_dossier", commune)
    assert Role.DESK_OFFICER not in next_request.roles


def test_a_permission_row_removed_by_hand_is_gone_at_the_next_request(province):
    from portal.models import AgencyUserObjectPermission, User
    from portal.permissions import has_agency_perm

    commune = province.commune_a1
    officer = make_officer(commune, Role.DESK_OFFICER, username="mc_xoa_tay")
    assert has_agency_perm(User.objects.get(pk=officer.pk), "portal.receive_dossier", commune)
    for row in AgencyUserObjectPermission.objects.filter(user=officer):
        row.delete()  # as the admin site does
    officer.groups.clear()
    assert not has_agency_perm(User.objects.get(pk=officer.pk), "portal.receive_dossier",
                               commune)
