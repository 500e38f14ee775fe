"""The built-in VNPay sandbox gateway (mounted at /sandbox/vnpay/ when PAYMENT_SANDBOX is on)."""

from django.urls import path

from thanhtoan.sandbox import vnpay

app_name = "sandbox_vnpay"

urlpatterns = [
    path("paymentv2/vpcpay.html", vnpay.pay, name="pay"),
    path("merchant_webapi/api/transaction", vnpay.api_transaction, name="api"),
    path("settlement/<str:day>.csv", vnpay.settlement, name="settlement"),
]
