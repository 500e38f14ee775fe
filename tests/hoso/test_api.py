"""The dossier API: multipart submission with an idempotency key, desk intake, checks,
object-level access, OpenAPI."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hoso.choices import DossierStatus
from hoso.models import Dossier
from tests.hoso.conftest import BIRTH_FORM, online_submit, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def submission(agency):
    return {
        "procedure": "1.001193", "deciding_agency": agency.code,
        "form_data": json.dumps(BIRTH_FORM), "result_delivery": "online",
        "file_1": SimpleUploadedFile("to-khai.pdf", pdf_bytes(), "application/pdf"),
        "file_2": SimpleUploadedFile("gcs.png", png_bytes(), "image/png"),
    }


def test_citizen_submits_with_multipart_uploads_once_per_idempotency_key(
        client, province, birth_procedure, citizen):
    client.force_login(citizen)
    url = reverse("api:dossier-list")
    first = client.post(url, submission(province.commune_a1), HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == DossierStatus.SUBMITTED
    assert first.json()["owner_id_number"] == citizen.cccd  # from the account
    again = client.post(url, submission(province.commune_a1), HTTP_IDEMPOTENCY_KEY="retry-1")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Dossier.objects.count() == 1
    assert [d["id"] for d in client.get(url).json()] == [first.json()["id"]]


def test_a_bad_upload_through_the_api_is_400_and_leaves_nothing(client, province,
                                                                birth_procedure, citizen):
    client.force_login(citizen)
    data = submission(province.commune_a1)
    data["file_2"] = SimpleUploadedFile("gcs.png", b"GIF89a fake", "image/png")
    response = client.post(reverse("api:dossier-list"), data)
    assert response.status_code == 400
    assert response.json()["code"] == "file_type"
    assert not Dossier.objects.exists()


def test_desk_intake_and_receipt_through_the_api(client, province, birth_procedure, desk_a1):
    client.force_login(desk_a1)
    response = client.post(reverse("api:desk-intake"), {
        "procedure": "1.001193", "deciding_agency": province.commune_a1.code,
        "owner_name": "Phạm Thị Hoa", "owner_id_number": "019190001111",
        "owner_phone": "0977000222",
        "papers": [{"position": 1, "originals": 1}, {"position": 2, "originals": 1}],
    }, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["code"].startswith(province.commune_a1.code)
    assert response.json()["status"] == DossierStatus.RECEIVED


def test_checking_online_submissions_through_the_api(client, province, birth_procedure,
                                                     citizen, desk_a1, desk_b1):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    client.force_login(desk_b1)
    assert client.post(reverse("api:dossier-receive", args=[dossier.pk])).status_code == 404
    client.force_login(desk_a1)
    refused = client.post(reverse("api:dossier-reject", args=[dossier.pk]), {"reason": ""},
                          content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Vui lòng ghi rõ lý do."
    received = client.post(reverse("api:dossier-receive", args=[dossier.pk]))
    assert received.status_code == 200
    assert received.json()["code"]
    twice = client.post(reverse("api:dossier-receive", args=[dossier.pk]))
    assert twice.status_code == 409
    assert twice.json()["code"] == "transition_not_allowed"


def test_citizens_cannot_use_officer_endpoints(client, citizen, province):
    client.force_login(citizen)
    assert client.get(reverse("api:inbox", args=["cho-kiem-tra"])).status_code == 403
    assert client.post(reverse("api:desk-intake"), {}, content_type="application/json"
                       ).status_code == 403


def test_inbox_api_pages_by_cursor(client, province, birth_procedure, citizen, desk_a1):
    for _ in range(3):
        online_submit(citizen, birth_procedure, province.commune_a1)
    client.force_login(desk_a1)
    data = client.get(reverse("api:inbox", args=["cho-kiem-tra"])).json()
    assert len(data["results"]) == 3
    assert data["counts"]["cho-kiem-tra"] == "3"


def test_dossier_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in ("/api/v1/dossiers/", "/api/v1/dossiers/desk-intake/",
                 "/api/v1/dossiers/{dossier_id}/receive/", "/api/v1/tracking/",
                 "/api/v1/inbox/{queue}/"):
        assert path in paths, path
