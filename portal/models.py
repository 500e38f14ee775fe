"""Users, the organisation tree, role memberships, the working-day calendar and heartbeats."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from treebeard.mp_tree import MP_Node

from portal.choices import (
    AgencyKind,
    AgencyLevel,
    CalendarDayKind,
    HeartbeatSource,
    Role,
)
from portal.validators import (
    validate_agency_code,
    validate_cccd,
    validate_phone,
    validate_tax_code,
    validate_working_hours,
)


class Agency(MP_Node):
    """An agency or desk (cơ quan, đơn vị) in the province's organisation tree.

    The tree is a materialised path (django-treebeard), so "this agency and everything under it"
    is one prefix test. Depth is data: the three-level model (province → district → commune) and
    the two-level model in force since 1/7/2025 (province → commune) live in the same table.
    Permissions are granted on agencies only and apply to the whole subtree (portal.permissions).
    """

    code = models.CharField(
        _("mã định danh"), max_length=20, unique=True, validators=[validate_agency_code],
        help_text=_("Mã định danh điện tử theo QCVN 102, ví dụ 000.00.17.H58."),
    )
    name = models.CharField(_("tên cơ quan"), max_length=255)
    short_name = models.CharField(_("tên viết tắt"), max_length=100, blank=True)
    level = models.CharField(_("cấp"), max_length=20, choices=AgencyLevel.choices)
    kind = models.CharField(_("loại"), max_length=30, choices=AgencyKind.choices)
    admin_unit_code = models.CharField(
        _("mã đơn vị hành chính"), max_length=10, blank=True,
        help_text=_("Mã đơn vị hành chính của Tổng cục Thống kê (nếu có)."),
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    working_hours = models.CharField(
        _("giờ làm việc riêng"), max_length=100, blank=True, validators=[validate_working_hours],
        help_text=_("Để trống để dùng giờ làm việc chung của tỉnh. Ví dụ: 07:00-11:30,13:30-17:00"),
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("cơ quan, đơn vị")
        verbose_name_plural = _("cơ quan, đơn vị")
        # Object permissions granted on an agency; they cover its whole subtree.
        permissions = [
            ("view_dossier", _("Xem hồ sơ")),
            ("receive_dossier", _("Tiếp nhận và trả kết quả hồ sơ")),
            ("process_dossier", _("Xử lý hồ sơ")),
            ("approve_dossier", _("Phê duyệt hồ sơ")),
            ("assign_dossier", _("Phân công xử lý hồ sơ")),
            ("view_reports", _("Xem báo cáo, chỉ số")),
            ("submit_periodic_report", _("Lập báo cáo định kỳ")),
            ("approve_periodic_report", _("Phê duyệt, gửi báo cáo định kỳ")),
            ("manage_agency", _("Quản trị đơn vị")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def parent(self) -> Agency | None:
        return Agency.objects.get_parent(self)


class AgencyUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian table (SECURITY.md B4): no varchar object_pk casts."""

    content_object = models.ForeignKey(Agency, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("quyền của người dùng trên cơ quan")
        verbose_name_plural = _("quyền của người dùng trên cơ quan")


class AgencyGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Agency, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("quyền của nhóm trên cơ quan")
        verbose_name_plural = _("quyền của nhóm trên cơ quan")


class User(AbstractUser):
    """A person who signs in: a citizen (by CCCD), an organisation's representative (tax code)
    or an officer. Roles come from groups named after `Role` values."""

    full_name = models.CharField(_("họ và tên"), max_length=150)
    cccd = models.CharField(
        _("số CCCD"), max_length=12, unique=True, null=True, blank=True,
        validators=[validate_cccd],
    )
    tax_code = models.CharField(
        _("mã số thuế"), max_length=14, unique=True, null=True, blank=True,
        validators=[validate_tax_code],
    )
    phone = models.CharField(_("số điện thoại"), max_length=15, blank=True,
                             validators=[validate_phone])

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name()

    @property
    def roles(self) -> frozenset[str]:
        """Role values of this user; cached on the instance."""
        cached = self.__dict__.get("_roles")
        if cached is None:
            if self.pk is None:
                return frozenset()
            from portal.permissions import shared_fact

            def compute() -> frozenset[str]:
                names = set(self.groups.filter(name__in=Role.values)
                            .values_list("name", flat=True))
                if self.is_superuser:
                    names.add(Role.ADMINISTRATOR)
                return frozenset(names)

            cached = shared_fact(self, "roles", compute)
            self.__dict__["_roles"] = cached
        return cached

    def has_role(self, role: str) -> bool:
        return role in self.roles


class AgencyMembership(models.Model):
    """An officer's role in an agency. `portal.services.grant_role` keeps it in step with the
    guardian object permissions the role gives on that agency."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships",
                             verbose_name=_("người dùng"))
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships",
                               verbose_name=_("cơ quan"))
    role = models.CharField(_("vai trò"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(_("ngày tạo"), db_default=Now())

    class Meta:
        verbose_name = _("vai trò tại cơ quan")
        verbose_name_plural = _("vai trò tại cơ quan")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"],
                                    name="unique_membership_user_agency_role"),
            models.CheckConstraint(condition=~models.Q(role="citizen"),
                                   name="membership_role_is_officer_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"


class CalendarYear(models.Model):
    """A year's official schedule of days off and make-up working days, as the Government and
    the Ministry of Home Affairs announce it (e.g. Thông báo 9441/TB-BNV for 2026)."""

    year = models.PositiveIntegerField(_("năm"), unique=True)
    decision = models.CharField(_("văn bản công bố"), max_length=255, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("lịch nghỉ năm")
        verbose_name_plural = _("lịch nghỉ các năm")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"Lịch nghỉ năm {self.year}"


class CalendarDay(models.Model):
    """A day an administrator entered: an extra day off or a make-up working Saturday.
    It overrides the statutory calendar (weekends and the `holidays` package)."""

    calendar_year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days",
                                      verbose_name=_("năm"))
    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại ngày"), max_length=20, choices=CalendarDayKind.choices)
    name = models.CharField(_("tên, lý do"), max_length=255)
    decision = models.CharField(_("căn cứ"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("ngày nghỉ / ngày làm bù")
        verbose_name_plural = _("ngày nghỉ / ngày làm bù")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.name}"

    def clean(self) -> None:
        # In the admin the year may still be unsaved (no id yet), but it is already attached.
        year = CalendarDay.calendar_year.field.get_cached_value(self, default=None)
        if year is None and self.calendar_year_id:
            year = self.calendar_year
        if self.date and year is not None and self.date.year != year.year:
            raise ValidationError(
                {"date": _("Ngày %(date)s không thuộc năm %(year)s.")
                 % {"date": f"{self.date:%d/%m/%Y}", "year": year.year}}
            )


class Heartbeat(models.Model):
    """The last sign of life of a background process, read by /healthz."""

    source = models.CharField(_("nguồn"), max_length=20, choices=HeartbeatSource.choices,
                              unique=True)
    beat_at = models.DateTimeField(_("thời điểm"))
    hostname = models.CharField(_("máy"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("tín hiệu hoạt động")
        verbose_name_plural = _("tín hiệu hoạt động")

    def __str__(self) -> str:
        return f"{self.source} @ {self.beat_at:%H:%M:%S %d/%m/%Y}"


class JobRunStatus(models.TextChoices):
    RUNNING = "running", _("Đang chạy")
    OK = "ok", _("Hoàn thành")
    FAILED = "failed", _("Lỗi")


class JobRun(models.Model):
    """One run of a scheduled job (portal.jobs): when, how it ended, what it counted."""

    job = models.CharField(_("công việc"), max_length=50, db_index=True)
    started_at = models.DateTimeField(_("bắt đầu"))
    finished_at = models.DateTimeField(_("kết thúc"), null=True, blank=True)
    status = models.CharField(_("trạng thái"), max_length=10, choices=JobRunStatus.choices,
                              default=JobRunStatus.RUNNING)
    counts = models.JSONField(_("kết quả"), default=dict, blank=True)
    error = models.TextField(_("lỗi"), blank=True)
    trigger = models.CharField(_("khởi chạy bởi"), max_length=20, default="schedule")

    class Meta:
        verbose_name = _("lần chạy công việc định kỳ")
        verbose_name_plural = _("lần chạy công việc định kỳ")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["job", "-started_at"], name="jobrun_job_started")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.started_at:%H:%M %d/%m/%Y} ({self.get_status_display()})"


# --- notifications (portal.notifications) -------------------------------------------------


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    FAILED = "failed", _("Gửi không thành công")


class MessageTemplate(models.Model):
    """The texts of one kind of message to applicants (e-mail subject and body, SMS), in
    Django template syntax, edited by administrators. `code` is what services ask for
    (`dossier_received`, `supplement_requested`, `dossier_rejected`, …); the variables each
    code receives are listed in `portal.notifications.TEMPLATE_VARIABLES`. An empty SMS text
    sends no SMS; an inactive template sends nothing."""

    code = models.SlugField(
        _("mã mẫu"), max_length=50, unique=True,
        help_text=_("Mã dùng trong chương trình, ví dụ dossier_received. Không đổi sau khi tạo."),
    )
    name = models.CharField(_("tên mẫu"), max_length=255)
    email_subject = models.CharField(_("tiêu đề thư điện tử"), max_length=255)
    email_body = models.TextField(_("nội dung thư điện tử"))
    sms_body = models.TextField(
        _("nội dung tin nhắn SMS"), blank=True,
        help_text=_("Nên không quá 160 ký tự sau khi điền dữ liệu. Để trống để không gửi SMS."),
    )
    is_active = models.BooleanField(
        _("đang sử dụng"), default=True,
        help_text=_("Bỏ chọn để tạm ngừng gửi thông báo loại này."),
    )
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("mẫu thông báo")
        verbose_name_plural = _("mẫu thông báo")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """One message to one recipient on one channel, sent or attempted (the outbox and its
    log). `event_key` names the business event (e.g. "dossier:123:received"); the unique
    (event_key, channel) pair means a retried task or a repeated call never sends the same
    message twice (SECURITY.md B5). `object_ref` ("dossier:123") links to the subject without
    a foreign key into a higher app. `claimed_at` is the delivery claim (compare-and-set)."""

    template_code = models.CharField(_("mẫu"), max_length=50, db_index=True)
    channel = models.CharField(_("kênh"), max_length=10, choices=NotificationChannel.choices)
    recipient = models.CharField(_("người nhận"), max_length=254)
    subject = models.CharField(_("tiêu đề"), max_length=255, blank=True)
    body = models.TextField(_("nội dung"))
    status = models.CharField(_("trạng thái"), max_length=10, choices=NotificationStatus.choices,
                              default=NotificationStatus.PENDING)
    error = models.TextField(_("lỗi"), blank=True)
    attempts = models.PositiveIntegerField(_("số lần gửi"), default=0)
    provider_message_id = models.CharField(_("mã tin của nhà cung cấp"), max_length=100,
                                           blank=True)
    object_ref = models.CharField(_("đối tượng"), max_length=100, db_index=True)
    event_key = models.CharField(_("khóa sự kiện"), max_length=200)
    created_at = models.DateTimeField(_("tạo lúc"), db_default=Now())
    claimed_at = models.DateTimeField(_("bắt đầu gửi lúc"), null=True, blank=True)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo đã gửi")
        verbose_name_plural = _("thông báo đã gửi")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_key", "channel"],
                                    name="unique_notification_event_channel"),
        ]
        indexes = [
            # the relay and the redelivery sweep read only the rows never tried
            models.Index(fields=["created_at", "id"], name="notification_untried",
                         condition=models.Q(status="pending", attempts=0)),
        ]

    def __str__(self) -> str:
        return f"{self.template_code} → {self.recipient} ({self.get_status_display()})"
