"""Demo dossiers (seed_demo): a few walk-in dossiers received at the demo commune desk and
online submissions of the demo citizen waiting for the desk's check, so the inbox, tracking
and "my dossiers" show something on a fresh `make run`. Created through the real services;
skipped when dossiers exist already."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from hoso.models import Dossier
from hoso.services import intake
from portal.errors import DomainError
from portal.models import Agency, User
from tthc.eforms import validate_data
from tthc.models import Procedure

WALK_INS = ["1.001193", "2.000815", "1.001612"]  # khai sinh, chứng thực, hộ kinh doanh
ONLINE = ["1.004873", "1.010041"]  # xác nhận tình trạng hôn nhân, xác nhận cư trú
DESK_USERNAME = "xa.motcua"
SPECIALIST_USERNAME = "xa.chuyenvien"
LEADER_USERNAME = "xa.lanhdao"
CITIZEN_CCCD = "019090001234"
WALK_IN_PEOPLE = [("Trần Văn Bình", "019085002345", "0987111222"),
                  ("Lê Thị Thu", "019192003456", "0912333444"),
                  ("Hoàng Minh Đức", "019088004567", "0903555666")]


def _blank_pdf(name: str) -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/pdf")


def sample_value(name: str, prop: dict):
    """A plausible value for one e-form field (demo data only)."""
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return prop.get("minimum", 1)
    if prop.get("format") == "date":
        return "1990-05-12"
    if prop.get("format") == "email":
        return "nguyenvanan@example.vn"
    if "cccd" in name or "[0-9]{12}" in prop.get("pattern", ""):
        return CITIZEN_CCCD
    if "phone" in name or "dien_thoai" in name:
        return "0912345678"
    return "Nguyễn Văn An"[: prop.get("maxLength", 100)]


def sample_form(schema: dict) -> dict:
    data = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("type") == "object":
            data[name] = {k: sample_value(k, p) for k, p in prop.get("properties", {}).items()}
        else:
            data[name] = sample_value(name, prop)
    return data


def seed_dossiers() -> dict[str, int]:
    if Dossier.objects.exists():
        return {"dossiers": Dossier.objects.count()}
    desk = User.objects.filter(username=DESK_USERNAME).first()
    citizen = User.objects.filter(cccd=CITIZEN_CCCD).first()
    if desk is None or citizen is None:
        return {"dossiers": 0}
    commune = desk.memberships.select_related("agency").first().agency
    for code, (name, cccd, phone) in zip(WALK_INS, WALK_IN_PEOPLE, strict=False):
        procedure = Procedure.objects.filter(national_code=code).first()
        if procedure is None:
            continue
        papers = [intake.PaperIn(position=d.position, originals=1)
                  for d in procedure.documents.filter(required=True)]
        try:
            intake.intake_at_desk(officer=desk, request=intake.IntakeRequest(
                procedure=procedure, receiving_agency=commune, deciding_agency=commune,
                applicant=intake.Applicant(owner_name=name, owner_id_number=cccd,
                                           owner_phone=phone), papers=papers))
        except DomainError:
            continue  # a demo procedure that this commune does not carry out
    for code in ONLINE:
        _submit_online(citizen, code, commune)
    _process_some(commune)
    seed_wallet(citizen, desk, commune)
    return {"dossiers": Dossier.objects.count()}


# --- the wallet journey (issue 8) -------------------------------------------------------------
# A: the marital-status certificate (result XNTTHN, tthc.demo.DEMO_RESULT_CODES); B: marriage
# registration, which asks for an ID paper (CCCD) and an XNTTHN. The demo citizen's A dossier
# was handed in at the desk, its CCCD scanned and digitised, and it was resolved with a signed
# e-result: both are in the citizen's wallet, so applying for B online offers them.
WALLET_SOURCE = "1.004873"
WALLET_REUSE = "1.000894"
ID_PAPER = {"doc_number": CITIZEN_CCCD, "issued_on": dt.date(2021, 4, 20),
            "issuer": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
            "valid_until": dt.date(2030, 5, 12)}


def seed_wallet(citizen: User, desk: User, commune: Agency) -> Dossier | None:
    """The returned A dossier of the demo citizen: a digitised CCCD and a signed e-result in
    their wallet (through the real services; a step the demo cannot take is skipped)."""
    from hoso.services import digitisation, eresults, processing

    procedure = Procedure.objects.filter(national_code=WALLET_SOURCE).first()
    specialist = User.objects.filter(username=SPECIALIST_USERNAME).first()
    leader = User.objects.filter(username=LEADER_USERNAME).first()
    if procedure is None or specialist is None or leader is None:
        return None
    documents = list(procedure.documents.filter(required=True))
    try:
        dossier = intake.intake_at_desk(officer=desk, request=intake.IntakeRequest(
            procedure=procedure, receiving_agency=commune, deciding_agency=commune,
            applicant=intake.Applicant.from_account(citizen), papers=[
                intake.PaperIn(position=d.position, originals=1,
                               file=_blank_pdf(f"quet-{d.doc_type_code.lower()}.pdf"))
                for d in documents]))
        for doc in dossier.documents.all():
            digitisation.digitise(document_id=doc.pk, officer=desk,
                                  **(ID_PAPER if doc.doc_type_code == "CCCD" else {}))
        processing.start(dossier_id=dossier.pk, officer=specialist, assignee=specialist)
        processing.forward(dossier_id=dossier.pk, officer=specialist, assignee=leader,
                           note="Đủ điều kiện cấp giấy xác nhận, kính trình.")
        processing.forward(dossier_id=dossier.pk, officer=leader, assignee=desk,
                           note="Đã ký duyệt.")
    except DomainError:
        return None
    result = {"name": "Giấy xác nhận tình trạng hôn nhân", "number": "85/GXN-UBND",
              "issued_on": timezone.localdate()}
    try:
        eresults.issue_eresult(dossier_id=dossier.pk, leader=leader, **result)
    except DomainError:  # no signing certificate: a paper result, not in the wallet
        processing.add_result(dossier_id=dossier.pk, officer=leader,
                              result=processing.ResultIn(**result))
    try:
        processing.resolve(dossier_id=dossier.pk, officer=leader)
        processing.return_result(dossier_id=dossier.pk, officer=desk, method="online")
    except DomainError:
        pass  # left resolved (a fee still to pay): the wallet has its papers all the same
    return dossier


def _process_some(commune: Agency) -> None:
    """Move the walk-ins along so every processing page has something: the first one started
    by the commune specialist and forwarded to the leader, the second started."""
    from hoso.services import processing

    specialist = User.objects.filter(username=SPECIALIST_USERNAME).first()
    leader = User.objects.filter(username=LEADER_USERNAME).first()
    if specialist is None or leader is None:
        return
    walk_ins = Dossier.objects.filter(receiving_agency=commune, status="received",
                                      channel="direct").order_by("pk")[:2]
    for number, dossier in enumerate(walk_ins):
        try:
            processing.start(dossier_id=dossier.pk, officer=specialist, assignee=specialist)
            if number == 0:
                processing.forward(dossier_id=dossier.pk, officer=specialist,
                                   assignee=leader, note="Hồ sơ đủ điều kiện, kính trình.")
        except DomainError:
            continue


def _submit_online(citizen: User, code: str, agency: Agency) -> None:
    procedure = Procedure.objects.filter(national_code=code).first()
    if procedure is None:
        return
    form = sample_form(procedure.eform_schema) if procedure.eform_schema else {}
    if procedure.eform_schema and validate_data(procedure.eform_schema, form):
        return  # the sample does not fit this form; skip rather than invent more
    papers = [intake.PaperIn(position=d.position, file=_blank_pdf(f"giay-to-{d.position}.pdf"))
              for d in procedure.documents.filter(required=True)]
    try:
        draft = intake.save_draft(account=citizen, request=intake.IntakeRequest(
            procedure=procedure, receiving_agency=agency, deciding_agency=agency,
            applicant=intake.Applicant.from_account(citizen), form_data=form, papers=papers))
        intake.submit_online(dossier_id=draft.pk, account=citizen)
    except DomainError:
        return
