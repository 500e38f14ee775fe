"""The citizen's wallet (kho dữ liệu điện tử, NĐ 45/2020; DOMAIN-2025.md §7.4): what lands in
it, what it offers for reuse, and every reuse and officer access recorded.

A paper lands when it is digitised at the desk (or an upload is confirmed as digitised), an
e-result when it is signed. Entries are keyed by the owner's CCCD or tax code; owners known only
by a passport or another paper have no wallet. The entry points at the source's stored file.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from hoso.choices import IdType, WalletKind
from hoso.models import DossierDocument, Result, WalletDocument

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

