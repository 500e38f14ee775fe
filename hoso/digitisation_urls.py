"""URLs of the digitisation pages, mounted in the hoso namespace by hoso/urls.py.

Under /mot-cua/so-hoa/: a dossier's page cannot be /mot-cua/ho-so/<id>/so-hoa/, which the
officer action route (/mot-cua/ho-so/<id>/<action>/, listed first) would take."""

from django.urls import path

from hoso import digitisation_views

urlpatterns: list = [
    path("mot-cua/so-hoa/", digitisation_views.paper_only, name="paper_only"),
    path("mot-cua/so-hoa/ho-so/<int:dossier_id>/", digitisation_views.dossier_digitisation,
         name="dossier_digitisation"),
]
