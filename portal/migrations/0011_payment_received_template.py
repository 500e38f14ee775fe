"""The payer's confirmation message; DEFAULT_TEMPLATES keeps the text too."""

from django.db import migrations

TEMPLATE = {
    "code": "payment_received",
    "name": "Đã nhận thanh toán phí, lệ phí",
    "email_subject": ("[{{ site_name }}] Đã nhận thanh toán phí, lệ phí hồ sơ "
                      "{{ dossier_code|default:reference }}"),
    "email_body": """Kính gửi: {{ owner_name }}

{{ site_name }} đã nhận khoản thanh toán phí, lệ phí {{ amount }} (mã giao dịch {{ reference }}, lúc {{ paid_at|date:"H:i d/m/Y" }}) cho hồ sơ {{ dossier_code|default:"đang chờ tiếp nhận" }} (thủ tục: {{ procedure_name }}).

Biên lai điện tử: tải tại {{ payment_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
    "sms_body": ("Đã nhận {{ amount }} phí, lệ phí hồ sơ {{ dossier_code|default:reference }}"
                 ". Biên lai: {{ payment_url }}"),
}


def create_template(apps, schema_editor):
    MessageTemplate = apps.get_model("portal", "MessageTemplate")
    MessageTemplate.objects.get_or_create(
        code=TEMPLATE["code"], defaults={k: v for k, v in TEMPLATE.items() if k != "code"})


class Migration(migrations.Migration):
    dependencies = [("portal", "0010_deadline_digest")]

    operations = [migrations.RunPython(create_template, migrations.RunPython.noop)]
