"""Seed the periodic report forms of baocao/data/report_forms.json: Biểu II.06a/VPCP/KSTT (the
handling results, computed from dossiers), Biểu II.07b/VPCP/KSTT (the procedure counts) and a
sample LRIS indicator set. Idempotent and never overwrites an administrator's edits: a form,
column or row already there (by code) is left as it is; only what is missing is added."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "report_forms.json"
RULE_FIELDS = ("value_type", "aggregation", "required", "order")


def _rule(item):
    out = {name: item[name] for name in RULE_FIELDS if name in item}
    for name in ("min_value", "max_value"):
        if name in item:
            out[name] = None if item[name] in (None, "") else Decimal(str(item[name]))
    return out


def seed_report_forms(apps, schema_editor):
    ReportForm = apps.get_model("baocao", "ReportForm")
    FormColumn = apps.get_model("baocao", "FormColumn")
    FormRow = apps.get_model("baocao", "FormRow")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for spec in data["forms"]:
        form, _created = ReportForm.objects.get_or_create(code=spec["code"], defaults={
            name: spec[name] for name in ("title", "legal_basis", "system", "period_kind",
                                          "layout", "source", "unit_note", "description",
                                          "rules")})
        for column in spec["columns"]:
            FormColumn.objects.get_or_create(form=form, code=column["code"], defaults={
                "heading": column["heading"], "group": column.get("group", ""),
                **_rule(column)})
        for row in spec["rows"]:
            FormRow.objects.get_or_create(form=form, code=row["code"], defaults={
                "label": row["label"], "section": row.get("section", ""),
                "unit": row.get("unit", ""), **_rule(row)})


class Migration(migrations.Migration):
    dependencies = [("baocao", "0003_periodic_reporting")]

    operations = [migrations.RunPython(seed_report_forms, migrations.RunPython.noop)]
