"""URLs of the whole project. Public page paths are Vietnamese ASCII slugs (STYLE.md §4.9)."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from baocao.periodic import api as periodic_api
from hoso import api as hoso_api
from hoso import eresult_api
from portal import api, views
from thanhtoan import api as payment_api
from tthc import api as tthc_api

portal_patterns = [
    path("", views.home, name="home"),
    path("tim-kiem/", views.search, name="search"),
    path("co-quan/", views.agency_directory, name="agency_list"),
    path("co-quan/<str:code>/", views.agency_detail, name="agency_detail"),
    path("dang-ky/", views.signup, name="signup"),
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("doi-mat-khau/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "doi-mat-khau/xong/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("trang-cua-toi/", views.landing, name="landing"),
    path("tai-khoan/", views.account, name="account"),
    path("mot-cua/", views.reception_desk, name="reception_desk"),
    path("xu-ly/", views.processing_desk, name="processing_desk"),
    path("bao-cao/", views.reports_home, name="reports_home"),
    path("healthz", views.healthz, name="healthz"),
]
if settings.BENCH_ENDPOINTS:
    portal_patterns.append(path("bench/bare/", views.bare, name="bench_bare"))
    from bench.baseline_api import DrfCreate

    portal_patterns.append(path("bench/drf-create/", DrfCreate.as_view(),
                                name="bench_drf_create"))

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("", include("hoso.urls")),
    path("", include("hoso.register_urls")),
    path("", include("baocao.urls")),
    path("", include("thanhtoan.urls")),
    path("thu-tuc/", include("tthc.urls")),
    path("api/v1/", include((api.urlpatterns + tthc_api.urlpatterns + hoso_api.urlpatterns
                             + eresult_api.urlpatterns + payment_api.urlpatterns
                             + periodic_api.urlpatterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("quan-tri/", admin.site.urls),
]

handler404 = "portal.views.page_not_found"
