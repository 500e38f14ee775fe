"""Intake rules with fixed clocks: codes, due times, channels, routing, uploads, idempotency."""

import datetime as dt
import os
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from hoso.choices import Action, Channel, DossierStatus, SlipVersion
from hoso.models import Dossier, DossierDocument, DossierEvent
from hoso.services import intake
from hoso.workflow import TransitionRefused
from portal.calendar import TZ
from portal.errors import InvalidInput
from tests.hoso.conftest import (
    desk_receive,
    intake_request,
    online_submit,
    pdf_bytes,
    pdf_upload,
)
from tests.tthc.conftest import record
from tthc import services as tthc_services

pytestmark = pytest.mark.django_db


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def stored_files() -> set[str]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def three_day_procedure(**overrides):
    data = record(national_code="1.000003", name="Thủ tục ba ngày", processing_time="3",
                  same_day_cutoff=False, eform=None, documents=record()["documents"][1:],
                  workflows=[{"level": "commune", "steps": [
                      {"name": "Xử lý", "role": "processing_officer", "share": "3"}]}])
    data.update(overrides)
    return tthc_services.save_procedure(data)[0]


def simple_papers():
    return [intake.PaperIn(position=1, originals=1)]


# --- codes -----------------------------------------------------------------------------------

def test_code_is_unit_date_and_daily_sequence(province, birth_procedure, desk_a1):
    unit = province.commune_a1.code
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):
        first = desk_receive(desk_a1, birth_procedure, province.commune_a1)
        second = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        next_day = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    assert first.code == f"{unit}-261123-0001"
    assert second.code == f"{unit}-261123-0002"
    assert next_day.code == f"{unit}-261124-0001"


def test_code_prefix_can_be_the_deciding_unit(province, birth_procedure, desk_a1, settings):
    settings.DOSSIER_CODE_UNIT = "deciding"
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):
        dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1,
                               deciding=province.commune_b1)
    assert dossier.code == f"{province.commune_b1.code}-261123-0001"


# --- due times -------------------------------------------------------------------------------

@pytest.mark.parametrize(("received", "due"), [
    (at(2026, 11, 16, 10, 0), at(2026, 11, 19, 10, 0)),   # Monday in working hours
    (at(2026, 11, 13, 17, 30), at(2026, 11, 18, 17, 0)),  # Friday after closing → from Monday
    (at(2026, 11, 14, 9, 0), at(2026, 11, 18, 17, 0)),    # Saturday
    (at(2026, 11, 16, 6, 45), at(2026, 11, 18, 17, 0)),   # Monday before opening
])
def test_due_time_counts_from_the_next_working_moment(province, desk_a1, received, due):
    procedure = three_day_procedure()
    with time_machine.travel(received, tick=False):
        dossier = desk_receive(desk_a1, procedure, province.commune_a1, form_data={},
                               papers=simple_papers())
    assert dossier.due_at == due
    assert dossier.received_at == received
    assert dossier.clock_start_at >= received


@pytest.mark.parametrize(("received", "due"), [
    (at(2026, 11, 16, 14, 59), at(2026, 11, 16, 17, 0)),
    (at(2026, 11, 16, 15, 1), at(2026, 11, 17, 17, 0)),
])
def test_same_day_service_after_1500_is_due_the_next_working_day(province, birth_procedure,
                                                                 desk_a1, received, due):
    with time_machine.travel(received, tick=False):
        dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    assert dossier.due_at == due


def test_receipt_keeps_the_terms_and_the_slip_version(province, birth_procedure, desk_a1):
    with time_machine.travel(at(2025, 9, 12, 9, 0), tick=False):
        old = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    with time_machine.travel(at(2025, 9, 15, 9, 0), tick=False):
        new = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    assert old.slip_version == SlipVersion.TT01_2018
    assert new.slip_version == SlipVersion.TT03_2025
    assert new.terms["procedure"]["national_code"] == birth_procedure.national_code
    assert [e.action for e in new.events.all()] == [Action.RECEIVE]


# --- channels and routing ---------------------------------------------------------------------

def test_online_only_procedures_refuse_desk_intake(province, desk_a1):
    procedure = three_day_procedure(online_only=True)
    with pytest.raises(InvalidInput, match="chỉ tiếp nhận hồ sơ trực tuyến"):
        desk_receive(desk_a1, procedure, province.commune_a1, form_data={},
                     papers=simple_papers())
    assert not Dossier.objects.exists()


def test_boundary_free_procedure_is_received_for_another_commune(province, birth_procedure,
                                                                 desk_a1):
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1,
                           deciding=province.commune_b1)
    assert dossier.receiving_agency == province.commune_a1
    assert dossier.deciding_agency == province.commune_b1


def test_unflagged_procedure_only_at_the_competent_desk_with_guidance(province, desk_a1):
    procedure = three_day_procedure(boundary_free=False, boundary_free_scope="")
    with pytest.raises(InvalidInput) as exc:
        desk_receive(desk_a1, procedure, province.commune_a1, deciding=province.commune_b1,
                     form_data={}, papers=simple_papers())
    assert "vui lòng nộp hồ sơ tại UBND xã B1" in exc.value.message
    assert not Dossier.objects.exists()


def test_postal_intake_needs_the_tracking_number(province, birth_procedure, desk_a1):
    request = intake_request(birth_procedure, province.commune_a1)
    with pytest.raises(InvalidInput, match="số vận đơn"):
        intake.intake_at_desk(officer=desk_a1, request=request, channel=Channel.POSTAL)
    request = intake_request(birth_procedure, province.commune_a1)
    dossier = intake.intake_at_desk(officer=desk_a1, request=request, channel=Channel.POSTAL,
                                    postal_service="public_post",
                                    postal_tracking_number="EB123456789VN")
    assert dossier.channel == Channel.POSTAL
    assert dossier.postal_tracking_number == "EB123456789VN"


def test_desk_scans_are_digitised(province, birth_procedure, desk_a1):
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    scanned = dossier.documents.get(position=1)
    assert scanned.digitised
    assert scanned.source == "desk_scan"
    assert len(scanned.sha256) == 64
    assert not dossier.documents.get(position=2).digitised


def test_desk_intake_refuses_missing_required_papers(province, birth_procedure, desk_a1):
    before = stored_files()
    with pytest.raises(InvalidInput, match="Còn thiếu giấy tờ: Giấy chứng sinh"):
        desk_receive(desk_a1, birth_procedure, province.commune_a1, papers=[
            intake.PaperIn(position=1, originals=1, file=pdf_upload())])
    assert not Dossier.objects.exists()
    assert stored_files() == before  # the scan stored before the refusal was removed


def test_an_officer_cannot_receive_outside_their_agencies(province, birth_procedure, desk_b1):
    with pytest.raises(TransitionRefused) as exc:
        desk_receive(desk_b1, birth_procedure, province.commune_a1)
    assert exc.value.status_code == 403
    assert not Dossier.objects.exists()


# --- uploads ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "message"), [
    ("ho-so.pdf", b"MZ\x90\x00 this is an exe", "không phải PDF, JPEG hoặc PNG"),
    ("ho-so.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>", "bị hỏng"),
    ("anh.png", b"\x89PNG\r\n\x1a\nnot really a png", "bị hỏng"),
    ("rong.pdf", b"", "rỗng"),
])
def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_stored(
        province, birth_procedure, desk_a1, name, content, message):
    before = stored_files()
    with pytest.raises(InvalidInput, match=message):
        desk_receive(desk_a1, birth_procedure, province.commune_a1, papers=[
            intake.PaperIn(position=1, originals=1,
                           file=SimpleUploadedFile(name, content, "application/pdf")),
            intake.PaperIn(position=2, originals=1)])
    assert not Dossier.objects.exists()
    assert not DossierDocument.objects.exists()
    assert stored_files() == before


def test_oversize_uploads_are_refused(province, birth_procedure, desk_a1, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile("lon.pdf", pdf_bytes() + b"%" * 2048, "application/pdf")
    with pytest.raises(InvalidInput, match="lớn hơn 0 MB cho phép"):
        desk_receive(desk_a1, birth_procedure, province.commune_a1, papers=[
            intake.PaperIn(position=1, originals=1, file=big),
            intake.PaperIn(position=2, originals=1)])
    assert not Dossier.objects.exists()


# --- online ---------------------------------------------------------------------------------

def test_online_submission_waits_for_the_desk_with_an_intake_deadline(
        province, birth_procedure, citizen):
    with time_machine.travel(at(2026, 11, 20, 16, 0), tick=False):  # Friday 16:00
        dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    assert dossier.status == DossierStatus.SUBMITTED
    assert dossier.code is None
    # 1 working hour on Friday, then 7 hours on Monday (lunch skipped): Monday 16:30.
    assert dossier.intake_due_at == at(2026, 11, 23, 16, 30)
    assert dossier.intake_overdue(at(2026, 11, 23, 16, 31))
    assert not dossier.intake_overdue(at(2026, 11, 23, 16, 29))


def test_submitting_twice_with_the_same_key_creates_one_dossier(province, birth_procedure,
                                                                citizen):
    first = online_submit(citizen, birth_procedure, province.commune_a1, key="k-123")
    again = intake.submit_online(dossier_id=first.pk, account=citizen, idempotency_key="k-123")
    assert again.pk == first.pk
    assert DossierEvent.objects.filter(dossier=first, action=Action.SUBMIT).count() == 1


def test_submit_refuses_an_incomplete_draft(province, birth_procedure, citizen):
    draft = intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1, form_data={"child_full_name": "Bé"}, papers=[]))
    with pytest.raises(InvalidInput) as exc:
        intake.submit_online(dossier_id=draft.pk, account=citizen)
    assert "Vui lòng nhập “Ngày, tháng, năm sinh”." in exc.value.message
    assert "Còn thiếu giấy tờ" in exc.value.message
    draft.refresh_from_db()
    assert draft.status == DossierStatus.DRAFT


def test_a_db_error_mid_way_leaves_no_dossier_and_no_file(province, birth_procedure, citizen,
                                                          monkeypatch):
    before = stored_files()

    def database_went_away(*args, **kwargs):
        raise RuntimeError("database went away")

    # the files are stored first, then the rows are inserted: the insert fails
    monkeypatch.setattr(DossierDocument.objects, "bulk_create", database_went_away)
    with pytest.raises(RuntimeError):
        online_submit(citizen, birth_procedure, province.commune_a1)
    assert not Dossier.objects.exists()
    assert stored_files() == before


def test_completion_request_then_resubmit_then_receive(province, birth_procedure, citizen,
                                                       desk_a1):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    with pytest.raises(TransitionRefused, match="lý do"):
        intake.request_completion(dossier_id=dossier.pk, officer=desk_a1, reason=" ")
    intake.request_completion(dossier_id=dossier.pk, officer=desk_a1,
                              reason="Ảnh giấy chứng sinh bị mờ, vui lòng chụp lại.")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.AWAITING_COMPLETION
    resubmitted = intake.submit_online(dossier_id=dossier.pk, account=citizen)
    assert resubmitted.status == DossierStatus.SUBMITTED
    received = intake.receive(dossier_id=dossier.pk, officer=desk_a1)
    assert received.status == DossierStatus.RECEIVED
    assert received.code.startswith(province.commune_a1.code)
    assert [e.action for e in received.events.all()] == [
        Action.SUBMIT, Action.REQUEST_COMPLETION, Action.RESUBMIT, Action.RECEIVE]


def test_rejection_needs_a_reason_and_ends_the_dossier(province, birth_procedure, citizen,
                                                       desk_a1):
    dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    rejected = intake.reject_intake(dossier_id=dossier.pk, officer=desk_a1,
                                    reason="Thủ tục không thuộc thẩm quyền giải quyết.")
    assert rejected.status == DossierStatus.REFUSED
    assert rejected.code is None
    with pytest.raises(TransitionRefused):
        intake.receive(dossier_id=dossier.pk, officer=desk_a1)


def test_a_citizen_cannot_submit_someone_elses_draft(province, birth_procedure, citizen,
                                                     other_citizen):
    draft = intake.save_draft(account=citizen, request=intake_request(
        birth_procedure, province.commune_a1))
    with pytest.raises(Dossier.DoesNotExist):
        intake.submit_online(dossier_id=draft.pk, account=other_citizen)


def test_private_files_live_outside_the_web_root(province, birth_procedure, desk_a1):
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    path = Path(settings.PRIVATE_MEDIA_ROOT) / dossier.documents.get(position=1).file.name
    assert path.is_file()
    assert not str(path).startswith(str(settings.STATIC_ROOT))
    assert os.path.basename(path) != "to-khai.pdf"  # generated name, original kept as metadata


def test_the_applicant_is_told_of_receipt_completion_request_and_refusal(
        province, birth_procedure, citizen, desk_a1, django_capture_on_commit_callbacks,
        settings, tmp_path):
    from django.core import mail

    from portal.models import Notification

    settings.SMS_BACKEND = "portal.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    with django_capture_on_commit_callbacks(execute=True):
        first = online_submit(citizen, birth_procedure, province.commune_a1)
        intake.request_completion(dossier_id=first.pk, officer=desk_a1,
                                  reason="Thiếu bản chụp giấy chứng sinh rõ nét.")
        second = online_submit(citizen, birth_procedure, province.commune_a1)
        intake.reject_intake(dossier_id=second.pk, officer=desk_a1,
                             reason="Người yêu cầu không thuộc trường hợp đăng ký khai sinh.")
        third = online_submit(citizen, birth_procedure, province.commune_a1)
        received = intake.receive(dossier_id=third.pk, officer=desk_a1)
    bodies = " | ".join(m.body for m in mail.outbox)
    assert "Thiếu bản chụp giấy chứng sinh rõ nét." in bodies
    assert "Người yêu cầu không thuộc trường hợp đăng ký khai sinh." in bodies
    assert received.code in bodies
    sms = (tmp_path / "sms.log").read_text(encoding="utf-8")
    assert sms.count("\n") == 3
    assert "+84912345678" in sms
    assert Notification.objects.filter(status="sent").count() == 6
