from django.urls import path

from tthc import views

app_name = "tthc"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("thong-ke/", views.statistics, name="statistics"),
    path("<str:national_code>/", views.procedure_detail, name="procedure"),
    path("<str:national_code>/to-khai.pdf", views.blank_form, name="blank_form"),
]
