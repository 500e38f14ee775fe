"""Shapes of the periodic-reporting API (baocao.periodic.api): output serializers over the
selectors' results and the input of a draft. Serializers check shape only; the values are
parsed and validated by baocao.periodic.validation inside the services.

Numbers leave the API as decimal strings in machine form ("12500", "4.25"): exact, never a
float; they come in as the reporter typed them ("1.250,5" or "1250.5")."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from baocao.models import AgencyReport, FormColumn, FormRow, ReportForm
from portal.api import CopiedFieldsMixin


def decimal_text(value: Decimal | None) -> str | None:
    """A Decimal as an exact machine string without exponent ("12500", "4.25")."""
    if value is None:
        return None
    return format(value, "f")


class FormColumnSerializer(serializers.ModelSerializer):
    class Meta:
        model = FormColumn
        fields = ["code", "heading", "group", "value_type", "aggregation", "required",
                  "min_value", "max_value"]
        read_only_fields = fields


class FormRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = FormRow
        fields = ["code", "label", "section", "unit", "value_type", "aggregation", "required",
                  "min_value", "max_value"]
        read_only_fields = fields


class ReportFormSerializer(serializers.ModelSerializer):
    columns = FormColumnSerializer(many=True, read_only=True)
    rows = FormRowSerializer(many=True, read_only=True,
                             help_text="Các dòng cố định; biểu tính từ dữ liệu (ví dụ II.06a) "
                                       "không có dòng cố định, dòng đi theo từng báo cáo.")

    class Meta:
        model = ReportForm
        fields = ["code", "title", "legal_basis", "system", "period_kind", "layout", "source",
                  "unit_note", "description", "rules", "columns", "rows"]
        read_only_fields = fields


class ReportingPeriodSerializer(CopiedFieldsMixin, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    form = serializers.CharField(source="assignment.form.code", read_only=True)
    form_title = serializers.CharField(source="assignment.form.title", read_only=True)
    year = serializers.IntegerField(read_only=True)
    number = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True)
    start = serializers.DateTimeField(read_only=True)
    end = serializers.DateTimeField(read_only=True, help_text="Không gồm thời điểm này.")
    deadline_at = serializers.DateTimeField(read_only=True)
    receiving_agency = serializers.CharField(source="assignment.receiving_agency.code",
                                             read_only=True)


class CompletionCountsSerializer(CopiedFieldsMixin, serializers.Serializer):
    total = serializers.IntegerField()
    sent = serializers.IntegerField(help_text="Đã gửi (đã được lãnh đạo duyệt).")
    sent_on_time = serializers.IntegerField()
    sent_late = serializers.IntegerField()
    overdue_unsent = serializers.IntegerField(help_text="Chưa gửi khi đã quá hạn.")
    late = serializers.IntegerField()
    awaiting_approval = serializers.IntegerField()
    drafting = serializers.IntegerField()
    not_started = serializers.IntegerField()
    ratio = serializers.CharField(help_text="Ví dụ “75/111”.")


class CompletionRowSerializer(CopiedFieldsMixin, serializers.Serializer):
    report = serializers.IntegerField(source="pk")
    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    status = serializers.ChoiceField(choices=AgencyReport.Status.choices)
    bucket = serializers.CharField()
    is_late = serializers.BooleanField()
    channel = serializers.CharField()
    first_sent_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    last_reminded_at = serializers.DateTimeField(allow_null=True)
    sent_version = serializers.IntegerField(source="current_version.number", allow_null=True,
                                            default=None)


class CompletionSerializer(CopiedFieldsMixin, serializers.Serializer):
    period = ReportingPeriodSerializer()
    counts = CompletionCountsSerializer()
    agencies = CompletionRowSerializer(many=True)


def completion_counts(found) -> dict:
    """A selectors.Completion as CompletionCountsSerializer's data."""
    from baocao.periodic.selectors import AWAITING, DRAFTING, NOT_STARTED

    return {"total": found.total, "sent": found.sent, "sent_on_time": found.sent_on_time,
            "sent_late": found.sent_late, "overdue_unsent": found.overdue_unsent,
            "late": found.late, "awaiting_approval": found.by_bucket[AWAITING],
            "drafting": found.by_bucket[DRAFTING], "not_started": found.by_bucket[NOT_STARTED],
            "ratio": found.ratio_text}


class AgencyRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class AggregateRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    section = serializers.CharField(allow_blank=True)
    unit = serializers.CharField(allow_blank=True)
    total = serializers.BooleanField(default=False, help_text="Dòng tổng cộng.")
    values = serializers.DictField(child=serializers.CharField(allow_null=True),
                                   help_text="Mã cột → số liệu tổng hợp (chuỗi số thập phân).")


class AggregateSerializer(serializers.Serializer):
    form = serializers.CharField()
    period = ReportingPeriodSerializer()
    agency = AgencyRefSerializer()
    columns = FormColumnSerializer(many=True)
    rows = AggregateRowSerializer(many=True)
    included = AgencyRefSerializer(many=True, help_text="Các đơn vị đã gửi, được tính.")
    missing = AgencyRefSerializer(many=True, help_text="Các đơn vị được giao chưa gửi.")


def aggregate_data(found: dict) -> dict:
    """selectors.aggregate's result as AggregateSerializer's data."""
    names = found["agencies"]
    values = found["values"]
    return {
        "form": found["form"].code, "period": found["period"],
        "agency": found["agency"], "columns": found["columns"],
        "rows": [{**row, "values": {c: decimal_text(v)
                                    for c, v in values.get(row["code"], {}).items()}}
                 for row in found["rows"]],
        "included": [names[i] for i in found["included"]],
        "missing": [names[i] for i in found["missing"]],
    }


class VersionSerializer(CopiedFieldsMixin, serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    return_reason = serializers.CharField(allow_blank=True)
    content_sha256 = serializers.CharField(allow_blank=True)
    file_sha256 = serializers.CharField(allow_blank=True)


class AgencyReportSerializer(CopiedFieldsMixin, serializers.Serializer):
    """A report in a list (the reporter's inbox)."""

    id = serializers.IntegerField()
    period = serializers.IntegerField(source="period_id")
    period_label = serializers.CharField(source="period.label")
    deadline_at = serializers.DateTimeField(source="period.deadline_at")
    form = serializers.CharField(source="period.assignment.form.code")
    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    status = serializers.ChoiceField(choices=AgencyReport.Status.choices)
    channel = serializers.CharField()
    first_sent_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    sent_version = serializers.IntegerField(source="current_version.number", allow_null=True,
                                            default=None)


class ReportRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    section = serializers.CharField(allow_blank=True)
    unit = serializers.CharField(allow_blank=True)
    total = serializers.BooleanField(default=False, help_text="Dòng tổng cộng.")


class AgencyReportDetailSerializer(AgencyReportSerializer):
    """A report with the version the user reads (a draft for its reporter and leader, the
    sent version for a viewer) and its cells."""

    version = VersionSerializer(allow_null=True)
    columns = FormColumnSerializer(many=True)
    rows = ReportRowSerializer(many=True)
    values = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(allow_null=True)),
        help_text="Mã dòng → mã cột → giá trị (số dạng chuỗi thập phân, hoặc văn bản).")
    notes = serializers.DictField(child=serializers.DictField(child=serializers.CharField()),
                                  help_text="Mã dòng → mã cột → ghi chú của ô.")


def report_detail(report: AgencyReport, version, columns, rows, cells) -> dict:
    """The data of AgencyReportDetailSerializer: the report, the version the user reads, the
    form's columns, the report's rows and its cells."""
    from baocao.periodic.selectors import plain

    values: dict[str, dict[str, str | None]] = {}
    notes: dict[str, dict[str, str]] = {}
    for row, by_column in cells.items():
        for column, cell in by_column.items():
            values.setdefault(row, {})[column] = (
                decimal_text(plain(cell.number)) if cell.number is not None
                else (cell.text or None))
            if cell.note:
                notes.setdefault(row, {})[column] = cell.note
    return {**AgencyReportSerializer(report).data,
            "version": VersionSerializer(version).data if version is not None else None,
            "columns": FormColumnSerializer(columns, many=True).data, "rows": rows,
            "values": values, "notes": notes}


class DraftInput(serializers.Serializer):
    """PUT: the draft's cells as typed (strings), the cells' notes and the report's note."""

    values = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True,
                                                                allow_null=True)),
        help_text="Mã dòng → mã cột → giá trị như người lập nhập, ví dụ "
                  "{\"DS\": {\"value\": \"12.500\"}}.")
    notes = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
        required=False, default=dict)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CellErrorSerializer(serializers.Serializer):
    row = serializers.CharField(allow_blank=True, help_text="Trống: lỗi của cả báo cáo.")
    column = serializers.CharField(allow_blank=True)
    messages = serializers.ListField(child=serializers.CharField())


class InvalidReportSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = CellErrorSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
