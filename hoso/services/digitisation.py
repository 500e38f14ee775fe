"""Digitisation of a dossier's papers (số hóa thành phần hồ sơ; DOMAIN.md §3, DOMAIN-2025.md
§7.3): the officer scans a paper (its pages merged into one PDF, hoso.scans) or confirms the
citizen's upload as its digital copy, records its number/symbol, issue date, issuer and
validity, or records that it was taken from a national database or stays on paper only.

A digitised paper gets the code `<dossier code>.<NN>` (TH `GiayToSoHoa.Ma`, NN a 2-digit
counter per dossier [C]; TT 01/2023 Art. 10's own format was not read — the provincial format
is documented in README), kept across re-scans, and lands in its owner's wallet
(hoso.services.wallet). The reuse states are set by the wallet flow, never here.

One verb, one transaction; bad input changes nothing and leaves no stored file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoso.choices import Action, DigitisationState, DocumentSource, DossierStatus
from hoso.models import (
    Dossier,
    DossierDocument,
    DossierEvent,
    Result,
    WalletDocument,
    private_storage,
)
from hoso.scans import MergedScan, ScanIn, merge_scans, pdf_page_count
from hoso.uploads import cleanup_on_failure
from portal.errors import DomainError, InvalidInput, NotFoundError
from portal.models import User
from portal.permissions import agency_ids_with_perm

__all__ = ["DIGITISABLE_STATUSES", "Metadata", "ScanIn", "digitise", "may_digitise"]

RECEIVE, PROCESS = "portal.receive_dossier", "portal.process_dossier"
# Received and not finished, or resolved (the papers are still at the agency). Not before
# receipt (no code yet, the papers may still change), and not once returned, refused,
# withdrawn or stopped (the papers have gone back).
DIGITISABLE_STATUSES = DossierStatus.open_states() | {DossierStatus.RESOLVED}
# What this verb records; the reuse states come from the wallet flow only.
RECORDABLE_STATES = frozenset({DigitisationState.NOT_DIGITISED, DigitisationState.DIGITISED,
                               DigitisationState.NATIONAL_SOURCE})
SET_BY_WALLET = frozenset({DigitisationState.REUSED_DOCUMENT, DigitisationState.REUSED_RESULT})
CODE_DIGITS = 2


@dataclass(frozen=True)
class Metadata:
    """What is known of the paper itself (all optional except as the state requires)."""

    doc_number: str = ""
    issued_on: dt.date | None = None
    issuer: str = ""
    valid_until: dt.date | None = None


def _handling_agency_id(dossier: Dossier) -> int:
    return dossier.handling_agency_id or dossier.deciding_agency_id


def may_digitise(user: User | None, dossier: Dossier) -> bool:
    """Receiving rights on the dossier's receiving agency, or processing rights on the agency
    handling it now (its subtree included, portal.permissions)."""
    if user is None or not user.is_authenticated:
        return False
    return (dossier.receiving_agency_id in agency_ids_with_perm(user, RECEIVE)
            or _handling_agency_id(dossier) in agency_ids_with_perm(user, PROCESS))


def _event_agency_id(user: User, dossier: Dossier) -> int:
    if dossier.receiving_agency_id in agency_ids_with_perm(user, RECEIVE):
        return dossier.receiving_agency_id
    return _handling_agency_id(dossier)


def check_metadata(state: str, meta: Metadata, *, today: dt.date | None = None) -> Metadata:
    """The metadata trimmed, or InvalidInput listing every problem (Vietnamese)."""
    today = today or timezone.localdate()
    meta = Metadata(doc_number=(meta.doc_number or "").strip(), issued_on=meta.issued_on,
                    issuer=(meta.issuer or "").strip(), valid_until=meta.valid_until)
    problems = []
    if len(meta.doc_number) > DossierDocument._meta.get_field("doc_number").max_length:
        problems.append(_("Số, ký hiệu quá dài (tối đa 100 ký tự)."))
    if len(meta.issuer) > DossierDocument._meta.get_field("issuer").max_length:
        problems.append(_("Tên cơ quan ban hành quá dài (tối đa 255 ký tự)."))
    if meta.issued_on is not None and meta.issued_on > today:
        problems.append(_("Ngày ban hành không được sau ngày hôm nay."))
    if (meta.valid_until is not None and meta.issued_on is not None
            and meta.valid_until < meta.issued_on):
        problems.append(_("Ngày hết hiệu lực không được trước ngày ban hành."))
    if state == DigitisationState.NATIONAL_SOURCE and not (meta.doc_number and meta.issuer):
        problems.append(_("Giấy tờ khai thác từ cơ sở dữ liệu quốc gia phải có số, ký hiệu và "
                          "cơ quan ban hành."))
    if problems:
        raise InvalidInput("invalid_metadata", " ".join(problems))
    return meta


def _check_requested(state: str, scans: list[ScanIn]) -> None:
    if state in SET_BY_WALLET:
        raise InvalidInput("reuse_state", _(
            "Trạng thái tái sử dụng chỉ được ghi nhận khi chọn giấy tờ từ kho dữ liệu điện tử, "
            "không chọn tại trang số hóa."))
    if state not in RECORDABLE_STATES:
        raise InvalidInput("bad_state", _("Trạng thái số hóa không hợp lệ."))
    if scans and state != DigitisationState.DIGITISED:
        raise InvalidInput("scan_needs_digitised", _(
            "Đã chọn tệp quét thì trạng thái phải là “Đã số hóa”."))


def _check_dossier(officer: User, dossier: Dossier) -> None:
    if not may_digitise(officer, dossier):
        raise DomainError("forbidden", _("Bạn không có quyền số hóa giấy tờ của hồ sơ này."),
                          status_code=403)
    if dossier.status not in DIGITISABLE_STATUSES or not dossier.code:
        raise DomainError("not_digitisable", _(
            "Chỉ số hóa giấy tờ của hồ sơ đã tiếp nhận, đang giải quyết hoặc đã có kết quả "
            "(hồ sơ đang ở trạng thái “%(status)s”).") % {"status": dossier.get_status_display()})


def _check_document(doc: DossierDocument, state: str, scans: list[ScanIn]) -> None:
    if doc.digitisation in SET_BY_WALLET or doc.wallet_document_id:
        raise InvalidInput("reused_document", _(
            "Giấy tờ này được lấy từ kho dữ liệu điện tử, không cần số hóa lại."))
    if state == DigitisationState.DIGITISED and not scans and not doc.file:
        raise InvalidInput("no_file", _(
            "Giấy tờ chưa có tệp: vui lòng quét giấy tờ để số hóa."))
    if (doc.digitisation == DigitisationState.DIGITISED
            and state != DigitisationState.DIGITISED):
        raise InvalidInput("already_digitised", _(
            "Giấy tờ đã số hóa (mã %(code)s) không chuyển về trạng thái khác được; quét lại nếu "
            "cần thay bản số hóa.") % {"code": doc.digital_code})


def _next_code(dossier: Dossier) -> str:
    """`<dossier code>.<NN>`: one more than the highest counter of the dossier (the dossier
    row is locked by the caller, so two officers never take the same number)."""
    prefix = f"{dossier.code}."
    taken = DossierDocument.objects.filter(dossier=dossier, digital_code__startswith=prefix
                                           ).values_list("digital_code", flat=True)
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    highest = max((int(m.group(1)) for code in taken if (m := pattern.match(code))),
                  default=0)
    return f"{prefix}{highest + 1:0{CODE_DIGITS}d}"


def _file_still_used(name: str, document_id: int) -> bool:
    """Does any other row point at this stored file (a paper reused from the wallet, a
    wallet entry, a result)? Such a file is never deleted."""
    return (DossierDocument.objects.filter(file=name).exclude(pk=document_id).exists()
            or WalletDocument.objects.filter(file=name).exists()
            or Result.objects.filter(file=name).exists())


def _delete_if_unused(name: str, document_id: int) -> None:
    """After the commit that gave the paper its new file: nothing can point at the old one
    any more except rows that already did (the wallet entry now holds the new file), so the
    check outside the transaction is final and keeps the dossier's lock short."""
    if not _file_still_used(name, document_id):
        private_storage.delete(name)


def _store_scan(doc: DossierDocument, merged: MergedScan, first_name: str, officer: User,
                stored: list[str]) -> str:
    """Store the merged scan as the paper's file; the name of the file it replaces."""
    name = private_storage.save(f"dossiers/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf",
                                ContentFile(merged.content))
    stored.append(name)
    old_name = doc.file.name if doc.file else ""
    doc.file.name = name
    stem = first_name.rsplit(".", 1)[0].strip()
    doc.original_filename = f"{stem or 'ban-so-hoa'}.pdf"[-255:]
    doc.content_type = "application/pdf"
    doc.size = len(merged.content)
    doc.sha256 = hashlib.sha256(merged.content).hexdigest()
    doc.page_count = merged.page_count
    doc.source = DocumentSource.DESK_SCAN
    doc.uploaded_by = officer
    return old_name


def _check_dossier_size(doc: DossierDocument) -> None:
    """The dossier's own files within UPLOAD_MAX_DOSSIER_BYTES, as at intake (papers reused
    from the wallet are not its uploads)."""
    others = sum(DossierDocument.objects.filter(dossier_id=doc.dossier_id,
                                                wallet_document__isnull=True)
                 .exclude(pk=doc.pk).values_list("size", flat=True))
    if others + doc.size > settings.UPLOAD_MAX_DOSSIER_BYTES:
        raise InvalidInput("dossier_too_big", _("Tổng dung lượng các tệp vượt quá %(mb)s MB.")
                           % {"mb": settings.UPLOAD_MAX_DOSSIER_BYTES // (1024 * 1024)})


def _page_count_of_file(doc: DossierDocument) -> int:
    if doc.content_type != "application/pdf":
        return 1
    try:
        with private_storage.open(doc.file.name, "rb") as stored:
            return pdf_page_count(stored)
    except OSError as exc:
        raise InvalidInput("file_missing", _(
            "Không đọc được tệp đã lưu của giấy tờ; vui lòng quét lại giấy tờ.")) from exc


def digitise(*, document_id: int, officer: User, scans: list[ScanIn] | None = None,
             state: str = DigitisationState.DIGITISED, doc_number: str = "",
             issued_on: dt.date | None = None, issuer: str = "",
             valid_until: dt.date | None = None) -> DossierDocument:
    """Record how one paper of a received dossier exists in digital form.

    - DIGITISED with scans: the pages merged into one PDF replace the paper's file (the old
      file is deleted after commit unless another row still points at it);
    - DIGITISED without scans: the file already there (the citizen's upload, the desk scan at
      intake) is confirmed as the digital copy;
    - NATIONAL_SOURCE: taken from a national database (number and issuer required);
    - NOT_DIGITISED: paper only (the metadata may still be recorded).

    A digitised paper keeps its code `<dossier code>.<NN>` and lands in the owner's wallet.
    """
    scans = list(scans or [])
    meta = check_metadata(state, Metadata(doc_number=doc_number, issued_on=issued_on,
                                          issuer=issuer, valid_until=valid_until))
    _check_requested(state, scans)
    dossier_id = (DossierDocument.objects.filter(pk=document_id)
                  .values_list("dossier_id", flat=True).first())
    if dossier_id is None:
        raise NotFoundError("not_found", _("Không tìm thấy giấy tờ."))
    _check_dossier(officer, Dossier.objects.get(pk=dossier_id))
    # Checked and merged before any row is locked (the slow part, and all of the file rules).
    merged = merge_scans(scans) if scans else None
    with cleanup_on_failure() as stored, transaction.atomic():
        # the dossier first (as every verb of a dossier does), then its paper
        dossier = Dossier.objects.select_for_update().get(pk=dossier_id)
        _check_dossier(officer, dossier)
        doc = DossierDocument.objects.select_for_update().get(pk=document_id)
        doc.dossier = dossier
        _check_document(doc, state, scans)
        old_name = ""
        if merged is not None:
            old_name = _store_scan(doc, merged, scans[0].file.name or "", officer, stored)
            _check_dossier_size(doc)
        now = timezone.now()
        doc.doc_number, doc.issued_on = meta.doc_number, meta.issued_on
        doc.issuer, doc.valid_until = meta.issuer, meta.valid_until
        doc.digitisation = state
        if state == DigitisationState.DIGITISED:
            doc.digitised = True
            if not doc.digital_code:
                doc.digital_code = _next_code(dossier)
            if merged is None:
                doc.page_count = _page_count_of_file(doc)
        elif state == DigitisationState.NATIONAL_SOURCE:
            doc.digitised = True
            doc.source = DocumentSource.NATIONAL_DB
        else:  # paper only (also the correction of a national-source record)
            doc.digitised = bool(doc.file)
            if doc.source == DocumentSource.NATIONAL_DB:
                doc.source = DocumentSource.UPLOAD
        if state in DigitisationState.digital_states():
            doc.digitised_by, doc.digitised_at = officer, now
        else:
            doc.digitised_by, doc.digitised_at = None, None
        doc.save()
        note = f"{doc.name}: {DigitisationState(state).label}"
        if state == DigitisationState.DIGITISED:
            note += f" ({doc.digital_code}, {doc.page_count} trang)"
        DossierEvent.objects.create(
            dossier=dossier, at=now, actor=officer, agency_id=_event_agency_id(officer, dossier),
            action=Action.DIGITISE, status_before=dossier.status, status_after=dossier.status,
            note=note, data={"document": doc.pk, "state": state, "code": doc.digital_code,
                             "pages": doc.page_count, "sha256": doc.sha256 if doc.file else "",
                             "rescan": bool(old_name)})
        if state == DigitisationState.DIGITISED:
            from hoso.services.wallet import deposit_document

            deposit_document(doc)
        if old_name and old_name != doc.file.name:
            transaction.on_commit(lambda n=old_name, pk=doc.pk: _delete_if_unused(n, pk))
        return doc
