"""Issue 8 as a new user meets it, through the pages only:

a desk officer receives a walk-in and scans three pages of a paper into one digitised PDF with
its metadata; the dossier is processed and the leader signs an e-result; the citizen downloads
it, the PDF validates as signed, and its QR address says "hợp lệ"; for a second procedure the
citizen is offered that result and the earlier digitised paper from the wallet, picks them and
uploads nothing.
"""

import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from hoso import signing
from hoso.choices import DigitisationState, DocumentSource, DossierStatus
from hoso.eresult_pdf import verify_url
from hoso.models import Dossier, Result, WalletDocument, WalletUse
from tests.hoso.test_processing import at, five_day_procedure, people  # noqa: F401
from tthc.models import Procedure

pytestmark = pytest.mark.django_db

OWNER_CCCD = "019090001234"  # the `citizen` fixture's CCCD
WALK_IN_DAY = at(2026, 11, 30, 9, 0)


def page_png(colour: str, size=(400, 560)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def birth_registration() -> Procedure:
    """Procedure A: asks for the birth certificate from the hospital (GCS); its result, the
    birth certificate (GKS), is coded in the catalogue."""
    procedure = five_day_procedure(
        name="Đăng ký khai sinh (thử nghiệm)", result_name="Giấy khai sinh",
        documents=[{"name": "Giấy chứng sinh", "doc_type_code": "GCS", "originals": 1,
                    "copies": 0, "required": True}])
    procedure.result_code, procedure.result_doc_type_code = "KQ.G15.000031", "GKS"
    procedure.save(update_fields=["result_code", "result_doc_type_code"])
    return procedure


def residence_registration() -> Procedure:
    """Procedure B, another one: asks for exactly what the wallet now holds."""
    return five_day_procedure(
        national_code="1.000006", name="Đăng ký thường trú cho trẻ em (thử nghiệm)",
        documents=[
            {"name": "Giấy khai sinh", "doc_type_code": "GKS", "originals": 0, "copies": 1,
             "required": True},
            {"name": "Giấy chứng sinh", "doc_type_code": "GCS", "originals": 0, "copies": 1,
             "required": True}])


def act(client, user, dossier, action, **data):
    client.force_login(user)
    response = client.post(reverse("hoso:officer_action", args=[dossier.pk, action]),
                           {"confirm": "on", **data})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_scan_sign_verify_and_reuse_from_the_wallet_without_an_upload(
        client, province, people, citizen):  # noqa: F811
    procedure_a, procedure_b = birth_registration(), residence_registration()
    desk, specialist, leader = people["desk"], people["specialist"], people["leader"]
    commune = province.commune_a1

    with time_machine.travel(WALK_IN_DAY, tick=False):
        # 1. The walk-in: the paper is handed in, not yet scanned.
        client.force_login(desk)
        received = client.post(reverse("hoso:desk_intake", args=[procedure_a.national_code]), {
            "a-owner_type": "citizen", "a-owner_name": "Nguyễn Văn An",
            "a-owner_id_type": "cccd", "a-owner_id_number": OWNER_CCCD,
            "a-owner_phone": "0912345678", "r-receiving_agency": str(commune.pk),
            "r-deciding_agency": str(commune.pk), "p-originals_1": "1", "p-copies_1": "0",
            "d-method": "online", "c-channel": "direct"})
        assert received.status_code == 302, received.content.decode()[:2000]
        dossier = Dossier.objects.get(procedure=procedure_a)
        paper = dossier.documents.get()
        paper_only = client.get(reverse("hoso:paper_only")).content.decode()
        assert dossier.code in paper_only  # still paper only

        # 2. Three pages scanned, merged in order into one digitised PDF.
        digitisation_url = reverse("hoso:dossier_digitisation", args=[dossier.pk])
        prefix = f"d{paper.pk}"
        scanned = client.post(digitisation_url, {
            "document": paper.pk,
            f"{prefix}-scans": [SimpleUploadedFile(f"trang-{n}.png", page_png(colour))
                                for n, colour in enumerate(("red", "green", "blue"), 1)],
            f"{prefix}-rotations": "0", f"{prefix}-state": DigitisationState.DIGITISED,
            f"{prefix}-doc_number": "125/GCS", f"{prefix}-issued_on": "02/11/2026",
            f"{prefix}-issuer": "Bệnh viện đa khoa tỉnh", f"{prefix}-valid_until": ""})
        assert scanned.status_code == 302
    paper.refresh_from_db()
    assert (paper.digitisation, paper.page_count, paper.digital_code) == (
        DigitisationState.DIGITISED, 3, f"{dossier.code}.01")
    assert (paper.doc_number, paper.issuer) == ("125/GCS", "Bệnh viện đa khoa tỉnh")
    client.force_login(desk)
    stored = client.get(reverse("hoso:document_file", args=[paper.pk]))
    assert len(PdfReader(io.BytesIO(b"".join(stored.streaming_content))).pages) == 3

    # 3. Processed; the leader at the signing step issues the signed e-result; resolved.
    with time_machine.travel(at(2026, 11, 30, 10, 0), tick=False):
        act(client, desk, dossier, "start", assignee=specialist.pk)
    with time_machine.travel(at(2026, 12, 1, 9, 0), tick=False):
        act(client, specialist, dossier, "forward", assignee=leader.pk, note="Đủ điều kiện")
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=True):
        client.force_login(leader)
        officer_page = client.get(reverse("hoso:officer_dossier", args=[dossier.pk]))
        assert "Ký số, ban hành kết quả điện tử" in officer_page.content.decode()
        issued = client.post(reverse("hoso:eresult_issue", args=[dossier.pk]), {
            "name": "Giấy khai sinh", "number": "45/2026/GKS", "issued_on": "2026-12-01"})
        assert issued.status_code == 302
        act(client, leader, dossier, "resolve", note="Đã ký")
        act(client, desk, dossier, "return_result", method="online")
    result = Result.objects.get(dossier=dossier)
    assert (result.code, result.signed_by) == (f"{dossier.code}-KQ1", leader)
    assert Dossier.objects.get(pk=dossier.pk).status == DossierStatus.RETURNED

    # 4. The citizen (a walk-in, so from the wallet of their CCCD) downloads it: signed
    #    (PAdES, visible field) and valid; the QR's address says "hợp lệ".
    client.force_login(citizen)
    in_wallet = WalletDocument.objects.get(source_result=result)
    wallet_page = client.get(reverse("hoso:my_wallet")).content.decode()
    assert result.code in wallet_page
    assert reverse("hoso:wallet_file", args=[in_wallet.pk]) in wallet_page
    download = client.get(reverse("hoso:wallet_file", args=[in_wallet.pk]))
    data = b"".join(download.streaming_content)
    verdict = signing.validate_pdf(data)
    assert (verdict.valid, verdict.intact, verdict.trusted) == (True, True, True)
    widgets = [a.get_object() for a in PdfReader(io.BytesIO(data)).pages[0]["/Annots"]]
    signature = next(w for w in widgets if w.get("/FT") == "/Sig")
    assert signature["/Rect"][2] > signature["/Rect"][0]  # a visible signature box
    client.logout()
    qr_address = verify_url(result).split("#")[0].removeprefix("http://127.0.0.1:8000")
    verification = client.get(qr_address).content.decode()
    assert "hợp lệ" in verification
    assert OWNER_CCCD not in verification  # minimal personal data

    # 5. Another procedure: the wallet offers the e-result and the scanned paper; picked,
    #    nothing uploaded.
    entries = {e.doc_type_code: e for e in WalletDocument.objects.filter(
        owner_id_number=OWNER_CCCD)}
    assert set(entries) == {"GKS", "GCS"}
    with time_machine.travel(at(2026, 12, 3, 9, 0), tick=False):
        client.force_login(citizen)
        apply_url = reverse("hoso:apply", args=[procedure_b.national_code])
        offer_page = client.get(apply_url)
        assert offer_page.status_code == 200, offer_page.get("Location")
        offer = offer_page.content.decode()
        assert "Dùng giấy tờ trong kho: Giấy khai sinh số 45/2026/GKS" in offer
        assert "Dùng giấy tờ trong kho: Giấy chứng sinh số 125/GCS" in offer
        saved = client.post(apply_url, {
            "a-owner_type": "citizen", "a-owner_name": "Nguyễn Văn An",
            "a-owner_id_type": "cccd", "a-owner_id_number": OWNER_CCCD,
            "a-owner_phone": "0912345678", "a-owner_email": "an@example.vn",
            "r-deciding_agency": str(commune.pk), "d-method": "online",
            "p-wallet_1": str(entries["GKS"].pk), "p-wallet_2": str(entries["GCS"].pk)})
        assert saved.status_code == 302, saved.content.decode()[:3000]
        submitted = client.post(saved.url, {"idempotency_key": "lan-1"})
        assert submitted.status_code == 302
    second = Dossier.objects.get(procedure=procedure_b)
    assert second.status == DossierStatus.SUBMITTED
    papers = {d.doc_type_code: d for d in second.documents.all()}
    assert papers["GKS"].digitisation == DigitisationState.REUSED_RESULT
    assert papers["GCS"].digitisation == DigitisationState.REUSED_DOCUMENT
    assert papers["GKS"].file.name == result.file.name  # shared, not uploaded again
    assert papers["GCS"].file.name == paper.file.name
    assert {d.source for d in papers.values()} == {DocumentSource.WALLET}
    assert WalletUse.objects.filter(dossier=second).count() == 2
    client.force_login(citizen)
    history = client.get(reverse("hoso:my_wallet")).content.decode()
    assert second.procedure.name in history  # the citizen sees where each paper was used
