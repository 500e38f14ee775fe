"""Electronic results (kết quả điện tử; DOMAIN-2025.md §7.2, N35–N37): issued signed by the
leader who approves, checked by anyone holding the paper or the QR, revoked with a reason.

- `issue_eresult`: one transaction. The dossier is being processed at its last workflow step
  (where it is resolved), and the leader holds `approve_dossier` on the agency handling it:
  the result is rendered from the procedure's template (or an uploaded PDF is taken), signed
  with that agency's certificate (hoso.signing), checked, stored, coded `<dossier code>-KQ<n>`
  (N35), recorded as an event and put in the owner's wallet.
- `revoke_result`: marks the result revoked with time, officer and reason (N36) everywhere it
  is shown; the file stays stored and downloadable to those allowed; the wallet stops offering
  it; the owner is told.
- `verify_result`: a read. Valid means: the stored file still has the SHA-256 recorded at
  issue, its signature validates against the province's trust roots, and the result is not
  revoked. The hash is compared on every call; the signature's verdict is cached per file
  hash (a changed file has another hash, hence another verdict).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoso import signing
from hoso.choices import Action, DossierStatus, OwnerType
from hoso.models import Dossier, DossierEvent, Result, private_storage
from hoso.services import wallet
from hoso.services.steps import workflow_of
from hoso.uploads import check_upload, cleanup_on_failure
from hoso.workflow import TransitionRefused, may
from portal.errors import DomainError, InvalidInput, NotFoundError
from portal.models import Agency, User
from portal.permissions import has_agency_perm

APPROVE = "portal.approve_dossier"
VERDICT_SECONDS = 3600  # a certificate may expire or a root be withdrawn: look again hourly
READ_CHUNK = 1024 * 1024

INCOMPLETE = "Vui lòng nhập tên và số, ký hiệu của kết quả."
FUTURE_DATE = "Ngày ban hành không được sau ngày hôm nay."
NOT_PDF = "Kết quả điện tử phải là tệp PDF."
DOSSIER_NOT_FOUND = "Không tìm thấy hồ sơ."
NOT_NOW = ("Chỉ ký số, ban hành kết quả điện tử khi hồ sơ đang được giải quyết và ở bước cuối "
           "của quy trình (bước ký duyệt).")
NO_CODE = "Hồ sơ chưa có mã hồ sơ; không thể ban hành kết quả."
ISSUE_FORBIDDEN = ("Chỉ lãnh đạo có quyền phê duyệt hồ sơ của cơ quan giải quyết mới được ký số, "
                   "ban hành kết quả điện tử.")
SELF_CHECK_FAILED = ("Chữ ký số vừa tạo không xác thực được (%(reason)s); kết quả chưa được ban "
                     "hành. Vui lòng liên hệ quản trị hệ thống.")
RESULT_NOT_FOUND = "Không tìm thấy kết quả."
REVOKE_REASON = "Vui lòng ghi rõ lý do thu hồi kết quả."
REVOKE_FORBIDDEN = ("Chỉ lãnh đạo có quyền phê duyệt hồ sơ của cơ quan ban hành mới được thu hồi "
                    "kết quả.")
ALREADY_REVOKED = "Kết quả này đã bị thu hồi lúc %(at)s."

# Why a result is not valid, for the verification page and API.
REVOKED = ("Kết quả đã bị thu hồi lúc %(at)s. Bản điện tử và các bản in từ bản điện tử này "
           "không còn giá trị từ thời điểm thu hồi.")
PAPER_ONLY = ("Kết quả này được cấp bản giấy; hệ thống không lưu bản điện tử có chữ ký số để "
              "xác thực.")
FILE_MISSING = "Không tìm thấy tệp kết quả đã lưu trữ."
HASH_MISMATCH = ("Tệp kết quả đang lưu trữ khác với tệp đã ký khi ban hành (mã băm SHA-256 không "
                 "khớp).")


# --- issue ------------------------------------------------------------------------------------

def issuing_agency(dossier: Dossier) -> Agency:
    """The agency whose leader signs: the one handling the dossier at its last step."""
    return dossier.handling_agency or dossier.deciding_agency


def _at_last_step(dossier: Dossier) -> bool:
    step = dossier.current_step
    if step is None or step.transfer_from_id is not None:
        return False
    return step.position >= max((s["position"] for s in workflow_of(dossier)),
                                default=step.position)


def may_issue(dossier: Dossier, user: User | None) -> bool:
    """Would `user` be allowed to issue an e-result for this dossier now (for the button)?"""
    try:
        _check_issuer(dossier, user)
    except DomainError:
        return False
    return True


def _check_issuer(dossier: Dossier, leader: User | None) -> None:
    if dossier.status != DossierStatus.IN_PROGRESS or not _at_last_step(dossier):
        raise TransitionRefused("transition_not_allowed", _(NOT_NOW))
    if leader is None or not may(dossier, Action.RESOLVE, leader) or not has_agency_perm(
            leader, APPROVE, issuing_agency(dossier)):
        raise TransitionRefused("forbidden", _(ISSUE_FORBIDDEN), status_code=403)
    if not dossier.code:
        raise TransitionRefused("transition_not_allowed", _(NO_CODE))


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(issued_on: dt.date, months: int | None) -> dt.date | None:
    """The last day a result valid `months` from its issue date is valid."""
    if not months:
        return None
    return _add_months(issued_on, months) - dt.timedelta(days=1)


def _uploaded_pdf(upload: UploadedFile) -> bytes:
    checked = check_upload(upload)
    if checked.extension != "pdf":
        raise InvalidInput("result_not_pdf", _(NOT_PDF))
    upload.seek(0)
    data = b"".join(upload.chunks())
    upload.seek(0)
    return data


def issue_eresult(*, dossier_id: int, leader: User, name: str, number: str,
                  issued_on: dt.date, upload: UploadedFile | None = None) -> Result:
    """Render (or take the uploaded PDF), sign with the issuing agency's certificate, store
    and record the e-result `<dossier code>-KQ<n>` (N35), and put it in the owner's wallet."""
    name, number = (name or "").strip(), (number or "").strip()
    if not name or not number:
        raise InvalidInput("result_incomplete", _(INCOMPLETE))
    if issued_on > timezone.localdate():
        raise InvalidInput("result_future_date", _(FUTURE_DATE))
    source = _uploaded_pdf(upload) if upload is not None else None
    with cleanup_on_failure() as stored, transaction.atomic():
        dossier = (Dossier.objects.select_for_update(of=("self",))
                   .select_related("procedure", "receiving_agency", "deciding_agency",
                                   "handling_agency", "current_step")
                   .filter(pk=dossier_id).first())
        if dossier is None:
            raise NotFoundError("dossier_not_found", _(DOSSIER_NOT_FOUND))
        _check_issuer(dossier, leader)
        result = _new_result(dossier, leader, name, number, issued_on)
        signed = _signed_pdf(result, leader, source)
        stored_name = private_storage.save(
            f"results/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf", ContentFile(signed))
        stored.append(stored_name)
        result.file.name = stored_name
        result.save()
        DossierEvent.objects.create(
            dossier=dossier, actor=leader, agency=result.issuing_agency,
            action=Action.ISSUE_RESULT, status_before=dossier.status,
            status_after=dossier.status, note=f"{result.code}: {name} số {number}",
            data={"result": result.pk, "code": result.code, "sha256": result.sha256,
                  "certificate_serial": result.signature.get("serial", ""),
                  "uploaded": source is not None})
        wallet.deposit_result(result)
        return result


def _new_result(dossier: Dossier, leader: User, name: str, number: str,
                issued_on: dt.date) -> Result:
    procedure = dossier.procedure
    sequence = dossier.results.count() + 1
    return Result(
        dossier=dossier, code=f"{dossier.code}-KQ{sequence}", sequence=sequence, name=name,
        number=number, issued_on=issued_on, signer=leader.full_name or leader.username,
        electronic=True, added_by=leader, type_code=procedure.result_code,
        doc_type_code=procedure.result_doc_type_code,
        valid_until=valid_until(issued_on, procedure.result_validity_months),
        issuing_agency=issuing_agency(dossier), verify_token=secrets.token_urlsafe(24),
        signed_by=leader)


def _signed_pdf(result: Result, leader: User, source: bytes | None) -> bytes:
    """Sign (and check the signature before anything is stored); fills the result's file
    facts and signature."""
    from hoso.eresult_pdf import render_eresult
    from hoso.pdf import _place

    pdf, box = (source, None) if source is not None else render_eresult(result, leader)
    signed, info = signing.sign_pdf(
        pdf, result.issuing_agency, leader, location=_place(),
        reason=f"Ban hành {result.name} số {result.number} (mã {result.code})", box=box)
    verdict = signing.validate_pdf(signed)
    if not verdict.valid:
        raise DomainError("signature_self_check_failed",
                          _(SELF_CHECK_FAILED) % {"reason": verdict.reason})
    info["timestamp"] = verdict.timestamp.isoformat() if verdict.timestamp else None
    result.sha256, result.size = signing.sha256_hex(signed), len(signed)
    result.signed_at = dt.datetime.fromisoformat(info["signed_at"])
    result.signature = info
    transaction.on_commit(lambda: cache.set(verdict_key(result.pk, result.sha256), verdict,
                                            VERDICT_SECONDS))
    return signed


# --- revoke -----------------------------------------------------------------------------------

def may_revoke(result: Result, user: User | None) -> bool:
    if user is None or result.is_revoked:
        return False
    agencies = {result.issuing_agency_id, result.dossier.deciding_agency_id} - {None}
    return any(has_agency_perm(user, APPROVE, Agency(pk=pk)) for pk in agencies)


def revoke_result(*, result_id: int, officer: User, reason: str) -> Result:
    """Revoke a result (N36): marked with time, officer and reason; kept stored for lookup;
    gone from the owner's wallet suggestions; the owner told."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("revoke_reason", _(REVOKE_REASON))
    with transaction.atomic():
        result = (Result.objects.select_for_update(of=("self",))
                  .select_related("dossier", "dossier__procedure", "issuing_agency")
                  .filter(pk=result_id).first())
        if result is None:
            raise NotFoundError("result_not_found", _(RESULT_NOT_FOUND))
        if result.is_revoked:
            raise DomainError("already_revoked", _(ALREADY_REVOKED) % {
                "at": f"{timezone.localtime(result.revoked_at):%H:%M %d/%m/%Y}"})
        if not may_revoke(result, officer):
            raise DomainError("forbidden", _(REVOKE_FORBIDDEN), status_code=403)
        result.revoked_at, result.revoked_by, result.revoke_reason = (
            timezone.now(), officer, reason)
        result.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        dossier = result.dossier
        DossierEvent.objects.create(
            dossier=dossier, actor=officer,
            agency=result.issuing_agency or dossier.deciding_agency,
            action=Action.REVOKE_RESULT, status_before=dossier.status,
            status_after=dossier.status, note=f"{result.code}: {reason}",
            data={"result": result.pk, "code": result.code})
        wallet.revoke_result(result)
        _notify_revoked(result)
        return result


def _notify_revoked(result: Result) -> None:
    """Tell the owner (e-mail, SMS; template `result_revoked`) and every agency that reused the
    result for a dossier of its own (e-mail to the agency's address; `result_revoked_agency`),
    as N36 asks: "notifies the agencies concerned". In the revocation's transaction: nothing is
    sent if it rolls back."""
    from django.db.models import Q

    from hoso.eresult_pdf import verify_address
    from hoso.models import WalletUse
    from hoso.notify import tracking_url
    from portal.notifications import notify

    dossier = result.dossier
    revoked = {"result_code": result.code, "result_name": result.name,
               "revoked_at": result.revoked_at, "reason": result.revoke_reason}
    notify(code="result_revoked", context={
        **revoked, "dossier_code": dossier.code or "", "procedure_name": dossier.procedure.name,
        "owner_name": dossier.owner_name, "tracking_url": tracking_url(dossier)},
        email=dossier.owner_email or None,
        phone=dossier.owner_phone or dossier.submitter_phone or None,
        object_ref=f"result:{result.pk}", event_key=f"result:{result.pk}:revoked")
    uses: dict[Agency, list[str]] = {}
    for use in (WalletUse.objects.filter(wallet_document__source_result=result)
                .exclude(Q(agency__isnull=True) | Q(agency__email=""))
                .select_related("agency", "dossier").order_by("agency_id", "dossier__code")):
        uses.setdefault(use.agency, []).append(use.dossier.code or f"#{use.dossier_id}")
    for agency, codes in uses.items():
        notify(code="result_revoked_agency", context={
            **revoked, "agency_name": agency.name, "dossier_codes": ", ".join(codes),
            "verify_url": verify_address()}, email=agency.email, phone=None,
            object_ref=f"result:{result.pk}",
            event_key=f"result:{result.pk}:revoked:agency:{agency.pk}")


# --- verify -----------------------------------------------------------------------------------

def verdict_key(result_id: int, sha256: str) -> str:
    return f"hoso:eresult-verdict:v1:{result_id}:{sha256}"


@dataclass(frozen=True)
class Verification:
    """What the verification page and API say about a result."""

    result: Result
    electronic: bool  # a signed file is stored
    hash_matches: bool
    signature: signing.Verdict | None
    revoked: bool
    valid: bool
    reason: str  # why it is not valid (Vietnamese); empty when valid
    copy_matches: bool | None = None  # an uploaded copy is byte for byte the stored file
    copy_signature: signing.Verdict | None = None


def _stored_bytes(result: Result) -> bytes | None:
    try:
        with private_storage.open(result.file.name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def verify_result(result: Result, *, copy: bytes | None = None) -> Verification:
    """Check a result (and optionally a copy someone holds) — reads only."""
    revoked = result.is_revoked
    data = _stored_bytes(result) if result.file else None
    if data is None:
        reason = _(PAPER_ONLY) if not result.file else _(FILE_MISSING)
        return _verification(result, False, None, revoked, reason, copy, data)
    digest = hashlib.sha256(data).hexdigest()
    hash_matches = hmac.compare_digest(digest, result.sha256 or "")
    key = verdict_key(result.pk, digest)
    verdict = cache.get(key)
    if verdict is None:
        verdict = signing.validate_pdf(data)
        cache.set(key, verdict, VERDICT_SECONDS)
    reason = "" if hash_matches else _(HASH_MISMATCH)
    reason = reason or verdict.reason
    return _verification(result, hash_matches, verdict, revoked, reason, copy, data)


def _verification(result: Result, hash_matches: bool, verdict: signing.Verdict | None,
                  revoked: bool, reason: str, copy: bytes | None,
                  stored: bytes | None) -> Verification:
    if revoked:
        reason = _(REVOKED) % {"at": f"{timezone.localtime(result.revoked_at):%H:%M %d/%m/%Y}"}
    copy_matches = copy_signature = None
    if copy is not None:
        copy_matches = stored is not None and hmac.compare_digest(
            hashlib.sha256(copy).digest(), hashlib.sha256(stored).digest())
        copy_signature = signing.validate_pdf(copy)
    return Verification(
        result=result, electronic=verdict is not None, hash_matches=hash_matches,
        signature=verdict, revoked=revoked,
        valid=bool(hash_matches and verdict is not None and verdict.valid and not revoked),
        reason=reason, copy_matches=copy_matches, copy_signature=copy_signature)


def masked_owner(dossier: Dossier) -> str:
    """Minimal personal data on public pages: "Nguyễn Văn An" → "Nguyễn V*** A"; an
    organisation's name is public."""
    if dossier.owner_type != OwnerType.CITIZEN:
        return dossier.owner_name
    words = dossier.owner_name.split()
    if len(words) < 2:
        return (words[0][:1] + "***") if words else ""
    return " ".join([words[0], *(w[:1] + "***" for w in words[1:-1]), words[-1][:1]])


def result_by_code(code: str) -> Result | None:
    """The result a paper copy names (its code is printed in the footer, N37)."""
    return (Result.objects.select_related("dossier", "dossier__procedure", "issuing_agency")
            .filter(code=(code or "").strip().upper()).first())


def result_by_token(token: str) -> Result | None:
    """The result a QR names (its random verification key)."""
    if not token:
        return None
    return (Result.objects.select_related("dossier", "dossier__procedure", "issuing_agency")
            .filter(verify_token=token).first())
