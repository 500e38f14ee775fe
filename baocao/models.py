"""Reports kept as they were taken (issue 6: the 2-day duty report)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hoso.models import get_private_storage


class DutyReport(models.Model):
    """The status report the provincial office receives every 2 days before 17:00: one row
    per deciding agency, counted by one set-based query (baocao.services.take_duty_report)
    and kept as taken, so a later correction of a dossier never rewrites a sent report."""

    period_start = models.DateTimeField(_("từ"))
    period_end = models.DateTimeField(_("đến"))
    taken_at = models.DateTimeField(_("lập lúc"))
    rows = models.JSONField(_("số liệu theo cơ quan"), default=list)
    emailed_to = models.JSONField(_("đã gửi tới"), default=list)

    class Meta:
        verbose_name = _("báo cáo tình hình giải quyết 2 ngày")
        verbose_name_plural = _("báo cáo tình hình giải quyết 2 ngày")
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"Báo cáo {self.period_start:%d/%m} – {self.period_end:%d/%m/%Y}"


# --- issue 9: KPI snapshots, frozen official reports, background report jobs -------------------

class SnapshotRun(models.Model):
    """One pass of the KPI snapshot (every 2 days at 16:30, or "take snapshot now"): every KPI
    for every agency, computed set-based. A day has one scheduled run; a manual run or a
    recomputation is a new run with its own rows — a snapshot is never rewritten."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Theo lịch")
        MANUAL = "manual", _("Chụp ngay")
        RECOMPUTE = "recompute", _("Tính lại")

    day = models.DateField(_("ngày chụp"))
    trigger = models.CharField(_("cách chạy"), max_length=20, choices=Trigger.choices)
    period_start = models.DateTimeField(_("đầu kỳ"))
    period_end = models.DateTimeField(_("cuối kỳ"))
    taken_at = models.DateTimeField(_("lập lúc"))
    taken_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+")
    code_version = models.CharField(_("phiên bản mã nguồn"), max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(_("thời gian chạy (ms)"), default=0)
    recomputes = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="recomputations",
                                   verbose_name=_("tính lại của lần chụp"))

    class Meta:
        verbose_name = _("lần chụp chỉ số")
        verbose_name_plural = _("lần chụp chỉ số")
        ordering = ["-taken_at"]
        constraints = [models.UniqueConstraint(
            fields=["day"], condition=models.Q(trigger="schedule"),
            name="one_scheduled_snapshot_per_day")]

    def __str__(self) -> str:
        return f"Chụp chỉ số {self.day:%d/%m/%Y} ({self.get_trigger_display()})"


class KpiSnapshot(models.Model):
    """One KPI of one agency (its subtree) in one snapshot run: numerator and denominator as
    counted, so a rate is always traceable to two counts."""

    run = models.ForeignKey(SnapshotRun, on_delete=models.CASCADE, related_name="values")
    kpi = models.CharField(_("chỉ số"), max_length=60)
    agency = models.ForeignKey("portal.Agency", on_delete=models.PROTECT, related_name="+")
    numerator = models.BigIntegerField(_("tử số"), null=True)
    denominator = models.BigIntegerField(_("mẫu số"), null=True)
    # the KPI's value (a rate in %, a count or an average), None when there is no data
    value = models.DecimalField(_("giá trị"), max_digits=14, decimal_places=4, null=True)

    class Meta:
        verbose_name = _("giá trị chỉ số")
        verbose_name_plural = _("giá trị chỉ số")
        constraints = [models.UniqueConstraint(fields=["run", "kpi", "agency"],
                                               name="unique_snapshot_value")]
        indexes = [models.Index(fields=["kpi", "agency", "run"], name="snapshot_kpi_agency")]

    def __str__(self) -> str:
        return f"{self.kpi} {self.agency_id}: {self.value}"


class ReportExport(models.Model):
    """An official report as it was exported (XLSX or PDF): its parameters, the cells, the
    code version that computed them and the SHA-256 of the file, so it can be shown again
    exactly as sent and a recomputation can say what changed."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"
        PDF = "pdf", "PDF"

    kind = models.CharField(_("loại báo cáo"), max_length=60)
    title = models.CharField(_("tên báo cáo"), max_length=500)
    agency = models.ForeignKey("portal.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("đơn vị báo cáo"))
    period_start = models.DateTimeField(_("từ"))
    period_end = models.DateTimeField(_("đến"))
    params = models.JSONField(_("tham số"), default=dict)
    data = models.JSONField(_("số liệu"), default=dict)
    format = models.CharField(_("định dạng"), max_length=10, choices=Format.choices)
    file = models.FileField(_("tệp"), storage=get_private_storage, upload_to="reports/%Y/%m/",
                            blank=True)
    sha256 = models.CharField(max_length=64)
    code_version = models.CharField(_("phiên bản mã nguồn"), max_length=64, blank=True)
    created_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("lập lúc"))

    class Meta:
        verbose_name = _("báo cáo đã xuất")
        verbose_name_plural = _("báo cáo đã xuất")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["agency", "kind", "created_at"],
                                name="export_agency_kind")]

    def __str__(self) -> str:
        return f"{self.title} ({self.created_at:%d/%m/%Y})"


class ReportJob(models.Model):
    """A long report computed in the background (Celery): progress for the page's bar and
    the file when done."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang tính")
        DONE = "done", _("Hoàn thành")
        FAILED = "failed", _("Lỗi")

    public_id = models.UUIDField(unique=True, editable=False)
    kind = models.CharField(_("loại báo cáo"), max_length=60)
    params = models.JSONField(_("tham số"), default=dict)
    status = models.CharField(_("trạng thái"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    progress = models.PositiveIntegerField(_("đã xong"), default=0)
    total = models.PositiveIntegerField(_("tổng số phần"), default=0)
    export = models.ForeignKey(ReportExport, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    error = models.TextField(_("lỗi"), blank=True)
    requested_by = models.ForeignKey("portal.User", on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(_("yêu cầu lúc"))
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("báo cáo chạy nền")
        verbose_name_plural = _("báo cáo chạy nền")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


# --- issue 10: periodic reporting (GRIS/LRIS-style forms submitted by agencies) ---------------

class ReportForm(models.Model):
    """A periodic report form defined as data: the national GRIS forms ("/VPCP/KSTT", TT
    01/2020/TT-VPCP) and provincial LRIS indicator sets. A TABLE form has rows × columns
    (Biểu II.06a: fields by level × 13 columns); an INDICATORS form is a list of indicators,
    one value each. A form with a ``source`` is computable from the portal's own data: its
    values (and, for the handling-results form, its rows) are pre-filled from dossiers."""

    class Layout(models.TextChoices):
        TABLE = "table", _("Bảng (dòng × cột)")
        INDICATORS = "indicators", _("Danh mục chỉ tiêu")

    class Source(models.TextChoices):
        NONE = "", _("Nhập tay")
        HANDLING = "handling", _("Tình hình, kết quả giải quyết TTHC (từ hồ sơ)")
        PROCEDURE_COUNT = "procedure_count", _("Số lượng TTHC (từ danh mục TTHC)")

    class System(models.TextChoices):
        GRIS = "gris", _("Kỳ báo cáo (15 – 14)")
        CALENDAR = "calendar", _("Theo tháng dương lịch")

    class Kind(models.TextChoices):
        MONTH = "month", _("Tháng")
        QUARTER = "quarter", _("Quý")
        HALF = "half", _("6 tháng")
        NINE_MONTHS = "nine_months", _("9 tháng")
        YEAR = "year", _("Năm")

    code = models.CharField(_("ký hiệu biểu"), max_length=60, unique=True)
    title = models.CharField(_("tên biểu"), max_length=500)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=500, blank=True)
    system = models.CharField(_("cách tính kỳ"), max_length=10, choices=System.choices,
                              default=System.GRIS)
    period_kind = models.CharField(_("kỳ báo cáo"), max_length=12, choices=Kind.choices)
    layout = models.CharField(_("dạng biểu"), max_length=12, choices=Layout.choices)
    source = models.CharField(_("nguồn số liệu"), max_length=20, choices=Source.choices,
                              blank=True, default=Source.NONE)
    unit_note = models.CharField(_("đơn vị tính"), max_length=200, blank=True)
    description = models.TextField(_("hướng dẫn"), blank=True)
    # Cross-cell rules, e.g. {"kind": "sum", "axis": "column", "target": "3",
    # "parts": ["4", "5", "6"]}: on every row, column 3 = 4 + 5 + 6 (baocao.periodic.validation).
    rules = models.JSONField(_("quy tắc kiểm tra"), default=list, blank=True)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("sửa lúc"), auto_now=True)

    class Meta:
        verbose_name = _("biểu mẫu báo cáo định kỳ")
        verbose_name_plural = _("biểu mẫu báo cáo định kỳ")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class ValueType(models.TextChoices):
    INTEGER = "integer", _("Số nguyên")
    DECIMAL = "decimal", _("Số thập phân")
    PERCENT = "percent", _("Tỷ lệ %")
    TEXT = "text", _("Văn bản")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Cộng")
    AVERAGE = "avg", _("Trung bình")
    NONE = "none", _("Không tổng hợp")


class _CellRule(models.Model):
    """What a cell may hold: its type, whether it is required, its bounds, and how the values
    of several agencies are combined up the tree."""

    value_type = models.CharField(_("kiểu giá trị"), max_length=10, choices=ValueType.choices,
                                  default=ValueType.INTEGER)
    aggregation = models.CharField(_("cách tổng hợp"), max_length=4,
                                   choices=Aggregation.choices, default=Aggregation.SUM)
    required = models.BooleanField(_("bắt buộc"), default=True)
    min_value = models.DecimalField(_("giá trị nhỏ nhất"), max_digits=20, decimal_places=4,
                                    null=True, blank=True, default=0)
    max_value = models.DecimalField(_("giá trị lớn nhất"), max_digits=20, decimal_places=4,
                                    null=True, blank=True)
    order = models.PositiveIntegerField(_("thứ tự"), default=0)

    class Meta:
        abstract = True


class FormColumn(_CellRule):
    """A column of a TABLE form (its code is the printed column number, e.g. "3"); an
    INDICATORS form has one column, "value"."""

    form = models.ForeignKey(ReportForm, on_delete=models.CASCADE, related_name="columns")
    code = models.CharField(_("mã cột"), max_length=20)
    heading = models.CharField(_("tên cột"), max_length=300)
    group = models.CharField(_("nhóm cột (tiêu đề gộp)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("cột của biểu")
        verbose_name_plural = _("cột của biểu")
        ordering = ["form", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["form", "code"],
                                               name="unique_form_column")]

    def __str__(self) -> str:
        return f"({self.code}) {self.heading}"


class FormRow(_CellRule):
    """A fixed row of a form: an indicator of an INDICATORS form (with its unit, type and
    rule), or a row of a TABLE form. A computable TABLE form (source set) may have no fixed
    rows: its rows come from the data (fields by level), stored with each version."""

    form = models.ForeignKey(ReportForm, on_delete=models.CASCADE, related_name="rows")
    code = models.CharField(_("mã chỉ tiêu"), max_length=40)
    label = models.CharField(_("tên chỉ tiêu"), max_length=500)
    section = models.CharField(_("nhóm, lĩnh vực"), max_length=300, blank=True)
    unit = models.CharField(_("đơn vị tính"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("chỉ tiêu của biểu")
        verbose_name_plural = _("chỉ tiêu của biểu")
        ordering = ["form", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["form", "code"], name="unique_form_row")]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class ReportAssignment(models.Model):
    """A form assigned to a set of agencies (e.g. every commune) from a first period on, with
    the deadline in working days after the period's cut-off and the reminder schedule."""

    form = models.ForeignKey(ReportForm, on_delete=models.PROTECT, related_name="assignments")
    agencies = models.ManyToManyField("portal.Agency", related_name="report_assignments",
                                      verbose_name=_("đơn vị phải báo cáo"))
    receiving_agency = models.ForeignKey("portal.Agency", on_delete=models.PROTECT,
                                         related_name="+",
                                         verbose_name=_("đơn vị nhận báo cáo"))
    # Khánh Hòa QĐ 01/2023 Art. 4: reports are sent within 2 working days [C] (DOMAIN.md §5).
    deadline_working_days = models.PositiveSmallIntegerField(
        _("hạn nộp (ngày làm việc sau ngày chốt số liệu)"), default=2)
    remind_before_days = models.PositiveSmallIntegerField(
        _("nhắc trước hạn (ngày làm việc)"), default=1)
    remind_after_days = models.PositiveSmallIntegerField(
        _("nhắc lại sau hạn mỗi (ngày làm việc)"), default=1)
    first_period_start = models.DateField(_("áp dụng từ kỳ có ngày bắt đầu"))
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    created_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("giao lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("giao báo cáo")
        verbose_name_plural = _("giao báo cáo")
        ordering = ["form__code", "-created_at"]

    def __str__(self) -> str:
        return f"{self.form.code} → {self.receiving_agency}"


class ReportingPeriod(models.Model):
    """One period of an assignment, opened automatically (Celery beat) once it starts: every
    assigned agency gets its AgencyReport (not started) at opening."""

    assignment = models.ForeignKey(ReportAssignment, on_delete=models.CASCADE,
                                   related_name="periods")
    year = models.PositiveSmallIntegerField(_("năm"))
    number = models.PositiveSmallIntegerField(_("số kỳ"))
    label = models.CharField(_("kỳ"), max_length=100)
    start = models.DateTimeField(_("từ"))
    end = models.DateTimeField(_("đến (không gồm)"))
    deadline_at = models.DateTimeField(_("hạn nộp"))
    opened_at = models.DateTimeField(_("mở lúc"))

    class Meta:
        verbose_name = _("kỳ báo cáo")
        verbose_name_plural = _("kỳ báo cáo")
        ordering = ["-start", "assignment"]
        constraints = [models.UniqueConstraint(fields=["assignment", "year", "number"],
                                               name="unique_assignment_period")]

    def __str__(self) -> str:
        return f"{self.assignment.form.code} {self.label}"


class AgencyReport(models.Model):
    """One agency's report for one period: its status and its versions."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Chưa lập")
        DRAFT = "draft", _("Đang lập")
        SUBMITTED = "submitted", _("Chờ lãnh đạo duyệt")
        RETURNED = "returned", _("Lãnh đạo trả lại")
        APPROVED = "approved", _("Đã gửi")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Trực tuyến trên hệ thống")
        PAPER = "paper", _("Văn bản giấy (nhập hộ)")

    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE,
                               related_name="reports")
    agency = models.ForeignKey("portal.Agency", on_delete=models.PROTECT,
                               related_name="periodic_reports")
    status = models.CharField(_("trạng thái"), max_length=12, choices=Status.choices,
                              default=Status.NOT_STARTED)
    channel = models.CharField(_("hình thức gửi"), max_length=10, choices=Channel.choices,
                               blank=True)
    # the version the province reads (the last approved one); a draft may follow it
    current_version = models.ForeignKey("ReportVersion", on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="+")
    first_sent_at = models.DateTimeField(_("gửi lần đầu lúc"), null=True, blank=True)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    last_reminded_at = models.DateTimeField(_("nhắc lần cuối lúc"), null=True, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("báo cáo của đơn vị")
        verbose_name_plural = _("báo cáo của đơn vị")
        ordering = ["period", "agency__path"]
        constraints = [models.UniqueConstraint(fields=["period", "agency"],
                                               name="unique_period_agency")]
        indexes = [models.Index(fields=["agency", "status"], name="agency_report_status")]

    def __str__(self) -> str:
        return f"{self.period} — {self.agency}"


class ReportVersion(models.Model):
    """A version of an agency's report. A draft is edited in place; a submitted version is
    frozen (values, who, when, SHA-256 of its canonical content and of its PDF) and is only
    ever replaced by a new version with a reason."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Bản nháp")
        SUBMITTED = "submitted", _("Đã trình")
        APPROVED = "approved", _("Đã duyệt, đã gửi")
        RETURNED = "returned", _("Bị trả lại")
        SUPERSEDED = "superseded", _("Đã được thay thế")

    report = models.ForeignKey(AgencyReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("phiên bản"))
    status = models.CharField(_("trạng thái"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT)
    reason = models.TextField(_("lý do thay thế"), blank=True)
    # the rows of a computable form whose rows come from the data: [{"code", "label",
    # "section"}]; empty when the form has fixed rows
    rows = models.JSONField(_("các dòng"), default=list, blank=True)
    # what the portal computed when the draft was pre-filled: {"as_of": iso, "values": {...}}
    prefill = models.JSONField(_("số liệu tính sẵn"), default=dict, blank=True)
    note = models.TextField(_("ghi chú, giải trình"), blank=True)
    created_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("tạo lúc"))
    updated_at = models.DateTimeField(_("sửa lúc"))
    submitted_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")
    submitted_at = models.DateTimeField(_("trình lúc"), null=True, blank=True)
    decided_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+",
                                   verbose_name=_("lãnh đạo duyệt / trả lại"))
    decided_at = models.DateTimeField(_("duyệt / trả lại lúc"), null=True, blank=True)
    return_reason = models.TextField(_("lý do trả lại"), blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(_("tệp đã ký gửi"), storage=get_private_storage,
                            upload_to="periodic/%Y/%m/", blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("phiên bản báo cáo")
        verbose_name_plural = _("phiên bản báo cáo")
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="unique_report_version"),
            # at most one version open for editing per report
            models.UniqueConstraint(fields=["report"], condition=models.Q(status="draft"),
                                    name="one_draft_per_report"),
        ]

    def __str__(self) -> str:
        return f"{self.report} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class ReportValue(models.Model):
    """One cell of a version: a number (Decimal, never float) or a text, with the officer's
    note (e.g. why a pre-filled figure was changed)."""

    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="values")
    row = models.CharField(_("dòng"), max_length=40)
    column = models.CharField(_("cột"), max_length=20)
    number = models.DecimalField(_("số"), max_digits=20, decimal_places=4, null=True,
                                 blank=True)
    text = models.TextField(_("nội dung"), blank=True)
    note = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        verbose_name = _("số liệu")
        verbose_name_plural = _("số liệu")
        constraints = [models.UniqueConstraint(fields=["version", "row", "column"],
                                               name="unique_version_cell")]

    def __str__(self) -> str:
        return f"{self.row}/{self.column}"


class ReportReminder(models.Model):
    """A reminder sent to an agency about its report: before the deadline, after it (by the
    daily job), or at one click by the provincial office. The job sends each kind at most
    once per working day."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Nhắc trước hạn")
        AFTER = "after", _("Nhắc quá hạn")
        MANUAL = "manual", _("Nhắc thủ công")

    report = models.ForeignKey(AgencyReport, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    day = models.DateField(_("ngày (giờ Việt Nam)"))
    sent_at = models.DateTimeField(_("gửi lúc"))
    sent_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    recipients = models.JSONField(_("người nhận"), default=list)

    class Meta:
        verbose_name = _("nhắc nộp báo cáo")
        verbose_name_plural = _("nhắc nộp báo cáo")
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(
            fields=["report", "kind", "day"], condition=~models.Q(kind="manual"),
            name="one_scheduled_reminder_a_day")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.report}"
