"""Mẫu 01 — the receipt and appointment slip: content, versions, QR payload, escaping."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from hoso import pdf
from hoso.choices import Action, Channel, ResultDelivery, SlipVersion
from hoso.models import Dossier, DossierDocument, DossierEvent
from tests.factories import AgencyFactory, UserFactory
from tests.tthc.conftest import record
from tthc import services as tthc_services

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "000.00.02.H55-261123-0001"
TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
TT01_FOOTER = "Mẫu số 01 ban hành kèm theo Thông tư số 01/2018/TT-VPCP ngày 23/11/2018"
TT03_FOOTER = "Mẫu số 01 — Phụ lục I Thông tư số 03/2025/TT-VPCP"


@pytest.fixture
def make_dossier(db):
    """A received dossier built directly with the ORM (no intake service involved)."""
    root = AgencyFactory(name="UBND tỉnh thử nghiệm")
    centre = AgencyFactory(parent=root, name="Trung tâm Phục vụ hành chính công tỉnh")
    department = AgencyFactory(parent=root, name="Sở Tư pháp")
    officer = UserFactory(full_name="Trần Thị Bình")
    procedure, _created = tthc_services.save_procedure(record())

    def make(*, slip_version=SlipVersion.TT03_2025, **fields):
        values = {
            "code": CODE, "procedure": procedure, "terms": procedure.terms_snapshot(),
            "slip_version": slip_version, "status": "received", "channel": Channel.DIRECT,
            "receiving_agency": centre, "deciding_agency": department,
            "owner_name": "Nguyễn Văn An", "owner_id_number": "019090001234",
            "owner_phone": "0912345678", "owner_email": "an@example.vn",
            "owner_address": "Tổ 5, phường Quán Triều", "result_delivery": ResultDelivery.DESK,
            "fee_total": 1_250_000,
            "received_at": dt.datetime(2026, 11, 23, 8, 5, tzinfo=HCM),
            "due_at": dt.datetime(2026, 11, 24, 16, 30, tzinfo=HCM),
        }
        values.update(fields)
        dossier = Dossier.objects.create(**values)
        for position, doc in enumerate(values["terms"]["documents"], start=1):
            DossierDocument.objects.create(
                dossier=dossier, position=position, name=doc["name"],
                originals_received=doc["originals"], copies_received=doc["copies"],
                digitised=position == 2)
        DossierEvent.objects.create(dossier=dossier, action=Action.RECEIVE, actor=officer,
                                    agency=centre, status_before="submitted",
                                    status_after="received")
        return dossier

    return make


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(data: bytes) -> set[str]:
    """Base names of the fonts embedded in the PDF, without the subset prefix."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def flat(text: str) -> str:
    """Extracted text with line breaks and runs of spaces collapsed."""
    return " ".join(text.split())


def test_receipt_pdf_carries_the_form_fields(make_dossier):
    dossier = make_dossier()

    data = pdf.render_receipt(dossier)

    assert data.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = flat(pdf_text(data))
    for expected in [
        CODE, TITLE, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "Đăng ký khai sinh", "Tờ khai đăng ký khai sinh", "Giấy chứng sinh", "đã số hóa",
        "Tiếp nhận hồ sơ của: Nguyễn Văn An", "019090001234", "an@example.vn",
        "Trung tâm Phục vụ hành chính công tỉnh", "Sở Tư pháp", "UBND TỈNH THỬ NGHIỆM",
        "Số lượng hồ sơ: 01 bộ", "1 ngày làm việc",
        "08 giờ 05 phút, ngày 23/11/2026", "16 giờ 30 phút, ngày 24/11/2026",
        "ngày 23 tháng 11 năm 2026",
        "Đăng ký nhận kết quả tại: Bộ phận Một cửa — Trung tâm Phục vụ hành chính công tỉnh",
        "1.250.000 đ", "Quyển số: 2026, Số thứ tự: 1",
        "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", "Trần Thị Bình",
        "Quét mã để tra cứu hồ sơ",
    ]:
        assert expected in text, expected
    assert "Chủ hồ sơ:" not in text
    # only the shipped faces (static/fonts): no italic or serif fallback to system fonts
    assert embedded_fonts(data) == {"DejaVu-Sans", "DejaVu-Sans-Bold"}


def test_versions_use_their_own_template(make_dossier):
    tt01 = flat(pdf_text(pdf.render_receipt(make_dossier(slip_version=SlipVersion.TT01_2018))))
    Dossier.objects.all().delete()
    tt03 = flat(pdf_text(pdf.render_receipt(make_dossier(slip_version=SlipVersion.TT03_2025,
                                                         channel=Channel.POSTAL))))

    assert TT01_FOOTER in tt01
    assert TT03_FOOTER not in tt01
    assert TT03_FOOTER in tt03
    assert TT01_FOOTER not in tt03
    for text in (tt01, tt03):  # N05/N15: both units on every version
        assert "Trung tâm Phục vụ hành chính công tỉnh" in text
        assert "Sở Tư pháp" in text
    assert "Đơn vị tiếp nhận: Trung tâm Phục vụ hành chính công tỉnh" in tt03
    assert "Cơ quan giải quyết: Sở Tư pháp" in tt03
    assert "Hình thức nộp hồ sơ: Qua dịch vụ bưu chính" in tt03
    assert "Hình thức nộp hồ sơ" not in tt01


def test_unknown_or_missing_slip_version_is_refused(make_dossier):
    dossier = make_dossier(slip_version="")

    with pytest.raises(ValueError, match="slip version"):
        pdf.receipt_html(dossier)


def test_owner_differing_from_submitter_is_printed(make_dossier):
    dossier = make_dossier(submitter_name="Lê Văn Cường", submitter_id_number="001088009999",
                           submitter_phone="0987654321", submitter_relation="Ông nội",
                           result_delivery=ResultDelivery.POST,
                           delivery_address="Số 1 đường Hoàng Văn Thụ")

    text = flat(pdf_text(pdf.render_receipt(dossier)))

    assert "Tiếp nhận hồ sơ của: Lê Văn Cường" in text
    assert "Chủ hồ sơ: Nguyễn Văn An" in text
    assert "001088009999" in text
    assert "0987654321" in text
    assert "Người nộp là: Ông nội (quan hệ với chủ hồ sơ)" in text
    assert "0912345678" not in text
    assert "an@example.vn" not in text
    assert "Qua dịch vụ bưu chính, địa chỉ: Số 1 đường Hoàng Văn Thụ" in text


def test_qr_payload_and_image(make_dossier):
    dossier = make_dossier()

    payload = pdf.receipt_qr_text(dossier)
    png = pdf.receipt_qr_png(dossier)

    lines = payload.splitlines()
    assert lines[0] == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"  # the document name
    for part in [f"Mã hồ sơ: {CODE}", "Mã TTHC: 1.001193", "Chủ hồ sơ: 019090001234",
                 "Nhận: 08:05 23/11/2026", "Hẹn trả: 16:30 24/11/2026", "Hệ thống: Cổng Một Cửa"]:
        assert part in lines, part
    assert lines[-1].startswith("http")
    assert lines[-1].endswith(f"/{CODE}/")
    assert png.startswith("data:image/png;base64,")
    assert f'<img src="{png}"' in pdf.receipt_html(dossier)  # printed on the slip, top-left


def test_user_text_is_escaped(make_dossier):
    dossier = make_dossier(owner_name="<script>alert(1)</script>",
                           owner_address='<img src="x" onerror="y">')

    html = pdf.receipt_html(dossier)

    assert "<script>" not in html
    assert html.count("<img") == 1  # only the QR
    assert 'onerror="y"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert pdf.render_receipt(dossier).startswith(b"%PDF")


def test_bare_a4_page():
    data = pdf.bare_a4_pdf()

    assert data.startswith(b"%PDF")
    assert embedded_fonts(data) == {"DejaVu-Sans", "DejaVu-Sans-Bold"}
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


def test_a_receipt_of_a_few_papers_fits_one_page(make_dossier):
    """The official form is one page: a dossier of a few papers must not spill its
    signatures onto a second sheet (both form sets)."""
    import io

    from pypdf import PdfReader

    for number, version in enumerate(("tt01_2018", "tt03_2025"), start=1):
        dossier = make_dossier(slip_version=version, code=f"{CODE[:-4]}{number + 10:04d}")
        assert len(PdfReader(io.BytesIO(pdf.render_receipt(dossier))).pages) == 1, version
