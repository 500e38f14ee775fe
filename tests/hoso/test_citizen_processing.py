"""The applicant's side of processing: the supplement sent online (earlier papers kept),
withdrawal, the e-result download and the rating — and only on their own dossier."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hoso.choices import DossierStatus
from hoso.models import Dossier, Rating
from hoso.services import intake, processing
from hoso.services.processing import ResultIn, SupplementItem
from portal.choices import Role
from tests.conftest import make_officer
from tests.hoso.conftest import online_submit, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(province):
    a1 = province.commune_a1
    return {"desk": make_officer(a1, Role.DESK_OFFICER, username="mc"),
            "specialist": make_officer(a1, Role.PROCESSING_OFFICER, username="cv"),
            "leader": make_officer(a1, Role.LEADER, username="ld")}


@pytest.fixture
def in_progress(province, birth_procedure, citizen, staff):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    intake.receive(dossier_id=dossier.pk, officer=staff["desk"])
    return processing.start(dossier_id=dossier.pk, officer=staff["specialist"])


def action(client, user, dossier, name, data):
    client.force_login(user)
    return client.post(reverse("hoso:citizen_action", args=[dossier.pk, name]), data)


def test_the_citizen_sends_the_supplement_online_and_earlier_papers_stay(
        client, citizen, staff, in_progress):
    processing.request_supplement(dossier_id=in_progress.pk, officer=staff["specialist"],
                                  items=[SupplementItem("Giấy chứng sinh", "Bản chụp bị mờ")])
    client.force_login(citizen)
    page = client.get(reverse("hoso:my_dossier", args=[in_progress.pk])).content.decode()
    assert "Bản chụp bị mờ" in page
    empty = action(client, citizen, in_progress, "supplement", {})
    assert empty.status_code == 400
    assert "ít nhất một giấy tờ bổ sung" in empty.content.decode()
    sent = action(client, citizen, in_progress, "supplement",
                  {"file_2": SimpleUploadedFile("chung-sinh.pdf", pdf_bytes())})
    assert sent.status_code == 302
    dossier = Dossier.objects.get(pk=in_progress.pk)
    assert dossier.status == DossierStatus.IN_PROGRESS
    assert list(dossier.documents.filter(position=2).values_list("supplement_number",
                                                                  flat=True)) == [None, 1]


def test_another_citizen_cannot_act_on_the_dossier(client, other_citizen, in_progress):
    response = action(client, other_citizen, in_progress, "withdraw", {"confirm": "on"})
    assert response.status_code == 404
    assert Dossier.objects.get(pk=in_progress.pk).status == DossierStatus.IN_PROGRESS


def test_the_citizen_withdraws_before_resolution(client, citizen, in_progress):
    unconfirmed = action(client, citizen, in_progress, "withdraw", {"reason": "Nộp nhầm"})
    assert unconfirmed.status_code == 400
    action(client, citizen, in_progress, "withdraw", {"reason": "Nộp nhầm", "confirm": "on"})
    dossier = Dossier.objects.get(pk=in_progress.pk)
    assert (dossier.status, dossier.withdraw_reason) == (DossierStatus.WITHDRAWN, "Nộp nhầm")


def test_the_citizen_downloads_the_e_result_and_rates_once(client, citizen, other_citizen,
                                                           staff, in_progress):
    processing.forward(dossier_id=in_progress.pk, officer=staff["specialist"])
    result = processing.add_result(dossier_id=in_progress.pk, officer=staff["leader"],
                                   result=ResultIn("Giấy khai sinh", "15/KS", issued_on=(
                                       in_progress.received_at.date()),
                                       file=SimpleUploadedFile("ks.pdf", pdf_bytes())))
    client.force_login(citizen)
    url = reverse("hoso:result_file", args=[result.pk])
    assert client.get(url).status_code == 404  # not before it is resolved
    processing.resolve(dossier_id=in_progress.pk, officer=staff["leader"])
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404
    processing.return_result(dossier_id=in_progress.pk, officer=staff["desk"], method="online")
    scores = {f"score_{key}": "5" for key in processing.RATING_CRITERIA}
    action(client, citizen, in_progress, "rate", {**scores, "comment": "Tốt", "confirm": "on"})
    again = action(client, citizen, in_progress, "rate", {**scores, "confirm": "on"})
    assert again.status_code == 302
    assert Rating.objects.get(dossier=in_progress).comment == "Tốt"
