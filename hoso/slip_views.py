"""Downloads of the processing slips (hoso/slips.py) for officers who may see the dossier:
one 404 for a missing dossier, one the officer may not see, and a slip that does not exist."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hoso import slips
from hoso.models import Apology, Dossier, SupplementRequest
from hoso.selectors import get_dossier_for_officer

NO_SLIP = "Hồ sơ không có phiếu này."


def _pdf(data: bytes, dossier: Dossier, kind: str) -> HttpResponse:
    """The PDF, shown inline, named "<code>-<kind>.pdf" (ASCII: codes and kinds are)."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        False, f"{dossier.code}-{kind}.pdf")
    return response


def _received(request: HttpRequest, dossier_id: int) -> Dossier:
    dossier = get_dossier_for_officer(request.user, dossier_id)
    if not dossier.code or dossier.received_at is None:
        raise Http404(_(NO_SLIP))
    return dossier


@require_GET
@login_required
def supplement_slip(request: HttpRequest, dossier_id: int, number: int) -> HttpResponse:
    dossier = _received(request, dossier_id)
    supplement = (SupplementRequest.objects.filter(dossier=dossier, number=number)
                  .select_related("requested_by", "approved_by").first())
    if supplement is None:
        raise Http404(_(NO_SLIP))
    supplement.dossier = dossier
    return _pdf(slips.supplement_request_pdf(supplement), dossier,
                f"yeu-cau-bo-sung-lan-{number}")


@require_GET
@login_required
def refusal_slip(request: HttpRequest, dossier_id: int) -> HttpResponse:
    dossier = _received(request, dossier_id)
    if not dossier.refusal_reason.strip():
        raise Http404(_(NO_SLIP))
    return _pdf(slips.refusal_pdf(dossier), dossier, "tu-choi-giai-quyet")


@require_GET
@login_required
def stop_notice(request: HttpRequest, dossier_id: int) -> HttpResponse:
    dossier = _received(request, dossier_id)
    if not dossier.stop_reason.strip():
        raise Http404(_(NO_SLIP))
    return _pdf(slips.stop_notice_pdf(dossier), dossier, "thong-bao-dung-giai-quyet")


@require_GET
@login_required
def apology_slip(request: HttpRequest, dossier_id: int, apology_id: int) -> HttpResponse:
    dossier = _received(request, dossier_id)
    apology = (Apology.objects.filter(dossier=dossier, pk=apology_id, status="sent")
               .select_related("issued_by").first())
    if apology is None:
        raise Http404(_(NO_SLIP))
    apology.dossier = dossier
    return _pdf(slips.apology_pdf(apology), dossier, f"xin-loi-hen-lai-{apology.pk}")


@require_GET
@login_required
def control_sheet(request: HttpRequest, dossier_id: int) -> HttpResponse:
    dossier = _received(request, dossier_id)
    return _pdf(slips.control_sheet_pdf(dossier), dossier, "phieu-kiem-soat")
