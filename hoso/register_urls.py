from django.urls import path

from hoso import register_views

app_name = "register"

urlpatterns = [
    path("mot-cua/so-theo-doi/", register_views.register_page, name="page"),
    path("mot-cua/so-theo-doi/excel/", register_views.register_excel, name="excel"),
]
