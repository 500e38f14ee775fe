"""Mẫu 02 and Mẫu 03: the slips for an online submission sent back or refused at intake."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from hoso.services import intake
from tests.hoso.conftest import online_submit

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def test_completion_request_slip(client, province, birth_procedure, citizen, desk_a1):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    intake.request_completion(dossier_id=dossier.pk, officer=desk_a1,
                              reason="Ảnh giấy chứng sinh bị mờ, vui lòng chụp lại.")
    client.force_login(citizen)
    text = text_of(client.get(reverse("hoso:intake_notice",
                                      args=[dossier.pk, "phieu-yeu-cau-bo-sung"])))
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Ảnh giấy chứng sinh bị mờ, vui lòng chụp lại." in text
    assert "Ngô Thị Hạnh" in text  # the officer who asked
    assert "Phụ lục I Thông tư số 03/2025/TT-VPCP" in text


def test_refusal_slip_and_who_may_see_it(client, province, birth_procedure, citizen,
                                         other_citizen, desk_a1):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    intake.reject_intake(dossier_id=dossier.pk, officer=desk_a1,
                         reason="Không thuộc thẩm quyền giải quyết của xã.")
    url = reverse("hoso:intake_notice", args=[dossier.pk, "phieu-tu-choi"])
    client.force_login(desk_a1)
    text = text_of(client.get(url))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Không thuộc thẩm quyền giải quyết của xã." in text
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404
    client.force_login(citizen)
    assert client.get(reverse("hoso:intake_notice",
                              args=[dossier.pk, "phieu-yeu-cau-bo-sung"])).status_code == 404
