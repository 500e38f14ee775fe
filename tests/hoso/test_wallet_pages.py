"""The wallet as people use it: "Kho dữ liệu của tôi" (entries, reuse history, access log,
downloads) for the owner only; picking wallet papers when submitting online and at the desk;
the officer's view of a wallet for the dossier in hand, logged."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hoso.choices import DossierStatus, WalletAccessPurpose
from hoso.models import Dossier, WalletAccess, WalletUse
from hoso.services import intake, wallet
from tests.hoso.conftest import intake_request, pdf_bytes
from tests.hoso.test_pages import apply_form
from tests.hoso.test_wallet import NOW, OWNER, STRANGER, TODAY, e_result, paper, revoke, source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _reuse(province, birth_procedure, desk, entry) -> Dossier:
    """A walk-in of the owner answered with `entry` (one reuse, one logged look)."""
    walk_in = Dossier(procedure=birth_procedure, owner_id_number=OWNER,
                      receiving_agency=province.commune_a1)
    wallet.officer_suggestions(desk, walk_in)
    return intake.intake_at_desk(officer=desk, request=intake_request(
        birth_procedure, province.commune_a1, form_data={}, papers=[
            intake.PaperIn(position=1, originals=1),
            intake.PaperIn(position=2, wallet_document_id=entry.pk)]))


def test_the_wallet_page_shows_entries_validity_revocation_uses_and_looks(
        client, province, birth_procedure, desk_a1, citizen):
    earlier = source(province, desk_a1)
    valid = paper(earlier, number="12/GCS", valid_until=dt.date(2027, 1, 31))
    paper(earlier, doc_type="CCCD", name="Căn cước công dân", number="019090001234",
          valid_until=TODAY - dt.timedelta(days=3))
    revoked = e_result(earlier, desk_a1)
    revoke(revoked, desk_a1)
    used_in = _reuse(province, birth_procedure, desk_a1, valid)
    client.force_login(citizen)

    page = client.get(reverse("hoso:my_wallet")).content.decode()

    assert "Kho dữ liệu của tôi" in page
    assert "12/GCS" in page
    assert "Đến 31/01/2027" in page
    assert "Hết hiệu lực" in page
    assert "Đã thu hồi lúc 09:00 23/11/2026" in page
    assert earlier.code in page  # the source dossier
    # the reuse history: which paper, for which dossier, by which agency
    assert used_in.code in page
    assert "UBND xã A1" in page
    # the access log: which officer, of which agency, looked
    assert "Ngô Thị Hạnh" in page
    assert str(WalletAccessPurpose.SUGGEST.label) in page
    assert "Đang tiếp nhận hồ sơ tại quầy" in page
    assert reverse("hoso:wallet_file", args=[valid.pk]) in page


def test_a_citizen_sees_and_downloads_only_their_own_wallet(client, province, birth_procedure,
                                                            desk_a1, citizen, other_citizen):
    mine = paper(source(province, desk_a1), number="MINE-1")
    theirs = paper(source(province, desk_a1, owner=STRANGER), number="THEIRS-1")
    client.force_login(citizen)

    page = client.get(reverse("hoso:my_wallet")).content.decode()
    download = client.get(reverse("hoso:wallet_file", args=[mine.pk]))
    foreign = client.get(reverse("hoso:wallet_file", args=[theirs.pk]))

    assert "MINE-1" in page
    assert "THEIRS-1" not in page
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert download["Cache-Control"] == "no-store"
    assert foreign.status_code == 404
    client.logout()
    assert client.get(reverse("hoso:my_wallet")).status_code == 302  # to the login
    client.force_login(desk_a1)  # an officer has no wallet route to a citizen's file
    assert client.get(reverse("hoso:wallet_file", args=[mine.pk])).status_code == 404


def test_the_wallet_page_uses_a_constant_number_of_queries(
        client, province, birth_procedure, desk_a1, citizen):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("hoso:my_wallet")).status_code == 200
        return len(captured)

    earlier = source(province, desk_a1)
    _reuse(province, birth_procedure, desk_a1, paper(earlier))
    client.force_login(citizen)
    queries()  # the first page of a session warms its caches
    one = queries()
    for _n in range(4):
        _reuse(province, birth_procedure, desk_a1, paper(earlier))
        e_result(earlier, desk_a1)

    assert queries() == one
    assert one <= 8


def test_the_citizen_picks_wallet_papers_online_and_uploads_nothing(
        client, province, birth_procedure, desk_a1, citizen):
    earlier = source(province, desk_a1)
    form = paper(earlier, doc_type="TK-KS", name="Tờ khai khai sinh", number="TK-9")
    certificate = e_result(earlier, desk_a1, doc_type="GCS")
    paper(source(province, desk_a1, owner=STRANGER), doc_type="GCS", number="THEIRS-1")
    client.force_login(citizen)
    url = reverse("hoso:apply", args=[birth_procedure.national_code])

    page = client.get(url).content.decode()
    data = apply_form(province.commune_a1, **{"p-wallet_1": str(form.pk),
                                              "p-wallet_2": str(certificate.pk)})
    del data["p-file_1"], data["p-file_2"]
    saved = client.post(url, data)
    draft = Dossier.objects.get(account=citizen)
    editing = client.get(url, {"ho_so": draft.pk}).content.decode()
    submitted = client.post(saved.url, {"idempotency_key": "k"})

    assert "Dùng giấy tờ trong kho: Tờ khai khai sinh số TK-9, cấp ngày 05/01/2026, " \
           "không thời hạn" in page
    assert "Dùng giấy tờ trong kho: Giấy khai sinh số 45/GKS, cấp ngày 01/02/2026" in page
    assert "THEIRS-1" not in page
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert submitted.status_code == 302
    dossier = Dossier.objects.get(account=citizen)
    assert dossier.status == DossierStatus.SUBMITTED
    docs = {d.position: d for d in dossier.documents.all()}
    assert docs[1].file.name == form.file.name
    assert docs[2].file.name == certificate.file.name
    assert WalletUse.objects.filter(dossier=dossier).count() == 2
    # the draft, opened again, shows the picks and keeps them selected
    assert f"Đang dùng giấy tờ trong kho dữ liệu: {certificate.code}.pdf" in editing
    assert f'value="{certificate.pk}" id="id_p-wallet_2_1" checked' in editing


def test_a_pick_from_someone_elses_wallet_is_not_a_choice(client, province, birth_procedure,
                                                          desk_a1, citizen):
    paper(source(province, desk_a1))  # the citizen's own paper of that type is offered
    theirs = paper(source(province, desk_a1, owner=STRANGER))
    client.force_login(citizen)
    data = apply_form(province.commune_a1, **{"p-wallet_2": str(theirs.pk)})
    del data["p-file_2"]

    response = client.post(reverse("hoso:apply", args=[birth_procedure.national_code]), data)

    assert response.status_code == 200  # the form comes back: not one of the choices
    assert not Dossier.objects.filter(account=citizen).exists()


def test_the_desk_sees_a_walk_ins_wallet_only_when_asked_and_each_look_is_logged(
        client, province, birth_procedure, desk_a1):
    entry = paper(source(province, desk_a1), number="12/GCS")
    client.force_login(desk_a1)
    url = reverse("hoso:desk_intake", args=[birth_procedure.national_code])

    plain = client.get(url, {"cccd": OWNER}).content.decode()
    assert "12/GCS" not in plain
    assert not WalletAccess.objects.exists()

    asked = client.get(url, {"cccd": OWNER, "kho": "1"}).content.decode()
    assert "Dùng giấy tờ trong kho: Giấy chứng sinh số 12/GCS" in asked
    assert WalletAccess.objects.count() == 1

    response = client.post(url, {
        "kho": "1",
        "a-owner_type": "citizen", "a-owner_name": "Nguyễn Văn An", "a-owner_id_type": "cccd",
        "a-owner_id_number": OWNER, "a-owner_phone": "0912345678",
        "r-receiving_agency": str(province.commune_a1.pk),
        "r-deciding_agency": str(province.commune_a1.pk),
        "p-originals_1": "1", "p-copies_1": "0", "p-originals_2": "0", "p-copies_2": "0",
        "p-file_1": SimpleUploadedFile("quet.pdf", pdf_bytes(), "application/pdf"),
        "p-wallet_2": str(entry.pk), "d-method": "desk", "c-channel": "direct"})

    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.get(owner_id_number=OWNER, created_by=desk_a1,
                                  documents__wallet_document=entry)
    assert dossier.documents.get(position=2).file.name == entry.file.name
    use = WalletUse.objects.get(dossier=dossier)
    assert (use.used_by, use.agency) == (desk_a1, province.commune_a1)
    assert WalletAccess.objects.count() == 2  # the look that validated the pick


def test_the_desk_can_look_up_the_wallet_of_the_id_number_typed_in(client, province,
                                                                   birth_procedure, desk_a1):
    paper(source(province, desk_a1), number="12/GCS")
    client.force_login(desk_a1)
    dossiers = Dossier.objects.count()

    page = client.post(reverse("hoso:desk_intake", args=[birth_procedure.national_code]), {
        "action": "tra-cuu-kho", "a-owner_id_number": OWNER, "a-owner_name": "Trần Văn Tư",
        "r-receiving_agency": str(province.commune_a1.pk)}).content.decode()

    assert "Dùng giấy tờ trong kho: Giấy chứng sinh số 12/GCS" in page
    assert 'value="Trần Văn Tư"' in page  # what was typed comes back
    assert 'class="error"' not in page  # unchecked: a look-up is not an intake
    assert 'name="kho" value="1"' in page  # the picks stay valid when the intake is posted
    assert Dossier.objects.count() == dossiers  # a look-up receives nothing
    assert WalletAccess.objects.get().officer == desk_a1


def test_the_officer_wallet_page_needs_the_dossier_in_hand_and_logs_looks_and_downloads(
        client, province, birth_procedure, desk_a1, desk_b1):
    entry = paper(source(province, desk_a1), number="12/GCS")
    in_hand = source(province, desk_a1)
    page_url = reverse("hoso:officer_wallet", args=[in_hand.pk])
    file_url = reverse("hoso:officer_wallet_file", args=[in_hand.pk, entry.pk])

    client.force_login(desk_b1)
    assert client.get(page_url).status_code == 404
    assert client.get(file_url).status_code == 404
    assert not WalletAccess.objects.exists()

    client.force_login(desk_a1)
    page = client.get(page_url).content.decode()
    download = client.get(file_url)

    assert "12/GCS" in page
    assert file_url in page
    assert download.status_code == 200
    assert list(WalletAccess.objects.order_by("pk").values_list("purpose", "dossier")) == [
        (WalletAccessPurpose.SUGGEST, in_hand.pk), (WalletAccessPurpose.DOWNLOAD, in_hand.pk)]


def test_the_navigation_and_the_account_page_link_the_wallet(client, citizen):
    client.force_login(citizen)

    page = client.get(reverse("portal:account")).content.decode()

    assert page.count(reverse("hoso:my_wallet")) == 2


def test_with_the_e_form_filled_in_and_a_wallet_pick_nothing_is_uploaded(
        client, province, birth_procedure, desk_a1, citizen):
    """The issue's journey: the application form is the e-form, the other paper comes from
    the wallet; no file is sent at all."""
    certificate = e_result(source(province, desk_a1), desk_a1, doc_type="GCS")
    client.force_login(citizen)
    url = reverse("hoso:apply", args=[birth_procedure.national_code])
    data = apply_form(province.commune_a1, **{"p-wallet_2": str(certificate.pk)})
    del data["p-file_1"], data["p-file_2"]

    page = client.get(url).content.decode()
    saved = client.post(url, data)
    submitted = client.post(saved.url, {"idempotency_key": "k"})

    assert "Tờ khai điện tử ở trên thay cho giấy tờ này" in page
    assert submitted.status_code == 302
    dossier = Dossier.objects.get(account=citizen)
    assert dossier.status == DossierStatus.SUBMITTED
    assert [d.wallet_document for d in dossier.documents.all()] == [certificate]


def test_the_demo_citizen_reuses_the_earlier_result_and_id_paper_for_marriage_registration():
    """`make run`: the demo citizen's returned marital-status dossier left a digitised CCCD
    and a signed e-result in the wallet; marriage registration asks for both."""
    from hoso import demo
    from portal.demo import seed_demo
    from portal.models import User
    from tthc.demo import seed_catalogue
    from tthc.models import Procedure

    seed_demo()
    seed_catalogue()
    demo.seed_dossiers()
    citizen = User.objects.get(cccd=demo.CITIZEN_CCCD)
    marriage = Procedure.objects.get(national_code=demo.WALLET_REUSE)
    offers = wallet.suggestions(citizen.cccd, [d.doc_type_code for d in
                                               marriage.documents.all()])
    picks = {d.position: offers[d.doc_type_code][0] for d in marriage.documents.all()
             if offers.get(d.doc_type_code)}

    draft = intake.save_draft(account=citizen, request=intake.IntakeRequest(
        procedure=marriage, receiving_agency=picks[2].source_dossier.receiving_agency,
        deciding_agency=picks[2].source_dossier.receiving_agency,
        applicant=intake.Applicant.from_account(citizen),
        form_data=demo.sample_form(marriage.eform_schema),
        papers=[intake.PaperIn(position=p, wallet_document_id=e.pk) for p, e in picks.items()]))
    submitted = intake.submit_online(dossier_id=draft.pk, account=citizen)

    assert sorted((e.doc_type_code, e.kind) for e in picks.values()) == [
        ("CCCD", "document"), ("XNTTHN", "result")]
    assert picks[3].source_result.signature  # signed
    assert submitted.status == DossierStatus.SUBMITTED
    assert WalletUse.objects.filter(dossier=submitted).count() == 2
