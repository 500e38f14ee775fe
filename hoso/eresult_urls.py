"""URLs of the eresult pages, mounted in the hoso namespace by hoso/urls.py."""

from django.urls import path  # noqa: F401  (used as the pages are added)

urlpatterns: list = []
