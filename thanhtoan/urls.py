"""Payment pages: the gateways' notifications and return, the citizen's payment step, the
officers' payment pages, and the built-in sandbox gateways when PAYMENT_SANDBOX is on."""

from django.conf import settings
from django.urls import include, path

from thanhtoan import views

app_name = "thanhtoan"

urlpatterns = [
    path("thanh-toan/<str:provider>/ipn/", views.ipn, name="ipn"),
    path("thanh-toan/<str:provider>/ket-qua/", views.payment_return, name="return"),
    path("ho-so-cua-toi/<int:dossier_id>/thanh-toan/", views.pay, name="pay"),
    path("mot-cua/thu-phi/<int:dossier_id>/", views.desk_payment, name="desk_payment"),
    path("", include("thanhtoan.officer_urls")),
]

if settings.PAYMENT_SANDBOX:
    urlpatterns += [
        path("sandbox/vnpay/", include("thanhtoan.sandbox.vnpay_urls")),
        path("sandbox/paygov/", include("thanhtoan.sandbox.paygov_urls")),
    ]
