"""Officer payment pages and the receipt download, included at the root by thanhtoan/urls.py
(whose app_name "thanhtoan" namespaces these names: "thanhtoan:payment_list")."""

from django.urls import path

from thanhtoan import officer_views

urlpatterns = [
    path("mot-cua/thanh-toan/", officer_views.payment_list, name="payment_list"),
    path("mot-cua/thanh-toan/excel/", officer_views.payment_list_excel,
         name="payment_list_excel"),
    path("mot-cua/thanh-toan/doi-soat/", officer_views.reconciliation_page,
         name="reconciliation"),
    path("mot-cua/thanh-toan/doi-soat/<int:run_id>/", officer_views.reconciliation_run,
         name="reconciliation_run"),
    path("mot-cua/thanh-toan/doi-soat/<int:run_id>/excel/",
         officer_views.reconciliation_run_excel, name="reconciliation_run_excel"),
    path("thanh-toan/bien-lai/<int:receipt_id>.pdf", officer_views.receipt_pdf,
         name="receipt_pdf"),
]
