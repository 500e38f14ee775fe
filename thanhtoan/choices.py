"""Stored choice values of payments: English values, Vietnamese labels (DOMAIN.md §7,
PAYMENTS.md A2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    """The payment request of a dossier (DOMAIN.md §7, TrangThai)."""

    UNPAID = "unpaid", _("Chưa thanh toán")
    AWAITING = "awaiting", _("Chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    CANCELLED = "cancelled", _("Hủy thanh toán")
    REFUNDED = "refunded", _("Đã hoàn phí")


class AttemptStatus(models.TextChoices):
    """One try at paying (PAYMENTS.md A2, pretix style: one row per redirect)."""

    CREATED = "created", _("Mới tạo")
    PENDING = "pending", _("Đang chờ kết quả")
    PAID = "paid", _("Thành công")
    FAILED = "failed", _("Không thành công")
    CANCELLED = "cancelled", _("Đã hủy")
    EXPIRED = "expired", _("Hết hạn")
    REVIEW = "review", _("Nghi ngờ, chờ xem xét")

    @classmethod
    def unsettled(cls) -> tuple[str, ...]:
        return (cls.CREATED, cls.PENDING, cls.REVIEW)


class Outcome(models.TextChoices):
    """What a provider says about an attempt (ProviderResult.outcome)."""

    PAID = "paid", _("Đã thanh toán")
    FAILED = "failed", _("Không thành công")
    CANCELLED = "cancelled", _("Người nộp hủy")
    PENDING = "pending", _("Đang xử lý")
    REVIEW = "review", _("Nghi ngờ")
    NOT_FOUND = "not_found", _("Không có giao dịch")
    UNKNOWN = "unknown", _("Không xác định")


class Method(models.TextChoices):
    """HinhThucThanhToan (DOMAIN.md §7)."""

    ONLINE = "online", _("Trực tuyến")
    CASH = "cash", _("Tiền mặt")
    TRANSFER = "transfer", _("Chuyển khoản")


class Provider(models.TextChoices):
    CASH = "cash", _("Tiền mặt tại bộ phận một cửa")
    TRANSFER = "transfer", _("Chuyển khoản ngân hàng (cán bộ xác nhận)")
    VNPAY = "vnpay", _("Cổng thanh toán VNPay")
    PAYGOV = "paygov", _("Nền tảng thanh toán trực tuyến của Cổng Dịch vụ công quốc gia")


class CallbackKind(models.TextChoices):
    IPN = "ipn", _("Thông báo từ cổng (IPN)")
    RETURN = "return", _("Trình duyệt quay về")
    QUERY = "query", _("Truy vấn trạng thái")
    SETTLEMENT = "settlement", _("Đối soát")

