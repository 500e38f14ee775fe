"""Merging the scans of one paper into one PDF (digitisation at the desk, hoso.services.
digitisation).

The officer hands in the pages of a paper as images (JPEG/PNG, e.g. from a document camera or
a phone) and/or PDFs, each with a rotation; they are merged in the order given. An image
becomes one A4 page (portrait or landscape, as the image after rotation), scaled to fit and
centred, resampled to at most `SCAN_MAX_DPI`; a PDF's pages are appended as they are, turned
by the page's /Rotate. Each file is checked like an intake upload first (hoso.uploads: type
by content, UPLOAD_MAX_BYTES each), the files together by UPLOAD_MAX_DOSSIER_BYTES and the
pages by DIGITISE_MAX_PAGES.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PdfReadError

from hoso.uploads import UNREADABLE, CheckedFile, check_upload
from portal.errors import InvalidInput

ROTATIONS = (0, 90, 180, 270)
A4 = (595.28, 841.89)  # points (210 × 297 mm)
SCAN_MAX_DPI = 300  # an A4 page at 300 dpi is plenty for a paper; larger photos are resampled
JPEG_QUALITY = 85
DEFAULT_MAX_PAGES = 100


def max_pages() -> int:
    return int(getattr(settings, "DIGITISE_MAX_PAGES", DEFAULT_MAX_PAGES))


@dataclass
class ScanIn:
    """One uploaded file of a paper's scan and how far to turn it, clockwise."""

    file: UploadedFile
    rotation: int = 0


@dataclass(frozen=True)
class MergedScan:
    content: bytes
    page_count: int


def check_scans(scans: list[ScanIn]) -> list[CheckedFile]:
    """Check every file (type by content, size), the rotations, the total size and the page
    count, before anything is stored; raise InvalidInput with a Vietnamese message."""
    if not scans:
        raise InvalidInput("no_scan", _("Vui lòng chọn ít nhất một tệp quét."))
    checked = []
    for scan in scans:
        if scan.rotation not in ROTATIONS:
            raise InvalidInput("bad_rotation", _("Góc xoay chỉ được là 0, 90, 180 hoặc 270 độ."))
        checked.append(check_upload(scan.file))
    total = sum(c.size for c in checked)
    if total > settings.UPLOAD_MAX_DOSSIER_BYTES:
        raise InvalidInput("scan_too_big", _("Tổng dung lượng các tệp quét vượt quá %(mb)s MB.")
                           % {"mb": settings.UPLOAD_MAX_DOSSIER_BYTES // (1024 * 1024)})
    pages = sum(_page_count(scan.file, c) for scan, c in zip(scans, checked, strict=True))
    if pages > max_pages():
        raise InvalidInput("too_many_pages", _(
            "Bản quét có %(pages)s trang, vượt quá %(max)s trang cho một giấy tờ.")
            % {"pages": pages, "max": max_pages()})
    return checked


def merge_scans(scans: list[ScanIn]) -> MergedScan:
    """One PDF of every page of `scans`, in the order given, each turned by its rotation."""
    checked = check_scans(scans)
    writer = PdfWriter()
    for scan, info in zip(scans, checked, strict=True):
        scan.file.seek(0)
        try:
            if info.content_type == "application/pdf":
                _append_pdf(writer, scan.file, scan.rotation)
            else:
                writer.add_page(_image_page(scan.file, scan.rotation))
        except (OSError, ValueError, KeyError, TypeError, PdfReadError) as exc:
            raise InvalidInput("file_unreadable", _(UNREADABLE) % {
                "name": scan.file.name or "?"}) from exc
        finally:
            scan.file.seek(0)
    writer.add_metadata({"/Producer": "Cổng Một Cửa", "/Title": "Bản số hóa"})
    out = io.BytesIO()
    writer.write(out)
    return MergedScan(content=out.getvalue(), page_count=len(writer.pages))


def pdf_page_count(data) -> int:
    """Pages of a stored PDF (a file object); 0 when it cannot be read."""
    try:
        return len(PdfReader(data).pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        return 0


def _page_count(upload: UploadedFile, info: CheckedFile) -> int:
    if info.content_type != "application/pdf":
        return 1
    upload.seek(0)
    try:
        return len(PdfReader(upload).pages)
    finally:
        upload.seek(0)


def _append_pdf(writer: PdfWriter, upload: UploadedFile, rotation: int) -> None:
    reader = PdfReader(upload)
    for page in reader.pages:
        added = writer.add_page(page)
        if rotation:
            added.rotate(rotation)


def _image_page(upload: UploadedFile, rotation: int) -> PageObject:
    """The image turned (EXIF orientation first, then `rotation` clockwise), resampled to at
    most SCAN_MAX_DPI on A4, and centred on an A4 page of its orientation."""
    with Image.open(upload) as original:
        image = ImageOps.exif_transpose(original)
        if rotation:
            image = image.rotate(-rotation, expand=True)
        image = _flatten(image)
    landscape = image.width > image.height
    page_w, page_h = (A4[1], A4[0]) if landscape else A4
    max_px = (page_w / 72 * SCAN_MAX_DPI, page_h / 72 * SCAN_MAX_DPI)
    if image.width > max_px[0] or image.height > max_px[1]:
        image.thumbnail((int(max_px[0]), int(max_px[1])), Image.Resampling.LANCZOS)
    scale = min(page_w / image.width, page_h / image.height)  # points per pixel
    single = io.BytesIO()
    image.save(single, "PDF", resolution=72 / scale, quality=JPEG_QUALITY)
    image_page = PdfReader(io.BytesIO(single.getvalue())).pages[0]
    width, height = float(image_page.mediabox.width), float(image_page.mediabox.height)
    page = PageObject.create_blank_page(width=page_w, height=page_h)
    page.merge_transformed_page(
        image_page, Transformation().translate((page_w - width) / 2, (page_h - height) / 2))
    return page


def _flatten(image: Image.Image) -> Image.Image:
    """Greyscale or RGB (both embedded as JPEG); transparency on white."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P"
                                               and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("1", "I", "I;16", "F"):
        return image.convert("L")
    return image.convert("RGB")
