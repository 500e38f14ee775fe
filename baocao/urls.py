from django.urls import include, path

from baocao import (
    dashboard_views,
    kpi_views,
    procedure_count_views,
    report_views,
    score_views,
    transparency,
    views,
)

app_name = "baocao"

urlpatterns = [
    path("bao-cao/tinh-hinh-2-ngay/", views.duty_reports, name="duty_reports"),
    path("bao-cao/qua-han/", views.overdue_board, name="overdue_board"),
    path("bao-cao/ho-so/<int:dossier_id>/", views.dossier_trace, name="dossier_trace"),
    path("bao-cao/ket-qua-giai-quyet/", report_views.handling_report, name="handling_report"),
    path("bao-cao/ho-so/", report_views.report_dossiers, name="report_dossiers"),
    path("bao-cao/so-luong-tthc/", procedure_count_views.procedure_count_page,
         name="procedure_count"),
    path("bao-cao/so-luong-tthc/xuat/", procedure_count_views.export_procedure_count,
         name="export_procedure_count"),
    path("bao-cao/xuat/", report_views.export_report, name="export_report"),
    path("bao-cao/da-xuat/", report_views.report_exports, name="report_exports"),
    path("bao-cao/da-xuat/<int:pk>/", report_views.report_export, name="report_export"),
    path("bao-cao/da-xuat/<int:pk>/tai-ve/", report_views.report_export_file,
         name="report_export_file"),
    path("bao-cao/tong-quan/", dashboard_views.overview, name="overview"),
    path("bao-cao/tong-quan/<int:agency_id>/", dashboard_views.agency_overview,
         name="agency_overview"),
    path("bao-cao/tong-quan/<int:agency_id>/ho-so/", dashboard_views.procedure_dossiers,
         name="procedure_dossiers"),
    path("bao-cao/tac-vu/", dashboard_views.start_job, name="start_job"),
    path("bao-cao/tac-vu/<uuid:public_id>/", dashboard_views.job_status, name="job_status"),
    path("bao-cao/tac-vu/<uuid:public_id>/theo-doi/", dashboard_views.job_page, name="job_page"),
    path("bao-cao/tac-vu/<uuid:public_id>/tai-ve/", dashboard_views.job_download,
         name="job_download"),
    path("cong-khai/chi-so/", transparency.transparency, name="transparency"),
    path("bao-cao/chi-so/", kpi_views.kpi_list, name="kpi_list"),
    path("bao-cao/chi-so/ho-so/", kpi_views.kpi_drilldown, name="kpi_drilldown"),
    path("bao-cao/chi-so/lan-chup/", kpi_views.snapshot_runs, name="kpi_snapshots"),
    path("bao-cao/chi-so/lan-chup/<int:pk>/", kpi_views.snapshot_run, name="kpi_snapshot_run"),
    path("bao-cao/chi-so/chup-ngay/", kpi_views.take_snapshot_now, name="kpi_snapshot_take"),
    path("bao-cao/chi-so-766/", score_views.score_page, name="score766"),
    path("bao-cao/chi-so-766/ho-so/", score_views.score_dossiers, name="score766_dossiers"),
    path("", include("baocao.periodic.urls")),
]
