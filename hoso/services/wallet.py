"""The citizen's wallet (kho dữ liệu điện tử, NĐ 45/2020; DOMAIN-2025.md §7.4): what lands in
it, what it offers for reuse, and every reuse and officer access recorded.

A paper lands when it is digitised at the desk (or an upload is confirmed as digitised), an
e-result when it is signed. Entries are keyed by the owner's CCCD or tax code; owners known only
by a passport or another paper have no wallet. The entry points at the source's stored file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hoso.choices import (
    DigitisationState,
    DocumentSource,
    IdType,
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
)
from portal.errors import InvalidInput, NotFoundError

# The owner identifiers a wallet is keyed by (CCCD for a person, tax code for an organisation).
WALLET_ID_TYPES = frozenset({IdType.CCCD, IdType.TAX_CODE})


def has_wallet(id_type: str, id_number: str) -> bool:
    return id_type in WALLET_ID_TYPES and bool((id_number or "").strip())


def deposit_document(doc: DossierDocument) -> WalletDocument | None:
    """Put a digitised paper of a dossier in its owner's wallet (or refresh its entry after a
    re-scan). Papers reused from the wallet are not deposited again. Call inside the
    transaction that digitised it."""
    dossier = doc.dossier
    if not doc.file or doc.wallet_document_id or not has_wallet(dossier.owner_id_type,
                                                                dossier.owner_id_number):
        return None
    fields = {
        "owner_id_type": dossier.owner_id_type, "owner_id_number": dossier.owner_id_number,
        "owner_name": dossier.owner_name, "kind": WalletKind.DOCUMENT,
        "doc_type_code": doc.doc_type_code, "code": doc.digital_code or f"GT{doc.pk}",
        "name": doc.name, "number": doc.doc_number, "issued_on": doc.issued_on,
        "issuer": doc.issuer, "valid_until": doc.valid_until, "file": doc.file.name,
        "content_type": doc.content_type, "size": doc.size, "sha256": doc.sha256,
        "source_dossier": dossier,
    }
    entry, _created = WalletDocument.objects.update_or_create(source_document=doc,
                                                              defaults=fields)
    return entry


def deposit_result(result: Result) -> WalletDocument | None:
    """Put a signed e-result in its owner's wallet (N35: synced to the person's Kho under the
    code `<dossier code>-KQ<n>`)."""
    dossier = result.dossier
    if not result.file or not has_wallet(dossier.owner_id_type, dossier.owner_id_number):
        return None
    issuer = result.issuing_agency.name if result.issuing_agency_id else ""
    fields = {
        "owner_id_type": dossier.owner_id_type, "owner_id_number": dossier.owner_id_number,
        "owner_name": dossier.owner_name, "kind": WalletKind.RESULT,
        "doc_type_code": result.doc_type_code, "code": result.code, "name": result.name,
        "number": result.number, "issued_on": result.issued_on, "issuer": issuer,
        "valid_until": result.valid_until, "file": result.file.name,
        "content_type": "application/pdf", "size": result.size, "sha256": result.sha256,
        "source_dossier": dossier, "revoked_at": result.revoked_at,
        "revoke_reason": result.revoke_reason,
    }
    entry, _created = WalletDocument.objects.update_or_create(source_result=result,
                                                              defaults=fields)
    return entry


def revoke_result(result: Result) -> int:
    """Mark the wallet entry of a revoked result (N36): kept for lookup, no longer offered."""
    return WalletDocument.objects.filter(source_result=result).update(
        revoked_at=result.revoked_at or timezone.now(), revoke_reason=result.revoke_reason)


def usable(owner_id_number: str, *, day: dt.date | None = None):
    """The owner's entries offered for reuse on `day`: not revoked, not expired."""
    day = day or timezone.localdate()
    return (WalletDocument.objects.filter(owner_id_number=owner_id_number,
                                          revoked_at__isnull=True)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day)))


# --- what the wallet offers ----------------------------------------------------------------------

NOT_IN_WALLET = "Không tìm thấy giấy tờ trong kho dữ liệu của chủ hồ sơ."
NO_DOSSIER_IN_HAND = ("Chỉ xem được kho dữ liệu của công dân khi đang tiếp nhận hoặc giải quyết "
                      "hồ sơ của chính người đó.")


def owner_ids_of(user) -> list[str]:
    """The wallet keys of an account: its CCCD and its tax code (either may be empty)."""
    return [i for i in (getattr(user, "cccd", None), getattr(user, "tax_code", None)) if i]


def suggestions(owner_id_number: str, doc_type_codes, day: dt.date | None = None
                ) -> dict[str, list[WalletDocument]]:
    """Per document type code, the owner's entries offered for reuse on `day` (both digitised
    papers and e-results; not revoked, still valid), newest first. One query."""
    codes = sorted({code for code in doc_type_codes if code})
    offers: dict[str, list[WalletDocument]] = {code: [] for code in codes}
    if not (owner_id_number or "").strip() or not codes:
        return offers
    entries = (usable(owner_id_number, day=day).filter(doc_type_code__in=codes)
               .select_related("source_dossier")
               .order_by(F("issued_on").desc(nulls_last=True), "-created_at", "-pk"))
    for entry in entries:
        offers[entry.doc_type_code].append(entry)
    return offers


def wallet_of(user) -> QuerySet[WalletDocument]:
    """Everything in the account's own wallet (by its CCCD or tax code), expired and revoked
    entries included (marked on the page); nobody else's."""
    ids = owner_ids_of(user) if user.is_authenticated else []
    return (WalletDocument.objects.filter(owner_id_number__in=ids)
            .select_related("source_dossier").order_by("-created_at", "-pk"))


def uses_of(user) -> QuerySet[WalletUse]:
    """The reuse history of the account's wallet: which paper, when, for which dossier, by
    which agency."""
    ids = owner_ids_of(user) if user.is_authenticated else []
    return (WalletUse.objects.filter(wallet_document__owner_id_number__in=ids)
            .select_related("wallet_document", "dossier", "dossier__procedure", "agency",
                            "document")
            .order_by("-used_at", "-pk"))


def accesses_of(user) -> QuerySet[WalletAccess]:
    """Which officers looked into the account's wallet, for which agency, when, for which
    dossier."""
    ids = owner_ids_of(user) if user.is_authenticated else []
    return (WalletAccess.objects.filter(owner_id_number__in=ids)
            .select_related("officer", "agency", "dossier", "dossier__procedure",
                            "wallet_document")
            .order_by("-at", "-pk"))


def doc_type_codes_of(dossier: Dossier) -> list[str]:
    """The document type codes a dossier asks for: the terms it was received under, or the
    procedure's current ones before receipt."""
    documents = (dossier.terms or {}).get("documents") or (
        dossier.procedure.terms_snapshot()["documents"])
    return [d["doc_type_code"] for d in documents if d.get("doc_type_code")]


# --- officers: only with a dossier in hand, always logged ----------------------------------------

def in_hand(officer, dossier: Dossier) -> bool:
    """An officer has this dossier in hand: a saved dossier they may view, or a desk intake
    being entered (not saved yet) at an agency where they receive dossiers."""
    from portal.permissions import agency_ids_with_perm

    if not getattr(officer, "is_authenticated", False):
        return False
    if dossier.pk is not None:
        return Dossier.objects.visible_to(officer).filter(pk=dossier.pk).exists()
    receiving = agency_ids_with_perm(officer, "portal.receive_dossier")
    if dossier.receiving_agency_id is not None:
        return dossier.receiving_agency_id in receiving
    return bool(receiving)


def _acting_agency(officer, dossier: Dossier) -> int | None:
    """The dossier's agency the officer holds a permission on (receiving first): the agency
    an access is logged for, as it was at the time."""
    from portal.permissions import agency_ids_with_perm

    allowed = (agency_ids_with_perm(officer, "portal.receive_dossier")
               | agency_ids_with_perm(officer, "portal.view_dossier"))
    candidates = (dossier.receiving_agency_id, dossier.handling_agency_id,
                  dossier.deciding_agency_id)
    return next((pk for pk in candidates if pk is not None and pk in allowed), None)


def _log_access(officer, dossier: Dossier, purpose: str,
                entry: WalletDocument | None = None) -> WalletAccess:
    return WalletAccess.objects.create(
        officer=officer, agency_id=_acting_agency(officer, dossier),
        dossier=dossier if dossier.pk is not None else None,
        owner_id_number=dossier.owner_id_number, wallet_document=entry, purpose=purpose)


def officer_suggestions(officer, dossier: Dossier, *, day: dt.date | None = None
                        ) -> dict[str, list[WalletDocument]]:
    """The suggestions for the dossier in the officer's hand (a saved one, or a desk intake
    being entered: `Dossier(procedure=…, receiving_agency=…, owner_id_number=…)` unsaved),
    the look written to the owner's access log. Without a dossier in hand: refused."""
    if not in_hand(officer, dossier) or not (dossier.owner_id_number or "").strip():
        raise NotFoundError("wallet_not_in_hand", _(NO_DOSSIER_IN_HAND))
    codes = doc_type_codes_of(dossier)
    with transaction.atomic():
        offers = suggestions(dossier.owner_id_number, codes, day)
        _log_access(officer, dossier, WalletAccessPurpose.SUGGEST)
    return offers


def officer_open(officer, dossier: Dossier, entry_id: int) -> WalletDocument:
    """An officer opens one wallet file for the dossier in hand: the owner's entry of a type
    the dossier asks for (expired ones included, for checking), logged as a download. Only
    for a saved dossier (a walk-in being entered has suggestions, not downloads)."""
    if dossier.pk is None or not in_hand(officer, dossier):
        raise NotFoundError("wallet_not_in_hand", _(NO_DOSSIER_IN_HAND))
    entry = WalletDocument.objects.filter(
        pk=entry_id, owner_id_number=dossier.owner_id_number,
        doc_type_code__in=doc_type_codes_of(dossier)).first()
    if entry is None or not entry.file or not dossier.owner_id_number:
        raise NotFoundError("wallet_not_found", _(NOT_IN_WALLET))
    with transaction.atomic():
        _log_access(officer, dossier, WalletAccessPurpose.DOWNLOAD, entry)
    return entry


def owner_open(user, entry_id: int) -> WalletDocument:
    """The owner opens a file of their own wallet (nobody else's: 404)."""
    entry = wallet_of(user).filter(pk=entry_id).first()
    if entry is None or not entry.file:
        raise NotFoundError("wallet_not_found", _("Không tìm thấy giấy tờ trong kho dữ liệu."))
    return entry


# --- reuse: a paper of a dossier taken from the wallet --------------------------------------------

def entries_by_id(ids) -> dict[int, WalletDocument]:
    ids = {int(i) for i in ids if i}
    return {e.pk: e for e in WalletDocument.objects.filter(pk__in=ids)} if ids else {}


def check_pick(entry: WalletDocument | None, *, owner_id_number: str, doc_type_code: str,
               required_name: str, day: dt.date) -> WalletDocument:
    """Refuse a wallet entry that is not the owner's, not the type the procedure asks for,
    revoked or expired (InvalidInput, Vietnamese); return it otherwise."""
    if entry is None or not owner_id_number or entry.owner_id_number != owner_id_number:
        raise InvalidInput("wallet_not_found", _(NOT_IN_WALLET))
    if not doc_type_code or entry.doc_type_code != doc_type_code:
        raise InvalidInput("wallet_wrong_type", _(
            "Giấy tờ “%(entry)s” trong kho không đúng loại giấy tờ “%(required)s” mà thủ tục "
            "yêu cầu.") % {"entry": entry.name, "required": required_name})
    if entry.revoked_at is not None:
        raise InvalidInput("wallet_revoked", _(
            "Giấy tờ “%(entry)s” trong kho đã bị thu hồi, không dùng được nữa.")
            % {"entry": entry.name})
    if not entry.is_usable_on(day):
        raise InvalidInput("wallet_expired", _(
            "Giấy tờ “%(entry)s” trong kho đã hết hiệu lực từ ngày %(day)s.")
            % {"entry": entry.name, "day": f"{entry.valid_until:%d/%m/%Y}"})
    return entry


def take_from_wallet(doc: DossierDocument, entry: WalletDocument, actor=None) -> None:
    """Point a paper of a dossier at a wallet entry (checked by `check_pick`): the entry's
    stored file is shared, not copied; not saved here."""
    suffix = PurePosixPath(entry.file.name).suffix
    doc.wallet_document = entry
    doc.file.name = entry.file.name
    doc.original_filename = f"{entry.code}{suffix}"[:255]
    doc.content_type, doc.size, doc.sha256 = entry.content_type, entry.size, entry.sha256
    doc.source = DocumentSource.WALLET
    doc.digitisation = (DigitisationState.REUSED_RESULT if entry.kind == WalletKind.RESULT
                        else DigitisationState.REUSED_DOCUMENT)
    doc.digitised = True
    doc.doc_number, doc.issued_on = entry.number, entry.issued_on
    doc.issuer, doc.valid_until = entry.issuer, entry.valid_until
    doc.uploaded_by = actor


def forget_wallet(doc: DossierDocument) -> None:
    """A reused paper replaced by an upload: no longer the wallet's (not saved here)."""
    if doc.wallet_document_id is None:
        return
    doc.wallet_document = None
    doc.digitisation = DigitisationState.NOT_DIGITISED
    doc.doc_number, doc.issued_on, doc.issuer, doc.valid_until = "", None, "", None


def file_is_shared(doc: DossierDocument) -> bool:
    """Does the paper's stored file belong to the wallet (taken from it, or put in it)? Such
    a file is never deleted when the paper gets another one."""
    if doc.wallet_document_id is not None:
        return True
    return doc.pk is not None and WalletDocument.objects.filter(source_document_id=doc.pk
                                                                ).exists()


def stale_picks(documents, *, owner_id_number: str, day: dt.date) -> list[str]:
    """Why the reused papers of a dossier about to be submitted can no longer be used
    (revoked or expired since they were picked, or not the owner's any more)."""
    problems = []
    for doc in documents:
        entry = doc.wallet_document
        if entry is None:
            continue
        try:
            check_pick(entry, owner_id_number=owner_id_number, doc_type_code=entry.doc_type_code,
                       required_name=doc.name, day=day)
        except InvalidInput as exc:
            problems.append(exc.message)
    return problems


def record_uses(documents, *, dossier: Dossier, used_by=None, at: dt.datetime | None = None
                ) -> int:
    """Record the reuses of a dossier being submitted online or received at the desk: one
    row per reused paper, INSERT … ON CONFLICT DO NOTHING, so a retried submission counts a
    reuse once. Call inside the caller's transaction."""
    at = at or timezone.now()
    rows = [WalletUse(wallet_document_id=doc.wallet_document_id, dossier=dossier, document=doc,
                      used_by=used_by, agency_id=dossier.receiving_agency_id,
                      channel=dossier.channel, used_at=at)
            for doc in documents if doc.wallet_document_id is not None and doc.pk is not None]
    if rows:
        WalletUse.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reuse_for_paper(*, document_id: int, entry_id: int, officer) -> DossierDocument:
    """At the desk, for a dossier in hand: answer one of its papers with a wallet entry of
    its owner instead of a scan (the file shared, the reuse recorded once the dossier has
    been submitted or received). Refused with nothing changed when the entry does not fit."""
    with transaction.atomic():
        doc = (DossierDocument.objects.select_for_update()
               .select_related("dossier", "dossier__procedure").filter(pk=document_id).first())
        receivable = doc is not None and Dossier.objects.visible_to(
            officer, "portal.receive_dossier").filter(pk=doc.dossier_id).exists()
        if not receivable:
            raise NotFoundError("document_not_found", _("Không tìm thấy giấy tờ của hồ sơ."))
        dossier = doc.dossier
        entry = check_pick(entries_by_id([entry_id]).get(entry_id),
                           owner_id_number=dossier.owner_id_number,
                           doc_type_code=doc.doc_type_code, required_name=doc.name,
                           day=timezone.localdate())
        old_name = doc.file.name if doc.file else ""
        if old_name and old_name != entry.file.name and not file_is_shared(doc):
            from hoso.models import private_storage

            transaction.on_commit(lambda n=old_name: private_storage.delete(n))
        take_from_wallet(doc, entry, officer)
        doc.save()
        _log_access(officer, dossier, WalletAccessPurpose.SUGGEST, entry)
        if dossier.submitted_at is not None or dossier.received_at is not None:
            record_uses([doc], dossier=dossier, used_by=officer)
        return doc
