"""Checking and storing uploaded papers (SECURITY.md B1 #21–23).

The size is checked first, then the type from the file's first bytes (never its name or the
browser's claim), then the file is parsed (pypdf for PDF, Pillow for images) so a renamed
executable or an HTML page with a %PDF header is refused. Files are stored privately under a
generated name; `cleanup_on_failure` deletes what a failed transaction stored, so a failed
submit leaves no orphan file.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from portal.errors import InvalidInput

MAGIC = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
]
MAX_IMAGE_PIXELS = 40_000_000

TOO_BIG = "Tệp “%(name)s” lớn hơn %(mb)s MB cho phép."
EMPTY = "Tệp “%(name)s” rỗng."
NOT_ALLOWED = ("Tệp “%(name)s” không phải PDF, JPEG hoặc PNG (hệ thống kiểm tra theo nội dung "
               "tệp, không theo tên tệp).")
UNREADABLE = "Tệp “%(name)s” bị hỏng hoặc không đọc được."
ENCRYPTED = "Tệp PDF “%(name)s” có mật khẩu; vui lòng tải lên tệp không đặt mật khẩu."


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    sha256: str
    size: int


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Validate an upload; raise InvalidInput with a Vietnamese message otherwise."""
    name = upload.name or "?"
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise InvalidInput("file_too_big", _(TOO_BIG) % {
            "name": name, "mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)})
    if upload.size == 0:
        raise InvalidInput("file_empty", _(EMPTY) % {"name": name})
    upload.seek(0)
    head = upload.read(16)
    kind = next(((ctype, ext) for magic, ctype, ext in MAGIC if head.startswith(magic)), None)
    if kind is None:
        raise InvalidInput("file_type", _(NOT_ALLOWED) % {"name": name})
    upload.seek(0)
    if kind[0] == "application/pdf":
        _check_pdf(upload, name)
    else:
        _check_image(upload, name)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(content_type=kind[0], extension=kind[1], sha256=digest.hexdigest(),
                       size=upload.size)


def _check_pdf(upload: UploadedFile, name: str) -> None:
    try:
        reader = PdfReader(upload)
        if reader.is_encrypted:
            raise InvalidInput("file_encrypted", _(ENCRYPTED) % {"name": name})
        if len(reader.pages) < 1:
            raise InvalidInput("file_unreadable", _(UNREADABLE) % {"name": name})
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InvalidInput("file_unreadable", _(UNREADABLE) % {"name": name}) from exc


def _check_image(upload: UploadedFile, name: str) -> None:
    try:
        with Image.open(upload) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise InvalidInput("file_unreadable", _(UNREADABLE) % {"name": name})
            image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput("file_unreadable", _(UNREADABLE) % {"name": name}) from exc


@contextlib.contextmanager
def cleanup_on_failure() -> Iterator[list[str]]:
    """Collect the names of files stored inside the block; delete them if it fails."""
    from hoso.models import private_storage

    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            private_storage.delete(name)
        raise
