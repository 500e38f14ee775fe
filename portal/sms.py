"""SMS backends: one small interface, chosen by the dotted path in `settings.SMS_BACKEND`.

Shaped like healthchecks' transports (STYLE.md §2.2): a backend implements `deliver(phone, text)`
for a number already normalised to +84…, returns the provider's message id (or "") and raises
`SmsError(message, permanent)` when the message did not go out. `permanent=True` means trying
again cannot help (an invalid number, a request the gateway refuses); `permanent=False` means
it may work later (gateway down, timeout) and the delivery task retries.

To add a gateway: subclass `SmsBackend`, implement `deliver`, read its settings in `__init__`,
and point `SMS_BACKEND` at it.
"""

from __future__ import annotations

import abc
import json
import logging
import re
import sys
import threading
import uuid
from pathlib import Path
from typing import IO
from urllib import error as urllib_error
from urllib import request as urllib_request

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

PHONE_INVALID = "Số điện thoại “%(phone)s” không phải số di động Việt Nam hợp lệ."
GATEWAY_NOT_CONFIGURED = "Chưa cấu hình địa chỉ cổng gửi tin nhắn (SMS_HTTP_URL)."
GATEWAY_REFUSED = "Cổng gửi tin nhắn từ chối yêu cầu (HTTP %(status)s): %(detail)s"
GATEWAY_FAILED = "Cổng gửi tin nhắn đang lỗi (HTTP %(status)s): %(detail)s"
GATEWAY_UNREACHABLE = "Không kết nối được cổng gửi tin nhắn: %(detail)s"
FILE_WRITE_FAILED = "Không ghi được tin nhắn vào tệp %(path)s: %(detail)s"

# Vietnamese mobile numbers: 10 digits starting 03/05/07/08/09 (portal.validators.validate_phone).
_MOBILE_NATIONAL = re.compile(r"[35789]\d{8}")
_SEPARATORS = re.compile(r"[\s.\-()]")
# 4xx answers that mean "later", not "never".
_TEMPORARY_CLIENT_STATUSES = frozenset({408, 425, 429})
_DETAIL_LIMIT = 300
_MAX_ANSWER_BYTES = 64 * 1024


class SmsError(Exception):
    """The message was not sent. `permanent`: trying again cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = str(message)
        self.permanent = permanent


def normalize_phone(phone: str) -> str:
    """Return a Vietnamese mobile number in +84 form (0912345678 → +84912345678).

    Spaces, dots, dashes and brackets are ignored; 0…, 84…, +84… and 0084… are accepted
    (with or without the 0 after the country code).
    Anything else raises a permanent `SmsError`.
    """
    digits = _SEPARATORS.sub("", phone or "")
    for prefix in ("+84", "0084", "84", "0"):
        if not digits.startswith(prefix):
            continue
        national = digits[len(prefix):]
        if prefix != "0":
            national = national.removeprefix("0")  # "+84 (0) 912 345 678"
        if _MOBILE_NATIONAL.fullmatch(national):
            return "+84" + national
    raise SmsError(_(PHONE_INVALID) % {"phone": phone}, permanent=True)


class SmsBackend(abc.ABC):
    """Base class of SMS backends. Callers use `send`; backends implement `deliver`."""

    def send(self, phone: str, text: str) -> str:
        """Send `text` to `phone`; return the provider's message id or "" (raises SmsError)."""
        return self.deliver(normalize_phone(phone), text)

    @abc.abstractmethod
    def deliver(self, phone: str, text: str) -> str:
        """Hand the message to the provider (`phone` is already in +84 form)."""


class ConsoleSmsBackend(SmsBackend):
    """Writes each message to standard output (development; the worker's log in `make run`)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def deliver(self, phone: str, text: str) -> str:
        self.stream.write(f"SMS → {phone}: {text}\n")
        self.stream.flush()
        return ""


class FileSmsBackend(SmsBackend):
    """Appends one JSON line per message to `SMS_FILE_PATH` (default `VAR_DIR/sms.log`)."""

    _lock = threading.Lock()

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or settings.SMS_FILE_PATH)

    def deliver(self, phone: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        line = json.dumps(
            {"id": message_id, "at": timezone.now().isoformat(), "to": phone, "text": text},
            ensure_ascii=False,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as sink:
                sink.write(line + "\n")
        except OSError as exc:
            raise SmsError(_(FILE_WRITE_FAILED) % {"path": self.path, "detail": exc}) from exc
        return message_id


class _NoRedirect(urllib_request.HTTPRedirectHandler):
    """A gateway that redirects a POST is misconfigured: answer with the 3xx, never follow it
    (urllib would turn the POST into a GET and forward the token)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpSmsBackend(SmsBackend):
    """A generic HTTP gateway: POST {"to", "text", "sender"} as JSON to `SMS_HTTP_URL` with
    `Authorization: Bearer <SMS_HTTP_TOKEN>`.

    2xx: sent (the message id is the answer's "id" field, if any); 408/425/429, 5xx, timeouts
    and connection errors: temporary; other 3xx/4xx: permanent.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        sender: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.url = url if url is not None else settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.sender = sender if sender is not None else settings.SMS_SENDER
        self.timeout = timeout if timeout is not None else settings.SMS_HTTP_TIMEOUT
        self._opener = urllib_request.build_opener(_NoRedirect)

    def deliver(self, phone: str, text: str) -> str:
        if not self.url.startswith(("https://", "http://")):
            raise SmsError(_(GATEWAY_NOT_CONFIGURED), permanent=True)
        payload = json.dumps({"to": phone, "text": text, "sender": self.sender},
                             ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # The scheme is checked above: only http(s) URLs are opened.
        request = urllib_request.Request(  # noqa: S310
            self.url, data=payload, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read(_MAX_ANSWER_BYTES)
        except urllib_error.HTTPError as exc:
            raise self._error_for(exc.code, exc.read(_MAX_ANSWER_BYTES)) from exc
        except (urllib_error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SmsError(_(GATEWAY_UNREACHABLE) % {"detail": reason}) from exc
        return _message_id(body)

    @staticmethod
    def _error_for(status: int, body: bytes) -> SmsError:
        detail = body.decode("utf-8", "replace").strip()[:_DETAIL_LIMIT] or "—"
        if status >= 500 or status in _TEMPORARY_CLIENT_STATUSES:
            return SmsError(_(GATEWAY_FAILED) % {"status": status, "detail": detail})
        return SmsError(_(GATEWAY_REFUSED) % {"status": status, "detail": detail}, permanent=True)


def _message_id(body: bytes) -> str:
    try:
        answer = json.loads(body or b"null")
    except ValueError:
        return ""
    if isinstance(answer, dict) and answer.get("id") is not None:
        return str(answer["id"])
    return ""


def get_sms_backend() -> SmsBackend:
    """A new instance of the backend named by `settings.SMS_BACKEND` (imported lazily)."""
    return import_string(settings.SMS_BACKEND)()
