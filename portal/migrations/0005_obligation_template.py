"""The message of the financial-obligation wait (the text DEFAULT_TEMPLATES keeps too)."""

from django.db import migrations

TEMPLATE = {
    "code": "obligation_requested",
    "name": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "email_subject": ("[{{ site_name }}] Hồ sơ {{ dossier_code }}: đề nghị thực hiện "
                      "nghĩa vụ tài chính"),
    "email_body": """Kính gửi: {{ owner_name }}

Để tiếp tục giải quyết hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}), đề nghị Ông/Bà thực hiện nghĩa vụ tài chính:
{{ reason }}

Thời hạn giải quyết hồ sơ tạm dừng cho đến khi Ông/Bà hoàn thành nghĩa vụ tài chính.
Tra cứu hồ sơ tại: {{ tracking_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
    "sms_body": ("Hồ sơ {{ dossier_code }}: đề nghị thực hiện nghĩa vụ tài chính để tiếp "
                 "tục giải quyết. Chi tiết: {{ tracking_url }}"),
}


def create_template(apps, schema_editor):
    MessageTemplate = apps.get_model("portal", "MessageTemplate")
    MessageTemplate.objects.get_or_create(
        code=TEMPLATE["code"], defaults={k: v for k, v in TEMPLATE.items() if k != "code"})


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_processing_templates")]

    operations = [migrations.RunPython(create_template, migrations.RunPython.noop)]
