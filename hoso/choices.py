"""Stored choice values of dossiers: English values, Vietnamese labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DossierStatus(models.TextChoices):
    """The dossier state machine (DESIGN.md §4); transitions live in hoso/workflow.py only."""

    DRAFT = "draft", _("Bản nháp")
    SUBMITTED = "submitted", _("Đã nộp, chờ tiếp nhận")
    AWAITING_COMPLETION = "awaiting_completion", _("Chờ bổ sung, hoàn thiện trước tiếp nhận")
    RECEIVED = "received", _("Đã tiếp nhận")
    IN_PROGRESS = "in_progress", _("Đang giải quyết")
    AWAITING_SUPPLEMENT = "awaiting_supplement", _("Chờ bổ sung")
    AWAITING_OBLIGATION = "awaiting_obligation", _("Chờ thực hiện nghĩa vụ tài chính")
    RESOLVED = "resolved", _("Đã có kết quả")
    RETURNED = "returned", _("Đã trả kết quả")
    REFUSED = "refused", _("Từ chối")
    WITHDRAWN = "withdrawn", _("Đã rút hồ sơ")
    STOPPED = "stopped", _("Dừng giải quyết")

    @classmethod
    def open_states(cls) -> frozenset[str]:
        """Received and not finished: the clock runs or is paused."""
        return frozenset({cls.RECEIVED, cls.IN_PROGRESS, cls.AWAITING_SUPPLEMENT,
                          cls.AWAITING_OBLIGATION})

    @classmethod
    def before_receipt(cls) -> frozenset[str]:
        return frozenset({cls.DRAFT, cls.SUBMITTED, cls.AWAITING_COMPLETION})


class Channel(models.TextChoices):
    """How a dossier came in. `national_code` is the channel code reports split by
    (DOMAIN.md §1: 1 direct, 2 online, 3 postal; DOMAIN-2025.md N09 adds DVCQG and VNeID)."""

    DIRECT = "direct", _("Trực tiếp")
    POSTAL = "postal", _("Qua dịch vụ bưu chính")
    ONLINE = "online", _("Trực tuyến trên Cổng Một Cửa")
    NATIONAL_PORTAL = "national_portal", _("Trực tuyến qua Cổng Dịch vụ công quốc gia")
    VNEID = "vneid", _("Trực tuyến qua VNeID")

    @classmethod
    def online_channels(cls) -> frozenset[str]:
        return frozenset({cls.ONLINE, cls.NATIONAL_PORTAL, cls.VNEID})


CHANNEL_NATIONAL_CODE = {Channel.DIRECT: 1, Channel.ONLINE: 2, Channel.NATIONAL_PORTAL: 2,
                         Channel.VNEID: 2, Channel.POSTAL: 3}


class PostalService(models.TextChoices):
    PUBLIC_POST = "public_post", _("Bưu chính công ích")
    HIRED_SERVICE = "hired_service", _("Dịch vụ thuê")
    AUTHORISED_PERSON = "authorised_person", _("Người được ủy quyền")


class OwnerType(models.TextChoices):
    CITIZEN = "citizen", _("Công dân")
    BUSINESS = "business", _("Doanh nghiệp")
    STATE_AGENCY = "state_agency", _("Cơ quan nhà nước")
    OTHER_ORGANISATION = "other_organisation", _("Tổ chức khác")


class IdType(models.TextChoices):
    CCCD = "cccd", _("Căn cước / CCCD")
    PASSPORT = "passport", _("Hộ chiếu")
    TAX_CODE = "tax_code", _("Mã số thuế")
    OTHER = "other", _("Giấy tờ khác")


class ResultDelivery(models.TextChoices):
    DESK = "desk", _("Nhận tại Bộ phận Một cửa")
    POST = "post", _("Nhận qua dịch vụ bưu chính")
    ONLINE = "online", _("Nhận bản điện tử trực tuyến")


class DocumentSource(models.TextChoices):
    UPLOAD = "upload", _("Công dân tải lên")
    DESK_SCAN = "desk_scan", _("Số hóa tại Bộ phận Một cửa")
    WALLET = "wallet", _("Tái sử dụng từ kho dữ liệu")
    NATIONAL_DB = "national_db", _("Khai thác từ cơ sở dữ liệu quốc gia")


class DigitisationState(models.TextChoices):
    """How a paper of a dossier exists in digital form. TH practice (DOMAIN.md §3, [C]
    `GiayToSoHoa.TrangThaiSoHoa` 0–3 and `DuocLayTuKhoDMQuocGia`), mapped to the DVCQG flags
    `DuocSoHoa`, `DuocTaiSuDung`, `DuocLayTuKhoDMQG`."""

    NOT_DIGITISED = "not_digitised", _("Chưa số hóa")
    DIGITISED = "digitised", _("Đã số hóa")
    REUSED_DOCUMENT = "reused_document", _("Tái sử dụng giấy tờ đã số hóa của hồ sơ trước")
    REUSED_RESULT = "reused_result", _("Tái sử dụng kết quả giải quyết trước")
    NATIONAL_SOURCE = "national_source", _("Khai thác từ cơ sở dữ liệu quốc gia")

    @classmethod
    def digital_states(cls) -> frozenset[str]:
        return frozenset({cls.DIGITISED, cls.REUSED_DOCUMENT, cls.REUSED_RESULT,
                          cls.NATIONAL_SOURCE})

    @classmethod
    def reuse_states(cls) -> frozenset[str]:
        return frozenset({cls.REUSED_DOCUMENT, cls.REUSED_RESULT, cls.NATIONAL_SOURCE})


class WalletKind(models.TextChoices):
    """What a citizen's wallet entry is (TH `LoaiSoHoa`: 0 thành phần, 1 kết quả)."""

    DOCUMENT = "document", _("Giấy tờ đã số hóa")
    RESULT = "result", _("Kết quả giải quyết thủ tục hành chính")


class WalletAccessPurpose(models.TextChoices):
    SUGGEST = "suggest", _("Xem gợi ý giấy tờ cho hồ sơ")
    DOWNLOAD = "download", _("Tải giấy tờ")


class SlipVersion(models.TextChoices):
    """Which set of official forms a dossier's slips use (DOMAIN-2025.md N49)."""

    TT01_2018 = "tt01_2018", _("Thông tư 01/2018/TT-VPCP")
    TT03_2025 = "tt03_2025", _("Thông tư 03/2025/TT-VPCP")


class Action(models.TextChoices):
    """Actions of the transition table and other recorded events."""

    SUBMIT = "submit", _("Nộp hồ sơ")
    REQUEST_COMPLETION = "request_completion", _("Yêu cầu bổ sung, hoàn thiện trước tiếp nhận")
    RESUBMIT = "resubmit", _("Nộp lại sau khi bổ sung")
    RECEIVE = "receive", _("Tiếp nhận")
    REJECT_INTAKE = "reject_intake", _("Từ chối tiếp nhận")
    WITHDRAW = "withdraw", _("Rút hồ sơ")
    START = "start", _("Bắt đầu giải quyết")
    ASSIGN = "assign", _("Phân công xử lý")
    FORWARD = "forward", _("Chuyển bước tiếp theo")
    SEND_BACK = "send_back", _("Trả lại bước trước")
    TRANSFER = "transfer", _("Chuyển liên thông")
    TRANSFER_BACK = "transfer_back", _("Trả kết quả liên thông")
    REQUEST_SUPPLEMENT = "request_supplement", _("Yêu cầu bổ sung hồ sơ")
    SUPPLEMENT = "supplement", _("Bổ sung hồ sơ")
    REQUEST_OBLIGATION = "request_obligation", _("Yêu cầu thực hiện nghĩa vụ tài chính")
    OBLIGATION_MET = "obligation_met", _("Đã thực hiện nghĩa vụ tài chính")
    APOLOGIZE = "apologize", _("Xin lỗi và hẹn lại ngày trả kết quả")
    REFUSE = "refuse", _("Từ chối giải quyết")
    STOP = "stop", _("Dừng giải quyết")
    RESOLVE = "resolve", _("Hoàn thành giải quyết")
    RETURN_RESULT = "return_result", _("Trả kết quả")
    RATE = "rate", _("Đánh giá")
    # recorded by the payment layer (thanhtoan), not a transition
    FEE_PAID = "fee_paid", _("Đã nộp phí, lệ phí")
    # recorded by digitisation and e-results (hoso.services), not transitions
    DIGITISE = "digitise", _("Số hóa thành phần hồ sơ")
    ISSUE_RESULT = "issue_result", _("Ký số, ban hành kết quả điện tử")
    REVOKE_RESULT = "revoke_result", _("Thu hồi kết quả")
    # recorded by the deadline jobs (hoso.jobs), not transitions
    NEAR_DUE = "near_due", _("Sắp đến hạn")
    OVERDUE = "overdue", _("Quá hạn")


class StepOutcome(models.TextChoices):
    OPEN = "open", _("Đang xử lý")
    DONE = "done", _("Hoàn thành")
    SENT_BACK = "sent_back", _("Trả lại bước trước")
    TRANSFERRED = "transferred", _("Chuyển liên thông")
    CLOSED = "closed", _("Kết thúc (hồ sơ dừng, rút hoặc từ chối)")


class ReturnMethod(models.TextChoices):
    DESK = "desk", _("Trả tại Bộ phận Một cửa")
    POST = "post", _("Trả qua dịch vụ bưu chính")
    ONLINE = "online", _("Trả trực tuyến (tải bản điện tử)")


# National Public Service Portal status codes (DOMAIN.md §8, DOMAIN-2025.md §11).
NATIONAL_STATUS = {
    DossierStatus.DRAFT: None,  # never sent
    DossierStatus.SUBMITTED: 1,  # Mới đăng ký
    DossierStatus.AWAITING_COMPLETION: 5,  # Yêu cầu bổ sung giấy tờ (before receipt)
    DossierStatus.RECEIVED: 2,  # Được tiếp nhận
    DossierStatus.IN_PROGRESS: 4,  # Đang xử lý
    DossierStatus.AWAITING_SUPPLEMENT: 5,  # Yêu cầu bổ sung giấy tờ
    DossierStatus.AWAITING_OBLIGATION: 6,  # Yêu cầu thực hiện nghĩa vụ tài chính
    DossierStatus.REFUSED: 3,  # Không được tiếp nhận (refused at intake or after)
    DossierStatus.WITHDRAWN: 7,  # Công dân yêu cầu rút hồ sơ
    DossierStatus.STOPPED: 8,  # Dừng xử lý
    DossierStatus.RESOLVED: 9,  # Đã xử lý xong
    DossierStatus.RETURNED: 10,  # Đã trả kết quả
}


def national_status(status: str) -> int | None:
    """The national portal's status code (1–10) of an internal status; None for a draft."""
    return NATIONAL_STATUS[DossierStatus(status)]


class AlertKind(models.TextChoices):
    NEAR_DUE = "near_due", _("Sắp đến hạn")
    OVERDUE = "overdue", _("Quá hạn")
    STEP_NEAR_DUE = "step_near_due", _("Bước xử lý sắp đến hạn")
    STEP_OVERDUE = "step_overdue", _("Bước xử lý quá hạn")


class ApologyStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo chờ lãnh đạo ký")
    SENT = "sent", _("Đã ban hành")


class ApologyReason(models.TextChoices):
    """Why a dossier needs a new appointment (N31: a reason chosen from a list plus free
    text) [K]: the list is a default an administrator may extend in code."""

    VERIFICATION = "verification", _("Cần xác minh, làm rõ thêm thông tin")
    INTERAGENCY = "interagency", _("Chờ ý kiến, kết quả của cơ quan phối hợp (liên thông)")
    TECHNICAL = "technical", _("Sự cố kỹ thuật của hệ thống thông tin")
    FORCE_MAJEURE = "force_majeure", _("Thiên tai, dịch bệnh, sự kiện bất khả kháng")
    OFFICER = "officer", _("Cán bộ giải quyết vắng mặt, phải chuyển người khác")
    OTHER = "other", _("Lý do khác")
