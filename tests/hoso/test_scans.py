"""Merging the scanned pages of a paper into one PDF (hoso.scans): order, rotation, A4 fit,
and the upload rules of intake."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from hoso.scans import A4, ScanIn, merge_scans
from portal.errors import InvalidInput


def text_pdf(text: str, pages: int = 1, size=(300, 400), rotate: int = 0) -> bytes:
    """A PDF whose page i reads "<text> <i>" (pypdf extracts it back)."""
    writer = PdfWriter()
    for number in range(1, pages + 1):
        page = writer.add_blank_page(*size)
        font = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica")}))
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        content = DecodedStreamObject()
        content.set_data(f"BT /F1 20 Tf 40 40 Td ({text} {number}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(content)
        if rotate:
            page.rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(colour, size, fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def pages_of(merged) -> list:
    return PdfReader(io.BytesIO(merged.content)).pages


def image_of(page) -> Image.Image:
    images = page.images
    assert len(images) == 1
    return images[0].image


def test_three_one_page_pdfs_are_merged_in_the_order_given():
    scans = [ScanIn(upload(f"{name}.pdf", text_pdf(f"Trang {name}")))
             for name in ("C", "A", "B")]
    merged = merge_scans(scans)
    assert merged.page_count == 3
    assert [p.extract_text().strip() for p in pages_of(merged)] == [
        "Trang C 1", "Trang A 1", "Trang B 1"]


def test_images_and_pdf_pages_keep_their_order_and_each_image_is_one_a4_page():
    scans = [ScanIn(upload("do.png", image_bytes("red", (200, 280)))),
             ScanIn(upload("hai-trang.pdf", text_pdf("Giua", pages=2))),
             ScanIn(upload("xanh.jpg", image_bytes("blue", (210, 297), "JPEG")))]
    merged = merge_scans(scans)
    pages = pages_of(merged)
    assert merged.page_count == 4
    assert image_of(pages[0]).convert("RGB").getpixel((10, 10))[0] > 240  # red first
    assert [p.extract_text().strip() for p in pages[1:3]] == ["Giua 1", "Giua 2"]
    red, _green, blue = image_of(pages[3]).convert("RGB").getpixel((10, 10))
    assert blue > 240
    assert red < 20
    for page in (pages[0], pages[3]):
        assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == (
            round(A4[0], 1), round(A4[1], 1))


def test_a_rotated_image_is_turned_clockwise_and_laid_on_a_landscape_page():
    # a portrait image with a red top half: turned 90° clockwise, red is on the right
    image = Image.new("RGB", (100, 200), "white")
    image.paste((255, 0, 0), (0, 0, 100, 100))
    out = io.BytesIO()
    image.save(out, "PNG")
    merged = merge_scans([ScanIn(upload("xoay.png", out.getvalue()), rotation=90)])
    page = pages_of(merged)[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape A4
    turned = image_of(page).convert("RGB")
    assert turned.size == (200, 100)
    assert turned.getpixel((190, 50))[1] < 30  # right half red
    assert turned.getpixel((10, 50)) > (240, 240, 240)  # left half white


def test_a_pdf_is_turned_by_its_rotation_on_top_of_its_own():
    merged = merge_scans([ScanIn(upload("a.pdf", text_pdf("A")), rotation=180),
                          ScanIn(upload("b.pdf", text_pdf("B", rotate=90)), rotation=90),
                          ScanIn(upload("c.pdf", text_pdf("C")))])
    assert [p.rotation for p in pages_of(merged)] == [180, 180, 0]


def test_a_large_photo_is_resampled_to_at_most_300_dpi_on_a4():
    merged = merge_scans([ScanIn(upload("anh.jpg", image_bytes("green", (4000, 6000),
                                                                "JPEG")))])
    width, height = image_of(pages_of(merged)[0]).size
    assert height <= round(A4[1] / 72 * 300) + 1
    assert width <= round(A4[0] / 72 * 300) + 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("trang.pdf", b"MZ\x90\x00 this is an exe renamed", "không phải PDF, JPEG hoặc PNG"),
    ("rong.png", b"", "rỗng"),
    ("anh.png", b"\x89PNG\r\n\x1a\nnot really a png", "bị hỏng"),
])
def test_a_file_that_is_not_what_it_claims_is_refused(name, content, message):
    with pytest.raises(InvalidInput, match=message):
        merge_scans([ScanIn(upload("tot.pdf", text_pdf("Tot"))), ScanIn(upload(name, content))])


def test_an_oversized_file_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(InvalidInput, match="lớn hơn 0 MB cho phép") as exc:
        merge_scans([ScanIn(upload("lon.png", image_bytes("red", (400, 400)) + b"\0" * 2048))])
    assert exc.value.code == "file_too_big"


def test_files_over_the_dossier_total_are_refused(settings):
    one = image_bytes("red", (300, 300))
    settings.UPLOAD_MAX_DOSSIER_BYTES = len(one) * 2
    with pytest.raises(InvalidInput, match="Tổng dung lượng các tệp quét") as exc:
        merge_scans([ScanIn(upload(f"{i}.png", one)) for i in range(3)])
    assert exc.value.code == "scan_too_big"


def test_more_pages_than_the_cap_are_refused(settings):
    settings.DIGITISE_MAX_PAGES = 4
    with pytest.raises(InvalidInput, match="5 trang, vượt quá 4 trang"):
        merge_scans([ScanIn(upload("a.pdf", text_pdf("A", pages=3))),
                     ScanIn(upload("b.pdf", text_pdf("B", pages=2)))])
    assert merge_scans([ScanIn(upload("a.pdf", text_pdf("A", pages=4)))]).page_count == 4


def test_a_rotation_other_than_a_quarter_turn_is_refused():
    with pytest.raises(InvalidInput, match="0, 90, 180 hoặc 270"):
        merge_scans([ScanIn(upload("a.pdf", text_pdf("A")), rotation=45)])


def test_no_file_is_refused():
    with pytest.raises(InvalidInput, match="ít nhất một tệp quét"):
        merge_scans([])
