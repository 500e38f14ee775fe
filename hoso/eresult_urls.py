"""URLs of the e-result pages, mounted in the hoso namespace by hoso/urls.py. The officer's
paths stay clear of `mot-cua/ho-so/<id>/<action>/` (hoso.views.officer_action)."""

from django.urls import path

from hoso import eresult_views

urlpatterns: list = [
    path("mot-cua/ket-qua-dien-tu/<int:dossier_id>/ky-so/", eresult_views.issue,
         name="eresult_issue"),
    path("mot-cua/ket-qua/<int:result_id>/thu-hoi/", eresult_views.revoke,
         name="eresult_revoke"),
    path("xac-thuc/", eresult_views.verify_form, name="verify_form"),
    path("xac-thuc/<str:token>/", eresult_views.verify_result, name="verify_result"),
]
