"""Digitisation at the desk (hoso.services.digitisation and its pages): one merged PDF per
paper with its metadata and a `<dossier code>.NN` code, the wallet, re-scans, states,
permissions, and the list of what is still on paper only."""

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm
from PIL import Image
from pypdf import PdfReader

from hoso import digitisation_views
from hoso.choices import Action, DigitisationState, DocumentSource, DossierStatus, IdType
from hoso.models import (
    Dossier,
    DossierDocument,
    DossierEvent,
    Result,
    WalletDocument,
    private_storage,
)
from hoso.scans import ScanIn, merge_scans
from hoso.services import intake
from hoso.services.digitisation import digitise
from portal.calendar import TZ
from portal.choices import Role
from portal.errors import DomainError, InvalidInput
from portal.permissions import forget_permissions
from tests.conftest import make_officer
from tests.hoso.conftest import applicant, desk_receive, online_submit

pytestmark = pytest.mark.django_db

COLOURS = {"red": (255, 0, 0), "green": (0, 160, 0), "blue": (0, 0, 255)}
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def png(colour: str, size=(210, 297)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, COLOURS[colour]).save(out, "PNG")
    return out.getvalue()


def scans(*colours: str) -> list[ScanIn]:
    return [ScanIn(SimpleUploadedFile(f"trang-{i}.png", png(c)))
            for i, c in enumerate(colours, 1)]


def stored_files() -> set[str]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def page_colours(name: str) -> list[str]:
    """The colour of each page's image of a stored PDF, in page order."""
    with private_storage.open(name, "rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    found = []
    for page in reader.pages:
        pixel = page.images[0].image.convert("RGB").getpixel((5, 5))
        found.append(min(COLOURS, key=lambda c: sum(abs(a - b) for a, b in
                                                      zip(COLOURS[c], pixel, strict=True))))
    return found


def paper(dossier, position: int) -> DossierDocument:
    return dossier.documents.get(position=position)


@pytest.fixture
def walk_in(province, birth_procedure, desk_a1):
    """A walk-in dossier received at commune A1: the form scanned at intake (position 1),
    the birth certificate on paper only (position 2)."""
    return desk_receive(desk_a1, birth_procedure, province.commune_a1)


META = {"doc_number": "125/GCS", "issued_on": dt.date(2026, 11, 2),
        "issuer": "Bệnh viện đa khoa tỉnh", "valid_until": None}


# --- the verb ---------------------------------------------------------------------------------

def test_three_scanned_pages_become_one_digitised_pdf_with_its_metadata_and_code(
        walk_in, desk_a1):
    doc = digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1,
                   scans=scans("red", "green", "blue"), state=DigitisationState.DIGITISED,
                   **META)
    doc.refresh_from_db()
    assert (doc.digitisation, doc.digitised, doc.source) == (
        DigitisationState.DIGITISED, True, DocumentSource.DESK_SCAN)
    assert doc.digital_code == f"{walk_in.code}.01"
    assert (doc.doc_number, doc.issued_on, doc.issuer, doc.valid_until) == (
        "125/GCS", dt.date(2026, 11, 2), "Bệnh viện đa khoa tỉnh", None)
    assert (doc.digitised_by, doc.digitised_at) == (desk_a1, NOW)
    assert (doc.page_count, doc.content_type) == (3, "application/pdf")
    with private_storage.open(doc.file.name, "rb") as stored:
        content = stored.read()
    assert (doc.size, doc.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert page_colours(doc.file.name) == ["red", "green", "blue"]
    event = DossierEvent.objects.get(dossier=walk_in, action=Action.DIGITISE)
    assert (event.actor, event.agency_id, event.status_before, event.status_after) == (
        desk_a1, walk_in.receiving_agency_id, walk_in.status, walk_in.status)
    assert event.data["code"] == doc.digital_code
    assert event.data["pages"] == 3


def test_a_digitised_paper_lands_in_the_wallet_of_an_owner_with_a_cccd(walk_in, desk_a1):
    doc = digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1, scans=scans("red"),
                   **META)
    entry = WalletDocument.objects.get(source_document=doc)
    assert (entry.owner_id_number, entry.code, entry.doc_type_code, entry.file.name,
            entry.number, entry.issuer, entry.source_dossier_id) == (
        walk_in.owner_id_number, doc.digital_code, "GCS", doc.file.name, "125/GCS",
        "Bệnh viện đa khoa tỉnh", walk_in.pk)


def test_a_passport_owner_has_no_wallet_so_nothing_is_deposited(province, birth_procedure,
                                                                  desk_a1):
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1, applicant=applicant(
        owner_id_type=IdType.PASSPORT, owner_id_number="B1234567"))
    doc = digitise(document_id=paper(dossier, 2).pk, officer=desk_a1, scans=scans("red"))
    assert doc.digitisation == DigitisationState.DIGITISED
    assert doc.digital_code == f"{dossier.code}.01"
    assert not WalletDocument.objects.exists()


def test_confirming_the_scan_made_at_intake_digitises_it_without_a_new_file(walk_in, desk_a1):
    scanned = paper(walk_in, 1)
    before = (scanned.file.name, scanned.sha256)
    digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1, scans=scans("red"))
    doc = digitise(document_id=scanned.pk, officer=desk_a1, doc_number="01/TK")
    doc.refresh_from_db()
    assert (doc.file.name, doc.sha256) == before
    assert (doc.digitisation, doc.digital_code, doc.page_count) == (
        DigitisationState.DIGITISED, f"{walk_in.code}.02", 1)
    assert WalletDocument.objects.filter(source_document=doc, file=before[0]).exists()


def test_confirming_a_citizen_upload_deposits_it(province, birth_procedure, citizen, desk_a1):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    dossier = intake.receive(dossier_id=dossier.pk, officer=desk_a1)
    upload = paper(dossier, 2)  # a PNG uploaded by the citizen
    doc = digitise(document_id=upload.pk, officer=desk_a1, **META)
    assert (doc.digitisation, doc.source, doc.page_count) == (
        DigitisationState.DIGITISED, DocumentSource.UPLOAD, 1)
    assert WalletDocument.objects.get(source_document=doc).content_type == "image/png"


def test_each_dossier_counts_its_own_codes(province, birth_procedure, desk_a1, walk_in):
    other = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    first = digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1, scans=scans("red"))
    second = digitise(document_id=paper(other, 2).pk, officer=desk_a1, scans=scans("red"))
    third = digitise(document_id=paper(walk_in, 1).pk, officer=desk_a1)
    assert [first.digital_code, second.digital_code, third.digital_code] == [
        f"{walk_in.code}.01", f"{other.code}.01", f"{walk_in.code}.02"]


def test_a_rescan_keeps_the_code_replaces_the_file_and_deletes_the_old_one_on_commit(
        walk_in, desk_a1, django_capture_on_commit_callbacks):
    doc = digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1, scans=scans("red"),
                   **META)
    old = doc.file.name
    with django_capture_on_commit_callbacks(execute=True):
        again = digitise(document_id=doc.pk, officer=desk_a1,
                         scans=scans("blue", "green"), **META)
    assert again.digital_code == doc.digital_code
    assert again.file.name != old
    assert page_colours(again.file.name) == ["blue", "green"]
    assert again.page_count == 2
    assert not private_storage.exists(old)
    entry = WalletDocument.objects.get(source_document=doc)
    assert (entry.file.name, entry.sha256) == (again.file.name, again.sha256)
    assert DossierEvent.objects.filter(action=Action.DIGITISE).count() == 2


@pytest.mark.parametrize("holder", ["paper", "wallet", "result"])
def test_a_rescan_never_deletes_a_file_another_row_still_points_at(
        province, birth_procedure, walk_in, desk_a1, django_capture_on_commit_callbacks,
        holder):
    doc = digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1, scans=scans("red"))
    old = doc.file.name
    other = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    if holder == "paper":  # e.g. a paper that reused it from the wallet
        DossierDocument.objects.filter(pk=paper(other, 2).pk).update(file=old)
    elif holder == "wallet":
        WalletDocument.objects.create(
            owner_id_type="cccd", owner_id_number=other.owner_id_number, owner_name="An",
            kind="document", code="KHAC.01", name="Giấy tờ khác", file=old,
            source_dossier=other, source_document=paper(other, 2))
    else:
        Result.objects.create(dossier=other, code=f"{other.code}-KQ1", name="Giấy khai sinh",
                              number="1/GKS", issued_on=dt.date(2026, 11, 30), file=old,
                              added_by=desk_a1)
    with django_capture_on_commit_callbacks(execute=True):
        digitise(document_id=doc.pk, officer=desk_a1, scans=scans("blue"))
    assert private_storage.exists(old)


def test_a_national_source_needs_its_number_and_issuer_but_no_file(walk_in, desk_a1):
    with pytest.raises(InvalidInput, match="số, ký hiệu và cơ quan ban hành"):
        digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1,
                 state=DigitisationState.NATIONAL_SOURCE, doc_number="125/GCS")
    doc = digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1,
                   state=DigitisationState.NATIONAL_SOURCE, **META)
    assert (doc.digitisation, doc.digitised, doc.source, bool(doc.file), doc.digital_code) == (
        DigitisationState.NATIONAL_SOURCE, True, DocumentSource.NATIONAL_DB, False, "")
    assert not WalletDocument.objects.exists()


def test_paper_only_is_recorded_with_its_metadata(walk_in, desk_a1):
    doc = digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1,
                   state=DigitisationState.NOT_DIGITISED, **META)
    assert (doc.digitisation, doc.digitised, doc.digital_code, doc.doc_number) == (
        DigitisationState.NOT_DIGITISED, False, "", "125/GCS")
    assert not WalletDocument.objects.exists()


@pytest.mark.parametrize("state", [DigitisationState.REUSED_DOCUMENT,
                                   DigitisationState.REUSED_RESULT])
def test_the_reuse_states_are_set_by_the_wallet_not_here(walk_in, desk_a1, state):
    with pytest.raises(InvalidInput, match="kho dữ liệu điện tử") as exc:
        digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1, state=state, **META)
    assert exc.value.code == "reuse_state"


def test_a_digitised_paper_does_not_go_back_to_paper_only(walk_in, desk_a1):
    doc = digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1, scans=scans("red"))
    with pytest.raises(InvalidInput, match="không chuyển về trạng thái khác"):
        digitise(document_id=doc.pk, officer=desk_a1, state=DigitisationState.NOT_DIGITISED)
    doc.refresh_from_db()
    assert doc.digitisation == DigitisationState.DIGITISED


def test_a_paper_without_a_file_needs_a_scan_to_be_digitised(walk_in, desk_a1):
    with pytest.raises(InvalidInput, match="vui lòng quét giấy tờ"):
        digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1)
    with pytest.raises(InvalidInput, match="trạng thái phải là “Đã số hóa”"):
        digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1, scans=scans("red"),
                 state=DigitisationState.NOT_DIGITISED)


def unchanged(doc: DossierDocument) -> tuple:
    doc = DossierDocument.objects.get(pk=doc.pk)
    return (doc.digitisation, doc.file.name, doc.digital_code, doc.doc_number, doc.issued_on,
            doc.page_count)


@pytest.mark.parametrize(("changes", "message"), [
    ({"issued_on": dt.date(2026, 12, 2)}, "không được sau ngày hôm nay"),
    ({"issued_on": dt.date(2026, 11, 2), "valid_until": dt.date(2026, 11, 1)},
     "không được trước ngày ban hành"),
    ({"doc_number": "x" * 101}, "Số, ký hiệu quá dài"),
    ({"scans": [ScanIn(SimpleUploadedFile("a.pdf", b"MZ\x90\x00 an exe"))]},
     "không phải PDF, JPEG hoặc PNG"),
    ({"scans": [ScanIn(SimpleUploadedFile("rong.png", b""))]}, "rỗng"),
    ({"scans": [ScanIn(SimpleUploadedFile("a.png", png("red")), rotation=45)]}, "Góc xoay"),
])
def test_bad_input_changes_nothing_and_stores_no_file(walk_in, desk_a1, changes, message):
    doc = paper(walk_in, 2)
    before, files = unchanged(doc), stored_files()
    kwargs = {"scans": scans("red"), **changes}
    with pytest.raises(InvalidInput, match=message):
        digitise(document_id=doc.pk, officer=desk_a1, **kwargs)
    assert unchanged(doc) == before
    assert stored_files() == files
    assert not DossierEvent.objects.filter(action=Action.DIGITISE).exists()
    assert not WalletDocument.objects.exists()


def test_an_oversized_scan_is_refused_and_nothing_stored(walk_in, desk_a1, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    doc, files = paper(walk_in, 2), stored_files()
    big = SimpleUploadedFile("lon.png", png("red", (300, 300)) + b"\0" * 2048)
    with pytest.raises(InvalidInput, match="lớn hơn 0 MB cho phép"):
        digitise(document_id=doc.pk, officer=desk_a1, scans=[ScanIn(big)])
    assert stored_files() == files


def test_a_scan_over_the_dossier_total_is_refused_and_its_stored_file_deleted(
        walk_in, desk_a1, settings):
    doc, files = paper(walk_in, 2), stored_files()
    merged = len(merge_scans(scans("red", "green", "blue")).content)
    inputs = 3 * len(png("red"))
    assert merged > inputs
    # the scanned files pass, the merged PDF beside the dossier's other file does not
    settings.UPLOAD_MAX_DOSSIER_BYTES = paper(walk_in, 1).size + merged - 1
    with pytest.raises(InvalidInput, match="Tổng dung lượng các tệp vượt quá") as exc:
        digitise(document_id=doc.pk, officer=desk_a1, scans=scans("red", "green", "blue"))
    assert exc.value.code == "dossier_too_big"
    assert stored_files() == files
    assert unchanged(doc)[0] == DigitisationState.NOT_DIGITISED


def test_an_officer_of_another_agency_is_refused(walk_in, desk_b1):
    doc, files = paper(walk_in, 2), stored_files()
    with pytest.raises(DomainError) as exc:
        digitise(document_id=doc.pk, officer=desk_b1, scans=scans("red"))
    assert (exc.value.code, exc.value.status_code) == ("forbidden", 403)
    assert stored_files() == files
    assert unchanged(doc)[0] == DigitisationState.NOT_DIGITISED


def test_a_processing_officer_of_the_handling_agency_may_digitise(province, walk_in):
    specialist = make_officer(province.commune_a1, Role.PROCESSING_OFFICER,
                              username="chuyenvien")
    doc = digitise(document_id=paper(walk_in, 2).pk, officer=specialist, scans=scans("red"))
    assert doc.digitisation == DigitisationState.DIGITISED


@pytest.mark.parametrize("status", [DossierStatus.IN_PROGRESS, DossierStatus.RESOLVED])
def test_a_dossier_in_progress_or_resolved_may_be_digitised(walk_in, desk_a1, status):
    Dossier.objects.filter(pk=walk_in.pk).update(status=status)
    doc = digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1, scans=scans("red"))
    assert doc.digitisation == DigitisationState.DIGITISED


@pytest.mark.parametrize("status", [DossierStatus.RETURNED, DossierStatus.WITHDRAWN,
                                    DossierStatus.REFUSED, DossierStatus.STOPPED])
def test_a_finished_dossier_is_not_digitised(walk_in, desk_a1, status):
    Dossier.objects.filter(pk=walk_in.pk).update(status=status)
    with pytest.raises(DomainError, match="Chỉ số hóa giấy tờ của hồ sơ đã tiếp nhận") as exc:
        digitise(document_id=paper(walk_in, 2).pk, officer=desk_a1, scans=scans("red"))
    assert exc.value.status_code == 409


def test_an_online_submission_is_not_digitised_before_receipt(province, birth_procedure,
                                                               citizen, desk_a1):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    with pytest.raises(DomainError, match="Đã nộp, chờ tiếp nhận"):
        digitise(document_id=paper(dossier, 1).pk, officer=desk_a1)
    assert paper(dossier, 1).digital_code == ""


# --- the dossier's page ----------------------------------------------------------------------

def page_url(dossier) -> str:
    return reverse("hoso:dossier_digitisation", args=[dossier.pk])


def test_the_desk_scans_three_pages_of_a_walk_in_paper_on_the_page(client, walk_in, desk_a1):
    client.force_login(desk_a1)
    page = client.get(page_url(walk_in))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Giấy chứng sinh" in text
    assert "Chỉ có bản giấy" in text
    doc = paper(walk_in, 2)
    prefix = f"d{doc.pk}"
    files = [SimpleUploadedFile(f"trang-{c}.png", png(c)) for c in ("blue", "red", "green")]
    response = client.post(page_url(walk_in), {
        "document": doc.pk, f"{prefix}-scans": files, f"{prefix}-rotations": "0, 90, 0",
        f"{prefix}-state": DigitisationState.DIGITISED, f"{prefix}-doc_number": "125/GCS",
        f"{prefix}-issued_on": "02/11/2026", f"{prefix}-issuer": "Bệnh viện đa khoa tỉnh",
        f"{prefix}-valid_until": ""})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert (doc.page_count, doc.digital_code, doc.issued_on) == (
        3, f"{walk_in.code}.01", dt.date(2026, 11, 2))
    assert page_colours(doc.file.name) == ["blue", "red", "green"]
    with private_storage.open(doc.file.name, "rb") as stored:
        second = PdfReader(io.BytesIO(stored.read())).pages[1]
    assert float(second.mediabox.width) > float(second.mediabox.height)  # turned 90°
    text = client.get(response["Location"]).content.decode()
    assert reverse("hoso:document_file", args=[doc.pk]) in text
    assert "3 trang" in text
    assert f"{walk_in.code}.01" in text
    assert "Đã số hóa" in text
    officer_page = client.get(reverse("hoso:officer_dossier", args=[walk_in.pk]))
    assert page_url(walk_in) in officer_page.content.decode()


def test_a_bad_file_on_the_page_is_shown_and_changes_nothing(client, walk_in, desk_a1):
    client.force_login(desk_a1)
    doc, files = paper(walk_in, 2), stored_files()
    prefix = f"d{doc.pk}"
    response = client.post(page_url(walk_in), {
        "document": doc.pk, f"{prefix}-scans": [SimpleUploadedFile("a.pdf", b"MZ\x90 exe")],
        f"{prefix}-state": DigitisationState.DIGITISED})
    assert response.status_code == 400
    assert "không phải PDF, JPEG hoặc PNG" in response.content.decode()
    assert stored_files() == files
    assert unchanged(doc)[0] == DigitisationState.NOT_DIGITISED


def test_rotations_must_match_the_files(client, walk_in, desk_a1):
    client.force_login(desk_a1)
    doc = paper(walk_in, 2)
    prefix = f"d{doc.pk}"
    response = client.post(page_url(walk_in), {
        "document": doc.pk, f"{prefix}-scans": [SimpleUploadedFile("a.png", png("red"))] * 1,
        f"{prefix}-rotations": "0, 90", f"{prefix}-state": DigitisationState.DIGITISED})
    assert response.status_code == 400
    assert "Có 1 tệp nhưng 2 góc xoay" in response.content.decode()


def test_an_officer_of_another_agency_does_not_see_the_page(client, walk_in, desk_b1):
    client.force_login(desk_b1)
    assert client.get(page_url(walk_in)).status_code == 404
    doc = paper(walk_in, 2)
    response = client.post(page_url(walk_in), {
        "document": doc.pk, f"d{doc.pk}-scans": [SimpleUploadedFile("a.png", png("red"))],
        f"d{doc.pk}-state": DigitisationState.DIGITISED})
    assert response.status_code == 404
    assert unchanged(doc)[0] == DigitisationState.NOT_DIGITISED


def test_an_officer_who_may_only_view_gets_no_form_and_a_403_on_post(client, province,
                                                                     walk_in):
    viewer = make_officer(province.commune_a2, Role.DESK_OFFICER, username="xem")
    assign_perm("portal.view_dossier", viewer, province.commune_a1)
    forget_permissions(viewer)
    client.force_login(viewer)
    page = client.get(page_url(walk_in))
    assert page.status_code == 200
    assert "Bạn chỉ được xem" in page.content.decode()
    assert 'name="document"' not in page.content.decode()
    doc = paper(walk_in, 2)
    response = client.post(page_url(walk_in), {
        "document": doc.pk, f"d{doc.pk}-scans": [SimpleUploadedFile("a.png", png("red"))],
        f"d{doc.pk}-state": DigitisationState.DIGITISED})
    assert response.status_code == 403
    assert unchanged(doc)[0] == DigitisationState.NOT_DIGITISED


# --- what is still on paper only ---------------------------------------------------------------

def paper_only_page(client):
    return client.get(reverse("hoso:paper_only"))


def test_the_paper_only_list_shows_what_is_left_in_the_officers_agencies(
        client, province, birth_procedure, desk_a1, desk_b1):
    left = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    done = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    for doc in done.documents.all():
        digitise(document_id=doc.pk, officer=desk_a1,
                 scans=None if doc.file else scans("red"))
    elsewhere = desk_receive(desk_b1, birth_procedure, province.commune_b1)
    client.force_login(desk_a1)
    page = paper_only_page(client)
    assert page.status_code == 200
    rows = list(page.context["page"])
    assert [d.pk for d in rows] == [left.pk]
    assert (rows[0].papers, rows[0].papers_digital, rows[0].papers_paper_only,
            rows[0].papers_unconfirmed) == (2, 0, 1, 1)
    assert page.context["summary"] == [{
        "agency_id": province.commune_a1.pk, "agency": "UBND xã A1", "total": 4, "digital": 2,
        "paper_only": 1, "unconfirmed": 1, "dossiers_left": 1}]
    text = page.content.decode()
    assert page_url(left) in text
    assert page_url(done) not in text
    assert elsewhere.code not in text
    client.force_login(desk_b1)
    assert [d.pk for d in paper_only_page(client).context["page"]] == [elsewhere.pk]


def test_the_reception_desk_links_to_the_paper_only_list(client, desk_a1):
    client.force_login(desk_a1)
    assert reverse("hoso:paper_only") in client.get(reverse("portal:reception_desk")
                                                    ).content.decode()


def many_walk_ins(officer, procedure, agency, count: int) -> None:
    for _ in range(count):
        desk_receive(officer, procedure, agency)


def test_the_paper_only_list_takes_the_same_queries_for_3_or_30_dossiers(
        client, province, birth_procedure, desk_a1):
    client.force_login(desk_a1)
    many_walk_ins(desk_a1, birth_procedure, province.commune_a1, 3)
    paper_only_page(client)  # warm the access caches
    with CaptureQueriesContext(connection) as few:
        assert len(paper_only_page(client).context["page"]) == 3
    many_walk_ins(desk_a1, birth_procedure, province.commune_a1, 27)
    with CaptureQueriesContext(connection) as many:
        assert len(paper_only_page(client).context["page"]) == 30
    assert len(many) == len(few)


def test_the_paper_only_list_is_paginated(client, province, birth_procedure, desk_a1,
                                          monkeypatch):
    monkeypatch.setattr(digitisation_views, "PAGE_SIZE", 2)
    many_walk_ins(desk_a1, birth_procedure, province.commune_a1, 3)
    client.force_login(desk_a1)
    first = paper_only_page(client)
    second = client.get(reverse("hoso:paper_only"), {"trang": 2})
    assert [len(first.context["page"]), len(second.context["page"])] == [2, 1]
    assert first.context["page"].paginator.count == 3
    assert "Trang sau" in first.content.decode()
