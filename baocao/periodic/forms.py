"""Forms of the periodic-reporting pages: a form's definition (its header, columns, rows or
indicators and cross-cell rules), an assignment, a reason, and the report grid read from a
POST. They check shape only; the services (baocao.periodic.setup for forms and assignments,
baocao.periodic.services for reports) check the rules and answer with Vietnamese messages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from baocao.models import Aggregation, ReportForm, ValueType
from portal.choices import AgencyLevel
from portal.models import Agency

# a code may be printed on a form and travels in a cell's input name (v|row|column)
CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._:\-]*$")
BAD_CODE = ("Mã chỉ gồm chữ không dấu, chữ số và các dấu . _ : - , bắt đầu bằng chữ hoặc số "
            "(ví dụ 3, CT01, level:commune).")
DUPLICATE_CODE = "Mã “%(code)s” bị trùng."
NO_COLUMNS = "Biểu phải có ít nhất một cột."
NO_ROWS = "Biểu dạng danh mục chỉ tiêu phải có ít nhất một chỉ tiêu."
BAD_PARTS = "Liệt kê các mã thành phần, cách nhau bằng dấu phẩy hoặc dấu +, ví dụ 4, 5, 6."
NO_AGENCIES = "Chọn ít nhất một đơn vị phải báo cáo."
NO_UNDER = "Chọn đơn vị cấp trên để giao cho mọi đơn vị của cấp đã chọn trực thuộc đơn vị đó."
NOT_SUBMITTED = "Ông/Bà chưa chọn thao tác."
NO_REASON = "Vui lòng nhập lý do."
CELL_SEPARATOR = "|"


def _code(value: str) -> str:
    value = value.strip()
    if not CODE_PATTERN.match(value):
        raise ValidationError(BAD_CODE)
    return value


def agency_label(agency: Agency) -> str:
    """"— — UBND xã A1" (indented by depth, for the agency selects)."""
    return "— " * max(agency.depth - 1, 0) + agency.name


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Agency) -> str:
        return agency_label(obj)


class AgencyMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Agency) -> str:
        return agency_label(obj)


def _agencies() -> Iterable[Agency]:
    return Agency.objects.only("name", "depth", "path", "code").order_by("path")


# --- a form's definition --------------------------------------------------------------------

class FormHeaderForm(forms.Form):
    code = forms.CharField(label="Ký hiệu biểu", max_length=60,
                           help_text="Ví dụ II.06a/VPCP/KSTT hoặc LRIS-KTXH-01.")
    title = forms.CharField(label="Tên biểu", max_length=500)
    legal_basis = forms.CharField(label="Căn cứ pháp lý", max_length=500, required=False)
    system = forms.ChoiceField(label="Cách tính kỳ", choices=ReportForm.System.choices,
                               help_text="Kỳ báo cáo 15 – 14 theo Nghị định 09/2019/NĐ-CP, "
                                         "hoặc theo tháng dương lịch.")
    period_kind = forms.ChoiceField(label="Kỳ báo cáo", choices=ReportForm.Kind.choices)
    layout = forms.ChoiceField(label="Dạng biểu", choices=ReportForm.Layout.choices)
    source = forms.ChoiceField(label="Nguồn số liệu", choices=ReportForm.Source.choices,
                               required=False)
    unit_note = forms.CharField(label="Đơn vị tính", max_length=200, required=False,
                                help_text="Ví dụ: Đơn vị tính: Số hồ sơ TTHC.")
    description = forms.CharField(label="Hướng dẫn lập biểu", required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # the code identifies the form in every period and export
            self.fields["code"].disabled = True

    def clean_code(self) -> str:
        return " ".join(self.cleaned_data["code"].split())


class _CellRuleForm(forms.Form):
    value_type = forms.ChoiceField(label="Kiểu", choices=ValueType.choices,
                                   initial=ValueType.INTEGER)
    aggregation = forms.ChoiceField(label="Tổng hợp", choices=Aggregation.choices,
                                    initial=Aggregation.SUM)
    required = forms.BooleanField(label="Bắt buộc", required=False, initial=True)
    min_value = forms.DecimalField(label="Nhỏ nhất", required=False, max_digits=20,
                                   decimal_places=4, initial=Decimal(0))
    max_value = forms.DecimalField(label="Lớn nhất", required=False, max_digits=20,
                                   decimal_places=4)

    def clean(self) -> dict:
        cleaned = super().clean()
        low, high = cleaned.get("min_value"), cleaned.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", "Giá trị lớn nhất phải không nhỏ hơn giá trị nhỏ nhất.")
        return cleaned


class ColumnForm(_CellRuleForm):
    code = forms.CharField(label="Mã cột", max_length=20,
                           help_text="Số cột in trên biểu, ví dụ 3.")
    heading = forms.CharField(label="Tên cột", max_length=300)
    group = forms.CharField(label="Nhóm cột (tiêu đề gộp)", max_length=300, required=False)
    field_order = ["code", "heading", "group", "value_type", "aggregation", "required",
                   "min_value", "max_value"]

    def clean_code(self) -> str:
        return _code(self.cleaned_data["code"])


class RowForm(_CellRuleForm):
    code = forms.CharField(label="Mã", max_length=40)
    label = forms.CharField(label="Tên chỉ tiêu / dòng", max_length=500)
    section = forms.CharField(label="Nhóm, lĩnh vực", max_length=300, required=False)
    unit = forms.CharField(label="Đơn vị tính", max_length=60, required=False)
    field_order = ["code", "label", "section", "unit", "value_type", "aggregation", "required",
                   "min_value", "max_value"]

    def clean_code(self) -> str:
        return _code(self.cleaned_data["code"])


class RuleForm(forms.Form):
    """"target = part + part + …" (or "target ≤ …") on every row (axis column) or every
    column (axis row); baocao.periodic.validation checks it on submission."""

    AXES = (("column", "Giữa các cột, trên mọi dòng"), ("row", "Giữa các chỉ tiêu (dòng)"))
    KINDS = (("sum", "bằng tổng của"), ("lte", "không lớn hơn tổng của"))

    axis = forms.ChoiceField(label="Áp dụng", choices=AXES, initial="column")
    target = forms.CharField(label="Mã", max_length=40)
    kind = forms.ChoiceField(label="Quan hệ", choices=KINDS, initial="sum")
    parts = forms.CharField(label="Các mã thành phần", max_length=400,
                            help_text="Ví dụ: 4, 5, 6")

    def clean_target(self) -> str:
        return _code(self.cleaned_data["target"])

    def clean_parts(self) -> list[str]:
        parts = [p.strip() for p in re.split(r"[,+;\s]+", self.cleaned_data["parts"])
                 if p.strip()]
        if not parts or not all(CODE_PATTERN.match(p) for p in parts):
            raise ValidationError(BAD_PARTS)
        return parts


class _Lines(forms.BaseFormSet):
    """Lines of a definition: blank extra lines and lines marked "Xóa" are left out."""

    key = "code"

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Xóa"
        for field in form.fields.values():  # the headings are the table's; say them again
            field.widget.attrs.setdefault("aria-label", str(field.label))

    def kept(self) -> list[forms.Form]:
        return [f for f in self.forms
                if getattr(f, "cleaned_data", None) and f.cleaned_data.get(self.key)
                and not (self.can_delete and self._should_delete_form(f))]


class _UniqueCodes(_Lines):
    """A code may appear once."""

    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for form in self.kept():
            code = form.cleaned_data["code"]
            if code in seen:
                form.add_error("code", DUPLICATE_CODE % {"code": code})
            seen.add(code)

    def items(self) -> list[dict]:
        return [{**{k: v for k, v in f.cleaned_data.items() if k != "DELETE"},
                 "order": i + 1} for i, f in enumerate(self.kept())]


class _Rules(_Lines):
    key = "target"

    def items(self) -> list[dict]:
        return [{"kind": f.cleaned_data["kind"], "axis": f.cleaned_data["axis"],
                 "target": f.cleaned_data["target"], "parts": f.cleaned_data["parts"]}
                for f in self.kept()]


ColumnFormSet = formset_factory(ColumnForm, formset=_UniqueCodes, extra=3, can_delete=True)
RowFormSet = formset_factory(RowForm, formset=_UniqueCodes, extra=3, can_delete=True)
RuleFormSet = formset_factory(RuleForm, formset=_Rules, extra=2, can_delete=True)

_RULE_FIELDS = ("value_type", "aggregation", "required")


def _bounds(item) -> dict:
    """min/max as typed ("0", "100", "12.5"), not "0.0000"."""
    return {name: (None if (v := getattr(item, name)) is None else format(v.normalize(), "f"))
            for name in ("min_value", "max_value")}


def column_initial(form: ReportForm) -> list[dict]:
    return [{"code": c.code, "heading": c.heading, "group": c.group,
             **{f: getattr(c, f) for f in _RULE_FIELDS}, **_bounds(c)} for c in form.columns.all()]


def row_initial(form: ReportForm) -> list[dict]:
    return [{"code": r.code, "label": r.label, "section": r.section, "unit": r.unit,
             **{f: getattr(r, f) for f in _RULE_FIELDS}, **_bounds(r)} for r in form.rows.all()]


def rule_initial(form: ReportForm) -> list[dict]:
    return [{"axis": r.get("axis", "column"), "kind": r.get("kind", "sum"),
             "target": r.get("target", ""), "parts": ", ".join(str(p) for p in r.get("parts", []))}
            for r in form.rules or []]


def check_definition(header: FormHeaderForm, columns: ColumnFormSet, rows: RowFormSet
                     ) -> list[str]:
    """Errors of the definition as a whole (shape only)."""
    problems = []
    if not columns.items():
        problems.append(NO_COLUMNS)
    if header.cleaned_data.get("layout") == ReportForm.Layout.INDICATORS and not rows.items():
        problems.append(NO_ROWS)
    return problems


# --- an assignment --------------------------------------------------------------------------

class AssignmentForm(forms.Form):
    SCOPE_LEVEL = "level"
    SCOPE_PICK = "pick"
    SCOPES = ((SCOPE_LEVEL, "Mọi đơn vị của một cấp trực thuộc một đơn vị"),
              (SCOPE_PICK, "Chọn từng đơn vị"))

    form = forms.ModelChoiceField(label="Biểu mẫu", queryset=ReportForm.objects.none(),
                                  empty_label="— Chọn biểu mẫu —")
    scope = forms.ChoiceField(label="Đơn vị phải báo cáo", choices=SCOPES,
                              widget=forms.RadioSelect, initial=SCOPE_LEVEL)
    level = forms.ChoiceField(label="Cấp", choices=AgencyLevel.choices, required=False,
                              initial=AgencyLevel.COMMUNE)
    under = AgencyChoiceField(label="Trực thuộc", queryset=Agency.objects.none(),
                              required=False, empty_label="— Chọn đơn vị —")
    agencies = AgencyMultipleChoiceField(
        label="Các đơn vị được chọn", queryset=Agency.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text="Giữ phím Ctrl (hoặc Cmd) để chọn nhiều đơn vị.")
    receiving_agency = AgencyChoiceField(label="Đơn vị nhận báo cáo",
                                         queryset=Agency.objects.none(),
                                         empty_label="— Chọn đơn vị —")
    deadline_working_days = forms.IntegerField(
        label="Hạn nộp (số ngày làm việc sau ngày chốt số liệu)", min_value=0, max_value=30,
        initial=2, help_text="Khánh Hòa: gửi báo cáo trong 2 ngày làm việc.")
    remind_before_days = forms.IntegerField(label="Nhắc trước hạn (ngày làm việc)",
                                            min_value=0, max_value=30, initial=1)
    remind_after_days = forms.IntegerField(label="Nhắc lại sau hạn mỗi (ngày làm việc)",
                                           min_value=0, max_value=30, initial=1)
    first_year = forms.IntegerField(label="Áp dụng từ kỳ: năm", min_value=2000,
                                    max_value=2100)
    first_number = forms.IntegerField(
        label="Số kỳ", min_value=1, max_value=12, initial=1,
        help_text="Tháng 1–12, quý 1–4, 6 tháng 1–2; kỳ 9 tháng và năm: 1.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form"].queryset = ReportForm.objects.filter(is_active=True).only(
            "code", "title", "period_kind")
        for name in ("under", "agencies", "receiving_agency"):
            self.fields[name].queryset = _agencies()

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("scope") == self.SCOPE_LEVEL:
            if not cleaned.get("under"):
                self.add_error("under", NO_UNDER)
            if not cleaned.get("level"):
                self.add_error("level", "Chọn cấp.")
        elif cleaned.get("scope") == self.SCOPE_PICK and not cleaned.get("agencies"):
            self.add_error("agencies", NO_AGENCIES)
        return cleaned


# --- reasons and the grid -------------------------------------------------------------------

class ReasonForm(forms.Form):
    reason = forms.CharField(label="Lý do", max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": NO_REASON})

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(NO_REASON)
        return reason


def cell_name(prefix: str, row: str, column: str) -> str:
    """The input name of a cell's value ("v") or note ("n"): v|<row>|<column>."""
    return CELL_SEPARATOR.join((prefix, row, column))


def read_grid(data: Mapping[str, str], rows: Iterable[str], columns: Iterable[str]
              ) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """The raw values and notes of the grid's cells from a POST, as the services take them:
    {row: {column: raw string}}; cells absent from the POST are left out."""
    columns = list(columns)
    values: dict[str, dict[str, str]] = {}
    notes: dict[str, dict[str, str]] = {}
    for row in rows:
        for column in columns:
            raw = data.get(cell_name("v", row, column))
            if raw is not None:
                values.setdefault(row, {})[column] = raw.strip()
            note = data.get(cell_name("n", row, column))
            if note is not None and note.strip():
                notes.setdefault(row, {})[column] = note.strip()
    return values, notes
