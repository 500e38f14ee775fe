"""The citizen's wallet pages ("Kho dữ liệu của tôi": entries, reuse history, access log,
downloads) and the officer's view of a wallet for a dossier in hand (suggestions and
downloads, each logged for the owner)."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hoso import selectors
from hoso.models import WalletDocument, private_storage
from hoso.services import wallet
from hoso.views import OFFICER_ROLES
from portal.errors import DomainError
from portal.views import role_required

PAGE_ROWS = 200  # the page lists at most this many entries, uses and accesses (newest first)


def _file_response(entry: WalletDocument) -> FileResponse:
    suffix = PurePosixPath(entry.file.name).suffix
    response = FileResponse(private_storage.open(entry.file.name, "rb"),
                            content_type=entry.content_type or "application/octet-stream",
                            as_attachment=True, filename=f"{entry.code}{suffix}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@login_required
def my_wallet(request: HttpRequest) -> HttpResponse:
    """"Kho dữ liệu của tôi": the account's own entries, who reused them and who looked."""
    return render(request, "hoso/wallet.html", {
        "entries": list(wallet.wallet_of(request.user)[:PAGE_ROWS]),
        "uses": list(wallet.uses_of(request.user)[:PAGE_ROWS]),
        "accesses": list(wallet.accesses_of(request.user)[:PAGE_ROWS]),
        "owner_ids": wallet.owner_ids_of(request.user),
        "today": timezone.localdate(),
    })


@login_required
def wallet_file(request: HttpRequest, entry_id: int) -> FileResponse:
    """The owner downloads a paper of their own wallet (anyone else: 404)."""
    try:
        entry = wallet.owner_open(request.user, entry_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return _file_response(entry)


@role_required(*OFFICER_ROLES)
def officer_wallet(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """For a dossier in the officer's hand: its owner's wallet papers of the types the
    procedure asks for (the look is logged for the owner)."""
    dossier = selectors.get_dossier_for_officer(request.user, dossier_id)
    try:
        offers = wallet.officer_suggestions(request.user, dossier)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    documents = (dossier.terms or {}).get("documents") or (
        dossier.procedure.terms_snapshot()["documents"])
    rows = [(d, offers.get(d.get("doc_type_code"), [])) for d in documents]
    return render(request, "hoso/wallet_officer.html", {
        "dossier": dossier, "rows": rows, "today": timezone.localdate()})


@role_required(*OFFICER_ROLES)
def officer_wallet_file(request: HttpRequest, dossier_id: int, entry_id: int) -> FileResponse:
    """An officer downloads a wallet paper of the owner of the dossier in hand (logged)."""
    dossier = selectors.get_dossier_for_officer(request.user, dossier_id)
    try:
        entry = wallet.officer_open(request.user, dossier, entry_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return _file_response(entry)
