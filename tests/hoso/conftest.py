"""Dossier fixtures: a province, the birth-registration procedure, officers, a citizen, files."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from hoso.services import intake
from portal import services as portal_services
from portal.choices import Role
from tests.conftest import make_officer
from tests.tthc.conftest import record
from tthc import services as tthc_services


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "PNG")
    return out.getvalue()


def pdf_upload(name="giay-to.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


@pytest.fixture
def birth_procedure(db):
    """Commune level, boundary-free within the province, 1 working day with the 15:00 rule."""
    return tthc_services.save_procedure(record())[0]


@pytest.fixture
def desk_a1(province):
    return make_officer(province.commune_a1, Role.DESK_OFFICER, username="desk_a1",
                        full_name="Ngô Thị Hạnh")


@pytest.fixture
def desk_b1(province):
    return make_officer(province.commune_b1, Role.DESK_OFFICER, username="desk_b1")


@pytest.fixture
def other_citizen(db):
    return portal_services.register_citizen(
        full_name="Lê Thị Cúc", cccd="019190009999", phone="0987000111",
        email="cuc@example.vn", password="Mat-khau-thu-2026")


BIRTH_FORM = {"child_full_name": "Nguyễn Minh Khang", "date_of_birth": "2026-11-01",
              "sex": "male", "mother": {"full_name": "Trần Thị Mai", "cccd": "019190004321"}}


def applicant(**overrides) -> intake.Applicant:
    data = {"owner_name": "Nguyễn Văn An", "owner_id_number": "019090001234",
            "owner_phone": "0912345678", "owner_email": "an@example.vn"}
    data.update(overrides)
    return intake.Applicant(**data)


def intake_request(procedure, receiving, deciding=None, papers=None, **kwargs):
    return intake.IntakeRequest(
        procedure=procedure, receiving_agency=receiving, deciding_agency=deciding or receiving,
        applicant=kwargs.pop("applicant", applicant()), form_data=kwargs.pop("form_data",
                                                                            BIRTH_FORM),
        papers=papers if papers is not None else [
            intake.PaperIn(position=1, originals=1, file=pdf_upload("to-khai.pdf")),
            intake.PaperIn(position=2, originals=1)],
        **kwargs)


def desk_receive(officer, procedure, agency, **kwargs):
    return intake.intake_at_desk(officer=officer, request=intake_request(procedure, agency,
                                                                         **kwargs))


def online_submit(citizen, procedure, agency, key="", **kwargs):
    papers = [intake.PaperIn(position=1, file=pdf_upload("to-khai.pdf")),
              intake.PaperIn(position=2, file=SimpleUploadedFile("gcs.png", png_bytes()))]
    draft = intake.save_draft(account=citizen, request=intake_request(
        procedure, agency, papers=papers, **kwargs))
    return intake.submit_online(dossier_id=draft.pk, account=citizen, idempotency_key=key)


@pytest.fixture(autouse=True)
def _private_files_per_test(settings, tmp_path):
    """Each test stores uploads in its own folder, so "no orphan file" checks see only theirs
    (parallel workers share the settings' VAR_DIR)."""
    from django.utils.functional import empty

    from hoso.models import private_storage

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    private_storage._wrapped = empty
    yield
    private_storage._wrapped = empty
