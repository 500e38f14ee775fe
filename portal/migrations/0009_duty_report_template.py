"""The 2-day duty report e-mail; DEFAULT_TEMPLATES keeps the text too."""

from django.db import migrations

TEMPLATE = {
    "code": "duty_report",
    "name": "Báo cáo tình hình giải quyết hồ sơ 2 ngày",
    "email_subject": ("[{{ site_name }}] Báo cáo tình hình giải quyết hồ sơ "
                      "{{ period_start|date:\"d/m\" }} – {{ period_end|date:\"d/m/Y\" }}"),
    "email_body": """Kính gửi: Văn phòng UBND tỉnh

Tình hình tiếp nhận, giải quyết hồ sơ từ {{ period_start|date:"H:i d/m/Y" }} đến {{ period_end|date:"H:i d/m/Y" }}:
{% for line in lines %}
- {{ line }}{% empty %}
- Không có hồ sơ phát sinh trong kỳ.{% endfor %}

Trân trọng,
{{ site_name }} — {{ province_name }}
""",  # noqa: E501 (one line per paragraph of the e-mail)
    "sms_body": "",
    }


def create_template(apps, schema_editor):
    MessageTemplate = apps.get_model("portal", "MessageTemplate")
    MessageTemplate.objects.get_or_create(
        code=TEMPLATE["code"], defaults={k: v for k, v in TEMPLATE.items() if k != "code"})


class Migration(migrations.Migration):
    dependencies = [("portal", "0008_deadline_template")]

    operations = [migrations.RunPython(create_template, migrations.RunPython.noop)]
