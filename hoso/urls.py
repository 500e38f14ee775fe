from django.urls import path

from hoso import digitisation_urls, eresult_urls, slip_views, views, wallet_urls

app_name = "hoso"

urlpatterns = [
    path("thu-tuc/<str:national_code>/nop-ho-so/", views.apply, name="apply"),
    path("ho-so-cua-toi/", views.my_dossiers, name="my_dossiers"),
    path("ho-so-cua-toi/<int:dossier_id>/", views.my_dossier, name="my_dossier"),
    path("ho-so-cua-toi/<int:dossier_id>/nop/", views.review, name="review"),
    path("ho-so-cua-toi/<int:dossier_id>/thao-tac/<str:action>/", views.citizen_action,
         name="citizen_action"),
    path("ho-so/ket-qua/<int:result_id>/", views.result_file, name="result_file"),
    path("ho-so/<int:dossier_id>/giay-tiep-nhan.pdf", views.receipt, name="receipt"),
    path("ho-so/giay-to/<int:document_id>/", views.document_file, name="document_file"),
    path("ho-so/<int:dossier_id>/<slug:kind>.pdf", views.intake_notice, name="intake_notice"),
    path("tra-cuu-ho-so/", views.track, name="track"),
    path("tra-cuu-ho-so/<str:code>/", views.track, name="track_code"),
    path("mot-cua/tiep-nhan/", views.desk_intake_start, name="desk_intake_start"),
    path("mot-cua/tiep-nhan/<str:national_code>/", views.desk_intake, name="desk_intake"),
    path("mot-cua/ho-so/<int:dossier_id>/", views.officer_dossier, name="officer_dossier"),
    path("mot-cua/ho-so/<int:dossier_id>/yeu-cau-bo-sung-<int:number>.pdf",
         slip_views.supplement_slip, name="supplement_slip"),
    path("mot-cua/ho-so/<int:dossier_id>/tu-choi-giai-quyet.pdf", slip_views.refusal_slip,
         name="refusal_slip"),
    path("mot-cua/ho-so/<int:dossier_id>/thong-bao-dung.pdf", slip_views.stop_notice,
         name="stop_notice"),
    path("mot-cua/ho-so/<int:dossier_id>/xin-loi-<int:apology_id>.pdf",
         slip_views.apology_slip, name="apology_slip"),
    path("mot-cua/ho-so/<int:dossier_id>/phieu-kiem-soat.pdf", slip_views.control_sheet,
         name="control_sheet"),
    path("mot-cua/ho-so/<int:dossier_id>/ket-qua/", views.add_result, name="add_result"),
    path("mot-cua/ho-so/<int:dossier_id>/<str:action>/", views.officer_action,
         name="officer_action"),
    path("mot-cua/hop-thu/", views.inbox, name="inbox"),
    path("mot-cua/hop-thu-hang-loat/", views.inbox_bulk, name="inbox_bulk"),
    path("mot-cua/hop-thu/<str:queue>/", views.inbox, name="inbox_queue"),
]
# Digitisation at the desk, the citizen's wallet, signed e-results and their verification go
# first: their addresses under mot-cua/ho-so/<id>/ would otherwise be taken for an action.
urlpatterns = (digitisation_urls.urlpatterns + wallet_urls.urlpatterns
               + eresult_urls.urlpatterns + urlpatterns)
