"""The intake pages as people use them: a citizen submits online, a commune desk receives,
the receipt and the tracking page show it; walk-in and postal intake; who may see what."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hoso.choices import DossierStatus
from hoso.models import Dossier
from portal.calendar import TZ
from tests.conftest import PASSWORD, make_officer
from tests.hoso.conftest import desk_receive, online_submit, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


def login(client, user):
    client.post(reverse("portal:login"), {"username": user.username, "password": PASSWORD})


def apply_form(agency, **overrides):
    data = {
        "a-owner_type": "citizen", "a-owner_name": "Nguyễn Văn An", "a-owner_id_type": "cccd",
        "a-owner_id_number": "019090001234", "a-owner_phone": "0912345678",
        "a-owner_email": "an@example.vn",
        "r-deciding_agency": str(agency.pk),
        "f-child_full_name": "Nguyễn Minh Khang", "f-date_of_birth": "01/11/2026",
        "f-sex": "male", "f-mother__full_name": "Trần Thị Mai",
        "f-mother__cccd": "019190004321",
        "p-file_1": SimpleUploadedFile("to-khai.pdf", pdf_bytes(), "application/pdf"),
        "p-file_2": SimpleUploadedFile("giay-chung-sinh.png", png_bytes(), "image/png"),
        "d-method": "online",
    }
    data.update(overrides)
    return data


@time_machine.travel(NOW, tick=False)
def test_citizen_submits_online_desk_receives_receipt_and_tracking(
        client, province, birth_procedure, citizen, desk_a1, django_capture_on_commit_callbacks):
    login(client, citizen)
    page = client.get(reverse("hoso:apply", args=[birth_procedure.national_code]))
    assert page.status_code == 200
    assert 'value="Nguyễn Văn An"' in page.content.decode()  # prefilled from the account
    response = client.post(reverse("hoso:apply", args=[birth_procedure.national_code]),
                           apply_form(province.commune_a1))
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.get()
    assert dossier.status == DossierStatus.DRAFT
    review = client.get(response.url).content.decode()
    assert "Giấy chứng sinh" in review
    assert "Họ, chữ đệm, tên của trẻ" in review  # the form's titles, not its keys
    assert "child_full_name" not in review
    assert "4.000 đ" in review  # the online fee
    response = client.post(response.url, {"idempotency_key": "abc"})
    assert response.url == reverse("hoso:my_dossier", args=[dossier.pk])
    # a network retry of the same form does not create a second dossier
    client.post(reverse("hoso:review", args=[dossier.pk]), {"idempotency_key": "abc"})
    assert Dossier.objects.count() == 1

    client.logout()
    login(client, desk_a1)
    officer_page = client.get(reverse("hoso:officer_dossier", args=[dossier.pk])).content.decode()
    assert "Nguyễn Minh Khang" in officer_page
    assert "01/11/2026" in officer_page
    inbox = client.get(reverse("hoso:inbox")).content.decode()
    assert "(chờ tiếp nhận)" in inbox
    assert "Còn " in inbox and "left-green" in inbox  # noqa: PT018
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("hoso:officer_action", args=[dossier.pk, "receive"]))
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RECEIVED
    assert dossier.code == f"{province.commune_a1.code}-261123-0001"
    assert any(dossier.code in m.body for m in mail.outbox)

    receipt = client.get(reverse("hoso:receipt", args=[dossier.pk]))
    assert receipt.status_code == 200
    assert receipt.content.startswith(b"%PDF-")

    client.logout()
    tracked = client.post(reverse("hoso:track"), {"code": dossier.code.lower(),
                                                  "last4": "5678"}).content.decode()
    assert "Đã tiếp nhận" in tracked
    assert "N***** V** A*" in tracked  # masked owner
    assert "0912345678" not in tracked

    login(client, citizen)
    mine = client.get(reverse("hoso:my_dossiers")).content.decode()
    assert dossier.code in mine


@time_machine.travel(NOW, tick=False)
def test_walk_in_and_postal_intake_at_the_desk(client, province, birth_procedure, desk_a1):
    login(client, desk_a1)
    url = reverse("hoso:desk_intake", args=[birth_procedure.national_code])
    assert client.get(url).status_code == 200
    base = {
        "a-owner_type": "citizen", "a-owner_name": "Phạm Thị Hoa", "a-owner_id_type": "cccd",
        "a-owner_id_number": "019190001111", "a-owner_phone": "0977000222",
        "r-receiving_agency": str(province.commune_a1.pk),
        "r-deciding_agency": str(province.commune_a1.pk),
        "p-originals_1": "1", "p-copies_1": "0", "p-originals_2": "1", "p-copies_2": "0",
        "p-file_1": SimpleUploadedFile("quet.pdf", pdf_bytes(), "application/pdf"),
        "d-method": "desk", "c-channel": "direct",
    }
    response = client.post(url, base)
    assert response.status_code == 302, response.content.decode()[:3000]
    walk_in = Dossier.objects.get(owner_name="Phạm Thị Hoa")
    assert walk_in.status == DossierStatus.RECEIVED
    assert walk_in.documents.get(position=1).digitised
    base.update({"a-owner_name": "Lý Văn Bình", "c-channel": "postal",
                 "c-postal_service": "public_post", "c-postal_tracking_number": "EB1VN",
                 "p-file_1": SimpleUploadedFile("quet.pdf", pdf_bytes(), "application/pdf")})
    client.post(url, base)
    postal = Dossier.objects.get(owner_name="Lý Văn Bình")
    assert postal.channel == "postal"
    assert postal.code.endswith("-0002")


def test_walk_in_with_a_fake_pdf_shows_a_clear_message_and_stores_nothing(client, province,
                                                                          birth_procedure,
                                                                          desk_a1):
    login(client, desk_a1)
    response = client.post(reverse("hoso:desk_intake", args=[birth_procedure.national_code]), {
        "a-owner_type": "citizen", "a-owner_name": "Phạm Thị Hoa", "a-owner_id_type": "cccd",
        "a-owner_id_number": "019190001111", "a-owner_phone": "0977000222",
        "r-receiving_agency": str(province.commune_a1.pk),
        "r-deciding_agency": str(province.commune_a1.pk),
        "p-originals_1": "1", "p-copies_1": "0", "p-originals_2": "1", "p-copies_2": "0",
        "p-file_1": SimpleUploadedFile("hop-dong.pdf", b"MZ not a pdf", "application/pdf"),
        "d-method": "desk", "c-channel": "direct"})
    assert "không phải PDF, JPEG hoặc PNG" in response.content.decode()
    assert not Dossier.objects.exists()


def test_a_citizen_cannot_see_another_citizens_dossier(client, province, birth_procedure,
                                                       citizen, other_citizen):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    login(client, other_citizen)
    for url in (reverse("hoso:my_dossier", args=[dossier.pk]),
                reverse("hoso:review", args=[dossier.pk]),
                reverse("hoso:document_file", args=[dossier.documents.first().pk]),
                reverse("api:dossier-detail", args=[dossier.pk])):
        assert client.get(url).status_code == 404, url


def test_an_officer_of_commune_x_cannot_see_commune_y(client, province, birth_procedure,
                                                      desk_a1, desk_b1):
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    login(client, desk_b1)
    assert client.get(reverse("hoso:officer_dossier", args=[dossier.pk])).status_code == 404
    assert client.get(reverse("hoso:receipt", args=[dossier.pk])).status_code == 404
    assert client.get(reverse("api:dossier-detail", args=[dossier.pk])).status_code == 404
    inbox = client.get(reverse("hoso:inbox_queue", args=["da-tiep-nhan"])).content.decode()
    assert dossier.code not in inbox
    assert client.post(reverse("hoso:officer_action", args=[dossier.pk, "receive"])
                       ).status_code == 404
    district_leader = make_officer(province.district_a, "leader", username="leader_a")
    client.logout()
    login(client, district_leader)
    assert client.get(reverse("hoso:officer_dossier", args=[dossier.pk])).status_code == 200


def test_tracking_without_the_right_digits_reveals_nothing(client, province, birth_procedure,
                                                           desk_a1):
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    for last4 in ("0000", "1235", "abcd"):
        page = client.post(reverse("hoso:track"), {"code": dossier.code, "last4": last4})
        text = page.content.decode()
        assert "Đăng ký khai sinh" not in text
        assert "Nguyễn" not in text
    api = client.post(reverse("api:tracking"), {"code": dossier.code, "last4": "0000"})
    assert api.status_code == 404
    # the last 4 digits of the CCCD work too
    ok = client.post(reverse("api:tracking"), {"code": dossier.code, "last4": "1234"})
    assert ok.json()["owner"] == "N***** V** A*"


def test_tracking_is_rate_limited(client, settings, province, birth_procedure, desk_a1):
    settings.TRACKING_RATE = "3/m"
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    statuses = [client.post(reverse("hoso:track"), {"code": dossier.code, "last4": "0000"},
                            REMOTE_ADDR="203.0.113.7").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    page = client.post(reverse("hoso:track"), {"code": dossier.code, "last4": "5678"},
                       REMOTE_ADDR="203.0.113.7")
    assert "quá nhiều lần" in page.content.decode()


def test_qr_landing_prefills_the_code(client, province, birth_procedure, desk_a1):
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    page = client.get(reverse("hoso:track_code", args=[dossier.code])).content.decode()
    assert f'value="{dossier.code}"' in page
