"""Mẫu 01 receipt PDF rendering time, compared with a bare one-page A4 WeasyPrint document.

Builds one received demo dossier in the bench database (agencies and the procedure are reused
when they exist, created otherwise) inside a transaction that is rolled back at the end, so the
bench database keeps no trace. Warms up, then renders, in turn, BENCH_RECEIPT_ROUNDS times each
(default 20):

- the receipt (`hoso.pdf.render_receipt`: queries, template, QR, WeasyPrint) of a dossier with
  the three papers of PROCEDURE; the same for seven long-named papers is reported beside
  (`receipt_pdf_7_papers`);
- the baseline `hoso.pdf.bare_a4_pdf`: a static one-page A4 letter of the receipt's density,
  same two DejaVu faces: what WeasyPrint alone costs for such a page;
- a static A4 page carrying the receipt's own words as plain paragraphs (taken from the
  rendered receipt with pypdf), same fonts: what the text alone costs to shape and lay out, so
  `receipt_pdf_layout` shows what the form itself adds (tables, QR, queries, template).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time

NAME = "receipt_pdf"

DEFAULT_ROUNDS = 20
WARMUP = 2

AGENCIES = [  # code, name, parent code (the demo province's codes, README.md)
    ("000.00.00.H55", "UBND tỉnh Thái Nguyên", None),
    ("000.00.02.H55", "Trung tâm Phục vụ hành chính công tỉnh", "000.00.00.H55"),
    ("000.00.11.H55", "Sở Tư pháp", "000.00.00.H55"),
]

PROCEDURE = {
    "national_code": "1.001193",
    "name": "Đăng ký khai sinh",
    "field": {"code": "HT", "name": "Hộ tịch"},
    "levels": ["province"],
    "processing_time": "3",
    "time_unit": "working_days",
    "service_mode": "full",
    "channels": ["direct", "postal", "online"],
    "result_name": "Giấy khai sinh",
    "published_from": "2025-07-01",
    "documents": [
        {"name": "Tờ khai đăng ký khai sinh theo mẫu", "doc_type_code": "TK-KS",
         "originals": 1, "copies": 0, "required": True},
        {"name": "Giấy chứng sinh hoặc văn bản của người làm chứng xác nhận về việc sinh",
         "doc_type_code": "GCS", "originals": 1, "copies": 0, "required": True},
        {"name": "Văn bản ủy quyền theo quy định của pháp luật (nếu có)", "doc_type_code": "UQ",
         "originals": 0, "copies": 1, "required": False},
    ],
    "fees": [{"kind": "le_phi", "name": "Lệ phí đăng ký khai sinh", "amount": 8000,
              "unit": "hồ sơ"}],
    "workflows": [{"level": "province", "steps": [
        {"name": "Tiếp nhận", "role": "desk_officer", "share": "0.5"},
        {"name": "Xử lý", "role": "processing_officer", "share": "2.5"}]}],
}


def _setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def _agency(code: str, name: str, parent):
    from portal import services
    from portal.choices import AgencyKind, AgencyLevel
    from portal.models import Agency

    found = Agency.objects.filter(code=code).first()
    if found:
        return found
    kind = AgencyKind.PEOPLES_COMMITTEE if parent is None else AgencyKind.DEPARTMENT
    return services.create_agency(parent=parent, code=code, name=name,
                                  level=AgencyLevel.PROVINCE, kind=kind)


def demo_dossier(papers: list[dict] | None = None,
                 dossier_code: str = "000.00.02.H55-261123-9999"):
    """A received dossier on the TT 03/2025 slip, with its RECEIVE event and the papers of
    PROCEDURE (call inside a transaction that is rolled back). The papers are this module's
    own, not the stored procedure's: the bench database may hold the real catalogue's
    1.001193, whose seven documents include mutually exclusive conditional ones (bench_intake
    seeds it), and the figure must not depend on which benchmark ran first. `papers` gives
    another list (the long-list variant)."""
    from django.utils import timezone

    from hoso.choices import Action, Channel, DossierStatus, ResultDelivery, SlipVersion
    from hoso.models import Dossier, DossierDocument, DossierEvent
    from portal.models import User
    from tthc import services as tthc_services
    from tthc.models import Procedure

    agencies = {}
    for code, name, parent in AGENCIES:
        agencies[code] = _agency(code, name, agencies.get(parent))
    centre, department = agencies["000.00.02.H55"], agencies["000.00.11.H55"]
    procedure = (Procedure.objects.filter(national_code=PROCEDURE["national_code"]).first()
                 or tthc_services.save_procedure(PROCEDURE)[0])
    officer, _new = User.objects.get_or_create(username="bench-receipt-officer",
                                               defaults={"full_name": "Trần Thị Bình"})
    received = dt.datetime(2026, 11, 23, 8, 5, tzinfo=timezone.get_current_timezone())
    terms = procedure.terms_snapshot()
    dossier = Dossier.objects.create(
        code=dossier_code, procedure=procedure, terms=terms,
        slip_version=SlipVersion.TT03_2025, status=DossierStatus.RECEIVED,
        channel=Channel.DIRECT, receiving_agency=centre, deciding_agency=department,
        owner_name="Nguyễn Thị Hồng Nhung", owner_id_number="019190004321",
        owner_phone="0912345678", owner_email="nhung@example.vn",
        owner_address="Tổ 12, phường Quán Triều, tỉnh Thái Nguyên",
        submitter_name="Nguyễn Văn Hùng", submitter_id_number="019088001122",
        submitter_phone="0987654321", submitter_relation="Cha",
        result_delivery=ResultDelivery.POST,
        delivery_address="Số 8 đường Hoàng Văn Thụ, phường Phan Đình Phùng, tỉnh Thái Nguyên",
        fee_total=8000, received_at=received, due_at=received + dt.timedelta(days=3, hours=8))
    for position, doc in enumerate(papers or PROCEDURE["documents"], start=1):
        DossierDocument.objects.create(
            dossier=dossier, position=position, name=doc["name"],
            originals_received=doc["originals"], copies_received=doc["copies"],
            digitised=position != 1)
    DossierEvent.objects.create(dossier=dossier, action=Action.RECEIVE, actor=officer,
                                agency=centre, status_after=DossierStatus.RECEIVED)
    return Dossier.objects.select_related(
        "procedure", "receiving_agency", "deciding_agency").get(pk=dossier.pk)


# Seven papers with long names (the real 1.001193 list): a heavier receipt, reported beside.
LONG_LIST = [{"name": name, "originals": 1, "copies": 0} for name in (
    "Tờ khai đăng ký khai sinh theo mẫu",
    "Giấy chứng sinh",
    "Hộ chiếu, thẻ căn cước hoặc giấy tờ tùy thân khác của người đi đăng ký (xuất trình)",
    "Văn bản ủy quyền (được chứng thực) trong trường hợp ủy quyền đăng ký khai sinh",
    "Biên bản về việc trẻ bị bỏ rơi do cơ quan có thẩm quyền lập (trường hợp trẻ bị bỏ rơi)",
    "Văn bản xác nhận của cơ sở y tế đã thực hiện kỹ thuật hỗ trợ sinh sản (trường hợp sinh "
    "con do mang thai hộ)",
    "Giấy tờ chứng minh thông tin về cư trú (trường hợp không khai thác được trong Cơ sở dữ "
    "liệu quốc gia về dân cư)")]


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def same_text_html(receipt: bytes) -> str:
    """The receipt's words as plain paragraphs on an A4 page, in the same fonts."""
    import io

    from django.utils.html import escape
    from pypdf import PdfReader

    from hoso.pdf import _bare_a4_html

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(receipt)).pages)
    body = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())
    head = _bare_a4_html().split("<body>", 1)[0]
    return f"{head}<body>{body}</body></html>"


def measure(dossier, rounds: int, long_list=None) -> dict[str, list[float]]:
    from weasyprint import HTML

    from hoso.pdf import bare_a4_pdf, render_receipt
    from tthc.pdf import StaticOnlyFetcher

    text_page = same_text_html(render_receipt(dossier))

    def same_text_pdf() -> bytes:
        fetcher = StaticOnlyFetcher(fail_on_errors=True)
        return HTML(string=text_page, url_fetcher=fetcher).write_pdf()

    for _round in range(WARMUP):
        render_receipt(dossier)
        bare_a4_pdf()
        same_text_pdf()
    samples = {"receipt": [], "bare": [], "text": [], "long": []}
    for _round in range(rounds):  # in turn, so load drift affects all alike
        samples["receipt"].append(_ms(lambda: render_receipt(dossier)))
        samples["bare"].append(_ms(bare_a4_pdf))
        samples["text"].append(_ms(same_text_pdf))
        if long_list is not None:
            samples["long"].append(_ms(lambda: render_receipt(long_list)))
    return samples


def run(env: dict[str, str]) -> list[str]:
    _setup(env)
    from django.db import transaction

    rounds = int(env.get("BENCH_RECEIPT_ROUNDS", DEFAULT_ROUNDS))
    with transaction.atomic():
        dossier = demo_dossier()
        long_list = demo_dossier(LONG_LIST, dossier_code="000.00.02.H55-261123-9998")
        samples = measure(dossier, rounds, long_list)
        transaction.set_rollback(True)  # keep the bench database tidy
    receipt, bare, text = (statistics.median(samples[key]) for key in ("receipt", "bare", "text"))
    return [
        f"BENCH receipt_pdf_p50 {receipt:.1f} ms",
        f"BENCH receipt_pdf_bare_p50 {bare:.1f} ms",
        f"BENCH receipt_pdf ratio={receipt / bare:.2f} vs=bare_weasyprint_a4",
        f"BENCH receipt_pdf_same_text_p50 {text:.1f} ms",
        f"BENCH receipt_pdf_layout ratio={receipt / text:.2f} vs=same_text_plain_a4",
        f"BENCH receipt_pdf_7_papers_p50 {statistics.median(samples['long']):.1f} ms",
        f"BENCH receipt_pdf_7_papers ratio={statistics.median(samples['long']) / bare:.2f} "
        "vs=bare_weasyprint_a4",
    ]
