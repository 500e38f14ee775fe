"""Replaced by the sandbox gateway module (issue 7)."""

urlpatterns: list = []
