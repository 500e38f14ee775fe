"""URLs of the wallet pages, mounted in the hoso namespace by hoso/urls.py."""

from django.urls import path

from hoso import wallet_views

urlpatterns: list = [
    path("kho-du-lieu/", wallet_views.my_wallet, name="my_wallet"),
    path("kho-du-lieu/<int:entry_id>/tai-ve/", wallet_views.wallet_file, name="wallet_file"),
    path("mot-cua/kho-du-lieu/ho-so/<int:dossier_id>/", wallet_views.officer_wallet,
         name="officer_wallet"),
    path("mot-cua/kho-du-lieu/ho-so/<int:dossier_id>/<int:entry_id>/",
         wallet_views.officer_wallet_file, name="officer_wallet_file"),
]
