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
