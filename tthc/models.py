"""The procedure catalogue: fields, procedures with documents, fees and e-forms, workflows."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.choices import AgencyLevel, Role, TimeUnit
from portal.models import Agency
from tthc.choices import (
    LEGACY_LEVEL,
    BoundaryFreeScope,
    Channel,
    ClockRule,
    FeeKind,
    FeeTiming,
    ImplementerRelation,
    ResultType,
    ServiceMode,
    StepAgency,
)
from tthc.search import fold

national_code_validator = RegexValidator(
    r"^\d\.\d{6}$", _("Mã thủ tục quốc gia có dạng 1.001234 (một chữ số, dấu chấm, 6 chữ số).")
)
result_code_validator = RegexValidator(
    r"^KQ\.[A-Z0-9]{1,10}\.\d{6}$", _("Mã loại kết quả có dạng KQ.G15.000031.")
)
code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]{0,19}$", _("Mã chỉ gồm chữ in hoa không dấu, chữ số và dấu gạch ngang.")
)
STEP_ROLES = [(r.value, r.label) for r in (Role.DESK_OFFICER, Role.PROCESSING_OFFICER,
                                           Role.LEADER)]


class Field(models.Model):
    """A sector (lĩnh vực) procedures are grouped by."""

    code = models.CharField(_("mã lĩnh vực"), max_length=20, unique=True,
                            validators=[code_validator])
    name = models.CharField(_("tên lĩnh vực"), max_length=255)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProcedureQuerySet(models.QuerySet):
    def published(self, on=None) -> ProcedureQuerySet:
        """Procedures in force on a date: published and not yet retired."""
        on = on or timezone.localdate()
        return self.filter(published_from__lte=on).exclude(retired_on__lte=on)


class Procedure(models.Model):
    """An administrative procedure (thủ tục hành chính) as the province publishes it.

    A dossier keeps `terms_snapshot()` of the procedure it was received under, so amending the
    procedure never changes an open dossier (DESIGN.md §3)."""

    national_code = models.CharField(_("mã thủ tục"), max_length=20, unique=True,
                                     validators=[national_code_validator])
    name = models.CharField(_("tên thủ tục"), max_length=500)
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="procedures",
                              verbose_name=_("lĩnh vực"))
    processing_time = models.DecimalField(
        _("thời hạn giải quyết"), max_digits=7, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), _("Thời hạn giải quyết phải lớn hơn 0."))],
    )
    time_unit = models.CharField(_("đơn vị thời hạn"), max_length=20, choices=TimeUnit.choices,
                                 default=TimeUnit.WORKING_DAYS)
    same_day_cutoff = models.BooleanField(
        _("trả trong ngày, sau 15 giờ trả ngày làm việc tiếp theo"), default=False)
    supplement_clock = models.CharField(
        _("thời hạn sau khi bổ sung hồ sơ"), max_length=10, choices=ClockRule.choices,
        default=ClockRule.RESTART)
    fee_timing = models.CharField(_("thời điểm nộp phí, lệ phí"), max_length=20,
                                  choices=FeeTiming.choices, default=FeeTiming.AT_INTAKE)
    service_mode = models.CharField(_("mức độ dịch vụ công trực tuyến"), max_length=10,
                                    choices=ServiceMode.choices, default=ServiceMode.INFO)
    accepts_direct = models.BooleanField(_("nộp trực tiếp"), default=True)
    accepts_postal = models.BooleanField(_("nộp qua bưu chính"), default=True)
    accepts_online = models.BooleanField(_("nộp trực tuyến"), default=False)
    online_only = models.BooleanField(
        _("chỉ tiếp nhận trực tuyến"), default=False,
        help_text=_("Bộ phận Một cửa không nhận hồ sơ giấy (ví dụ 25 dịch vụ thiết yếu từ "
                    "01/10/2025)."),
    )
    boundary_free = models.BooleanField(_("không phụ thuộc địa giới hành chính"), default=False)
    boundary_free_scope = models.CharField(_("phạm vi"), max_length=20, blank=True,
                                           choices=BoundaryFreeScope.choices)
    boundary_free_decision = models.CharField(_("quyết định phê duyệt danh mục"), max_length=255,
                                              blank=True)
    boundary_free_from = models.DateField(_("áp dụng từ ngày"), null=True, blank=True)
    boundary_free_until = models.DateField(_("áp dụng đến ngày"), null=True, blank=True)
    result_name = models.CharField(_("kết quả thực hiện"), max_length=500)
    result_type = models.CharField(_("loại kết quả"), max_length=20, choices=ResultType.choices,
                                   default=ResultType.OTHER)
    result_electronic = models.BooleanField(_("có kết quả điện tử"), default=False)
    # The result-type code of the catalogue, `KQ.<issuer>.<6 digits>` (DOMAIN.md §2,
    # TH `MaKetQuaChinh` [C]); e-results carry it.
    result_code = models.CharField(
        _("mã loại kết quả (danh mục)"), max_length=30, blank=True, db_default="",
        validators=[result_code_validator], help_text=_("Ví dụ KQ.G15.000031."))
    # The document type the result becomes in the citizen's wallet: a later procedure whose
    # required document has this type is offered the result instead of an upload.
    result_doc_type_code = models.CharField(
        _("mã loại giấy tờ của kết quả"), max_length=20, blank=True, db_default="",
        validators=[code_validator],
        help_text=_("Cùng bảng mã với thành phần hồ sơ (ví dụ GKS), để tái sử dụng kết quả."))
    result_validity_months = models.PositiveSmallIntegerField(
        _("thời hạn hiệu lực của kết quả (tháng)"), null=True, blank=True,
        help_text=_("Để trống nếu kết quả không có thời hạn."))
    # The body of the e-result (a Django template rendered with `dossier`, `result`,
    # `agency`); empty: the generic result template (templates/pdf/eresult.html).
    result_template = models.TextField(_("mẫu kết quả điện tử (HTML)"), blank=True,
                                       db_default="")
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    interagency = models.BooleanField(_("liên thông"), default=False)
    competent_authority = models.CharField(_("cơ quan có thẩm quyền"), max_length=500,
                                           blank=True)
    announcing_decision = models.CharField(_("quyết định công bố"), max_length=255, blank=True)
    source = models.TextField(_("nguồn"), blank=True)
    illustrative = models.JSONField(
        _("số liệu minh họa"), default=list, blank=True,
        help_text=_("Những trường chưa có nguồn công khai (chỉ dùng cho dữ liệu mẫu)."))
    notes = models.TextField(_("ghi chú"), blank=True)
    featured = models.BooleanField(_("thủ tục được quan tâm"), default=False,
                                   help_text=_("Hiển thị trên trang chủ."))
    published_from = models.DateField(_("công bố từ ngày"), default=timezone.localdate)
    retired_on = models.DateField(_("hết hiệu lực từ ngày"), null=True, blank=True)
    eform_schema = models.JSONField(_("biểu mẫu điện tử (JSON Schema)"), default=dict,
                                    blank=True)
    version = models.PositiveIntegerField(_("phiên bản"), default=1, editable=False)
    search_text = models.TextField(editable=False, default="")
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    objects = ProcedureQuerySet.as_manager()

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["field__name", "name"]
        # The trigram index on search_text (PostgreSQL only) is created by migration 0002.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(processing_time__gt=0), name="procedure_time_positive"),
            models.CheckConstraint(
                condition=models.Q(accepts_direct=True) | models.Q(accepts_postal=True)
                | models.Q(accepts_online=True),
                name="procedure_has_a_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.national_code} — {self.name}"

    def save(self, *args, **kwargs):
        self.search_text = fold(f"{self.national_code} {self.name}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.service_mode in (ServiceMode.PARTIAL, ServiceMode.FULL) and not self.accepts_online:
            errors["accepts_online"] = _(
                "Thủ tục là dịch vụ công trực tuyến thì phải cho phép nộp trực tuyến.")
        if self.service_mode == ServiceMode.INFO and self.accepts_online:
            errors["service_mode"] = _(
                "Thủ tục chỉ cung cấp thông tin thì không thể nhận hồ sơ trực tuyến.")
        if self.online_only and not self.accepts_online:
            errors["online_only"] = _("Thủ tục chỉ tiếp nhận trực tuyến phải cho phép nộp "
                                      "trực tuyến.")
        if not (self.accepts_direct or self.accepts_postal or self.accepts_online):
            errors["accepts_direct"] = _("Thủ tục phải có ít nhất một cách nộp hồ sơ.")
        if self.boundary_free and not self.boundary_free_scope:
            errors["boundary_free_scope"] = _(
                "Chọn phạm vi tiếp nhận không phụ thuộc địa giới hành chính.")
        if not self.boundary_free and self.boundary_free_scope:
            errors["boundary_free_scope"] = _("Chỉ chọn phạm vi khi thủ tục không phụ thuộc "
                                              "địa giới hành chính.")
        if (self.boundary_free_from and self.boundary_free_until
                and self.boundary_free_until < self.boundary_free_from):
            errors["boundary_free_until"] = _("Ngày kết thúc phải sau ngày bắt đầu.")
        if self.retired_on and self.published_from and self.retired_on <= self.published_from:
            errors["retired_on"] = _("Ngày hết hiệu lực phải sau ngày công bố.")
        if self.eform_schema:
            from tthc.eforms import schema_errors

            problems = schema_errors(self.eform_schema)
            if problems:
                errors["eform_schema"] = problems[0]
        if errors:
            raise ValidationError(errors)

    @property
    def legacy_level(self) -> int:
        return LEGACY_LEVEL[ServiceMode(self.service_mode)]

    @property
    def channels(self) -> list[str]:
        pairs = [(self.accepts_direct, Channel.DIRECT), (self.accepts_online, Channel.ONLINE),
                 (self.accepts_postal, Channel.POSTAL)]
        return [channel.value for accepted, channel in pairs if accepted]

    def accepts(self, channel: str) -> bool:
        return channel in self.channels and not (self.online_only and channel != Channel.ONLINE)

    def is_boundary_free_on(self, day) -> bool:
        return (self.boundary_free
                and (self.boundary_free_from is None or self.boundary_free_from <= day)
                and (self.boundary_free_until is None or day <= self.boundary_free_until))

    def terms_snapshot(self) -> dict:
        """The terms a dossier is received under, as plain JSON (DESIGN.md §3)."""
        from tthc.snapshots import procedure_terms

        return procedure_terms(self)


class ProcedureLevel(models.Model):
    """A government level that carries out the procedure (several are possible)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="levels")
    level = models.CharField(_("cấp thực hiện"), max_length=20, choices=AgencyLevel.choices)

    class Meta:
        verbose_name = _("cấp thực hiện")
        verbose_name_plural = _("cấp thực hiện")
        constraints = [models.UniqueConstraint(fields=["procedure", "level"],
                                               name="unique_procedure_level")]

    def __str__(self) -> str:
        return self.get_level_display()


class RequiredDocument(models.Model):
    """A paper the procedure asks for (thành phần hồ sơ)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    name = models.CharField(_("tên giấy tờ"), max_length=1000)
    doc_type_code = models.CharField(
        _("mã loại giấy tờ"), max_length=20, blank=True, validators=[code_validator],
        help_text=_("Liên kết với kho dữ liệu điện tử của công dân (ví dụ CCCD, GKS)."))
    originals = models.PositiveSmallIntegerField(_("số bản chính"), default=1)
    copies = models.PositiveSmallIntegerField(_("số bản sao"), default=0)
    required = models.BooleanField(_("bắt buộc"), default=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["position", "pk"]
        constraints = [models.CheckConstraint(
            condition=models.Q(originals__gt=0) | models.Q(copies__gt=0),
            name="document_has_a_copy_count")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.originals and not self.copies:
            raise ValidationError(_("Giấy tờ phải có ít nhất một bản chính hoặc bản sao."))


def online_price(amount: int | None, amount_online: int | None,
                 discount_percent: Decimal | str | int = 0) -> int | None:
    """The amount when submitted online: the amount the regulation sets for online dossiers,
    or the general amount less the province's discount rate, rounded to whole đồng (half up).
    None when the general amount is not published. Shared by FeeItem and the fee quote."""
    if amount is None:
        return None
    if amount_online is not None:
        return int(amount_online)
    discounted = Decimal(amount) * (100 - Decimal(discount_percent or 0)) / 100
    return int(discounted.quantize(Decimal(1), rounding="ROUND_HALF_UP"))


class FeeItem(models.Model):
    """A fee (phí) or charge (lệ phí). `amount` None means "not published" — never shown as
    free. The online discount is the rate the province set by resolution."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="fees")
    position = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    kind = models.CharField(_("loại"), max_length=10, choices=FeeKind.choices)
    name = models.CharField(_("tên khoản thu"), max_length=500)
    amount = models.PositiveBigIntegerField(_("mức thu (đồng)"), null=True, blank=True)
    unit = models.CharField(_("đơn vị tính"), max_length=50, default="hồ sơ")
    per_unit = models.BooleanField(_("thu theo đơn vị"), default=False)
    amount_online = models.PositiveBigIntegerField(
        _("mức thu khi nộp trực tuyến (đồng)"), null=True, blank=True,
        help_text=_("Khi văn bản quy định mức thu riêng cho hồ sơ trực tuyến (ví dụ TT 75/2022/"
                    "TT-BTC); để trống thì tính theo tỷ lệ giảm."))
    online_discount_percent = models.DecimalField(
        _("giảm khi nộp trực tuyến (%)"), max_digits=7, decimal_places=4, default=Decimal(0),
        validators=[MinValueValidator(0), MaxValueValidator(100)])
    discount_basis = models.CharField(_("căn cứ giảm"), max_length=500, blank=True)
    effective_from = models.DateField(_("áp dụng từ ngày"), null=True, blank=True)
    effective_to = models.DateField(_("áp dụng đến hết ngày"), null=True, blank=True,
                                    help_text=_("Để trống nếu chưa có ngày hết hiệu lực, ví dụ "
                                                "mức giảm theo TT 44/2023/TT-BTC áp dụng "
                                                "1/7–31/12/2023."))
    legal_basis = models.CharField(_("căn cứ pháp lý của mức thu"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("phí, lệ phí")
        verbose_name_plural = _("phí, lệ phí")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.amount_online is not None and (self.amount is None
                                               or self.amount_online > self.amount):
            raise ValidationError({"amount_online": _(
                "Mức thu trực tuyến phải có mức thu chung và không lớn hơn mức thu chung.")})
        if self.amount_online is not None and self.online_discount_percent:
            raise ValidationError({"online_discount_percent": _(
                "Chỉ nhập mức thu trực tuyến hoặc tỷ lệ giảm, không nhập cả hai.")})
        if (self.effective_from and self.effective_to
                and self.effective_to < self.effective_from):
            raise ValidationError({"effective_to": _(
                "Ngày hết áp dụng không được trước ngày bắt đầu áp dụng.")})

    def online_amount(self) -> int | None:
        return online_price(self.amount, self.amount_online, self.online_discount_percent)

    def in_force_on(self, day) -> bool:
        return ((self.effective_from is None or self.effective_from <= day)
                and (self.effective_to is None or day <= self.effective_to))


class FeeExemption(models.Model):
    """A group exempt from a fee item, with the paper that proves it."""

    fee = models.ForeignKey(FeeItem, on_delete=models.CASCADE, related_name="exemptions")
    group = models.CharField(_("đối tượng miễn"), max_length=500)
    proof = models.CharField(_("giấy tờ chứng minh"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("đối tượng miễn, giảm")
        verbose_name_plural = _("đối tượng miễn, giảm")

    def __str__(self) -> str:
        return self.group


class ProcedureAttachment(models.Model):
    """A downloadable official form or guide uploaded by an administrator."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE,
                                  related_name="attachments")
    title = models.CharField(_("tên tài liệu"), max_length=255)
    file = models.FileField(_("tệp"), upload_to="tthc/forms/")

    class Meta:
        verbose_name = _("mẫu đơn, tờ khai")
        verbose_name_plural = _("mẫu đơn, tờ khai")

    def __str__(self) -> str:
        return self.title


class ProcedureAgency(models.Model):
    """Which agencies carry out a procedure. By default every people's committee of a level the
    procedure belongs to carries it out; `implements` rows name the agencies explicitly for a
    level (e.g. the provincial department), `excluded` rows take an agency out."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="agencies")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="procedures")
    relation = models.CharField(_("quan hệ"), max_length=20, choices=ImplementerRelation.choices,
                                default=ImplementerRelation.IMPLEMENTS)

    class Meta:
        verbose_name = _("cơ quan thực hiện")
        verbose_name_plural = _("cơ quan thực hiện")
        constraints = [models.UniqueConstraint(fields=["procedure", "agency"],
                                               name="unique_procedure_agency")]

    def __str__(self) -> str:
        return f"{self.agency} — {self.get_relation_display()}"


class Workflow(models.Model):
    """The steps a dossier of this procedure goes through at one level; every agency of that
    level uses the same workflow (DESIGN.md §3)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="workflows")
    level = models.CharField(_("cấp"), max_length=20, choices=AgencyLevel.choices)

    class Meta:
        verbose_name = _("quy trình")
        verbose_name_plural = _("quy trình")
        constraints = [models.UniqueConstraint(fields=["procedure", "level"],
                                               name="one_workflow_per_procedure_level")]

    def __str__(self) -> str:
        return f"{self.procedure.name} — {self.get_level_display()}"


class WorkflowStep(models.Model):
    """One step: who does it, in which agency relative to the dossier, and its share of the
    processing time (in the procedure's unit)."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("tên bước"), max_length=255)
    role = models.CharField(_("vai trò thực hiện"), max_length=30, choices=STEP_ROLES)
    agency = models.CharField(_("cơ quan thực hiện"), max_length=30, choices=StepAgency.choices,
                              default=StepAgency.DECIDING)
    share = models.DecimalField(
        _("thời gian"), max_digits=7, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), _("Thời gian của bước phải lớn hơn 0."))])
    may_send_back = models.BooleanField(_("được trả lại bước trước"), default=False)

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("bước xử lý")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["workflow", "position"],
                                               name="unique_step_position")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"
