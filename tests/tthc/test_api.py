"""Catalogue API: read for everyone, search and filters, write for administrators only."""

import pytest
from django.urls import reverse

from portal import services as portal_services
from portal.choices import Role
from tests.factories import AgencyFactory, UserFactory
from tests.tthc.conftest import record
from tthc.models import Procedure

pytestmark = pytest.mark.django_db
LIST = reverse("api:procedure-list")


def detail(code):
    return reverse("api:procedure-detail", args=[code])


def test_list_search_and_filters(client, small_catalogue):
    data = client.get(LIST, {"q": "dang ky khai sinh"}).json()
    assert [p["national_code"] for p in data["results"]] == ["1.001193"]
    data = client.get(LIST, {"level": "province"}).json()
    assert [p["name"] for p in data["results"]] == [
        "Cấp phiếu lý lịch tư pháp cho công dân Việt Nam"]
    row = client.get(LIST, {"q": "khai sinh"}).json()["results"][0]
    assert row["legacy_level"] == 4
    assert row["levels"] == ["commune"]


def test_detail_has_workflow_documents_fees_and_eform(client, birth):
    data = client.get(detail("1.001193")).json()
    assert data["fees"][0]["online_amount"] == 4000
    assert [s["name"] for s in data["workflows"][0]["steps"]] == ["Tiếp nhận", "Thẩm định",
                                                                  "Ký duyệt"]
    assert data["documents"][1]["doc_type_code"] == "GCS"
    assert data["eform_schema"]["title"] == "Tờ khai đăng ký khai sinh"


def test_unknown_procedure_is_404_with_code(client, birth):
    response = client.get(detail("9.999999"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_endpoints_appear_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/procedures/" in schema["paths"]
    assert "/api/v1/procedures/{national_code}/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/procedures/"]["get"]["parameters"]}
    assert {"q", "field", "level", "agency", "service_mode"} <= params


def test_unauthenticated_writes_are_refused(client, birth):
    assert client.post(LIST, record(national_code="1.000001"),
                       content_type="application/json").status_code == 401
    assert client.put(detail("1.001193"), record(), content_type="application/json"
                      ).status_code == 401
    assert client.delete(detail("1.001193")).status_code == 401
    assert Procedure.objects.count() == 1


def test_officers_without_the_admin_permission_cannot_write(client, birth):
    officer = UserFactory()
    portal_services.grant_role(user=officer, agency=AgencyFactory(), role=Role.LEADER)
    client.force_login(officer)
    response = client.post(LIST, record(national_code="1.000001"),
                           content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied",
                               "detail": "Bạn không có quyền thực hiện thao tác này."}


@pytest.fixture
def admin_api(client):
    admin = UserFactory()
    portal_services.grant_role(user=admin, agency=AgencyFactory(), role=Role.ADMINISTRATOR)
    client.force_login(admin)
    return client


def test_administrator_creates_updates_and_retires(admin_api, birth):
    response = admin_api.post(LIST, record(national_code="1.000001", name="Thủ tục thử"),
                              content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Thủ tục thử"
    response = admin_api.put(detail("1.000001"), record(national_code="1.000001",
                                                        name="Thủ tục thử (sửa)"),
                             content_type="application/json")
    assert response.status_code == 200
    assert Procedure.objects.get(national_code="1.000001").version == 2
    assert admin_api.delete(detail("1.000001")).status_code == 200
    assert admin_api.get(detail("1.000001")).status_code == 404


def test_invalid_write_is_400_with_reasons_and_changes_nothing(admin_api, birth):
    response = admin_api.put(detail("1.001193"), record(processing_time="0"),
                             content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_procedure"
    assert "Thời hạn giải quyết phải lớn hơn 0." in body["detail"]
    assert Procedure.objects.get(national_code="1.001193").version == 1


def test_put_with_a_different_code_in_the_body_is_refused(admin_api, birth):
    response = admin_api.put(detail("1.001193"), record(national_code="1.000002"),
                             content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "code_mismatch"
