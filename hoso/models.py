"""Dossiers (hồ sơ), their documents, the append-only event history and the code counters."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from hoso.choices import (
    Action,
    AlertKind,
    ApologyReason,
    ApologyStatus,
    Channel,
    DigitisationState,
    DocumentSource,
    DossierStatus,
    IdType,
    OwnerType,
    PostalService,
    ResultDelivery,
    ReturnMethod,
    SlipVersion,
    StepOutcome,
    WalletAccessPurpose,
    WalletKind,
)
from portal.models import Agency, User
from tthc.models import Procedure


class PrivateStorage(LazyObject):
    """Uploaded papers live outside the web root (SECURITY.md B1 #23): served only through an
    authorised view, never by a media URL."""

    def _setup(self):
        self._wrapped = FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """For FileField(storage=...): a callable keeps the machine's path out of migrations."""
    return private_storage


class DossierQuerySet(models.QuerySet):
    def visible_to(self, user, perm: str = "portal.view_dossier") -> DossierQuerySet:
        """Dossiers an officer may see: received, decided or being handled (liên thông) in
        an agency of their grant's subtree (portal.permissions). Citizens see their own
        through `of_account`."""
        from portal.permissions import agency_ids_with_perm

        # The ids as a list (cached per user and access generation), not a subquery: with
        # three subqueries OR-ed PostgreSQL scans the table; with lists it combines indexes.
        agencies = sorted(agency_ids_with_perm(user, perm))
        return self.filter(models.Q(receiving_agency__in=agencies)
                           | models.Q(deciding_agency__in=agencies)
                           | models.Q(handling_agency__in=agencies))

    def of_account(self, user) -> DossierQuerySet:
        return self.filter(account=user) if user.is_authenticated else self.none()


class Dossier(models.Model):
    """One application by one applicant, from draft to returned result.

    `status` changes only through hoso/workflow.py. The procedure's terms at receipt are kept
    in `terms` (Procedure.terms_snapshot), so amending the procedure never changes this dossier.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Unique through Meta.constraints (no extra LIKE index: codes are looked up whole).
    code = models.CharField(_("mã hồ sơ"), max_length=40, null=True, blank=True)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="dossiers",
                                  verbose_name=_("thủ tục"))
    terms = models.JSONField(_("điều kiện khi tiếp nhận"), default=dict, blank=True)
    slip_version = models.CharField(_("bộ biểu mẫu"), max_length=20,
                                    choices=SlipVersion.choices, blank=True)
    status = models.CharField(_("trạng thái"), max_length=30, choices=DossierStatus.choices,
                              default=DossierStatus.DRAFT)
    channel = models.CharField(_("kênh nộp"), max_length=20, choices=Channel.choices)
    # The agency foreign keys lead the composite indexes of Meta; no single-column index
    # (every index is written on each receipt).
    receiving_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="received_dossiers",
        verbose_name=_("đơn vị tiếp nhận"), db_index=False)
    deciding_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="decided_dossiers",
        verbose_name=_("cơ quan giải quyết"), db_index=False)
    account = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="dossiers",
        verbose_name=_("tài khoản nộp trực tuyến"), db_index=False)  # dossier_account_created
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("người tạo"), db_index=False)
    # The owner (chủ hồ sơ) and the submitter (người nộp) differ when someone files on
    # another's behalf (DOMAIN-2025.md N12).
    owner_type = models.CharField(_("loại chủ hồ sơ"), max_length=30, choices=OwnerType.choices,
                                  default=OwnerType.CITIZEN)
    owner_name = models.CharField(_("chủ hồ sơ"), max_length=255)
    owner_id_type = models.CharField(_("loại giấy tờ"), max_length=20, choices=IdType.choices,
                                     default=IdType.CCCD)
    owner_id_number = models.CharField(_("số giấy tờ"), max_length=30)
    owner_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    owner_email = models.EmailField(_("thư điện tử"), blank=True)
    owner_address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    submitter_name = models.CharField(_("người nộp"), max_length=255, blank=True)
    submitter_id_number = models.CharField(_("số giấy tờ người nộp"), max_length=30, blank=True)
    submitter_phone = models.CharField(_("điện thoại người nộp"), max_length=20, blank=True)
    submitter_relation = models.CharField(_("quan hệ với chủ hồ sơ"), max_length=255,
                                          blank=True)
    form_data = models.JSONField(_("nội dung tờ khai"), default=dict, blank=True)
    result_delivery = models.CharField(_("hình thức nhận kết quả"), max_length=20,
                                       choices=ResultDelivery.choices,
                                       default=ResultDelivery.DESK)
    delivery_address = models.CharField(_("địa chỉ nhận kết quả"), max_length=500, blank=True)
    postal_service = models.CharField(_("hình thức gửi"), max_length=30, blank=True,
                                      choices=PostalService.choices)
    postal_tracking_number = models.CharField(_("số vận đơn"), max_length=50, blank=True)
    fee_total = models.PositiveBigIntegerField(_("tổng phí, lệ phí (đồng)"), null=True,
                                               blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True, editable=False)
    refusal_reason = models.TextField(_("lý do từ chối"), blank=True)
    completion_request = models.TextField(_("nội dung yêu cầu bổ sung"), blank=True)
    submitted_at = models.DateTimeField(_("thời điểm nộp"), null=True, blank=True)
    intake_due_at = models.DateTimeField(_("hạn kiểm tra, tiếp nhận"), null=True, blank=True)
    received_at = models.DateTimeField(_("thời điểm tiếp nhận"), null=True, blank=True)
    clock_start_at = models.DateTimeField(_("bắt đầu tính thời hạn"), null=True, blank=True)
    due_at = models.DateTimeField(_("hẹn trả kết quả"), null=True, blank=True)
    finished_at = models.DateTimeField(_("thời điểm có kết quả"), null=True, blank=True)
    returned_at = models.DateTimeField(_("thời điểm trả kết quả"), null=True, blank=True)
    # --- processing (hoso.services.processing) ---
    handling_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="handled_dossiers",
        verbose_name=_("cơ quan đang xử lý"))
    current_step = models.ForeignKey(
        "DossierStep", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("bước đang xử lý"))
    assignee = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_dossiers",
        verbose_name=_("cán bộ đang xử lý"))
    # The 766 measure: the receipt's due time moved by every pause (supplement, financial
    # obligation), whatever the procedure's supplement rule (DOMAIN-2025.md N24).
    kpi_due_at = models.DateTimeField(_("hạn tính chỉ số 766"), null=True, blank=True)
    paused_at = models.DateTimeField(_("tạm dừng tính thời hạn từ"), null=True, blank=True)
    paused_seconds = models.PositiveBigIntegerField(_("thời gian tạm dừng (giây làm việc)"),
                                                    default=0, db_default=0)
    supplement_count = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung"), default=0,
                                                        db_default=0)
    counted_overdue = models.BooleanField(
        _("tính là quá hạn (yêu cầu bổ sung lần 2 trở lên)"), default=False, db_default=False)
    # Mẫu 04: the apology's new appointment; the original due time is never overwritten (N32).
    extended_due_at = models.DateTimeField(_("ngày hẹn trả mới"), null=True, blank=True)
    apology_count = models.PositiveSmallIntegerField(_("số lần xin lỗi, gia hạn"), default=0,
                                                     db_default=0)
    stop_reason = models.TextField(_("lý do dừng giải quyết"), blank=True, db_default="")
    withdraw_reason = models.TextField(_("lý do rút hồ sơ"), blank=True, db_default="")
    fee_paid_at = models.DateTimeField(_("đã nộp phí, lệ phí lúc"), null=True, blank=True)
    # The exemption groups the applicant claims (tthc.FeeExemption.group), each proved by its
    # paper; the fee quote leaves their items out.
    fee_exemptions = models.JSONField(_("đối tượng miễn phí, lệ phí"), default=list,
                                      blank=True, db_default=[])
    return_method = models.CharField(_("hình thức trả kết quả"), max_length=10, blank=True,
                                     choices=ReturnMethod.choices, db_default="")
    returned_to = models.CharField(_("người nhận kết quả"), max_length=255, blank=True,
                                   db_default="")
    return_tracking_number = models.CharField(_("số vận đơn trả kết quả"), max_length=50,
                                              blank=True, db_default="")
    created_at = models.DateTimeField(_("ngày tạo"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        indexes = [
            # inbox queues: agency + status ordered by due time (keyset pagination)
            models.Index(fields=["receiving_agency", "status", "due_at", "id"],
                         name="dossier_recv_status_due"),
            models.Index(fields=["deciding_agency", "status", "due_at", "id"],
                         name="dossier_dec_status_due"),
            models.Index(fields=["receiving_agency", "status", "intake_due_at", "id"],
                         name="dossier_recv_intake_due"),
            models.Index(fields=["account", "created_at"], name="dossier_account_created"),
            # Partial indexes of the open and the waiting-for-check dossiers: queue pages and
            # capped counts walk only these rows (1M-dossier bench: counts 0.6 s → < 10 ms).
            models.Index(fields=["due_at", "id"], name="dossier_open_due",
                         condition=models.Q(status__in=["received", "in_progress",
                                                        "awaiting_supplement",
                                                        "awaiting_obligation"])),
            models.Index(fields=["intake_due_at", "id"], name="dossier_submitted_intake_due",
                         condition=models.Q(status="submitted")),
            # The reports (baocao.handling): a period handles the dossiers finished after its
            # start or not finished; with the columns the report counts included, each half
            # is an index-only range scan instead of a visit to every wide row (1M-dossier
            # bench: province quarter 4.8 s → see bench/README.md "reports").
            models.Index(fields=["finished_at"], name="dossier_finished_report",
                         include=["received_at", "deciding_agency", "procedure", "channel",
                                  "status", "due_at", "counted_overdue", "supplement_count",
                                  "id"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="dossier_code_unique"),
            models.UniqueConstraint(fields=["account", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""),
                                    name="dossier_submit_idempotency"),
        ]

    def __str__(self) -> str:
        return self.code or f"Hồ sơ nháp #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in DossierStatus.open_states()

    @property
    def appointment(self):
        """The appointment in force: the apology's new date if any, else the due time."""
        return self.extended_due_at or self.due_at

    def is_overdue(self, at=None) -> bool:
        """Open past its due time (overdue is computed, never stored — DESIGN.md §4)."""
        at = at or timezone.now()
        return self.is_open and self.due_at is not None and at > self.due_at

    def intake_overdue(self, at=None) -> bool:
        """An online submission not checked within the limit ("tiếp nhận quá hạn", N16)."""
        at = at or timezone.now()
        return (self.status == DossierStatus.SUBMITTED and self.intake_due_at is not None
                and at > self.intake_due_at)


class DossierDocument(models.Model):
    """One paper of a dossier: which required document it answers, what was handed in and,
    when there is one, the file (checked by its content, hashed, stored privately)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    name = models.CharField(_("tên giấy tờ"), max_length=1000)
    doc_type_code = models.CharField(_("mã loại giấy tờ"), max_length=20, blank=True)
    originals_received = models.PositiveSmallIntegerField(_("bản chính đã nhận"), default=0)
    copies_received = models.PositiveSmallIntegerField(_("bản sao đã nhận"), default=0)
    source = models.CharField(_("nguồn"), max_length=20, choices=DocumentSource.choices,
                              default=DocumentSource.UPLOAD)
    digitised = models.BooleanField(_("đã số hóa"), default=False)
    # --- digitisation (hoso.services.digitisation; DOMAIN.md §3 `GiayToSoHoa`) ---
    # `digitised` stays the quick flag (any digital form); the state says which.
    digitisation = models.CharField(
        _("trạng thái số hóa"), max_length=20, choices=DigitisationState.choices,
        default=DigitisationState.NOT_DIGITISED, db_default=DigitisationState.NOT_DIGITISED)
    # `<dossier code>.<NN>` (TH `GiayToSoHoa.Ma` = `<ma>.<2-digit counter>` [C]; TT 01/2023
    # Art. 10's own format was not read [U]: a provincial format, documented in README).
    digital_code = models.CharField(_("mã giấy tờ số hóa"), max_length=60, blank=True,
                                    db_default="")
    doc_number = models.CharField(_("số, ký hiệu"), max_length=100, blank=True, db_default="")
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    issuer = models.CharField(_("cơ quan ban hành"), max_length=255, blank=True, db_default="")
    valid_until = models.DateField(_("hiệu lực đến ngày"), null=True, blank=True,
                                   help_text=_("Để trống nếu không có thời hạn."))
    page_count = models.PositiveSmallIntegerField(_("số trang"), default=0, db_default=0)
    digitised_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", db_index=False)
    digitised_at = models.DateTimeField(_("thời điểm số hóa"), null=True, blank=True)
    # The wallet entry this paper was taken from instead of an upload (reuse).
    wallet_document = models.ForeignKey(
        "WalletDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("giấy tờ trong kho dữ liệu"))
    file = models.FileField(_("tệp"), storage=get_private_storage, upload_to="dossiers/%Y/%m/",
                            blank=True)
    original_filename = models.CharField(_("tên tệp gốc"), max_length=255, blank=True)
    content_type = models.CharField(_("kiểu tệp"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", db_index=False)
    # Handed in with the n-th supplement (None: at intake). The earlier papers stay: a
    # supplement adds, it never overwrites (DOMAIN-2025.md N19).
    supplement_number = models.PositiveSmallIntegerField(_("bổ sung lần"), null=True,
                                                         blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["digital_code"], condition=~models.Q(digital_code=""),
            name="document_digital_code_unique")]

    def __str__(self) -> str:
        return self.name


class DossierEvent(models.Model):
    """The append-only history of a dossier (the control sheet, Mẫu 05): who did what, where,
    from which status to which."""

    # dossier and actor lead the composite indexes of Meta
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events",
                                db_index=False)
    at = models.DateTimeField(_("thời điểm"), db_default=Now())
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("người thực hiện"),
                              db_index=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("cơ quan"))
    action = models.CharField(_("thao tác"), max_length=40, choices=Action.choices)
    status_before = models.CharField(_("trạng thái trước"), max_length=30, blank=True,
                                     choices=DossierStatus.choices)
    status_after = models.CharField(_("trạng thái sau"), max_length=30, blank=True,
                                    choices=DossierStatus.choices)
    note = models.TextField(_("ghi chú"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("lịch sử xử lý")
        verbose_name_plural = _("lịch sử xử lý")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["dossier", "at"], name="event_dossier_at"),
                   models.Index(fields=["actor", "dossier"], name="event_actor_dossier"),
                   # receipts by time (hoso.notify.write_receipt_messages, reports)
                   models.Index(fields=["at"], name="event_receive_at",
                                condition=models.Q(action="receive"))]

    def __str__(self) -> str:
        return f"{self.get_action_display()} @ {self.at:%H:%M %d/%m/%Y}"


class DossierStep(models.Model):
    """One spell of a dossier at one workflow step (or at another agency, liên thông): who
    holds it, from when, until when it is due, when it ended and whether on time. A step sent
    back and entered again gets a new row, so the rows are the handovers of the control sheet
    (Mẫu 05/06, N27)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("bước"))
    name = models.CharField(_("tên bước"), max_length=255)
    role = models.CharField(_("vai trò"), max_length=30, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("cơ quan"))
    assignee = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("cán bộ xử lý"))
    transfer_from = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("chuyển liên thông từ"))
    started_at = models.DateTimeField(_("bắt đầu"))
    due_at = models.DateTimeField(_("hạn xử lý"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    on_time = models.BooleanField(_("đúng hạn"), null=True)
    outcome = models.CharField(_("kết quả bước"), max_length=20, choices=StepOutcome.choices,
                               default=StepOutcome.OPEN)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("bước xử lý")
        ordering = ["started_at", "pk"]
        indexes = [models.Index(fields=["assignee", "outcome"], name="step_assignee_outcome"),
                   models.Index(fields=["agency", "outcome"], name="step_agency_outcome"),
                   # the deadline jobs walk the open steps in due order (hoso.jobs)
                   models.Index(fields=["due_at", "id"], name="step_open_due",
                                condition=models.Q(outcome="open"))]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class SupplementRequest(models.Model):
    """A request to supplement a received dossier (Mẫu 02 after receipt): every missing or
    wrong paper with its reason (N21). Once per dossier as the rule; a further request needs
    a reason and an approver and counts the dossier overdue for the 766 index (N22)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE,
                                related_name="supplement_requests")
    number = models.PositiveSmallIntegerField(_("lần"))
    items = models.JSONField(_("nội dung cần bổ sung"), default=list)
    reason = models.TextField(_("lý do yêu cầu thêm lần nữa"), blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("người phê duyệt"))
    requested_at = models.DateTimeField(_("thời điểm yêu cầu"))
    clock_rule = models.CharField(_("cách tính thời hạn"), max_length=10)
    due_at_before = models.DateTimeField(_("hạn trả trước khi bổ sung"), null=True)
    received_at = models.DateTimeField(_("thời điểm nhận bổ sung"), null=True, blank=True)
    due_at_after = models.DateTimeField(_("hạn trả mới"), null=True, blank=True)

    class Meta:
        verbose_name = _("yêu cầu bổ sung")
        verbose_name_plural = _("yêu cầu bổ sung")
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["dossier", "number"],
                                               name="unique_supplement_number")]

    def __str__(self) -> str:
        return f"Yêu cầu bổ sung lần {self.number}"


class Apology(models.Model):
    """Mẫu 04: apology and new appointment, issued before the due time with its reason."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="apologies")
    # A draft is prepared by the apology check (hoso.jobs) for the leader to sign and send.
    status = models.CharField(_("trạng thái"), max_length=10, choices=ApologyStatus.choices,
                              default=ApologyStatus.SENT, db_default=ApologyStatus.SENT)
    reason_code = models.CharField(_("lý do (theo danh mục)"), max_length=20, blank=True,
                                   choices=ApologyReason.choices, db_default="")
    reason = models.TextField(_("lý do"), blank=True)
    new_due_at = models.DateTimeField(_("ngày hẹn trả mới"))
    drafted_at = models.DateTimeField(_("thời điểm lập dự thảo"), null=True, blank=True)
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+",
                                  null=True, blank=True)
    issued_at = models.DateTimeField(_("thời điểm"), null=True, blank=True)

    class Meta:
        verbose_name = _("văn bản xin lỗi, hẹn lại")
        verbose_name_plural = _("văn bản xin lỗi, hẹn lại")
        ordering = ["issued_at", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["dossier"], condition=models.Q(status="draft"),
            name="one_apology_draft_per_dossier")]

    def __str__(self) -> str:
        return f"Xin lỗi, hẹn lại {self.new_due_at:%d/%m/%Y}"


class Result(models.Model):
    """The result of a dossier: the document issued, its number and date; for an e-result,
    the signed PDF (code `<dossier code>-KQ<n>`, N35)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="results")
    code = models.CharField(_("mã kết quả"), max_length=60, unique=True)
    name = models.CharField(_("tên giấy tờ kết quả"), max_length=500)
    number = models.CharField(_("số, ký hiệu"), max_length=100)
    issued_on = models.DateField(_("ngày ban hành"))
    signer = models.CharField(_("người ký"), max_length=255, blank=True)
    electronic = models.BooleanField(_("bản điện tử"), default=False)
    file = models.FileField(_("tệp kết quả"), storage=get_private_storage,
                            upload_to="results/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    # --- e-results (hoso.services.eresults, N35–N37) ---
    sequence = models.PositiveSmallIntegerField(_("kết quả thứ"), default=1, db_default=1)
    type_code = models.CharField(_("mã loại kết quả"), max_length=30, blank=True,
                                 db_default="")  # Procedure.result_code at issue
    doc_type_code = models.CharField(_("mã loại giấy tờ"), max_length=20, blank=True,
                                     db_default="")  # Procedure.result_doc_type_code
    valid_until = models.DateField(_("hiệu lực đến ngày"), null=True, blank=True)
    issuing_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="+",
                                       verbose_name=_("cơ quan ban hành"))
    size = models.PositiveBigIntegerField(_("dung lượng"), default=0, db_default=0)
    # The random key in the QR's verification address (the code alone is guessable).
    verify_token = models.CharField(max_length=43, null=True, blank=True, unique=True,
                                    editable=False)
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("lãnh đạo ký số"))
    signed_at = models.DateTimeField(_("thời điểm ký số"), null=True, blank=True)
    # certificate subject, serial and issuer, timestamp authority, signature field
    signature = models.JSONField(_("thông tin chữ ký số"), default=dict, blank=True,
                                 db_default={})
    revoked_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("người thu hồi"))
    revoke_reason = models.TextField(_("lý do thu hồi"), blank=True, db_default="")

    class Meta:
        verbose_name = _("kết quả giải quyết")
        verbose_name_plural = _("kết quả giải quyết")
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} số {self.number}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class WalletDocument(models.Model):
    """One paper in a citizen's or organisation's wallet (kho dữ liệu điện tử, NĐ 45/2020):
    a digitised paper or an e-result, keyed by the owner's CCCD or tax code. The file is the
    source's own stored file (never copied); a revoked or expired entry is kept for lookup
    and no longer offered."""

    owner_id_type = models.CharField(_("loại giấy tờ chủ sở hữu"), max_length=20,
                                     choices=IdType.choices)
    owner_id_number = models.CharField(_("số định danh chủ sở hữu"), max_length=30)
    owner_name = models.CharField(_("chủ sở hữu"), max_length=255)
    kind = models.CharField(_("loại"), max_length=20, choices=WalletKind.choices)
    doc_type_code = models.CharField(_("mã loại giấy tờ"), max_length=20, blank=True)
    code = models.CharField(_("mã giấy tờ"), max_length=60, unique=True)
    name = models.CharField(_("tên giấy tờ"), max_length=1000)
    number = models.CharField(_("số, ký hiệu"), max_length=100, blank=True)
    issued_on = models.DateField(_("ngày ban hành"), null=True, blank=True)
    issuer = models.CharField(_("cơ quan ban hành"), max_length=255, blank=True)
    valid_until = models.DateField(_("hiệu lực đến ngày"), null=True, blank=True)
    file = models.FileField(_("tệp"), storage=get_private_storage, blank=True)
    content_type = models.CharField(_("kiểu tệp"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("dung lượng"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    source_dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("hồ sơ nguồn"), db_index=False)
    source_document = models.OneToOneField(
        DossierDocument, on_delete=models.PROTECT, null=True, blank=True,
        related_name="wallet_entry")
    source_result = models.OneToOneField(Result, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="wallet_entry")
    created_at = models.DateTimeField(_("ngày đưa vào kho"), default=timezone.now)
    revoked_at = models.DateTimeField(_("thời điểm thu hồi"), null=True, blank=True)
    revoke_reason = models.TextField(_("lý do thu hồi"), blank=True)

    class Meta:
        verbose_name = _("giấy tờ trong kho dữ liệu")
        verbose_name_plural = _("kho dữ liệu điện tử")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner_id_number", "doc_type_code"],
                                name="wallet_owner_type")]
        constraints = [models.CheckConstraint(
            condition=models.Q(source_document__isnull=False)
            | models.Q(source_result__isnull=False), name="wallet_has_source")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def is_usable_on(self, day) -> bool:
        """Offered for reuse: not revoked and valid on `day`."""
        return self.revoked_at is None and (self.valid_until is None or self.valid_until >= day)


class WalletUse(models.Model):
    """A reuse: a wallet paper taken instead of a new upload for one paper of a dossier.
    One row per dossier paper, so a reuse is counted once (the reuse KPI) and the owner sees
    who used what, when, for which dossier."""

    wallet_document = models.ForeignKey(WalletDocument, on_delete=models.PROTECT,
                                        related_name="uses")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="wallet_uses",
                                db_index=False)
    document = models.OneToOneField(DossierDocument, on_delete=models.CASCADE,
                                    related_name="wallet_use")
    used_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", db_index=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", db_index=False)
    channel = models.CharField(_("kênh"), max_length=20, choices=Channel.choices)
    used_at = models.DateTimeField(_("thời điểm sử dụng"))

    class Meta:
        verbose_name = _("lượt tái sử dụng")
        verbose_name_plural = _("lượt tái sử dụng")
        ordering = ["-used_at", "-pk"]
        indexes = [models.Index(fields=["dossier"], name="wallet_use_dossier"),
                   models.Index(fields=["used_at"], name="wallet_use_at")]

    def __str__(self) -> str:
        return f"{self.wallet_document_id} → {self.dossier_id}"


class WalletAccess(models.Model):
    """An officer looked into a citizen's wallet: only for a dossier in hand, always logged
    (SECURITY.md: access to personal data is traceable)."""

    officer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # the agency the officer acted for (the one of the dossier they hold a permission on)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", db_index=False, verbose_name=_("cơ quan"))
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+", db_index=False)
    owner_id_number = models.CharField(_("số định danh chủ sở hữu"), max_length=30)
    wallet_document = models.ForeignKey(WalletDocument, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+", db_index=False)
    purpose = models.CharField(_("mục đích"), max_length=20,
                               choices=WalletAccessPurpose.choices)
    at = models.DateTimeField(_("thời điểm"), default=timezone.now)

    class Meta:
        verbose_name = _("lượt truy cập kho dữ liệu")
        verbose_name_plural = _("nhật ký truy cập kho dữ liệu")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["owner_id_number", "at"], name="wallet_access_owner")]

    def __str__(self) -> str:
        return f"{self.officer_id} @ {self.owner_id_number}"


class SigningCertificate(models.Model):
    """An agency's signing certificate for e-results (hoso.signing), or the provincial CA
    (agency empty, is_ca). `seed_demo` makes a demo CA and one certificate per agency; in
    production the key lives in a PKCS#12 file or an HSM named by settings, and `key_pem`
    stays empty."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="signing_certificates")
    is_ca = models.BooleanField(_("chứng thư CA"), default=False)
    subject = models.CharField(_("chủ thể"), max_length=500)
    serial = models.CharField(_("số hiệu"), max_length=100)
    issuer = models.CharField(_("tổ chức cấp"), max_length=500)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    certificate_pem = models.TextField(_("chứng thư số (PEM)"))
    # PKCS#8, encrypted with settings.ESIGN_KEY_PASSPHRASE; empty when the key is external
    key_pem = models.TextField(blank=True, editable=False)
    is_active = models.BooleanField(_("đang sử dụng"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("chứng thư số ký kết quả")
        verbose_name_plural = _("chứng thư số ký kết quả")
        constraints = [models.UniqueConstraint(
            fields=["agency"], condition=models.Q(is_active=True, is_ca=False),
            name="one_active_certificate_per_agency")]

    def __str__(self) -> str:
        return self.subject


class Rating(models.Model):
    """The applicant's rating of the service after return: one per dossier; 1–5 per
    criterion (DOMAIN.md §1 "Evaluation") and a comment."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="rating")
    scores = models.JSONField(_("điểm theo tiêu chí"))
    comment = models.TextField(_("ý kiến"), blank=True)
    rated_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    rated_at = models.DateTimeField(_("thời điểm"))

    class Meta:
        verbose_name = _("đánh giá")
        verbose_name_plural = _("đánh giá")

    def __str__(self) -> str:
        return f"Đánh giá {self.average:.1f}/5"

    @property
    def average(self) -> float:
        values = list(self.scores.values())
        return sum(values) / len(values) if values else 0.0


class DossierAlert(models.Model):
    """A deadline fact recorded once: the dossier (or one of its steps) came near its due time
    or passed it. Unique per dossier, kind and step, so the jobs that write these can run
    twice at once or again after being killed without a second alert (hoso.jobs)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="alerts",
                                db_index=False)  # leads the unique constraint
    kind = models.CharField(_("loại"), max_length=20, choices=AlertKind.choices)
    step = models.ForeignKey("DossierStep", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    at = models.DateTimeField(_("thời điểm"))
    due_at = models.DateTimeField(_("hạn"), null=True)

    class Meta:
        verbose_name = _("cảnh báo thời hạn")
        verbose_name_plural = _("cảnh báo thời hạn")
        # Two partial unique indexes rather than one with NULLS NOT DISTINCT: SQLite (the
        # demo's database) has no such option, and both take ON CONFLICT DO NOTHING.
        constraints = [
            models.UniqueConstraint(fields=["dossier", "kind"],
                                    condition=models.Q(step__isnull=True),
                                    name="unique_alert_dossier_kind"),
            models.UniqueConstraint(fields=["dossier", "kind", "step"],
                                    condition=models.Q(step__isnull=False),
                                    name="unique_alert_dossier_kind_step"),
        ]
        # A run finds what it wrote by its clock reading (hoso.jobs): `at` first. Not
        # (kind, at): while a backlog grows faster than statistics, the planner took that
        # index for "no alert of this kind yet" and rescanned it for every candidate.
        indexes = [models.Index(fields=["at", "kind"], name="alert_at_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.dossier_id}"


class DossierCounter(models.Model):
    """The day's sequence of dossier codes of one unit. The row is locked by the UPDATE that
    takes a number, in the same transaction as the dossier, so numbers never repeat and never
    skip (a rolled-back receipt gives its number back) — a sequence would leave gaps."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"],
                                               name="unique_counter_agency_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day}: {self.value}"
