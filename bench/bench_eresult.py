"""Signed e-results: rendering + signing an e-result, and the public verification page.

Builds, in the bench database and inside a transaction rolled back at the end, the demo dossier
of bench_receipt_pdf moved to its last step, a leader of the deciding agency and (demo CA,
switched on for this run only) the agency's certificate; stored files go to a temporary
folder deleted afterwards. Warms up, then measures in turn BENCH_ERESULT_ROUNDS times each
(default 20):

- `eresult_render_sign`: what issuing adds to a request — the e-result's context, template,
  QR and WeasyPrint layout (`hoso.eresult_pdf.render_eresult`) and the PAdES signature with
  its visible Vietnamese stamp (`hoso.signing.sign_pdf`); target < 500 ms. Its baseline is
  WeasyPrint alone on the same HTML (same stylesheets) plus pyHanko alone signing a blank
  one-page PDF (same key, invisible field);
- `eresult_issue`: the whole `issue_eresult` (lock, render, sign, self-check validation, file,
  Result row, event, wallet) for the record;
- `eresult_verify_page`: GET /xac-thuc/<key>/ through Django's test client (the full
  middleware stack, template, stored file hashed on every request, the signature verdict from
  the cache); target < 100 ms. `_uncached` forgets the verdict first (pyHanko validates);
  the baseline is /bench/bare/, a bare Django view, through the same client.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import statistics
import tempfile
import time

NAME = "eresult"

DEFAULT_ROUNDS = 20
WARMUP = 2
DOSSIER_CODE = "000.00.02.H55-261123-9997"


def _setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def dossier_at_last_step():
    """The receipt bench's demo dossier, in progress at its last step, and its leader."""
    from django.utils import timezone

    from bench.bench_receipt_pdf import demo_dossier
    from hoso.choices import DossierStatus
    from hoso.models import Dossier, DossierStep
    from hoso.services.steps import workflow_of
    from portal import services
    from portal.choices import Role
    from portal.models import User

    dossier = demo_dossier(dossier_code=DOSSIER_CODE)
    leader, _new = User.objects.get_or_create(username="bench-eresult-leader",
                                              defaults={"full_name": "Hoàng Văn Quyết"})
    services.grant_role(user=leader, agency=dossier.deciding_agency, role=Role.LEADER)
    last = workflow_of(dossier)[-1]
    step = DossierStep.objects.create(
        dossier=dossier, position=last["position"], name=last["name"],
        role=last.get("role", ""), agency=dossier.deciding_agency, assignee=leader,
        started_at=timezone.now() - dt.timedelta(hours=1))
    Dossier.objects.filter(pk=dossier.pk).update(
        status=DossierStatus.IN_PROGRESS, current_step=step,
        handling_agency=dossier.deciding_agency, assignee=leader)
    return Dossier.objects.select_related("procedure", "receiving_agency",
                                          "deciding_agency").get(pk=dossier.pk), leader


def _blank_page() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bare_signer(agency):
    """pyHanko alone: sign a blank page with the agency's key, invisible field, no stamp."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner

    from hoso.signing import credentials_for

    signer = credentials_for(agency).signer
    page = _blank_page()

    def sign() -> bytes:
        meta = PdfSignatureMetadata(field_name="Bare", md_algorithm="sha256",
                                    subfilter=fields.SigSeedSubFilter.PADES)
        writer = IncrementalPdfFileWriter(io.BytesIO(page))
        return PdfSigner(meta, signer).sign_pdf(writer).getvalue()

    return sign


def measure_signing(dossier, leader, rounds: int) -> dict[str, list[float]]:
    from weasyprint import HTML

    from hoso import eresult_pdf, signing
    from hoso.pdf import _fetcher, _place
    from hoso.services import eresults

    result = eresults._new_result(dossier, leader, "Giấy khai sinh", "15/2026/GKS",
                                  dt.date(2026, 11, 23))
    agency = result.issuing_agency
    html = eresult_pdf.eresult_html(result, leader)
    font_config, stylesheets = eresult_pdf.eresult_styles()
    bare_sign = bare_signer(agency)

    def render_sign() -> bytes:
        pdf, box = eresult_pdf.render_eresult(result, leader)
        return signing.sign_pdf(pdf, agency, leader, reason="Ban hành kết quả",
                                location=_place(), box=box)[0]

    def bare_render() -> bytes:
        return HTML(string=html, url_fetcher=_fetcher()).write_pdf(
            font_config=font_config, stylesheets=stylesheets)

    def issue() -> None:
        eresults.issue_eresult(dossier_id=dossier.pk, leader=leader, name="Giấy khai sinh",
                               number="15/2026/GKS", issued_on=dt.date(2026, 11, 23))

    for _round in range(WARMUP):
        render_sign()
        bare_render()
        bare_sign()
        issue()
    samples: dict[str, list[float]] = {"render_sign": [], "render": [], "sign": [],
                                       "issue": []}
    for _round in range(rounds):  # in turn, so load drift affects all alike
        samples["render_sign"].append(_ms(render_sign))
        samples["render"].append(_ms(bare_render))
        samples["sign"].append(_ms(bare_sign))
        samples["issue"].append(_ms(issue))
    return samples


def measure_page(result, rounds: int) -> dict[str, list[float]]:
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse

    from hoso.services import eresults

    client = Client(HTTP_HOST="127.0.0.1")
    page = reverse("hoso:verify_result", args=[result.verify_token])
    bare = reverse("portal:bench_bare")

    def get(url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")

    def uncached() -> None:
        cache.delete(eresults.verdict_key(result.pk, result.sha256))
        get(page)

    for _round in range(WARMUP):
        get(page)
        get(bare)
    samples: dict[str, list[float]] = {"page": [], "uncached": [], "bare": []}
    for _round in range(rounds):
        samples["page"].append(_ms(lambda: get(page)))
        samples["uncached"].append(_ms(uncached))
        samples["bare"].append(_ms(lambda: get(bare)))
    if "Văn bản hợp lệ" not in client.get(page).content.decode():
        raise RuntimeError("the verification page does not say the fresh e-result is valid")
    return samples


def run(env: dict[str, str]) -> list[str]:
    _setup(env)
    from django.db import transaction
    from django.test.utils import override_settings
    from django.utils.functional import empty

    from hoso.models import Result, private_storage

    rounds = int(env.get("BENCH_ERESULT_ROUNDS", DEFAULT_ROUNDS))
    folder = tempfile.mkdtemp(prefix="bench-eresult-")
    try:
        with override_settings(ESIGN_DEMO_CA=True, PRIVATE_MEDIA_ROOT=folder,
                               VERIFY_RATE="1000000/m"), transaction.atomic():
            private_storage._wrapped = empty
            dossier, leader = dossier_at_last_step()
            signing_samples = measure_signing(dossier, leader, rounds)
            result = Result.objects.filter(dossier=dossier).order_by("pk").last()
            page_samples = measure_page(result, rounds)
            transaction.set_rollback(True)  # keep the bench database tidy
    finally:
        private_storage._wrapped = empty
        shutil.rmtree(folder, ignore_errors=True)
    med = {key: statistics.median(values) for key, values in
           {**signing_samples, **{f"page_{k}": v for k, v in page_samples.items()}}.items()}
    baseline = med["render"] + med["sign"]
    return [
        f"BENCH eresult_render_sign_p50 {med['render_sign']:.1f} ms",
        f"BENCH eresult_bare_weasyprint_p50 {med['render']:.1f} ms",
        f"BENCH eresult_bare_pyhanko_p50 {med['sign']:.1f} ms",
        f"BENCH eresult_render_sign ratio={med['render_sign'] / baseline:.2f} "
        "vs=bare_weasyprint_plus_bare_pyhanko",
        f"BENCH eresult_render_sign target ratio={med['render_sign'] / 500:.2f} vs=500ms",
        f"BENCH eresult_issue_p50 {med['issue']:.1f} ms",
        f"BENCH eresult_verify_page_p50 {med['page_page']:.1f} ms",
        f"BENCH eresult_verify_page_uncached_p50 {med['page_uncached']:.1f} ms",
        f"BENCH eresult_bare_view_p50 {med['page_bare']:.1f} ms",
        f"BENCH eresult_verify_page ratio={med['page_page'] / med['page_bare']:.2f} "
        "vs=bare_django_view",
        f"BENCH eresult_verify_page target ratio={med['page_page'] / 100:.2f} vs=100ms",
    ]
