"""Signing and validating e-results (hoso.signing): the demo CA and agency certificates, the
visible Vietnamese stamp, PAdES validation against the province's trust roots, production
PKCS#12 keys and RFC 3161 timestamps (an in-process timestamper, no network)."""

import datetime as dt
import functools
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader
from pypdf.generic import ContentStream

from hoso import signing
from hoso.models import SigningCertificate
from portal.errors import DomainError
from tests.factories import UserFactory
from tests.hoso.conftest import pdf_bytes

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key, *, issuer=None, issuer_key=None, ca=False, tsa=False):
    now = dt.datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject))
               .issuer_name(issuer.subject if issuer else _name(subject))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=400))
               .not_valid_after(now + dt.timedelta(days=400))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=not ca, content_commitment=not ca and not tsa,
                   key_encipherment=False, data_encipherment=False, key_agreement=False,
                   key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False),
                   critical=True))
    if tsa:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _pem_file(*certs) -> str:
    handle = tempfile.NamedTemporaryFile(suffix=".pem", delete=False)  # noqa: SIM115
    with handle:
        for cert in certs:
            handle.write(cert.public_bytes(serialization.Encoding.PEM))
    return handle.name


@dataclass(frozen=True)
class OutsideCa:
    """A root outside the province's database (a national CA, a TSA operator)."""

    root: x509.Certificate
    root_key: object
    root_file: str


@functools.cache
def outside_ca() -> OutsideCa:
    key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate("Root CA quốc gia (thử nghiệm)", key, ca=True)
    return OutsideCa(root=root, root_key=key, root_file=_pem_file(root))


@functools.cache
def _tsa_materials():
    ca = outside_ca()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _certificate("TSA thử nghiệm", key, issuer=ca.root, issuer_key=ca.root_key, tsa=True)
    return (asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            asn1_keys.PrivateKeyInfo.load(key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())))


def dummy_timestamper():
    """ESIGN_TIMESTAMPER in these tests: pyHanko's in-process TSA."""
    from pyhanko.sign.timestamps import DummyTimeStamper

    cert, key = _tsa_materials()
    return DummyTimeStamper(tsa_cert=cert, tsa_key=key)


@pytest.fixture
def leader():
    return UserFactory(username="lanhdao_ky", full_name="Nguyễn Văn Lãnh")


def _sign(agency, leader, pdf=None, **kwargs):
    return signing.sign_pdf(pdf or pdf_bytes(), agency, leader, reason="Ban hành kết quả",
                            location="Thái Nguyên", **kwargs)


# --- certificates -----------------------------------------------------------------------------

def test_demo_certificate_names_the_agency_and_the_province_and_keeps_its_key_encrypted(
        province, settings):
    settings.PORTAL_PROVINCE_NAME = "Tỉnh Thái Nguyên"
    row = signing.ensure_agency_certificate(province.commune_a1)
    cert = x509.load_pem_x509_certificate(row.certificate_pem.encode())
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.COMMON_NAME] == "UBND xã A1"
    assert subject[NameOID.ORGANIZATION_NAME] == "UBND tỉnh Thái Nguyên"
    assert subject[NameOID.USER_ID] == province.commune_a1.code
    ca = SigningCertificate.objects.get(is_ca=True)
    assert (ca.agency, row.issuer) == (None, ca.subject)
    assert cert.signature_hash_algorithm.name == "sha256"
    assert row.key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert signing.ensure_agency_certificate(province.commune_a1) == row  # reused


def test_seeding_demo_certificates_is_idempotent(province):
    first = signing.seed_demo_certificates()
    assert first == {"certificates": 8}  # every agency of the test province
    assert signing.seed_demo_certificates() == first
    assert SigningCertificate.objects.filter(is_ca=True).count() == 1


def test_seed_demo_runs_the_certificate_seeder(settings, province):
    settings.PORTAL_DEMO_SEEDERS = ["hoso.signing.seed_demo_certificates"]
    call_command("seed_demo", stdout=io.StringIO())
    assert SigningCertificate.objects.filter(agency=province.commune_b1).exists()


def test_outside_the_demo_a_missing_certificate_is_a_clear_refusal(province, leader,
                                                                   settings):
    settings.ESIGN_DEMO_CA = False
    with pytest.raises(DomainError) as refused:
        _sign(province.commune_a1, leader)
    assert refused.value.code == "signing_certificate_missing"
    assert "chưa có chứng thư số" in refused.value.message
    assert not SigningCertificate.objects.exists()


# --- signing and validating -------------------------------------------------------------------

def test_signed_pdf_validates_and_fails_once_one_byte_changes(province, leader):
    signed, info = _sign(province.commune_a1, leader)
    verdict = signing.validate_pdf(signed)
    assert (verdict.valid, verdict.intact, verdict.trusted, verdict.reason) == (
        True, True, True, "")
    assert "CN=UBND xã A1" in verdict.signer
    assert verdict.signer_name == "UBND xã A1"
    assert verdict.signer == info["subject"]
    assert (info["signer_name"], info["level"], info["timestamped"]) == (
        "Nguyễn Văn Lãnh", "PAdES-B-B", False)
    tampered = bytearray(signed)
    tampered[len(pdf_bytes()) // 2] ^= 0x01  # a byte of the original page, inside the range
    broken = signing.validate_pdf(bytes(tampered))
    assert broken.valid is False
    assert broken.reason in (signing.NOT_INTACT, signing.UNREADABLE)


def test_signature_is_pades_with_a_visible_stamp_and_the_leaders_name(province, leader):
    signed, _info = _sign(province.commune_a1, leader)
    reader = PdfFileReader(io.BytesIO(signed))
    embedded = reader.embedded_signatures[0]
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Name"] == "Nguyễn Văn Lãnh"
    assert embedded.sig_object["/Reason"] == "Ban hành kết quả"
    widget = PdfReader(io.BytesIO(signed)).pages[-1]["/Annots"][0].get_object()
    left, bottom, right, top = (float(v) for v in widget["/Rect"])
    assert right - left > 100
    assert top - bottom > 30
    appearance = widget["/AP"]["/N"].get_object()
    font = appearance["/Resources"]["/Font"]["/F1"].get_object()
    descendant = font["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descendant["/FontDescriptor"].get_object()  # embedded TrueType
    lines = stamp_lines(appearance, PdfReader(io.BytesIO(signed)))
    assert lines[0] == "Ký bởi: UBND xã A1"
    assert lines[1] == "Người ký: Nguyễn Văn Lãnh"
    assert re.fullmatch(r"Thời gian: \d\d/\d\d/\d{4} \d\d:\d\d", lines[2])


def stamp_lines(xobject, reader) -> list[str]:
    """The stamp's lines as the PDF tags them for text extraction (/ActualText)."""
    lines = []
    for operands, operator in ContentStream(xobject, reader).operations:
        if operator == b"BDC" and len(operands) > 1 and "/ActualText" in operands[1]:
            lines.append(str(operands[1]["/ActualText"]))
        elif operator == b"Do":
            lines += stamp_lines(xobject["/Resources"]["/XObject"][operands[0]].get_object(),
                                 reader)
    return lines


def test_stamp_face_is_small_and_scaled_to_a_thousand_units():
    from fontTools.ttLib import TTFont

    face = TTFont(io.BytesIO(signing.stamp_font()))
    assert face["head"].unitsPerEm == 1000
    cmap = face.getBestCmap()
    assert all(ord(ch) in cmap for ch in "Ký bởi Người Thời gian ĐđƯươễỹ")
    assert len(signing.stamp_font()) < 100_000


def test_timestamp_is_present_when_a_timestamper_is_configured(province, leader, settings):
    settings.ESIGN_TIMESTAMPER = f"{__name__}.dummy_timestamper"
    settings.ESIGN_TRUST_ROOTS = [outside_ca().root_file]
    signed, info = _sign(province.commune_a1, leader)
    assert (info["level"], info["timestamped"]) == ("PAdES-B-T", True)
    verdict = signing.validate_pdf(signed)
    assert verdict.valid, verdict.reason
    assert verdict.timestamp is not None
    assert abs(verdict.timestamp - dt.datetime.now(UTC)) < dt.timedelta(minutes=5)


def test_without_a_timestamper_there_is_no_timestamp(province, leader):
    signed, _info = _sign(province.commune_a1, leader)
    assert signing.validate_pdf(signed).timestamp is None


def test_a_timestamp_from_an_untrusted_authority_is_not_valid(province, leader, settings):
    settings.ESIGN_TIMESTAMPER = f"{__name__}.dummy_timestamper"  # its root is not trusted
    signed, _info = _sign(province.commune_a1, leader)
    verdict = signing.validate_pdf(signed)
    assert verdict.valid is False
    assert verdict.reason == signing.TIMESTAMP_INVALID


def _p12_for(agency, folder: Path, passphrase: bytes) -> None:
    ca = outside_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(agency.name, key, issuer=ca.root, issuer_key=ca.root_key)
    (folder / f"{agency.code}.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"agency", key, cert, [ca.root], serialization.BestAvailableEncryption(passphrase)))


def test_production_pkcs12_key_signs_and_validates_with_the_configured_root(
        province, leader, settings, tmp_path):
    _p12_for(province.commune_a1, tmp_path, b"mat-khau-p12")
    settings.ESIGN_DEMO_CA = False
    settings.ESIGN_PKCS12_DIR = str(tmp_path)
    settings.ESIGN_PKCS12_PASSPHRASE = "mat-khau-p12"
    signed, info = _sign(province.commune_a1, leader)
    assert (info["key_source"], info["certificate_id"]) == ("pkcs12", None)
    assert info["issuer"] == "CN=Root CA quốc gia (thử nghiệm)"
    assert signing.validate_pdf(signed).trusted is False  # root not configured yet
    settings.ESIGN_TRUST_ROOTS = [outside_ca().root_file]
    assert signing.validate_pdf(signed).valid is True
    assert not SigningCertificate.objects.exists()


def test_a_wrong_pkcs12_passphrase_is_a_clear_refusal(province, leader, settings, tmp_path):
    _p12_for(province.commune_a1, tmp_path, b"mat-khau-p12")
    settings.ESIGN_PKCS12_DIR = str(tmp_path)
    settings.ESIGN_PKCS12_PASSPHRASE = "sai"
    with pytest.raises(DomainError) as refused:
        _sign(province.commune_a1, leader)
    assert refused.value.code == "signing_key_unreadable"


def test_a_signature_from_an_untrusted_certificate_is_not_valid(province, leader, settings,
                                                              tmp_path):
    _p12_for(province.commune_a1, tmp_path, b"p")
    settings.ESIGN_PKCS12_DIR, settings.ESIGN_PKCS12_PASSPHRASE = str(tmp_path), "p"
    signed, _info = _sign(province.commune_a1, leader)
    verdict = signing.validate_pdf(signed)
    assert (verdict.valid, verdict.intact, verdict.trusted) == (False, True, False)
    assert verdict.reason == signing.UNTRUSTED


def test_an_unsigned_or_broken_pdf_has_no_valid_signature():
    assert signing.validate_pdf(pdf_bytes()).reason == signing.NO_SIGNATURE
    assert signing.validate_pdf(b"%PDF-1.7 rubbish").valid is False


def test_an_encrypted_or_broken_pdf_cannot_be_signed(province, leader):
    with pytest.raises(DomainError) as refused:
        _sign(province.commune_a1, leader, pdf=b"%PDF-1.4\n%broken\n")
    assert refused.value.code == "pdf_unsignable"
