"""A stand-in for the province's SMS gateway, speaking what portal.sms.HttpSmsBackend sends.

    python manage.py fake_sms_gateway --port 8025 --token secret
    SMS_BACKEND=portal.sms.HttpSmsBackend SMS_HTTP_URL=http://127.0.0.1:8025/sms \
        SMS_HTTP_TOKEN=secret make run

The tests start `FakeSmsGateway` in a thread and script its answers.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.core.management.base import BaseCommand


class FakeSmsGateway(ThreadingHTTPServer):
    """Records every POST in `received` and answers 401 for a wrong token, 400 for a body
    without "to" and "text", else the next status queued in `answers` (200 when empty), with
    {"id": …} on success."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int] = ("127.0.0.1", 0),
        *,
        token: str = "",
        answers: Iterable[int] = (),
        on_message: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        super().__init__(address, _GatewayHandler)
        self.token = token
        self.answers = list(answers)
        self.on_message = on_message
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/sms"

    def answer(self, authorization: str, payload: Any) -> int:
        with self.lock:
            if self.token and authorization != f"Bearer {self.token}":
                return 401
            if not isinstance(payload, dict) or not {"to", "text"} <= payload.keys():
                return 400
            return self.answers.pop(0) if self.answers else 200


class _GatewayHandler(BaseHTTPRequestHandler):
    server: FakeSmsGateway

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        request = {"path": self.path, "headers": dict(self.headers.items()), "json": payload}
        with self.server.lock:
            self.server.received.append(request)
        status = self.server.answer(self.headers.get("Authorization", ""), payload)
        if 200 <= status < 300:
            answer = {"id": uuid.uuid4().hex, "status": "accepted"}
            if self.server.on_message:
                self.server.on_message(payload)
        else:
            answer = {"error": f"fake gateway answered {status}"}
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the command prints the messages themselves."""


class Command(BaseCommand):
    help = "Chạy cổng SMS giả lập trên máy (in ra các tin nhắn nhận được)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument("--token", default="", help="Mã xác thực Bearer phải gửi kèm.")

    def handle(self, *args, host: str, port: int, token: str, **options) -> None:
        def show(payload: dict[str, Any]) -> None:
            self.stdout.write(f"SMS → {payload['to']} ({payload.get('sender', '')}): "
                              f"{payload['text']}")

        gateway = FakeSmsGateway((host, port), token=token, on_message=show)
        self.stdout.write(f"Cổng SMS giả lập: POST {gateway.url}  (Ctrl-C để dừng)")
        try:
            gateway.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            gateway.server_close()
