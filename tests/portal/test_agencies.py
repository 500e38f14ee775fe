"""The organisation tree: directory pages, API, officer creation; unknown codes change nothing."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal import services
from portal.choices import AgencyLevel, Role
from portal.errors import InvalidInput, NotFoundError
from portal.models import Agency, AgencyMembership, User

pytestmark = pytest.mark.django_db


def test_directory_lists_the_tree_in_order(client, province):
    page = client.get(reverse("portal:agency_list")).content.decode()
    assert page.index("UBND huyện A") < page.index("UBND xã A1") < page.index("UBND huyện B")


def test_agency_page_shows_parents_children_and_hours(client, province):
    page = client.get(reverse("portal:agency_detail", args=[province.district_a.code]))
    text = page.content.decode()
    assert "UBND tỉnh thử nghiệm" in text
    assert "UBND xã A1" in text
    assert "07:30–11:30, 13:30–17:00" in text


def test_unknown_agency_code_page_is_a_vietnamese_404(client, province):
    response = client.get(reverse("portal:agency_detail", args=["000.00.99.X99"]))
    assert response.status_code == 404
    assert "Không tìm thấy cơ quan, đơn vị có mã định danh" in response.content.decode()


def test_unknown_agency_code_in_the_api_is_404_with_code_and_detail(client, province):
    response = client.get(reverse("api:agency-detail", args=["000.00.99.X99"]))
    assert response.status_code == 404
    assert response.json() == {
        "code": "agency_not_found",
        "detail": "Không tìm thấy cơ quan, đơn vị có mã định danh “000.00.99.X99”.",
    }


def test_api_lists_agencies_with_parent_codes(client, province):
    data = client.get(reverse("api:agency-list")).json()
    by_code = {row["code"]: row for row in data["results"]}
    assert by_code[province.commune_a1.code]["parent_code"] == province.district_a.code
    assert by_code[province.root.code]["parent_code"] is None


def test_create_officer_with_unknown_agency_code_creates_nothing(province):
    with pytest.raises(NotFoundError) as exc:
        services.create_officer(username="moi", full_name="Cán bộ mới",
                                agency_code="000.00.99.X99", role=Role.DESK_OFFICER)
    assert exc.value.code == "agency_not_found"
    assert not User.objects.filter(username="moi").exists()


def test_create_officer_command_reports_unknown_code_in_vietnamese(province):
    with pytest.raises(CommandError, match="Không tìm thấy cơ quan"):
        call_command("create_officer", "moi", "--full-name", "Cán bộ mới", "--agency",
                     "000.00.99.X99", "--role", "desk_officer")
    assert not User.objects.filter(username="moi").exists()


def test_create_officer_grants_the_role(province):
    user = services.create_officer(username="moi", full_name="Cán bộ mới",
                                   agency_code=province.commune_b1.code, role=Role.DESK_OFFICER)
    assert AgencyMembership.objects.get(user=user).agency == province.commune_b1
    assert not user.has_usable_password()


def test_create_officer_with_invalid_phone_creates_nothing(province):
    with pytest.raises(InvalidInput, match="Số điện thoại không hợp lệ"):
        services.create_officer(username="moi", full_name="Cán bộ mới", phone="123",
                                agency_code=province.commune_b1.code, role=Role.DESK_OFFICER)
    assert not User.objects.filter(username="moi").exists()


def test_malformed_agency_code_is_refused_and_nothing_is_added(province):
    before = Agency.objects.count()
    with pytest.raises(InvalidInput, match="Mã định danh cơ quan không đúng định dạng"):
        services.create_agency(parent=province.root, code="H55", name="Sai mã",
                               level=AgencyLevel.PROVINCE, kind="department")
    assert Agency.objects.count() == before


def test_depth_is_data_a_fourth_level_works(province, province_viewer):
    from portal.permissions import has_agency_perm

    hamlet_point = services.create_agency(
        parent=province.commune_a1, code="000.09.09.T99", name="Điểm tiếp nhận thôn 1",
        level=AgencyLevel.COMMUNE, kind="reception_point")
    assert hamlet_point.depth == 4
    assert has_agency_perm(province_viewer, "portal.view_reports", hamlet_point)


def test_api_requires_authentication_with_a_vietnamese_detail(client):
    response = client.get(reverse("api:me"))
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "detail": "Vui lòng đăng nhập."}


def test_api_token_and_me(client, citizen):
    from tests.conftest import PASSWORD

    token = client.post(reverse("api:token"), {"username": citizen.username,
                                               "password": PASSWORD}).json()["token"]
    me = client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {token}").json()
    assert me["cccd"] == citizen.cccd
    assert me["roles"] == ["citizen"]


def test_api_token_with_wrong_password_is_400_with_code(client, citizen):
    response = client.post(reverse("api:token"), {"username": citizen.username,
                                                  "password": "sai"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_openapi_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
