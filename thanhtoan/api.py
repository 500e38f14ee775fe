"""Payment API under /api/v1/: a dossier's payment order and its status, starting an online
payment, and the gateways' notification endpoints (the same handler as /thanh-toan/<p>/ipn/).
The amount always comes from the order the portal made from the dossier's fee terms; a posted
amount is ignored. Access follows the dossier: its owner or an officer of its agencies."""

from __future__ import annotations

from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hoso import selectors
from hoso.models import Dossier
from thanhtoan import services, views
from thanhtoan.choices import Provider


class AttemptSerializer(serializers.Serializer):
    txn_ref = serializers.CharField()
    provider = serializers.CharField()
    amount = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)


class ReceiptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    series = serializers.CharField()
    number = serializers.IntegerField()
    amount = serializers.IntegerField()
    issued_at = serializers.DateTimeField()


class OrderSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    amount = serializers.IntegerField(help_text="Tổng số tiền (đồng)")
    fee_amount = serializers.IntegerField()
    charge_amount = serializers.IntegerField()
    timing = serializers.CharField()
    method = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    items = serializers.JSONField()
    attempts = AttemptSerializer(many=True, source="attempts.all")
    receipts = ReceiptSerializer(many=True, source="receipts.all")


class PayInput(serializers.Serializer):
    provider = serializers.ChoiceField(choices=[Provider.VNPAY, Provider.PAYGOV])
    return_url = serializers.URLField(required=False, help_text=(
        "Địa chỉ trình duyệt quay về; mặc định trang kết quả thanh toán của Cổng."))


def _dossier(request, code: str) -> Dossier:
    dossier = Dossier.objects.filter(code=code).first() or (
        Dossier.objects.filter(pk=int(code[2:])).first()
        if code.startswith("HS") and code[2:].isdigit() else None)
    if dossier is None or not selectors.can_view(request.user, dossier):
        raise Http404(selectors.NOT_FOUND)
    return dossier


class DossierPayment(APIView):
    """GET: the dossier's payment order (made from its fee terms when fees are due) with its
    attempts and receipts; 404 when nothing is owed. POST: start an online payment; the answer
    carries the gateway URL to send the browser to."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=OrderSerializer)
    def get(self, request, code: str):
        order = services.ensure_order(_dossier(request, code))
        if order is None:
            raise Http404("Hồ sơ không có khoản phí, lệ phí phải nộp.")
        return Response(OrderSerializer(order).data)

    @extend_schema(request=PayInput, responses=inline_serializer("PaymentStart", {
        "redirect_url": serializers.URLField(), "order": OrderSerializer()}))
    def post(self, request, code: str):
        dossier = _dossier(request, code)
        if dossier.account_id != request.user.pk:
            raise Http404(selectors.NOT_FOUND)  # online payment is the applicant's own act
        data = PayInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.ensure_order(dossier)
        if order is None:
            raise Http404("Hồ sơ không có khoản phí, lệ phí phải nộp.")
        provider = data.validated_data["provider"]
        url = services.begin_online_payment(
            order_id=order.pk, provider=provider, client_ip=views.client_ip(request),
            return_url=data.validated_data.get("return_url") or request.build_absolute_uri(
                f"/thanh-toan/{provider}/ket-qua/"))
        order.refresh_from_db()
        return Response({"redirect_url": url, "order": OrderSerializer(order).data}, status=201)


class GatewayNotification(APIView):
    """The gateways' server-to-server notifications (VNPay IPN: GET with vnp_* parameters;
    the national platform: POST JSON). Answers in the gateway's own format and codes."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def get(self, request, provider: str):
        return views.ipn(request._request, provider)

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request, provider: str):
        return views.ipn(request._request, provider)


def _urls():
    from django.urls import path

    return [
        path("dossiers/<str:code>/payment/", DossierPayment.as_view(), name="dossier-payment"),
        path("payments/<str:provider>/notify/", csrf_exempt(GatewayNotification.as_view()),
             name="payment-notify"),
    ]


urlpatterns = _urls()
