"""The payment providers by code (settings.PAYMENT_PROVIDERS lists the ones switched on)."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from portal.errors import NotFoundError

# code → dotted path of the provider class; each is constructed from settings on first use.
REGISTRY = {
    "cash": "thanhtoan.providers.offline.CashProvider",
    "transfer": "thanhtoan.providers.offline.TransferProvider",
    "vnpay": "thanhtoan.providers.vnpay.VnpayProvider",
    "paygov": "thanhtoan.providers.paygov.PaygovProvider",
}


def get_provider(code: str):
    if code not in REGISTRY or code not in settings.PAYMENT_PROVIDERS:
        raise NotFoundError("payment_provider_unknown",
                            f"Không có kênh thanh toán “{code}”.")
    return import_string(REGISTRY[code])()


def online_providers() -> list[tuple[str, str]]:
    """(code, Vietnamese label) of the gateways a citizen may choose, in settings order."""
    from thanhtoan.choices import Provider

    return [(code, Provider(code).label) for code in settings.PAYMENT_PROVIDERS
            if code in REGISTRY and get_provider(code).online]
