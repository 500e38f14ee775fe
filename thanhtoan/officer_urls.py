"""Replaced by the officer payment pages (issue 7)."""

urlpatterns: list = []
