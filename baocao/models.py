"""Reports kept as they were taken (issue 6: the 2-day duty report)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
