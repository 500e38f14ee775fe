"""Pages of periodic reporting (issue 10); included by baocao/urls.py (namespace "baocao")."""

from django.urls import path

from baocao.periodic import admin_views, follow_views, views

urlpatterns = [
    path("bao-cao-dinh-ky/", views.inbox, name="periodic_inbox"),
    path("bao-cao-dinh-ky/<int:pk>/", views.report_page, name="periodic_report"),
    path("bao-cao-dinh-ky/<int:pk>/phien-ban/<int:number>/tep-luu/", views.version_file,
         name="periodic_version_file"),
    path("bao-cao-dinh-ky/<int:pk>/phien-ban/<int:number>/xuat/<str:fmt>/",
         views.version_export, name="periodic_version_export"),
    path("bao-cao-dinh-ky/bieu-mau/", admin_views.form_list, name="periodic_forms"),
    path("bao-cao-dinh-ky/bieu-mau/moi/", admin_views.form_edit, name="periodic_form_new"),
    path("bao-cao-dinh-ky/bieu-mau/<int:pk>/", admin_views.form_edit,
         name="periodic_form_edit"),
    path("bao-cao-dinh-ky/giao/", admin_views.assignments, name="periodic_assignments"),
    path("bao-cao-dinh-ky/ky/", follow_views.periods, name="periodic_periods"),
    path("bao-cao-dinh-ky/ky/<int:period_id>/", follow_views.completion,
         name="periodic_completion"),
    path("bao-cao-dinh-ky/ky/<int:period_id>/nhac/", follow_views.remind,
         name="periodic_remind"),
    path("bao-cao-dinh-ky/ky/<int:period_id>/tong-hop/<int:agency_id>/",
         follow_views.aggregate, name="periodic_aggregate"),
    path("bao-cao-dinh-ky/xu-huong/", follow_views.trend, name="periodic_trend"),
]
