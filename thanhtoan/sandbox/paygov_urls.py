"""The sandbox national payment platform (PAYMENT_SANDBOX), mounted at /sandbox/paygov/ by
thanhtoan.urls; every view answers 404 when the sandbox is off."""

from django.urls import path

from thanhtoan.sandbox import paygov

urlpatterns = [
    path("api/init", paygov.api_init, name="sandbox_paygov_init"),
    path("thanh-toan/<str:token>/", paygov.pay_page, name="sandbox_paygov_pay"),
    path("api/query", paygov.api_query, name="sandbox_paygov_query"),
    path("settlement/<str:day>.csv", paygov.settlement, name="sandbox_paygov_settlement"),
]
