"""Money taken outside a gateway: cash at the desk and a bank transfer an officer confirms.
There is nothing to sign or query; the officer's record (services.record_cash /
confirm_transfer) is the evidence, and the officer is named on the attempt."""

from __future__ import annotations

from django.http import HttpResponse

from portal.errors import DomainError
from thanhtoan.choices import Provider
from thanhtoan.providers.base import ProviderResult, StartResult


class _Offline:
    online = False
    supports_query = False
    code = ""

    def merchant_code(self) -> str:
        return ""

    def start(self, attempt, *, client_ip: str, return_url: str,
              locale: str = "vn") -> StartResult:
        raise DomainError("payment_provider_offline",
                          "Khoản thu này được ghi nhận tại Bộ phận Một cửa, không qua cổng.")

    def parse_notification(self, request) -> ProviderResult:
        raise ValueError("no notifications for money taken at the desk")

    def answer(self, effect: str) -> HttpResponse:
        return HttpResponse(status=404)

    def verify_return(self, params: dict) -> ProviderResult:
        raise ValueError("no return for money taken at the desk")

    def query(self, attempt) -> ProviderResult:
        raise DomainError("payment_provider_offline",
                          "Khoản thu tại Bộ phận Một cửa không có cổng để truy vấn.")

    def parse_settlement(self, fileobj):
        return []


class CashProvider(_Offline):
    code = Provider.CASH


class TransferProvider(_Offline):
    code = Provider.TRANSFER
