"""Digital signatures of e-results (DOMAIN-2025.md §7.2, N35): PAdES signing and validation
with pyHanko, the agencies' signing certificates and the province's trust roots.

Where an agency's key comes from, first match wins:
1. production: `<ESIGN_PKCS12_DIR>/<agency code>.p12`, opened with ESIGN_PKCS12_PASSPHRASE
   (the chain to the root travels in the file; the root goes in ESIGN_TRUST_ROOTS);
2. the agency's active `SigningCertificate` row with a stored key (PKCS#8, encrypted with
   ESIGN_KEY_PASSPHRASE);
3. only when ESIGN_DEMO_CA is on (the demo and the tests): a certificate issued on the spot
   by the demo provincial CA, itself made on first use (`seed_demo` makes them all ahead).
Otherwise signing is refused with a clear message. Keys in an HSM (PKCS#11) are not
implemented: pyHanko's PKCS11Signer would take the place of step 1.

A signature is PAdES B-B, or B-T when a time-stamping authority is configured (ESIGN_TSA_URL,
RFC 3161; ESIGN_TIMESTAMPER names an in-process timestamper for tests). Its visible field
carries the Vietnamese stamp in a subset of DejaVu Sans embedded in the PDF. Validation never
fetches anything over the network: trust roots are the CA rows and ESIGN_TRUST_ROOTS,
revocation checking is soft (no CRL/OCSP is published for the demo CA).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from hoso.models import SigningCertificate
from portal.errors import DomainError
from portal.models import Agency

logger = logging.getLogger(__name__)

FIELD_NAME = "ResultSignature"
STAMP_TEXT = "Ký bởi: %(agency)s\nNgười ký: %(signer)s\nThời gian: %(time)s"
STAMP_COLOUR = (0.75, 0.0, 0.0)
FONT_FILE = Path(settings.BASE_DIR) / "static" / "fonts" / "DejaVuSans.ttf"
# The stamp's box when the caller gives none: bottom right of the last page (PDF points).
DEFAULT_BOX_SIZE = (230.0, 62.0)
DEFAULT_BOX_MARGIN = 36.0
DEMO_CA_YEARS = 20
DEMO_AGENCY_YEARS = 5
# Back-dated, so a result signed under a frozen clock (tests) or just after a clock step still
# falls inside the certificate's validity.
BACKDATE = dt.timedelta(days=365)

NO_CERTIFICATE = ("Cơ quan %(agency)s chưa có chứng thư số để ký kết quả điện tử; vui lòng "
                  "liên hệ quản trị hệ thống để cài đặt chứng thư số của cơ quan.")
CERTIFICATE_EXPIRED = ("Chứng thư số của cơ quan %(agency)s đã hết hiệu lực ngày %(day)s; vui "
                       "lòng liên hệ quản trị hệ thống để gia hạn.")
KEY_UNREADABLE = ("Không mở được khóa ký số của cơ quan %(agency)s (sai mật khẩu hoặc tệp "
                  "hỏng); vui lòng liên hệ quản trị hệ thống.")
PDF_UNSIGNABLE = ("Không ký số được tệp PDF này; vui lòng kiểm tra lại tệp (tệp hỏng hoặc có mật "
                  "khẩu).")
TSA_FAILED = "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian; vui lòng thử lại sau."

NO_SIGNATURE = "Tệp không có chữ ký số."
UNREADABLE = "Không đọc được tệp PDF hoặc chữ ký số trong tệp."
NOT_INTACT = "Nội dung tệp đã bị thay đổi sau khi ký số."
SIGNATURE_INVALID = "Chữ ký số không hợp lệ."
CERT_REVOKED = "Chứng thư số của người ký đã bị thu hồi."
UNTRUSTED = ("Chứng thư số của người ký không do tổ chức được tin cậy cấp, hoặc không còn hiệu "
             "lực.")
MODIFIED = "Tệp đã bị sửa đổi sau khi ký số (phần bổ sung không được phép)."
TIMESTAMP_INVALID = "Dấu thời gian của chữ ký số không hợp lệ."


# --- keys and certificates ------------------------------------------------------------------

def _passphrase() -> bytes:
    return settings.ESIGN_KEY_PASSPHRASE.encode()


def province_organisation() -> str:
    """"UBND tỉnh Thái Nguyên": the O of every agency certificate."""
    name = settings.PORTAL_PROVINCE_NAME
    for prefix in ("Tỉnh ", "Thành phố "):
        if name.startswith(prefix):
            name = prefix.lower() + name[len(prefix):]
    return f"UBND {name}"


def _fit(text: str, limit: int = 64) -> str:
    """At most `limit` bytes of UTF-8 (the bound `cryptography` applies to CN and O), cut
    between letters."""
    text = unicodedata.normalize("NFC", text.strip())
    while len(text.encode()) > limit:
        text = text[:-1]
    return text.rstrip()


def common_name(agency: Agency) -> str:
    """The agency's name as its certificate's CN: the full name when it fits in 64 bytes,
    else its short name, else the name cut short (the stamp prints the full name)."""
    for name in (agency.name, agency.short_name):
        if name and len(unicodedata.normalize("NFC", name).encode()) <= 64:
            return unicodedata.normalize("NFC", name)
    return _fit(agency.name)


def _key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(_passphrase())).decode()


def _row(cert: x509.Certificate, key, *, agency: Agency | None) -> SigningCertificate:
    return SigningCertificate(
        agency=agency, is_ca=agency is None, subject=cert.subject.rfc4514_string()[:500],
        serial=format(cert.serial_number, "x"), issuer=cert.issuer.rfc4514_string()[:500],
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        key_pem=_key_pem(key))


def _new_ca() -> SigningCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(province_organisation())),
        x509.NameAttribute(NameOID.COMMON_NAME,
                           _fit(f"CA thử nghiệm — {settings.PORTAL_SITE_NAME}")),
    ])
    now = timezone.now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + dt.timedelta(days=365 * DEMO_CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return _row(cert, key, agency=None)


def demo_ca() -> SigningCertificate:
    """The demo provincial CA, made on first use."""
    ca = (SigningCertificate.objects.filter(is_ca=True, agency__isnull=True, is_active=True)
          .exclude(key_pem="").order_by("pk").first())
    if ca is None:
        ca = _new_ca()
        ca.save()
    return ca


def _issue(ca: SigningCertificate, agency: Agency) -> SigningCertificate:
    ca_cert = x509.load_pem_x509_certificate(ca.certificate_pem.encode())
    ca_key = serialization.load_pem_private_key(ca.key_pem.encode(), _passphrase())
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(province_organisation())),
        x509.NameAttribute(NameOID.USER_ID, agency.code),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name(agency)),
    ])
    now = timezone.now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(min(now + dt.timedelta(days=365 * DEMO_AGENCY_YEARS),
                                 ca_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return _row(cert, key, agency=agency)


def ensure_agency_certificate(agency: Agency) -> SigningCertificate:
    """The agency's active certificate with its key; in the demo (ESIGN_DEMO_CA) one is issued
    by the demo CA when the agency has none. Outside the demo a missing one is refused."""
    row = _active_certificate(agency)
    if row is not None:
        return row
    if not settings.ESIGN_DEMO_CA:
        raise DomainError("signing_certificate_missing",
                          _(NO_CERTIFICATE) % {"agency": agency.name})
    try:
        with transaction.atomic():
            row = _issue(demo_ca(), agency)
            row.save()
    except IntegrityError:  # issued at the same moment by another request
        row = _active_certificate(agency)
    return row


def _active_certificate(agency: Agency) -> SigningCertificate | None:
    return (SigningCertificate.objects.filter(agency=agency, is_ca=False, is_active=True)
            .exclude(key_pem="").first())


def seed_demo_certificates() -> dict[str, int]:
    """seed_demo: the demo CA and a certificate for every active agency that has none
    (idempotent)."""
    ca = demo_ca()
    holders = SigningCertificate.objects.filter(is_ca=False, is_active=True).values("agency_id")
    missing = Agency.objects.filter(is_active=True).exclude(pk__in=holders).order_by("path")
    SigningCertificate.objects.bulk_create([_issue(ca, agency) for agency in missing],
                                           batch_size=200)
    return {"certificates": SigningCertificate.objects.filter(is_ca=False,
                                                              is_active=True).count()}


@dataclass(frozen=True)
class Credentials:
    """What signs for an agency: pyHanko's signer and where its key came from."""

    signer: object  # pyhanko.sign.signers.SimpleSigner
    certificate_id: int | None
    source: str  # "pkcs12" or "database"


def _pkcs12_file(agency: Agency) -> Path | None:
    folder = settings.ESIGN_PKCS12_DIR
    if not folder:
        return None
    base = Path(folder).resolve()
    path = (base / f"{agency.code}.p12").resolve()
    return path if path.parent == base and path.is_file() else None


def credentials_for(agency: Agency) -> Credentials:
    """The agency's signer (see the module docstring for the order); a clear refusal when it
    has no usable certificate."""
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    p12 = _pkcs12_file(agency)
    if p12 is not None:
        try:
            signer = SimpleSigner.load_pkcs12_data(
                p12.read_bytes(), other_certs=[],
                passphrase=settings.ESIGN_PKCS12_PASSPHRASE.encode() or None)
        except ValueError as exc:
            raise DomainError("signing_key_unreadable",
                              _(KEY_UNREADABLE) % {"agency": agency.name}) from exc
        _check_not_expired(agency, signer.signing_cert.not_valid_after)
        return Credentials(signer=signer, certificate_id=None, source="pkcs12")
    row = ensure_agency_certificate(agency)
    _check_not_expired(agency, row.not_after)
    try:
        key = serialization.load_pem_private_key(row.key_pem.encode(), _passphrase())
    except (ValueError, TypeError) as exc:
        raise DomainError("signing_key_unreadable",
                          _(KEY_UNREADABLE) % {"agency": agency.name}) from exc
    chain = [_asn1_cert(ca.certificate_pem) for ca in SigningCertificate.objects.filter(
        is_ca=True, subject=row.issuer)]
    signer = SimpleSigner(
        signing_cert=_asn1_cert(row.certificate_pem),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs(chain))
    return Credentials(signer=signer, certificate_id=row.pk, source="database")


def _check_not_expired(agency: Agency, not_after: dt.datetime) -> None:
    if not_after <= timezone.now():
        raise DomainError("signing_certificate_expired", _(CERTIFICATE_EXPIRED) % {
            "agency": agency.name, "day": f"{timezone.localtime(not_after):%d/%m/%Y}"})


def _asn1_cert(pem_or_der: str | bytes) -> asn1_x509.Certificate:
    data = pem_or_der.encode() if isinstance(pem_or_der, str) else pem_or_der
    if asn1_pem.detect(data):
        _type, _headers, data = asn1_pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


@functools.lru_cache(maxsize=8)
def _trust_root_files(paths: tuple[str, ...]) -> tuple[asn1_x509.Certificate, ...]:
    roots = []
    for path in paths:
        data = Path(path).read_bytes()
        if asn1_pem.detect(data):
            roots.extend(asn1_x509.Certificate.load(der)
                         for _type, _headers, der in asn1_pem.unarmor(data, multiple=True))
        else:
            roots.append(asn1_x509.Certificate.load(data))
    return tuple(roots)


def trust_roots() -> list[asn1_x509.Certificate]:
    """The province's active CA rows and the roots named in ESIGN_TRUST_ROOTS."""
    rows = SigningCertificate.objects.filter(is_ca=True, is_active=True).values_list(
        "certificate_pem", flat=True)
    return [*(_asn1_cert(pem) for pem in rows),
            *_trust_root_files(tuple(settings.ESIGN_TRUST_ROOTS))]


def _validation_context(roots: list[asn1_x509.Certificate]):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=roots, allow_fetching=False,
                             revocation_mode="soft-fail")


# --- the stamp --------------------------------------------------------------------------------

# Latin, the Vietnamese letters and the punctuation the stamp may print.
_STAMP_CODEPOINTS = [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x1A0, 0x1B1),
                     *range(0x1EA0, 0x1EFA), 0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D,
                     0x2026, 0x20AB]


@functools.cache
def stamp_font() -> bytes:
    """DejaVu Sans cut down to the stamp's letters, at 1000 units per em, once per process.
    Subsetting the whole face for every signature costs ~150 ms (its layout tables); and
    pyHanko writes glyph widths in font units where PDF expects thousandths of an em, right
    only for a 1000-unit face (DejaVu has 2048)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GPOS", "GSUB", "GDEF", "FFTM"]
    options.hinting = False
    options.name_IDs = ["*"]
    font = TTFont(str(FONT_FILE))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_STAMP_CODEPOINTS)
    subsetter.subset(font)
    scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@functools.cache
def _stamp_style():
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    @dataclass(frozen=True)
    class StampFont(GlyphAccumulatorFactory):
        """pyHanko's OpenType engine on the in-memory stamp face (its factory opens a file
        and never closes it)."""

        def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
            if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(stamp_font()),
                                    font_size=self.font_size, obj_stream=obj_stream)

    font = StampFont(font_file=str(FONT_FILE), font_size=9)
    return TextStampStyle(
        stamp_text=STAMP_TEXT, border_width=1, border_color=STAMP_COLOUR, background=None,
        text_box_style=TextBoxStyle(font=font, font_size=9, leading=12,
                                    text_color=STAMP_COLOUR))


@dataclass(frozen=True)
class FieldBox:
    """Where the visible signature goes: a page (0-based, -1 the last) and a rectangle in PDF
    points from the page's bottom left."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float

    def rect(self) -> tuple[int, int, int, int]:
        return (round(self.x1), round(self.y1), round(self.x2), round(self.y2))


def default_box(pdf_bytes: bytes) -> FieldBox:
    """Bottom right of the last page (an uploaded PDF whose layout is unknown)."""
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(pdf_bytes)).pages[-1]
    left, bottom = float(page.mediabox.left), float(page.mediabox.bottom)
    right = float(page.mediabox.right)
    width, height = DEFAULT_BOX_SIZE
    x2 = max(right - DEFAULT_BOX_MARGIN, left + width)
    y1 = bottom + DEFAULT_BOX_MARGIN
    return FieldBox(page=-1, x1=x2 - width, y1=y1, x2=x2, y2=y1 + height)


# --- signing ----------------------------------------------------------------------------------

def configured_timestamper():
    """The time-stamping client settings name: ESIGN_TIMESTAMPER (a dotted path to a callable
    returning a pyHanko TimeStamper, for tests), else an RFC 3161 client of ESIGN_TSA_URL,
    else none (PAdES B-B)."""
    if settings.ESIGN_TIMESTAMPER:
        return import_string(settings.ESIGN_TIMESTAMPER)()
    if settings.ESIGN_TSA_URL:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        return HTTPTimeStamper(settings.ESIGN_TSA_URL, timeout=settings.ESIGN_TSA_TIMEOUT)
    return None


def certificate_facts(cert: asn1_x509.Certificate) -> dict[str, str]:
    """Subject, common name, serial, issuer and validity of a certificate, for people."""
    parsed = x509.load_der_x509_certificate(cert.dump())
    names = parsed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return {"subject": parsed.subject.rfc4514_string(),
            "common_name": str(names[0].value) if names else "",
            "serial": format(parsed.serial_number, "x"),
            "issuer": parsed.issuer.rfc4514_string(),
            "not_after": parsed.not_valid_after_utc.isoformat()}


def sign_pdf(pdf_bytes: bytes, agency: Agency, signer_user, reason: str, location: str, *,
             box: FieldBox | None = None, timestamper=None) -> tuple[bytes, dict]:
    """Sign `pdf_bytes` for `agency` (PAdES; B-T with a timestamper) in a visible field with the
    Vietnamese stamp "Ký bởi / Người ký / Thời gian". The leader's name goes into the
    signature's /Name; returns the signed bytes and what the signature says."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
    from pyhanko.sign.timestamps import TimestampRequestError
    from pypdf.errors import PyPdfError

    credentials = credentials_for(agency)
    stamper = timestamper if timestamper is not None else configured_timestamper()
    person = signer_user.full_name or signer_user.username
    now = timezone.now()
    try:
        box = box or default_box(pdf_bytes)
        meta = PdfSignatureMetadata(
            field_name=FIELD_NAME, md_algorithm="sha256", reason=reason, location=location,
            name=person, subfilter=fields.SigSeedSubFilter.PADES)
        pdf_signer = PdfSigner(meta, credentials.signer, timestamper=stamper,
                               stamp_style=_stamp_style(),
                               new_field_spec=fields.SigFieldSpec(
                                   FIELD_NAME, on_page=box.page, box=box.rect(),
                                   readable_field_name=f"Chữ ký số của {agency.name}"[:200]))
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        signed = pdf_signer.sign_pdf(writer, appearance_text_params={
            "agency": _nfc(agency.name), "signer": _nfc(person),
            "time": f"{timezone.localtime(now):%d/%m/%Y %H:%M}"}).getvalue()
    except TimestampRequestError as exc:
        raise DomainError("timestamp_unavailable", _(TSA_FAILED), status_code=503) from exc
    except (PdfError, PyPdfError, SigningError, ValueError, KeyError, IndexError,
            OSError) as exc:
        logger.info("PDF not signable: %s", exc)
        raise DomainError("pdf_unsignable", _(PDF_UNSIGNABLE), status_code=400) from exc
    info = {
        **certificate_facts(credentials.signer.signing_cert),
        "signer_name": person, "agency": agency.name, "reason": reason, "location": location,
        "signed_at": now.isoformat(), "field": FIELD_NAME, "level": "PAdES-B-B",
        "tsa": settings.ESIGN_TSA_URL if stamper is not None else "",
        "timestamped": stamper is not None, "certificate_id": credentials.certificate_id,
        "key_source": credentials.source,
    }
    if stamper is not None:
        info["level"] = "PAdES-B-T"
    return signed, info


def _nfc(text: str) -> str:
    """Precomposed letters: the stamp face keeps no combining-mark positioning."""
    return unicodedata.normalize("NFC", text)


# --- validation -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """What a PDF's (last) signature says, checked against the province's trust roots."""

    valid: bool
    intact: bool
    trusted: bool
    signer: str = ""  # the certificate subject (RFC 4514)
    signer_name: str = ""  # its common name
    signed_at: dt.datetime | None = None
    timestamp: dt.datetime | None = None  # from the TSA token, when there is one
    reason: str = ""  # why it is not valid, in Vietnamese; empty when valid

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("signed_at", "timestamp"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def validate_pdf(pdf_bytes: bytes, *, roots: list | None = None) -> Verdict:
    """Validate the document's last signature (the one covering the whole file): intact,
    cryptographically valid, certificate chained to a trust root, no disallowed change after
    signing, timestamp valid when present. Nothing is fetched from the network."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = [s for s in reader.embedded_signatures
                      if s.sig_object_type == "/Sig"]
        if not signatures:
            return Verdict(valid=False, intact=False, trusted=False, reason=_(NO_SIGNATURE))
        context = _validation_context(roots if roots is not None else trust_roots())
        status = validate_pdf_signature(
            signatures[-1], signer_validation_context=context,
            key_usage_settings=KeyUsageConstraints(
                key_usage={"digital_signature", "non_repudiation"}))
    except (PdfError, ValueError, KeyError, TypeError, IndexError, OSError) as exc:
        logger.info("PDF signature unreadable: %s", exc)
        return Verdict(valid=False, intact=False, trusted=False, reason=_(UNREADABLE))
    facts = certificate_facts(status.signing_cert)
    timestamp = status.timestamp_validity
    verdict = Verdict(
        valid=status.bottom_line, intact=status.intact, trusted=status.trusted,
        signer=facts["subject"], signer_name=facts["common_name"],
        signed_at=status.signer_reported_dt,
        timestamp=timestamp.timestamp if timestamp is not None else None)
    return Verdict(**{**asdict(verdict), "reason": "" if verdict.valid else _why(status)})


def _why(status) -> str:
    if not status.intact:
        return _(NOT_INTACT)
    if not status.valid:
        return _(SIGNATURE_INVALID)
    if status.revoked:
        return _(CERT_REVOKED)
    if not status.trusted:
        return _(UNTRUSTED)
    timestamp = status.timestamp_validity
    if timestamp is not None and not (timestamp.valid and timestamp.intact
                                      and timestamp.trusted):
        return _(TIMESTAMP_INVALID)
    return _(MODIFIED)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
