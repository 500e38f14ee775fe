"""E-forms: a procedure's application form is a JSON Schema (a documented subset), rendered as
a real HTML form and validated on the server with field-level Vietnamese messages.

Supported: an object whose properties are strings (maxLength, minLength, pattern with an
optional "x-patternMessage", format date/email, enum with "x-enumLabels"), integers and numbers
(minimum, maximum), booleans, and one level of nested objects (a block of such fields).
Dates are stored as ISO strings (YYYY-MM-DD) and typed as dd/mm/yyyy.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

SCALAR_TYPES = {"string", "integer", "number", "boolean"}
SEPARATOR = "__"  # HTML name of a nested field: "mother__full_name"


def schema_errors(schema: dict) -> list[str]:
    """Why a schema is not a usable e-form (empty when it is)."""
    if not isinstance(schema, dict):
        return [_("Biểu mẫu phải là một đối tượng JSON Schema.")]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [_("JSON Schema không hợp lệ: %(error)s") % {"error": exc.message}]
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        return [_("Biểu mẫu phải có \"type\": \"object\" và danh sách \"properties\".")]
    problems = []
    for name, prop in schema["properties"].items():
        problems += _property_problems(name, prop, nested_allowed=True)
    return problems


def _property_problems(name: str, prop: Any, *, nested_allowed: bool) -> list[str]:
    if not isinstance(prop, dict) or not prop.get("title"):
        return [_("Trường “%(name)s” phải có tiêu đề (title).") % {"name": name}]
    kind = prop.get("type")
    if kind == "object" and nested_allowed:
        problems = []
        for child, child_prop in (prop.get("properties") or {}).items():
            problems += _property_problems(f"{name}.{child}", child_prop, nested_allowed=False)
        return problems
    if kind not in SCALAR_TYPES:
        return [_("Trường “%(name)s” có kiểu “%(type)s” không được hỗ trợ.")
                % {"name": name, "type": kind}]
    labels = prop.get("x-enumLabels")
    if labels is not None and len(labels) != len(prop.get("enum") or []):
        return [_("Trường “%(name)s”: số nhãn (x-enumLabels) phải bằng số giá trị (enum).")
                % {"name": name}]
    return []


# --- validation -------------------------------------------------------------------------------

def _title(schema: dict, path: list[str]) -> str:
    node = schema
    for part in path:
        node = (node.get("properties") or {}).get(part, {})
    return node.get("title") or ".".join(path)


def _message(error, schema: dict) -> tuple[str, str]:
    """(field path, Vietnamese message) for one jsonschema error."""
    path = [str(p) for p in error.absolute_path]
    rule = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required":
        missing = error.message.split("'")[1]
        path = [*path, missing]
        return ".".join(path), _("Vui lòng nhập “%(title)s”.") % {"title": _title(schema, path)}
    title = _title(schema, path)
    value = error.validator_value
    messages = {
        "type": _("“%(title)s” không đúng kiểu dữ liệu."),
        "pattern": rule.get("x-patternMessage") or _("“%(title)s” không đúng định dạng."),
        "maxLength": _("“%(title)s” không được dài quá %(value)s ký tự."),
        "minLength": _("“%(title)s” phải có ít nhất %(value)s ký tự."),
        "minimum": _("“%(title)s” phải lớn hơn hoặc bằng %(value)s."),
        "maximum": _("“%(title)s” phải nhỏ hơn hoặc bằng %(value)s."),
        "enum": _("“%(title)s” phải là một trong các giá trị cho phép."),
        "format": _("“%(title)s” phải là ngày hợp lệ (dd/mm/yyyy).") if value == "date"
        else _("“%(title)s” không đúng định dạng thư điện tử."),
        "additionalProperties": _("Biểu mẫu có trường không được khai báo."),
    }
    text = messages.get(error.validator, _("“%(title)s” không hợp lệ."))
    return ".".join(path) or "__all__", text % {"title": title, "value": value}


def validate_data(schema: dict, data: dict) -> dict[str, list[str]]:
    """Field path → Vietnamese messages; empty when the data satisfies the schema."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path, message = _message(error, schema)
        errors.setdefault(path, []).append(message)
    return errors


# --- the HTML form ----------------------------------------------------------------------------

def _field_for(prop: dict, required: bool) -> forms.Field:
    common = {"label": prop["title"], "required": required,
              "help_text": prop.get("description", "")}
    kind = prop["type"]
    if "enum" in prop:
        labels = prop.get("x-enumLabels") or [str(v) for v in prop["enum"]]
        choices = [("", "— Chọn —"), *zip((str(v) for v in prop["enum"]), labels, strict=True)]
        coerce = {"integer": int, "number": float}.get(kind, str)
        return forms.TypedChoiceField(choices=choices, coerce=coerce, empty_value=None, **common)
    if kind == "boolean":
        return forms.BooleanField(**{**common, "required": False})
    if kind == "integer":
        return forms.IntegerField(min_value=prop.get("minimum"), max_value=prop.get("maximum"),
                                  **common)
    if kind == "number":
        return forms.DecimalField(min_value=prop.get("minimum"), max_value=prop.get("maximum"),
                                  **common)
    if prop.get("format") == "date":
        return forms.DateField(input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                               widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
                               **common)
    if prop.get("format") == "email":
        return forms.EmailField(max_length=prop.get("maxLength"), **common)
    widget = forms.Textarea(attrs={"rows": 3}) if (prop.get("maxLength") or 0) > 255 else None
    return forms.CharField(max_length=prop.get("maxLength"), widget=widget, **common)


def _flat_fields(schema: dict) -> list[tuple[str, dict, bool, str | None]]:
    """(html name, property, required, group title) for every scalar field, in order."""
    rows = []
    required = set(schema.get("required") or [])
    for name, prop in schema["properties"].items():
        if prop.get("type") == "object":
            child_required = set(prop.get("required") or []) if name in required else set()
            for child, child_prop in (prop.get("properties") or {}).items():
                rows.append((f"{name}{SEPARATOR}{child}", child_prop, child in child_required,
                             prop["title"]))
        else:
            rows.append((name, prop, name in required, None))
    return rows


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "is_finite"):  # Decimal
        return float(value) if value != value.to_integral_value() else int(value)
    return value


class EForm(forms.Form):
    """A Django form built from an e-form schema; `cleaned_json` holds the nested data."""

    def __init__(self, schema: dict, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema
        self.groups: dict[str, str | None] = {}
        for html_name, prop, required, group in _flat_fields(schema):
            self.fields[html_name] = _field_for(prop, required)
            self.groups[html_name] = group
        self.cleaned_json: dict = {}

    def sections(self) -> list[tuple[str | None, list]]:
        """Bound fields grouped by block title, for templates."""
        sections: list[tuple[str | None, list]] = []
        for name in self.fields:
            group = self.groups[name]
            if not sections or sections[-1][0] != group:
                sections.append((group, []))
            sections[-1][1].append(self[name])
        return sections

    def clean(self) -> dict:
        cleaned = super().clean()
        data: dict = {}
        for html_name, value in cleaned.items():
            if value in (None, "") or html_name not in self.groups:
                continue
            head, _sep, tail = html_name.partition(SEPARATOR)
            target = data.setdefault(head, {}) if tail else data
            target[tail or head] = _to_json(value)
        for path, messages in validate_data(self.schema, data).items():
            field = path.replace(".", SEPARATOR)
            if field in self.errors:  # Django's own check already explained this field
                continue
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        self.cleaned_json = data
        return cleaned


# --- reading a submitted form back ------------------------------------------------------------

def _display(prop: dict, value: Any) -> str:
    if "enum" in prop and prop.get("x-enumLabels"):
        labels = dict(zip(prop["enum"], prop["x-enumLabels"], strict=False))
        return str(labels.get(value, value))
    if prop.get("type") == "boolean":
        return _("Có") if value else _("Không")
    if prop.get("format") == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)


def labelled_answers(schema: dict, data: dict) -> list[tuple[str | None, str, str]]:
    """(block title, field title, value as people read it) for every answered field, in the
    form's order — what review and officer pages print instead of raw keys."""
    rows: list[tuple[str | None, str, str]] = []
    for name, prop in (schema or {}).get("properties", {}).items():
        value = (data or {}).get(name)
        if value in (None, "", {}):
            continue
        if prop.get("type") == "object" and isinstance(value, dict):
            for child, child_prop in prop.get("properties", {}).items():
                if value.get(child) not in (None, ""):
                    rows.append((prop.get("title"), child_prop.get("title", child),
                                 _display(child_prop, value[child])))
        else:
            rows.append((None, prop.get("title", name), _display(prop, value)))
    return rows
