"""WeasyPrint documents of the catalogue: the blank application form (tờ khai) to print."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from tthc.eforms import EForm

STATIC_SCHEME = "static:"


class StaticOnlyFetcher(URLFetcher):
    """Lets WeasyPrint read the project's static files (fonts) and inline PNG data URIs the
    portal generated (QR codes), nothing else: no network, no local paths (SECURITY.md B1 #19)."""

    def fetch(self, url, headers=None):
        if url.startswith("data:image/png;base64,"):
            return super().fetch(url, headers)
        if not url.startswith(STATIC_SCHEME):
            raise ValueError(f"blocked URL in PDF: {url}")
        path = finders.find(url[len(STATIC_SCHEME):])
        if not path:
            raise ValueError(f"unknown static file: {url}")
        return super().fetch(Path(path).as_uri(), headers)


def render_blank_form(procedure) -> bytes:
    html = render_to_string("pdf/blank_form.html", {
        "procedure": procedure,
        "form": EForm(procedure.eform_schema),
        "province": settings.PORTAL_PROVINCE_NAME,
    })
    return HTML(string=html, url_fetcher=StaticOnlyFetcher(fail_on_errors=True)).write_pdf()
