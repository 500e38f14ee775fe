"""Public verification of results (/xac-thuc/) and the verification API for other agencies
(/api/v1/results/<code>/verification/): authentic, unchanged, not revoked (N36–N37)."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from hoso import signing
from hoso.models import private_storage
from hoso.services import eresults, processing
from tests.hoso.conftest import pdf_bytes, pdf_upload
from tests.hoso.test_eresults import (  # noqa: F401
    ISSUED_ON,
    at_signing_step,
    issue,
    issued,
)
from tests.hoso.test_processing import people  # noqa: F401

pytestmark = pytest.mark.django_db

VALID = "Văn bản hợp lệ"
REVOKED = "ĐÃ BỊ THU HỒI"


def page(client, result, address="10.0.0.1"):
    response = client.get(reverse("hoso:verify_result", args=[result.verify_token]),
                          REMOTE_ADDR=address)
    assert response.status_code == 200
    return response.content.decode()


def stored(result) -> bytes:
    with private_storage.open(result.file.name, "rb") as handle:
        return handle.read()


# --- the page the QR opens --------------------------------------------------------------------

def test_a_fresh_result_is_valid_and_revocation_flips_the_page(client, people, issued):
    html = page(client, issued)
    assert VALID in html
    assert REVOKED not in html
    assert issued.code in html
    assert "Nguyễn V*** A" in html  # masked owner
    assert "Nguyễn Văn An" not in html
    assert "019090001234" not in html  # no identifier
    eresults.revoke_result(result_id=issued.pk, officer=people["leader"],
                           reason="Cấp nhầm thông tin")
    html = page(client, issued)
    assert REVOKED in html
    assert VALID not in html
    assert "không còn giá trị" in html  # printed copies lost validity (N36)
    assert "Cấp nhầm thông tin" not in html  # the reason is for the owner, not the public


def test_a_tampered_stored_file_is_not_valid(client, issued):
    assert VALID in page(client, issued)  # verdict cached for the original file
    data = bytearray(stored(issued))
    data[len(data) // 3] ^= 0x01
    with private_storage.open(issued.file.name, "wb") as handle:
        handle.write(bytes(data))
    html = page(client, issued)
    assert VALID not in html
    assert "mã băm SHA-256 không khớp" in html
    check = eresults.verify_result(issued)
    assert (check.valid, check.hash_matches) == (False, False)
    assert check.signature.valid is False  # validated afresh: another file, another key


def test_a_missing_stored_file_is_not_valid(issued):
    private_storage.delete(issued.file.name)
    check = eresults.verify_result(issued)
    assert check.valid is False
    assert check.reason == eresults.FILE_MISSING


def test_an_unknown_key_is_404(client, db):
    response = client.get(reverse("hoso:verify_result", args=["khong-co-ma-nay"]))
    assert response.status_code == 404


def test_the_verdict_is_cached_per_file_hash_and_the_hash_checked_every_time(
        client, issued, monkeypatch):
    cache.delete(eresults.verdict_key(issued.pk, issued.sha256))
    calls = []
    real = signing.validate_pdf
    monkeypatch.setattr(signing, "validate_pdf", lambda data: calls.append(1) or real(data))
    for _round in range(3):
        assert VALID in page(client, issued)
    assert len(calls) == 1


def test_the_page_renders_with_a_constant_small_number_of_queries(
        client, issued, django_assert_max_num_queries):
    cache.delete(eresults.verdict_key(issued.pk, issued.sha256))
    with django_assert_max_num_queries(2):  # the result; the trust roots when validating
        page(client, issued)
    with django_assert_max_num_queries(1):  # the result; the verdict comes from the cache
        page(client, issued)


def test_a_copy_uploaded_on_the_qr_page_is_compared(client, issued):
    url = reverse("hoso:verify_result", args=[issued.verify_token])
    same = SimpleUploadedFile("ban-sao.pdf", stored(issued), content_type="application/pdf")
    html = client.post(url, {"file": same}, REMOTE_ADDR="10.0.0.2").content.decode()
    assert "Trùng khớp" in html
    other = client.post(url, {"file": pdf_upload("khac.pdf")},
                        REMOTE_ADDR="10.0.0.2").content.decode()
    assert "Không trùng khớp" in other


def test_the_page_is_rate_limited(client, issued, settings):
    settings.VERIFY_RATE = "2/m"
    cache.clear()
    url = reverse("hoso:verify_result", args=[issued.verify_token])
    statuses = [client.get(url, REMOTE_ADDR="10.9.9.9").status_code for _round in range(3)]
    assert statuses == [200, 200, 429]


# --- the code printed on paper ----------------------------------------------------------------

def test_a_paper_copy_is_verified_by_its_code(client, issued):
    url = reverse("hoso:verify_form")
    assert client.get(url).status_code == 200
    html = client.post(url, {"code": issued.code.lower()}, REMOTE_ADDR="10.0.1.1"
                       ).content.decode()
    assert VALID in html
    html = client.post(url, {"code": "000.00.00.X00-000000-0000-KQ1"},
                       REMOTE_ADDR="10.0.1.1").content.decode()
    assert "Không tìm thấy kết quả" in html


def test_the_code_form_compares_an_uploaded_copy(client, issued):
    url = reverse("hoso:verify_form")
    same = SimpleUploadedFile("ban-sao.pdf", stored(issued), content_type="application/pdf")
    html = client.post(url, {"code": issued.code, "file": same},
                       REMOTE_ADDR="10.0.1.2").content.decode()
    assert "Trùng khớp" in html
    image = SimpleUploadedFile("anh.png", b"\x89PNG\r\n\x1a\nrubbish")
    response = client.post(url, {"code": issued.code, "file": image}, REMOTE_ADDR="10.0.1.2")
    assert response.status_code == 400


def test_a_paper_result_says_it_has_no_signed_file(client, province, people):
    dossier = at_signing_step(province, people)
    paper = processing.add_result(dossier_id=dossier.pk, officer=people["leader"],
                                  result=processing.ResultIn(name="Giấy xác nhận",
                                                             number="9/GXN",
                                                             issued_on=ISSUED_ON))
    html = client.post(reverse("hoso:verify_form"), {"code": paper.code},
                       REMOTE_ADDR="10.0.1.3").content.decode()
    assert "được cấp bản giấy" in html
    assert VALID not in html


# --- the API for other agencies ---------------------------------------------------------------

@pytest.fixture
def agency_client(people):
    client = APIClient()
    token = Token.objects.create(user=people["stranger"])  # an officer of another commune
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def api_url(code: str) -> str:
    return reverse("api:result-verification", args=[code])


def test_api_verifies_a_result_by_code(agency_client, issued):
    response = agency_client.get(api_url(issued.code))
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["valid"], body["revoked"], body["hash_matches"]) == (
        issued.code, True, False, True)
    assert body["issued_on"] == ISSUED_ON.isoformat()
    assert body["issuing_agency"] == issued.issuing_agency.code
    assert body["signature"]["trusted"] is True
    assert "UBND xã A1" in body["signature"]["signer"]
    assert "019090001234" not in response.content.decode()


def test_api_reports_revocation(agency_client, people, issued):
    eresults.revoke_result(result_id=issued.pk, officer=people["leader"], reason="Sai")
    body = agency_client.get(api_url(issued.code)).json()
    assert (body["valid"], body["revoked"]) == (False, True)
    assert body["revoked_at"] is not None


def test_api_compares_a_copy(agency_client, issued):
    same = SimpleUploadedFile("ban-sao.pdf", stored(issued), content_type="application/pdf")
    body = agency_client.post(api_url(issued.code), {"file": same}, format="multipart").json()
    assert body["copy_matches"] is True
    assert body["copy_signature"]["valid"] is True
    other = SimpleUploadedFile("khac.pdf", pdf_bytes(), content_type="application/pdf")
    body = agency_client.post(api_url(issued.code), {"file": other},
                              format="multipart").json()
    assert (body["copy_matches"], body["copy_signature"]["valid"]) == (False, False)
    missing = agency_client.post(api_url(issued.code), {}, format="multipart")
    assert (missing.status_code, missing.json()["code"]) == (400, "file_required")


def test_api_unknown_code_is_404_with_code_and_detail(agency_client, db):
    response = agency_client.get(api_url("000.00.00.X00-000000-0000-KQ1"))
    assert response.status_code == 404
    assert response.json() == {"code": "result_not_found",
                               "detail": "Không tìm thấy kết quả có mã này."}


def test_api_needs_authentication(issued):
    response = APIClient().get(api_url(issued.code))
    assert response.status_code == 401


def test_api_is_documented_in_openapi(agency_client, db):
    schema = agency_client.get(reverse("api-schema"), {"format": "json"})
    assert schema.status_code == 200
    assert "/api/v1/results/{code}/verification/" in schema.json()["paths"]
