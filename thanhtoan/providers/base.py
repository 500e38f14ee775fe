"""The provider interface (PAYMENTS.md A2). Providers speak their gateway's wire format and
never touch models: they turn an attempt into a redirect, a gateway message into a
ProviderResult, and one of our effects into the answer the gateway expects. Only
thanhtoan.services.record_evidence changes a payment's state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Protocol

from django.http import HttpRequest, HttpResponse


class Effect:
    """What handling a gateway message did (record_evidence and the checks before it); each
    provider maps these to its own answer codes."""

    OK = "ok"  # recorded (paid, failed, review…)
    DUPLICATE = "duplicate"  # already settled the same way: acknowledged, nothing changed
    IGNORED = "ignored"  # a failure after success: paid is sticky, logged only
    NOT_FOUND = "not_found"  # unknown merchant reference
    AMOUNT_MISMATCH = "amount_mismatch"
    BAD_SIGNATURE = "bad_signature"
    BAD_MERCHANT = "bad_merchant"
    BAD_CURRENCY = "bad_currency"
    BAD_FORMAT = "bad_format"
    ERROR = "error"


@dataclass(frozen=True)
class ProviderResult:
    """A provider's verified reading of one message about one attempt."""

    txn_ref: str
    outcome: str  # thanhtoan.choices.Outcome
    amount: int | None  # đồng (VNPay's ×100 already divided), None when not stated
    signature_ok: bool = True
    currency: str = "VND"
    merchant: str = ""  # the merchant code the message names (TmnCode, MaDoiTac)
    provider_txn_id: str = ""
    bank_code: str = ""
    response_code: str = ""
    paid_at: dt.datetime | None = None
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StartResult:
    redirect_url: str


@dataclass(frozen=True)
class SettlementLine:
    """One line of a provider's settlement file (đối soát)."""

    txn_ref: str
    provider_txn_id: str
    amount: int  # đồng
    status: str  # "paid" or the provider's other status, lower case
    paid_at: dt.datetime | None = None
    fee: int = 0


class PaymentProvider(Protocol):
    code: str  # thanhtoan.choices.Provider
    online: bool  # the citizen is sent to a gateway
    supports_query: bool

    def merchant_code(self) -> str:
        """Our merchant code at this provider (checked against every message)."""

    def start(self, attempt, *, client_ip: str, return_url: str,
              locale: str = "vn") -> StartResult:
        """The signed URL (or the INIT exchange's payment URL) to send the browser to."""

    def parse_notification(self, request: HttpRequest) -> ProviderResult:
        """Read and verify a server-to-server notification (raises ValueError when the
        message is malformed; signature_ok=False when the signature does not verify)."""

    def answer(self, effect: str) -> HttpResponse:
        """The response the gateway expects for `effect` (Effect.*)."""

    def verify_return(self, params: dict) -> ProviderResult:
        """Read the browser's return parameters: for display only, never for the paid state."""

    def query(self, attempt) -> ProviderResult:
        """Ask the gateway for the attempt's status (signed request, signed answer)."""

    def parse_settlement(self, fileobj: IO[bytes]) -> Iterable[SettlementLine]:
        """The lines of a settlement file (README documents the CSV format)."""
