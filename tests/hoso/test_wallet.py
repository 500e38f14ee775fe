"""The citizen's wallet as a service: what it suggests (owner, type, validity), who may look
(an officer only with the dossier in hand, every look logged), reuse instead of an upload
(recorded once per use), and files shared with the wallet never deleted by a dossier."""

import datetime as dt
import hashlib
import pathlib
import uuid

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hoso.choices import (
    Channel,
    DigitisationState,
    DocumentSource,
    DossierStatus,
    WalletAccessPurpose,
    WalletKind,
)
from hoso.models import (
    Dossier,
    DossierDocument,
    Result,
    WalletAccess,
    WalletDocument,
    WalletUse,
    private_storage,
)
from hoso.services import intake, wallet
from portal.calendar import TZ
from portal.errors import InvalidInput, NotFoundError
from tests.hoso.conftest import applicant, desk_receive, intake_request, pdf_bytes, pdf_upload

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
TODAY = NOW.date()
OWNER = "019090001234"  # the `citizen` fixture's CCCD, the default applicant's too
STRANGER = "019190009999"  # the `other_citizen` fixture's CCCD


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _stored_pdf() -> tuple[str, bytes]:
    content = pdf_bytes() + uuid.uuid4().hex.encode()  # each file its own bytes
    return private_storage.save(f"dossiers/test/{uuid.uuid4().hex}.pdf",
                                ContentFile(content)), content


def source(province, desk, owner=OWNER) -> Dossier:
    """An earlier dossier of the owner, received at commune A1."""
    return desk_receive(desk, _procedure(), province.commune_a1, form_data={},
                        applicant=applicant(owner_id_number=owner))


def _procedure():
    from tthc.models import Procedure

    return Procedure.objects.get(national_code="1.001193")


def paper(dossier: Dossier, *, doc_type="GCS", name="Giấy chứng sinh", number="12/GCS",
          issued_on=dt.date(2026, 1, 5), valid_until=None) -> WalletDocument:
    """A digitised paper of `dossier` put in its owner's wallet (the real deposit)."""
    stored, content = _stored_pdf()
    position = 50 + dossier.documents.count()
    doc = DossierDocument.objects.create(
        dossier=dossier, position=position, name=name, doc_type_code=doc_type, file=stored,
        content_type="application/pdf", size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), digitised=True,
        digitisation=DigitisationState.DIGITISED, doc_number=number, issued_on=issued_on,
        valid_until=valid_until, issuer="UBND xã A1")
    return wallet.deposit_document(doc)


def e_result(dossier: Dossier, officer, *, doc_type="GKS", valid_until=None,
             issued_on=dt.date(2026, 2, 1)) -> WalletDocument:
    """A signed e-result of `dossier` put in its owner's wallet (the real deposit)."""
    stored, content = _stored_pdf()
    result = Result.objects.create(
        dossier=dossier, code=f"{dossier.code}-KQ{dossier.results.count() + 1}",
        name="Giấy khai sinh", number="45/GKS", issued_on=issued_on, added_by=officer,
        electronic=True, file=stored, sha256=hashlib.sha256(content).hexdigest(),
        size=len(content), doc_type_code=doc_type, valid_until=valid_until,
        issuing_agency=dossier.deciding_agency)
    return wallet.deposit_result(result)


def revoke(entry: WalletDocument, officer) -> None:
    result = entry.source_result
    result.revoked_at, result.revoked_by, result.revoke_reason = NOW, officer, "Cấp sai"
    result.save()
    wallet.revoke_result(result)


# --- suggestions ------------------------------------------------------------------------------

def test_suggestions_offer_the_owners_valid_papers_of_the_asked_types_newest_first(
        province, birth_procedure, desk_a1, django_assert_num_queries):
    mine = source(province, desk_a1)
    old = paper(mine, issued_on=dt.date(2025, 3, 1), valid_until=TODAY)  # valid to the end
    new = paper(mine, issued_on=dt.date(2026, 6, 1))
    result = e_result(mine, desk_a1, doc_type="GCS")
    paper(mine, valid_until=TODAY - dt.timedelta(days=1))  # expired yesterday
    revoke(e_result(mine, desk_a1, doc_type="GCS"), desk_a1)  # revoked
    paper(mine, doc_type="CCCD", name="Căn cước")  # a type not asked for
    paper(source(province, desk_a1, owner=STRANGER))  # another owner's

    with django_assert_num_queries(1):
        offers = wallet.suggestions(OWNER, ["GCS", "TK-KS", ""], TODAY)

    assert offers == {"GCS": [new, result, old], "TK-KS": []}
    assert [e.kind for e in offers["GCS"]] == [WalletKind.DOCUMENT, WalletKind.RESULT,
                                               WalletKind.DOCUMENT]
    assert wallet.suggestions(OWNER, ["GCS"], TODAY + dt.timedelta(days=1))["GCS"] == [
        new, result]  # the day after, `old` has expired


def test_nothing_is_suggested_without_an_owner_or_a_type(province, birth_procedure, desk_a1):
    paper(source(province, desk_a1))

    assert wallet.suggestions("", ["GCS"], TODAY) == {"GCS": []}
    assert wallet.suggestions(OWNER, [], TODAY) == {}


def test_a_citizen_sees_only_their_own_wallet(province, birth_procedure, desk_a1, citizen,
                                              other_citizen):
    mine = paper(source(province, desk_a1))
    theirs = paper(source(province, desk_a1, owner=STRANGER))

    assert list(wallet.wallet_of(citizen)) == [mine]
    assert list(wallet.wallet_of(other_citizen)) == [theirs]
    with pytest.raises(NotFoundError):
        wallet.owner_open(citizen, theirs.pk)
    assert wallet.owner_open(citizen, mine.pk) == mine


# --- officers: a dossier in hand, every look logged ----------------------------------------------

def test_an_officer_of_another_agency_cannot_look_into_a_wallet_and_nothing_is_logged(
        province, birth_procedure, desk_a1, desk_b1):
    dossier = source(province, desk_a1)
    entry = paper(dossier)

    with pytest.raises(NotFoundError):
        wallet.officer_suggestions(desk_b1, dossier)
    with pytest.raises(NotFoundError):
        wallet.officer_open(desk_b1, dossier, entry.pk)
    # nor by pretending to receive a walk-in at an agency that is not theirs
    with pytest.raises(NotFoundError):
        wallet.officer_suggestions(desk_b1, Dossier(procedure=birth_procedure,
                                                    owner_id_number=OWNER,
                                                    receiving_agency=province.commune_a1))
    assert not WalletAccess.objects.exists()


def test_the_officer_with_the_dossier_in_hand_sees_suggestions_and_each_look_is_logged(
        province, birth_procedure, desk_a1):
    earlier = source(province, desk_a1)
    entry = paper(earlier)
    in_hand = source(province, desk_a1)

    offers = wallet.officer_suggestions(desk_a1, in_hand)
    wallet.officer_suggestions(desk_a1, in_hand)
    opened = wallet.officer_open(desk_a1, in_hand, entry.pk)

    assert offers["GCS"] == [entry]
    assert opened == entry
    looks = list(WalletAccess.objects.order_by("pk").values_list(
        "officer", "agency", "dossier", "owner_id_number", "purpose", "wallet_document"))
    desk = province.commune_a1.pk  # the agency the officer acted for, kept as it was
    assert looks == [
        (desk_a1.pk, desk, in_hand.pk, OWNER, WalletAccessPurpose.SUGGEST, None),
        (desk_a1.pk, desk, in_hand.pk, OWNER, WalletAccessPurpose.SUGGEST, None),
        (desk_a1.pk, desk, in_hand.pk, OWNER, WalletAccessPurpose.DOWNLOAD, entry.pk),
    ]


def test_an_officer_opens_only_papers_of_the_types_the_dossier_asks_for(
        province, birth_procedure, desk_a1):
    dossier = source(province, desk_a1)
    unrelated = paper(dossier, doc_type="CCCD", name="Căn cước")
    strangers = paper(source(province, desk_a1, owner=STRANGER))

    for entry in (unrelated, strangers):
        with pytest.raises(NotFoundError):
            wallet.officer_open(desk_a1, dossier, entry.pk)
    assert not WalletAccess.objects.filter(purpose=WalletAccessPurpose.DOWNLOAD).exists()


def test_a_walk_in_being_entered_at_the_officers_desk_counts_as_in_hand(
        province, birth_procedure, desk_a1):
    entry = paper(source(province, desk_a1))
    walk_in = Dossier(procedure=birth_procedure, owner_id_number=OWNER,
                      receiving_agency=province.commune_a1)

    assert wallet.officer_suggestions(desk_a1, walk_in)["GCS"] == [entry]
    look = WalletAccess.objects.get()
    assert look.dossier_id is None
    assert look.agency_id == province.commune_a1.pk
    assert look.owner_id_number == OWNER
    assert look.purpose == WalletAccessPurpose.SUGGEST
    with pytest.raises(NotFoundError):  # the download needs a dossier
        wallet.officer_open(desk_a1, walk_in, entry.pk)


def test_the_citizen_is_no_officer_of_their_own_dossier(province, birth_procedure, citizen):
    draft = intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1, papers=[]))

    with pytest.raises(NotFoundError):
        wallet.officer_suggestions(citizen, draft)


# --- reuse online ---------------------------------------------------------------------------------

def _files_on_disk() -> set[str]:
    root = private_storage.path("")
    return {str(p.relative_to(root)) for p in pathlib.Path(root).rglob("*") if p.is_file()}


def test_an_online_submission_with_wallet_picks_needs_no_upload(
        province, birth_procedure, desk_a1, citizen):
    earlier = source(province, desk_a1)
    form = paper(earlier, doc_type="TK-KS", name="Tờ khai")
    certificate = e_result(earlier, desk_a1, doc_type="GCS")
    files_before = _files_on_disk()

    draft = intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1, papers=[
            intake.PaperIn(position=1, wallet_document_id=form.pk),
            intake.PaperIn(position=2, wallet_document_id=certificate.pk)]))
    dossier = intake.submit_online(dossier_id=draft.pk, account=citizen)

    assert dossier.status == DossierStatus.SUBMITTED
    assert _files_on_disk() == files_before  # shared, not copied
    docs = {d.position: d for d in dossier.documents.all()}
    for position, entry, state in ((1, form, DigitisationState.REUSED_DOCUMENT),
                                   (2, certificate, DigitisationState.REUSED_RESULT)):
        doc = docs[position]
        assert doc.wallet_document == entry
        assert doc.file.name == entry.file.name
        assert (doc.sha256, doc.size, doc.content_type) == (entry.sha256, entry.size,
                                                            entry.content_type)
        assert doc.source == DocumentSource.WALLET
        assert doc.digitisation == state
        assert doc.digitised
    assert docs[2].doc_number == "45/GKS"
    assert docs[2].original_filename == f"{certificate.code}.pdf"
    uses = WalletUse.objects.order_by("document__position")
    assert [(u.wallet_document_id, u.used_by_id, u.agency_id, u.channel) for u in uses] == [
        (form.pk, citizen.pk, province.commune_a1.pk, Channel.ONLINE),
        (certificate.pk, citizen.pk, province.commune_a1.pk, Channel.ONLINE)]


def test_a_draft_save_records_no_reuse_until_it_is_submitted(province, birth_procedure,
                                                             desk_a1, citizen):
    entry = paper(source(province, desk_a1))

    intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1,
        papers=[intake.PaperIn(position=2, wallet_document_id=entry.pk)]))

    assert not WalletUse.objects.exists()


def test_a_reuse_is_recorded_once_even_when_the_submission_is_retried(
        province, birth_procedure, desk_a1, citizen):
    entry = paper(source(province, desk_a1))
    draft = intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1, papers=[
            intake.PaperIn(position=1, file=pdf_upload()),
            intake.PaperIn(position=2, wallet_document_id=entry.pk)]))

    intake.submit_online(dossier_id=draft.pk, account=citizen, idempotency_key="k1")
    intake.submit_online(dossier_id=draft.pk, account=citizen, idempotency_key="k1")
    # sent back for completion and resubmitted: the same paper, the same reuse
    intake.request_completion(dossier_id=draft.pk, officer=desk_a1, reason="Bổ sung tờ khai.")
    intake.submit_online(dossier_id=draft.pk, account=citizen, idempotency_key="k2")
    # and the recorder itself run again
    documents = list(DossierDocument.objects.filter(dossier=draft))
    wallet.record_uses(documents, dossier=Dossier.objects.get(pk=draft.pk))

    assert WalletUse.objects.count() == 1
    use = WalletUse.objects.get()
    assert (use.wallet_document, use.dossier_id, use.document.position) == (entry, draft.pk, 2)


@pytest.mark.parametrize("case", ["other_owner", "other_type", "expired", "revoked",
                                  "unknown"])
def test_a_wallet_pick_that_does_not_fit_is_refused_and_changes_nothing(
        province, birth_procedure, desk_a1, citizen, case):
    mine = source(province, desk_a1)
    entry = {
        "other_owner": lambda: paper(source(province, desk_a1, owner=STRANGER)),
        "other_type": lambda: paper(mine, doc_type="CCCD", name="Căn cước"),
        "expired": lambda: paper(mine, valid_until=TODAY - dt.timedelta(days=1)),
        "revoked": lambda: e_result(mine, desk_a1, doc_type="GCS"),
        "unknown": lambda: None,
    }[case]()
    if case == "revoked":
        revoke(entry, desk_a1)
    draft = intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1, papers=[
            intake.PaperIn(position=2, file=pdf_upload("gcs.pdf"))]))
    before = list(draft.documents.values_list("file", "wallet_document", "source"))
    files_before = _files_on_disk()

    with pytest.raises(InvalidInput) as refused:
        intake.save_draft(account=citizen, dossier=draft, request=intake_request(
            birth_procedure, province.commune_a1, papers=[
                intake.PaperIn(position=1, file=pdf_upload("to-khai.pdf")),
                intake.PaperIn(position=2, wallet_document_id=entry.pk if entry else 999999)]))

    expected = {"other_owner": "Không tìm thấy giấy tờ trong kho dữ liệu của chủ hồ sơ.",
                "unknown": "Không tìm thấy giấy tờ trong kho dữ liệu của chủ hồ sơ.",
                "other_type": "không đúng loại giấy tờ “Giấy chứng sinh”",
                "expired": "đã hết hiệu lực từ ngày 22/11/2026",
                "revoked": "đã bị thu hồi"}[case]
    assert expected in refused.value.message
    assert list(draft.documents.values_list("file", "wallet_document", "source")) == before
    assert _files_on_disk() == files_before  # the upload of the refused save is gone too


def test_a_citizen_filing_for_someone_else_cannot_use_that_persons_wallet(
        province, birth_procedure, desk_a1, citizen):
    theirs = paper(source(province, desk_a1, owner=STRANGER))

    with pytest.raises(InvalidInput):
        intake.save_draft(account=citizen, request=intake_request(
            birth_procedure, province.commune_a1,
            applicant=applicant(owner_name="Lê Thị Cúc", owner_id_number=STRANGER),
            papers=[intake.PaperIn(position=2, wallet_document_id=theirs.pk)]))
    assert not Dossier.objects.filter(account=citizen).exists()


def test_a_pick_revoked_or_expired_after_the_draft_cannot_be_submitted(
        province, birth_procedure, desk_a1, citizen):
    earlier = source(province, desk_a1)
    form = paper(earlier, doc_type="TK-KS", name="Tờ khai", valid_until=TODAY)
    certificate = e_result(earlier, desk_a1, doc_type="GCS")
    draft = intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1, papers=[
            intake.PaperIn(position=1, wallet_document_id=form.pk),
            intake.PaperIn(position=2, wallet_document_id=certificate.pk)]))
    revoke(certificate, desk_a1)

    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False), \
            pytest.raises(InvalidInput) as refused:
        intake.submit_online(dossier_id=draft.pk, account=citizen)

    assert "đã bị thu hồi" in refused.value.message
    assert "đã hết hiệu lực từ ngày 23/11/2026" in refused.value.message
    assert Dossier.objects.get(pk=draft.pk).status == DossierStatus.DRAFT
    assert not WalletUse.objects.exists()


def test_both_a_file_and_a_wallet_pick_for_one_paper_is_refused(province, birth_procedure,
                                                                desk_a1, citizen):
    entry = paper(source(province, desk_a1))

    with pytest.raises(InvalidInput, match="chỉ chọn một cách"):
        intake.save_draft(account=citizen, request=intake_request(
            birth_procedure, province.commune_a1, papers=[intake.PaperIn(
                position=2, file=pdf_upload(), wallet_document_id=entry.pk)]))


# --- files shared with the wallet -----------------------------------------------------------------

def test_a_draft_replacing_a_reused_paper_with_an_upload_keeps_the_wallet_file(
        province, birth_procedure, desk_a1, citizen, django_capture_on_commit_callbacks):
    entry = paper(source(province, desk_a1))
    draft = intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1,
        papers=[intake.PaperIn(position=2, wallet_document_id=entry.pk)]))

    with django_capture_on_commit_callbacks(execute=True):
        intake.save_draft(account=citizen, dossier=draft, request=intake_request(
            birth_procedure, province.commune_a1,
            papers=[intake.PaperIn(position=2, file=pdf_upload("gcs-moi.pdf"))]))

    assert private_storage.exists(entry.file.name)
    doc = draft.documents.get(position=2)
    assert doc.file.name != entry.file.name
    assert doc.wallet_document is None
    assert doc.source == DocumentSource.UPLOAD
    assert doc.digitisation == DigitisationState.NOT_DIGITISED
    assert doc.original_filename == "gcs-moi.pdf"


def test_a_paper_put_in_the_wallet_keeps_its_file_when_the_draft_replaces_it(
        province, birth_procedure, desk_a1, citizen, django_capture_on_commit_callbacks):
    """Sent back for completion after its upload was digitised: the new upload must not
    delete the file the wallet entry points at."""
    draft = intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1, papers=[
            intake.PaperIn(position=1, file=pdf_upload()),
            intake.PaperIn(position=2, file=pdf_upload("gcs.pdf"))]))
    doc = draft.documents.get(position=2)
    entry = wallet.deposit_document(doc)

    with django_capture_on_commit_callbacks(execute=True):
        intake.save_draft(account=citizen, dossier=draft, request=intake_request(
            birth_procedure, province.commune_a1,
            papers=[intake.PaperIn(position=2, file=pdf_upload("gcs-moi.pdf"))]))

    assert private_storage.exists(entry.file.name)


def test_an_upload_replaced_by_a_wallet_pick_is_deleted(
        province, birth_procedure, desk_a1, citizen, django_capture_on_commit_callbacks):
    entry = paper(source(province, desk_a1))
    draft = intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1,
        papers=[intake.PaperIn(position=2, file=pdf_upload("gcs.pdf"))]))
    uploaded = draft.documents.get(position=2).file.name

    with django_capture_on_commit_callbacks(execute=True):
        intake.save_draft(account=citizen, dossier=draft, request=intake_request(
            birth_procedure, province.commune_a1,
            papers=[intake.PaperIn(position=2, wallet_document_id=entry.pk)]))

    assert not private_storage.exists(uploaded)
    assert private_storage.exists(entry.file.name)
    assert draft.documents.get(position=2).wallet_document == entry


# --- reuse at the desk ----------------------------------------------------------------------------

def test_the_desk_takes_a_walk_ins_paper_from_the_wallet_and_records_the_reuse(
        province, birth_procedure, desk_a1):
    entry = paper(source(province, desk_a1))

    dossier = intake.intake_at_desk(officer=desk_a1, request=intake_request(
        birth_procedure, province.commune_a1, papers=[
            intake.PaperIn(position=1, originals=1),
            intake.PaperIn(position=2, wallet_document_id=entry.pk)]))

    doc = dossier.documents.get(position=2)
    assert doc.wallet_document == entry
    assert doc.file.name == entry.file.name
    assert doc.source == DocumentSource.WALLET
    use = WalletUse.objects.get()
    assert (use.document, use.used_by, use.agency, use.channel, use.used_at) == (
        doc, desk_a1, province.commune_a1, Channel.DIRECT, dossier.received_at)


def test_the_desk_cannot_take_a_paper_of_someone_other_than_the_applicant(
        province, birth_procedure, desk_a1):
    theirs = paper(source(province, desk_a1, owner=STRANGER))
    count = Dossier.objects.count()

    with pytest.raises(InvalidInput):
        intake.intake_at_desk(officer=desk_a1, request=intake_request(
            birth_procedure, province.commune_a1, papers=[
                intake.PaperIn(position=1, originals=1),
                intake.PaperIn(position=2, wallet_document_id=theirs.pk)]))
    assert Dossier.objects.count() == count
    assert not WalletUse.objects.exists()


def test_a_received_dossiers_paper_answered_from_the_wallet_is_recorded_as_a_reuse(
        province, birth_procedure, desk_a1, desk_b1, django_capture_on_commit_callbacks):
    entry = paper(source(province, desk_a1))
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1, form_data={})
    doc = dossier.documents.get(position=2)  # handed in on paper only

    with pytest.raises(NotFoundError):
        wallet.reuse_for_paper(document_id=doc.pk, entry_id=entry.pk, officer=desk_b1)
    with django_capture_on_commit_callbacks(execute=True):
        wallet.reuse_for_paper(document_id=doc.pk, entry_id=entry.pk, officer=desk_a1)
        wallet.reuse_for_paper(document_id=doc.pk, entry_id=entry.pk, officer=desk_a1)

    doc.refresh_from_db()
    assert doc.wallet_document == entry
    assert doc.digitisation == DigitisationState.REUSED_DOCUMENT
    assert WalletUse.objects.filter(document=doc).count() == 1
    assert private_storage.exists(entry.file.name)


# --- the API --------------------------------------------------------------------------------------

def test_the_api_submission_takes_a_wallet_document_per_paper(client, province,
                                                              birth_procedure, desk_a1,
                                                              citizen):
    import json

    entry = paper(source(province, desk_a1))
    client.force_login(citizen)

    response = client.post(reverse("api:dossier-list"), {
        "procedure": birth_procedure.national_code,
        "deciding_agency": province.commune_a1.code,
        "form_data": json.dumps({"child_full_name": "Nguyễn Minh Khang",
                                 "date_of_birth": "2026-11-01", "sex": "male",
                                 "mother": {"full_name": "Trần Thị Mai",
                                            "cccd": "019190004321"}}),
        "papers": json.dumps([{"position": 2, "wallet_document": entry.pk}]),
        "file_1": SimpleUploadedFile("to-khai.pdf", pdf_bytes(), "application/pdf"),
        "result_delivery": "online"})
    bad = client.post(reverse("api:dossier-list"), {
        "procedure": birth_procedure.national_code,
        "deciding_agency": province.commune_a1.code,
        "papers": json.dumps([{"position": 2, "wallet_document": "x"}])})

    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(pk=response.json()["id"])
    assert dossier.documents.get(position=2).wallet_document == entry
    assert WalletUse.objects.get().dossier == dossier
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_wallet_document"
