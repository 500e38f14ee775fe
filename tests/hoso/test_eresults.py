"""Issuing and revoking signed e-results (hoso.services.eresults; DOMAIN-2025.md N35–N37):
who may, what the PDF carries, what is recorded, and that a refusal leaves nothing behind."""

import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from hoso import signing
from hoso.choices import Action, DossierStatus, WalletKind
from hoso.eresult_pdf import verify_url
from hoso.models import DossierEvent, Result, WalletDocument, private_storage
from hoso.services import eresults, intake, processing, wallet
from hoso.workflow import TransitionRefused
from portal.errors import DomainError, InvalidInput
from tests.hoso.conftest import intake_request, pdf_upload, png_bytes
from tests.hoso.test_processing import (  # noqa: F401
    at,
    five_day_procedure,
    people,
    received,
    started,
)
from tests.hoso.test_signing import outside_ca

pytestmark = pytest.mark.django_db

ISSUED_ON = dt.date(2026, 12, 1)
SIGNING_TIME = at(2026, 12, 1, 10, 0)


def procedure_with_result_codes(**overrides):
    procedure = five_day_procedure(**overrides)
    procedure.result_code = "KQ.G15.000031"
    procedure.result_doc_type_code = "GXN"
    procedure.result_validity_months = 6
    procedure.save(update_fields=["result_code", "result_doc_type_code",
                                  "result_validity_months"])
    return procedure


def at_signing_step(province, people, procedure=None):
    """A dossier at its last step ("Ký duyệt"), assigned to the commune leader."""
    dossier = started(province, people, procedure=procedure or procedure_with_result_codes())
    with time_machine.travel(SIGNING_TIME, tick=False):
        return processing.forward(dossier_id=dossier.pk, officer=people["specialist"],
                                  assignee=people["leader"], note="Đủ điều kiện")


def issue(dossier, leader, **kwargs):
    fields = {"name": "Giấy xác nhận", "number": "125/GXN", "issued_on": ISSUED_ON}
    fields.update(kwargs)
    with time_machine.travel(SIGNING_TIME, tick=True):
        return eresults.issue_eresult(dossier_id=dossier.pk, leader=leader, **fields)


def stored_result_files() -> list[Path]:
    root = Path(private_storage.location) / "results"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def issued(province, people):
    dossier = at_signing_step(province, people)
    return issue(dossier, people["leader"])


# --- issuing ----------------------------------------------------------------------------------

def test_leader_issues_a_signed_eresult_coded_after_the_dossier(province, people, settings,
                                                               issued):
    result = Result.objects.select_related("dossier").get(pk=issued.pk)
    dossier = result.dossier
    assert (result.code, result.sequence) == (f"{dossier.code}-KQ1", 1)
    assert (result.type_code, result.doc_type_code) == ("KQ.G15.000031", "GXN")
    assert result.valid_until == dt.date(2027, 5, 31)  # 6 months from 01/12/2026
    assert result.issuing_agency == province.commune_a1
    assert (result.electronic, result.signed_by, result.signer) == (
        True, people["leader"], people["leader"].full_name)
    assert SIGNING_TIME <= result.signed_at < SIGNING_TIME + dt.timedelta(minutes=1)
    assert len(result.verify_token) == 32
    data = private_storage.open(result.file.name, "rb").read()
    assert (result.sha256, result.size) == (signing.sha256_hex(data), len(data))
    assert "UBND xã A1" in result.signature["subject"]
    assert result.signature["signer_name"] == people["leader"].full_name
    event = DossierEvent.objects.get(dossier=dossier, action=Action.ISSUE_RESULT)
    assert (event.actor, event.agency, event.status_after) == (
        people["leader"], province.commune_a1, DossierStatus.IN_PROGRESS)
    assert event.data["code"] == result.code


def test_signature_of_a_fresh_eresult_validates_and_fails_after_one_byte_changes(issued):
    data = private_storage.open(issued.file.name, "rb").read()
    verdict = signing.validate_pdf(data)
    assert (verdict.valid, verdict.trusted, verdict.reason) == (True, True, "")
    changed = bytearray(data)
    changed[len(changed) // 4] ^= 0x20  # inside the rendered page, covered by the signature
    assert signing.validate_pdf(bytes(changed)).valid is False


def test_eresult_pdf_carries_codes_qr_address_and_the_n37_footer(issued, settings):
    data = private_storage.open(issued.file.name, "rb").read()
    text = pdf_text(data)
    assert issued.code in text
    assert f"Mã tra cứu: {issued.code}" in text
    assert settings.PORTAL_SITE_NAME in text
    assert "KQ.G15.000031" in text
    assert "GIẤY XÁC NHẬN" in text
    assert "Nguyễn Văn An" in text  # the owner, in the document itself
    assert "/xac-thuc/" in text
    url = verify_url(issued)
    base, fragment = url.split("#")
    assert base == settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "hoso:verify_result", args=[issued.verify_token])
    assert "019090001234" not in base  # the identifier never reaches the server
    assert f"dossier={issued.dossier.code}" in fragment
    assert "owner=019090001234" in fragment
    assert "procedure=1.000005" in fragment
    reader = PdfReader(io.BytesIO(data))
    widget = reader.pages[0]["/Annots"][0].get_object()
    assert widget["/FT"] == "/Sig"
    x1, y1, _x2, _y2 = (float(v) for v in widget["/Rect"])
    assert x1 > 250  # the signature block, right column
    assert y1 > 100


def test_the_eresult_lands_in_the_owners_wallet_and_the_dossier_can_be_resolved(
        people, issued):
    entry = WalletDocument.objects.get(source_result=issued)
    assert (entry.kind, entry.code, entry.doc_type_code, entry.sha256) == (
        WalletKind.RESULT, issued.code, "GXN", issued.sha256)
    assert entry in wallet.usable("019090001234", day=ISSUED_ON)
    with time_machine.travel(SIGNING_TIME + dt.timedelta(minutes=5), tick=False):
        dossier = processing.resolve(dossier_id=issued.dossier_id, officer=people["leader"])
    assert dossier.status == DossierStatus.RESOLVED


def test_a_procedures_own_result_template_is_the_body(province, people):
    procedure = procedure_with_result_codes()
    procedure.result_template = ("<p>Xác nhận ông/bà {{ dossier.owner_name }} đủ điều kiện "
                                 "theo kết quả {{ result.code }} của {{ agency.name }}.</p>")
    procedure.save(update_fields=["result_template"])
    result = issue(at_signing_step(province, people, procedure), people["leader"])
    text = pdf_text(private_storage.open(result.file.name, "rb").read())
    assert f"Xác nhận ông/bà Nguyễn Văn An đủ điều kiện theo kết quả {result.code}" in (
        " ".join(text.split()))
    assert f"Mã tra cứu: {result.code}" in text  # the frame stays


def test_an_uploaded_pdf_is_signed_by_the_agency_before_it_is_stored(province, people):
    upload = pdf_upload("ket-qua-soan-san.pdf")
    original = upload.read()
    upload.seek(0)
    result = issue(at_signing_step(province, people), people["leader"], upload=upload)
    data = private_storage.open(result.file.name, "rb").read()
    assert data.startswith(original)  # signed by an incremental update of the upload
    assert len(data) > len(original)
    assert result.sha256 != signing.sha256_hex(original)
    assert signing.validate_pdf(data).valid is True
    assert DossierEvent.objects.get(action=Action.ISSUE_RESULT).data["uploaded"] is True


def test_with_a_timestamping_authority_the_eresult_is_pades_b_t(province, people, settings):
    settings.ESIGN_TIMESTAMPER = "tests.hoso.test_signing.dummy_timestamper"
    settings.ESIGN_TRUST_ROOTS = [outside_ca().root_file]
    result = issue(at_signing_step(province, people), people["leader"])
    assert (result.signature["level"], result.signature["timestamped"]) == ("PAdES-B-T", True)
    assert result.signature["timestamp"].startswith("2026-12-01")
    verdict = signing.validate_pdf(private_storage.open(result.file.name, "rb").read())
    assert verdict.valid, verdict.reason
    assert verdict.timestamp is not None


def test_a_second_result_is_numbered_after_the_first(province, people, issued):
    second = issue(issued.dossier, people["leader"], name="Bản sao", number="126/GXN")
    assert second.code == f"{issued.dossier.code}-KQ2"
    assert second.verify_token != issued.verify_token


# --- who may, when ----------------------------------------------------------------------------

def test_only_a_leader_with_approve_permission_may_issue(province, people):
    dossier = at_signing_step(province, people)
    for outsider in (people["specialist"], people["desk"], people["stranger"]):
        with pytest.raises(TransitionRefused) as refused:
            issue(dossier, outsider)
        assert refused.value.status_code == 403
    assert not Result.objects.exists()
    assert stored_result_files() == []


def test_issuing_over_http_is_forbidden_to_a_specialist(client, province, people):
    dossier = at_signing_step(province, people)
    client.force_login(people["specialist"])
    response = client.post(reverse("hoso:eresult_issue", args=[dossier.pk]), {
        "name": "Giấy xác nhận", "number": "1/GXN", "issued_on": "2026-11-20"})
    assert response.status_code == 403
    assert not Result.objects.exists()


def test_issuing_before_the_last_step_is_refused(province, people):
    dossier = started(province, people, procedure=procedure_with_result_codes())
    with pytest.raises(TransitionRefused) as refused:
        issue(dossier, people["leader"])
    assert (refused.value.code, refused.value.status_code) == ("transition_not_allowed", 409)
    assert not Result.objects.exists()


@pytest.mark.parametrize(("fields", "code"), [
    ({"name": " "}, "result_incomplete"),
    ({"number": ""}, "result_incomplete"),
    ({"issued_on": dt.date(2026, 12, 2)}, "result_future_date"),
    ({"upload": SimpleUploadedFile("anh.png", png_bytes())}, "result_not_pdf"),
    ({"upload": SimpleUploadedFile("rong.pdf", b"")}, "file_empty"),
])
def test_bad_input_changes_nothing(province, people, fields, code):
    dossier = at_signing_step(province, people)
    events = DossierEvent.objects.filter(dossier=dossier).count()
    with pytest.raises(InvalidInput) as refused:
        issue(dossier, people["leader"], **fields)
    assert refused.value.code == code
    assert not Result.objects.exists()
    assert not WalletDocument.objects.exists()
    assert stored_result_files() == []
    assert DossierEvent.objects.filter(dossier=dossier).count() == events


def test_a_broken_result_template_is_a_clear_refusal(province, people):
    procedure = procedure_with_result_codes()
    procedure.result_template = "<p>{% if %}</p>"
    procedure.save(update_fields=["result_template"])
    with pytest.raises(InvalidInput) as refused:
        issue(at_signing_step(province, people, procedure), people["leader"])
    assert refused.value.code == "result_template_broken"
    assert not Result.objects.exists()


def test_no_certificate_outside_the_demo_changes_nothing(province, people, settings):
    dossier = at_signing_step(province, people)
    settings.ESIGN_DEMO_CA = False
    with pytest.raises(DomainError) as refused:
        issue(dossier, people["leader"])
    assert refused.value.code == "signing_certificate_missing"
    assert not Result.objects.exists()
    assert stored_result_files() == []


def test_a_failure_after_the_file_is_stored_leaves_no_orphan_file(province, people,
                                                                 monkeypatch):
    dossier = at_signing_step(province, people)

    def broken_wallet(result):
        raise RuntimeError("kho dữ liệu không phản hồi")

    monkeypatch.setattr(wallet, "deposit_result", broken_wallet)
    with pytest.raises(RuntimeError):
        issue(dossier, people["leader"])
    assert not Result.objects.exists()
    assert stored_result_files() == []


# --- revoking ---------------------------------------------------------------------------------

def test_revoking_marks_the_result_logs_it_and_takes_it_out_of_the_wallet(people, issued):
    revoked = eresults.revoke_result(result_id=issued.pk, officer=people["leader"],
                                     reason="Cấp nhầm thông tin ngày sinh")
    assert revoked.is_revoked
    assert (revoked.revoked_by, revoked.revoke_reason) == (
        people["leader"], "Cấp nhầm thông tin ngày sinh")
    event = DossierEvent.objects.get(action=Action.REVOKE_RESULT)
    assert (event.actor, event.note) == (people["leader"],
                                         f"{issued.code}: Cấp nhầm thông tin ngày sinh")
    entry = WalletDocument.objects.get(source_result=issued)
    assert entry.revoked_at == revoked.revoked_at
    assert not wallet.usable("019090001234", day=ISSUED_ON).filter(pk=entry.pk).exists()
    assert private_storage.exists(issued.file.name)  # kept for lookup
    with pytest.raises(DomainError) as again:
        eresults.revoke_result(result_id=issued.pk, officer=people["leader"], reason="Lần hai")
    assert (again.value.code, again.value.status_code) == ("already_revoked", 409)


def test_revoking_tells_the_owner_and_every_agency_that_reused_the_result(province, people,
                                                                         issued):
    """N36: the owner is told, and so is each agency whose dossiers took the result from the
    wallet (once per agency, listing its dossiers); an agency without an address is skipped."""
    from django.utils import timezone

    from hoso.models import WalletUse
    from portal.models import Notification

    entry = WalletDocument.objects.get(source_result=issued)
    province.commune_b1.email = "motcua.b1@example.vn"
    province.commune_b1.save(update_fields=["email"])
    reusers = []
    for agency in (province.commune_b1, province.commune_b1, province.commune_a1):
        later = received(province, people, procedure=issued.dossier.procedure)
        WalletUse.objects.create(wallet_document=entry, dossier=later,
                                 document=later.documents.first(), agency=agency,
                                 channel=later.channel, used_at=timezone.now())
        reusers.append(later)

    eresults.revoke_result(result_id=issued.pk, officer=people["leader"],
                           reason="Cấp nhầm thông tin ngày sinh")

    owner = Notification.objects.get(template_code="result_revoked", channel="email")
    assert owner.recipient == issued.dossier.owner_email
    assert issued.code in owner.subject
    assert "Cấp nhầm thông tin ngày sinh" in owner.body
    assert "không còn giá trị" in owner.body  # printed copies lose validity (N36)
    told = Notification.objects.get(template_code="result_revoked_agency")
    assert told.recipient == "motcua.b1@example.vn"  # commune A1 has no address: skipped
    assert reusers[0].code in told.body
    assert reusers[1].code in told.body
    assert reusers[2].code not in told.body


def test_revoking_needs_a_reason_and_the_approve_permission(people, issued):
    with pytest.raises(InvalidInput):
        eresults.revoke_result(result_id=issued.pk, officer=people["leader"], reason="  ")
    for outsider in (people["specialist"], people["stranger"]):
        with pytest.raises(DomainError) as refused:
            eresults.revoke_result(result_id=issued.pk, officer=outsider, reason="Sai")
        assert refused.value.status_code == 403
    issued.refresh_from_db()
    assert not issued.is_revoked
    assert not DossierEvent.objects.filter(action=Action.REVOKE_RESULT).exists()


def test_revoking_over_http(client, people, issued):
    url = reverse("hoso:eresult_revoke", args=[issued.pk])
    client.force_login(people["specialist"])
    assert client.post(url, {"reason": "Sai"}).status_code == 403
    client.force_login(people["leader"])
    response = client.post(url, {"reason": "Sai thông tin"})
    assert response.status_code == 302
    issued.refresh_from_db()
    assert issued.revoke_reason == "Sai thông tin"
    page = client.get(reverse("hoso:officer_dossier", args=[issued.dossier_id]))
    assert "Đã thu hồi lúc" in page.content.decode()
    download = client.get(reverse("hoso:result_file", args=[issued.pk]))
    assert download.status_code == 200  # revoked results stay downloadable to officers


# --- the pages --------------------------------------------------------------------------------

def test_the_leader_sees_the_issue_form_and_issues_over_http(client, province, people):
    dossier = at_signing_step(province, people)
    client.force_login(people["specialist"])
    assert "Ký số và ban hành" not in client.get(
        reverse("hoso:officer_dossier", args=[dossier.pk])).content.decode()
    client.force_login(people["leader"])
    page = client.get(reverse("hoso:officer_dossier", args=[dossier.pk])).content.decode()
    assert "Ký số và ban hành" in page
    assert f"{dossier.code}-KQ1" in page
    with time_machine.travel(SIGNING_TIME, tick=True):
        client.force_login(people["leader"])  # a session of that day
        response = client.post(reverse("hoso:eresult_issue", args=[dossier.pk]), {
            "name": "Giấy xác nhận", "number": "7/GXN", "issued_on": "2026-12-01"})
    assert response.status_code == 302
    result = Result.objects.get()
    client.force_login(people["leader"])
    page = client.get(reverse("hoso:officer_dossier", args=[dossier.pk])).content.decode()
    assert result.code in page
    assert "PAdES-B-B" in page
    assert reverse("hoso:verify_result", args=[result.verify_token]) in page


def test_the_citizen_downloads_the_eresult_and_sees_its_revocation(client, province, people,
                                                                  citizen):
    procedure = procedure_with_result_codes()
    draft = intake.save_draft(account=citizen, request=intake_request(
        procedure, province.commune_a1, form_data={},
        papers=[intake.PaperIn(position=1, file=pdf_upload("to-khai.pdf"))]))
    with time_machine.travel(at(2026, 11, 30, 8, 0), tick=False):
        intake.submit_online(dossier_id=draft.pk, account=citizen)
        intake.receive(dossier_id=draft.pk, officer=people["desk"])
    with time_machine.travel(at(2026, 11, 30, 9, 30), tick=False):
        processing.start(dossier_id=draft.pk, officer=people["specialist"],
                         assignee=people["specialist"])
    with time_machine.travel(SIGNING_TIME, tick=False):
        processing.forward(dossier_id=draft.pk, officer=people["specialist"],
                           assignee=people["leader"])
    result = issue(draft, people["leader"])
    with time_machine.travel(SIGNING_TIME + dt.timedelta(minutes=5), tick=False):
        processing.resolve(dossier_id=draft.pk, officer=people["leader"])
    client.force_login(citizen)
    page = client.get(reverse("hoso:my_dossier", args=[draft.pk])).content.decode()
    assert reverse("hoso:result_file", args=[result.pk]) in page
    assert reverse("hoso:verify_result", args=[result.verify_token]) in page
    download = client.get(reverse("hoso:result_file", args=[result.pk]))
    assert signing.validate_pdf(b"".join(download.streaming_content)).valid is True
    eresults.revoke_result(result_id=result.pk, officer=people["leader"], reason="Cấp lại")
    page = client.get(reverse("hoso:my_dossier", args=[draft.pk])).content.decode()
    assert "Đã thu hồi lúc" in page


def test_paper_results_still_attach_with_add_result(province, people):
    dossier = at_signing_step(province, people)
    with time_machine.travel(SIGNING_TIME, tick=False):
        paper = processing.add_result(dossier_id=dossier.pk, officer=people["leader"],
                                      result=processing.ResultIn(
                                          name="Giấy xác nhận", number="9/GXN",
                                          issued_on=ISSUED_ON))
    assert (paper.code, paper.electronic, paper.verify_token) == (
        f"{dossier.code}-KQ1", False, None)
    assert issue(dossier, people["leader"]).code == f"{dossier.code}-KQ2"
