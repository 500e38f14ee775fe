"""The messages of a revoked e-result (N36): to the owner, and to the agencies that reused it.
DEFAULT_TEMPLATES keeps the text too."""

from django.db import migrations


def create_templates(apps, schema_editor):
    from portal.notifications import DEFAULT_TEMPLATES

    MessageTemplate = apps.get_model("portal", "MessageTemplate")
    for code in ("result_revoked", "result_revoked_agency"):
        MessageTemplate.objects.get_or_create(code=code, defaults=DEFAULT_TEMPLATES[code])


class Migration(migrations.Migration):
    dependencies = [("portal", "0011_payment_received_template")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
