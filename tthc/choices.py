"""Stored choice values of the catalogue: English values, Vietnamese labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceMode(models.TextChoices):
    """Online service mode under NĐ 42/2022 (DOMAIN.md §3); legacy levels 2/3/4 derive from it."""

    INFO = "info", _("Cung cấp thông tin")
    PARTIAL = "partial", _("Dịch vụ công trực tuyến một phần")
    FULL = "full", _("Dịch vụ công trực tuyến toàn trình")


# Pre-2022 online levels (DESIGN.md §7: 4 ≈ full, 3 ≈ partial; information-only services were
# levels 1–2, counted as 2 because the portal publishes their blank forms).
LEGACY_LEVEL = {ServiceMode.INFO: 2, ServiceMode.PARTIAL: 3, ServiceMode.FULL: 4}


class Channel(models.TextChoices):
    """How a dossier may be submitted (DOMAIN.md §1: codes 1 direct, 2 online, 3 postal)."""

    DIRECT = "direct", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POSTAL = "postal", _("Qua dịch vụ bưu chính công ích")


class BoundaryFreeScope(models.TextChoices):
    """Scope of "không phụ thuộc địa giới hành chính" (DOMAIN-2025.md §1.4, N03)."""

    NONE = "", _("Không áp dụng")
    PROVINCE = "province", _("Trong phạm vi tỉnh")
    NATIONWIDE = "nationwide", _("Toàn quốc")


class ResultType(models.TextChoices):
    LICENCE = "licence", _("Giấy phép")
    CERTIFICATE = "certificate", _("Giấy chứng nhận")
    DECISION = "decision", _("Quyết định")
    CONFIRMATION = "confirmation", _("Văn bản xác nhận")
    REGISTRATION = "registration", _("Đăng ký, ghi sổ")
    COPY = "copy", _("Bản sao, trích lục")
    OTHER = "other", _("Khác")


class FeeKind(models.TextChoices):
    FEE = "phi", _("Phí")
    CHARGE = "le_phi", _("Lệ phí")


class StepAgency(models.TextChoices):
    """Which agency carries out a workflow step, relative to the dossier (DESIGN.md §3)."""

    RECEIVING = "receiving", _("Cơ quan tiếp nhận")
    DECIDING = "deciding", _("Cơ quan giải quyết")
    PARENT_OF_DECIDING = "parent_of_deciding", _("Cơ quan cấp trên của cơ quan giải quyết")


class ImplementerRelation(models.TextChoices):
    IMPLEMENTS = "implements", _("Thực hiện")
    EXCLUDED = "excluded", _("Không thực hiện")


class ClockRule(models.TextChoices):
    """What a supplement does to the clock (DOMAIN-2025.md N24) [K]: restart the whole
    processing time once the complete dossier is back (older legal wording; default) or
    pause it for the time the citizen took."""

    RESTART = "restart", _("Tính lại từ đầu khi nhận đủ hồ sơ bổ sung")
    PAUSE = "pause", _("Tạm dừng trong thời gian chờ bổ sung")


class FeeTiming(models.TextChoices):
    """When the fee is collected: at intake (desk cash or online, default), before processing
    starts (DESIGN.md §4: blocks `start` until paid) or when the result is returned (blocks
    `return_result` until paid)."""

    AT_INTAKE = "at_intake", _("Nộp khi tiếp nhận")
    BEFORE_PROCESSING = "before_processing", _("Nộp trước khi giải quyết")
    AT_RETURN = "at_return", _("Nộp khi nhận kết quả")
