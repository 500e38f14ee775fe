"""Payment pages: the gateways' server-to-server notifications (IPN), the browser's return,
the citizen's "Thanh toán" step and the desk's collection page. Views call services; only
thanhtoan.services.record_evidence changes a payment's state."""

from __future__ import annotations

import hashlib
import json
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hoso import selectors as dossier_selectors
from portal.choices import Role
from portal.errors import DomainError
from portal.views import role_required
from thanhtoan import services
from thanhtoan.choices import AttemptStatus, CallbackKind
from thanhtoan.models import PaymentAttempt, PaymentCallback
from thanhtoan.providers import get_provider, online_providers
from thanhtoan.providers.base import Effect

logger = logging.getLogger(__name__)
security = logging.getLogger("security")

OFFICER_ROLES = (Role.DESK_OFFICER, Role.PROCESSING_OFFICER, Role.LEADER, Role.ADMINISTRATOR)


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "127.0.0.1"


def _raw_params(request: HttpRequest) -> dict:
    raw = request.GET.dict()
    if request.method == "POST":
        if request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                body = {"_body": request.body.decode("utf-8", "replace")[:10_000]}
            raw.update(body if isinstance(body, dict) else {"_body": body})
        else:
            raw.update(request.POST.dict())
    return raw


def _keep(provider: str, kind: str, request: HttpRequest, raw: dict) -> PaymentCallback:
    """Every message is stored first, in its own transaction, before it is believed."""
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    reference = str(raw.get("vnp_TxnRef") or raw.get("MaThamChieu") or "")[:100]
    return PaymentCallback.objects.create(
        provider=provider, kind=kind, raw=raw, source_ip=client_ip(request), txn_ref=reference,
        dedupe_key=hashlib.sha256(text.encode()).hexdigest())


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ipn(request: HttpRequest, provider: str) -> HttpResponse:
    """A gateway's server-to-server notification (PAYMENTS.md A2 handler order): keep it,
    verify the signature, the merchant and the currency, then record it exactly once
    (record_evidence: reference, amount, sticky paid) and answer in the gateway's codes.
    Never a 500 page: an unexpected error answers the gateway's "unknown error" code."""
    try:
        gateway = get_provider(provider)
    except DomainError as exc:
        raise Http404 from exc
    if not gateway.online:
        raise Http404
    callback = _keep(provider, CallbackKind.IPN, request, _raw_params(request))
    signature_ok = None
    try:
        result = gateway.parse_notification(request)
        signature_ok = result.signature_ok
        if not result.signature_ok:
            security.warning("Payment notification with a bad signature from %s (%s)",
                             client_ip(request), provider)
            effect = Effect.BAD_SIGNATURE
        elif result.merchant and result.merchant != gateway.merchant_code():
            effect = Effect.BAD_MERCHANT
        elif (result.currency or "VND") != "VND":
            effect = Effect.BAD_CURRENCY
        else:
            effect = services.record_evidence(result, source="ipn").effect
    except ValueError:
        effect = Effect.BAD_FORMAT
    except Exception:  # noqa: BLE001 — the gateway gets its "unknown error" code, we the log
        logger.exception("Payment notification failed (%s)", provider)
        effect = Effect.ERROR
    response = gateway.answer(effect)
    PaymentCallback.objects.filter(pk=callback.pk).update(
        signature_ok=signature_ok,
        answer={"effect": effect, "body": response.content.decode("utf-8", "replace")})
    return response


def _settle_on_return(attempt: PaymentAttempt) -> None:
    """The browser came back before the notification: ask the gateway once (GOV.UK style).
    Only a signed query answer counts; the return parameters never do."""
    gateway = get_provider(attempt.provider)
    if attempt.status not in AttemptStatus.unsettled() or not gateway.supports_query:
        return
    try:
        result = gateway.query(attempt)
    except Exception:  # noqa: BLE001 — the notification or the polling job will settle it
        logger.warning("Status query on return failed for %s", attempt.txn_ref, exc_info=True)
        return
    if result.signature_ok and result.txn_ref == attempt.txn_ref:
        services.record_evidence(result, source="query")


@require_http_methods(["GET", "POST"])
def payment_return(request: HttpRequest, provider: str) -> HttpResponse:
    """Where the gateway sends the browser back: shows the attempt's state as the portal
    knows it (after one status query when still pending), never the query string's claim."""
    try:
        gateway = get_provider(provider)
    except DomainError as exc:
        raise Http404 from exc
    raw = _raw_params(request)
    callback = _keep(provider, CallbackKind.RETURN, request, raw)
    try:
        shown = gateway.verify_return(raw)
    except ValueError:
        shown = None
    PaymentCallback.objects.filter(pk=callback.pk).update(
        signature_ok=None if shown is None else shown.signature_ok)
    attempt = (PaymentAttempt.objects.select_related("order__dossier")
               .filter(txn_ref=shown.txn_ref if shown else "").first())
    if attempt is None:
        return render(request, "thanhtoan/return.html", {"attempt": None}, status=404)
    _settle_on_return(attempt)
    attempt.refresh_from_db()
    dossier = attempt.order.dossier
    if request.user.is_authenticated and dossier.account_id == request.user.pk:
        if attempt.status == AttemptStatus.PAID:
            messages.success(request, "Đã thanh toán phí, lệ phí. Cảm ơn Ông/Bà.")
        elif attempt.status in AttemptStatus.unsettled():
            messages.info(request, "Giao dịch đang chờ cổng thanh toán xác nhận; trạng thái sẽ "
                                   "được cập nhật tự động.")
        else:
            messages.error(request, "Thanh toán không thành công. Ông/Bà có thể thanh toán lại.")
        return redirect("thanhtoan:pay", dossier_id=dossier.pk)
    return render(request, "thanhtoan/return.html", {"attempt": attempt})


def _payment_context(dossier) -> dict:
    order = services.ensure_order(dossier)
    return {
        "dossier": dossier, "order": order,
        "attempts": list(order.attempts.all()) if order else [],
        "receipts": list(order.receipts.all()) if order else [],
    }


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """The citizen's "Thanh toán" step: what is owed, the online channels, the receipts."""
    dossier = dossier_selectors.get_dossier_for_citizen(request.user, dossier_id)
    context = _payment_context(dossier)
    order = context["order"]
    if request.method == "POST":
        if order is None:
            messages.error(request, "Hồ sơ này không có khoản phí, lệ phí phải nộp trực tuyến.")
            return redirect("thanhtoan:pay", dossier_id=dossier.pk)
        try:
            url = services.begin_online_payment(
                order_id=order.pk, provider=request.POST.get("provider", ""),
                client_ip=client_ip(request),
                return_url=request.build_absolute_uri(reverse(
                    "thanhtoan:return", args=[request.POST.get("provider", "")])))
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("thanhtoan:pay", dossier_id=dossier.pk)
        return redirect(url)
    context["providers"] = online_providers()
    return render(request, "thanhtoan/pay.html", context)


@role_required(*OFFICER_ROLES)
@require_http_methods(["GET", "POST"])
def desk_payment(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """The desk collects the fee in cash or confirms a bank transfer, and prints the receipt."""
    dossier = dossier_selectors.get_dossier_for_officer(request.user, dossier_id)
    context = _payment_context(dossier)
    order = context["order"]
    if request.method == "POST" and order is not None:
        method = request.POST.get("method", "cash")
        try:
            if method == "transfer":
                services.confirm_transfer(order_id=order.pk, officer=request.user,
                                          bank_reference=request.POST.get("bank_reference", ""),
                                          note=request.POST.get("note", ""))
            else:
                services.record_cash(order_id=order.pk, officer=request.user,
                                     note=request.POST.get("note", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Đã ghi nhận khoản thu và lập biên lai.")
        return redirect("thanhtoan:desk_payment", dossier_id=dossier.pk)
    return render(request, "thanhtoan/desk_payment.html", context)
