"""The officers' deadline message (near due, overdue); DEFAULT_TEMPLATES keeps the text too."""

from django.db import migrations

TEMPLATE = {
    "code": "deadline_alert",
    "name": "Cảnh báo thời hạn cho cán bộ",
    "email_subject": "[{{ site_name }}] {{ kind }}: hồ sơ {{ dossier_code }}",
    "email_body": """Kính gửi: {{ officer_name }}

Hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}; chủ hồ sơ: {{ owner_name }}): {{ kind|lower }}.
Hạn trả kết quả: {{ due_at|date:"H:i d/m/Y" }}

Nếu không kịp trả kết quả đúng hạn, đề nghị lãnh đạo ban hành văn bản xin lỗi và hẹn lại ngày trả kết quả trước khi hết hạn.

Trân trọng,
{{ site_name }}
""",  # noqa: E501 (one line per paragraph of the e-mail)
    "sms_body": "",
    }


def create_template(apps, schema_editor):
    MessageTemplate = apps.get_model("portal", "MessageTemplate")
    MessageTemplate.objects.get_or_create(
        code=TEMPLATE["code"], defaults={k: v for k, v in TEMPLATE.items() if k != "code"})


class Migration(migrations.Migration):
    dependencies = [("portal", "0007_job_runs")]

    operations = [migrations.RunPython(create_template, migrations.RunPython.noop)]
