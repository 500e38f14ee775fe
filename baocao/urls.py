from django.urls import path

from baocao import views

app_name = "baocao"

urlpatterns = [
    path("bao-cao/tinh-hinh-2-ngay/", views.duty_reports, name="duty_reports"),
    path("bao-cao/qua-han/", views.overdue_board, name="overdue_board"),
]
