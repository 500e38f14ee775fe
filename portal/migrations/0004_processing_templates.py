"""The message templates of processing (apology, stop, result ready, officer assignment), with
the texts portal.notifications.DEFAULT_TEMPLATES keeps as the built-in fallback."""

from django.db import migrations

PROCESSING_TEMPLATES = [
    {
        "code": "dossier_apology",
        "name": "Xin lỗi và hẹn lại ngày trả kết quả",
        "email_subject": "[{{ site_name }}] Hồ sơ {{ dossier_code }}: hẹn lại ngày trả kết quả",
        "email_body": """Kính gửi: {{ owner_name }}

{{ deciding_agency }} xin lỗi Ông/Bà vì hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}) chưa giải quyết xong theo hẹn.

Lý do: {{ reason }}
Ngày hẹn trả kết quả mới: {{ new_due_at|date:"H:i d/m/Y" }}

Tra cứu hồ sơ tại: {{ tracking_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": ("Hồ sơ {{ dossier_code }} chậm so với hẹn. Xin lỗi Ông/Bà; hẹn trả mới: "
                     "{{ new_due_at|date:\"H:i d/m/Y\" }}. Tra cứu: {{ tracking_url }}"),
    },
    {
        "code": "dossier_stopped",
        "name": "Dừng giải quyết hồ sơ",
        "email_subject": "[{{ site_name }}] Hồ sơ {{ dossier_code }} dừng giải quyết",
        "email_body": """Kính gửi: {{ owner_name }}

{{ deciding_agency }} thông báo dừng giải quyết hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}).

Lý do:
{{ reason }}

Xem chi tiết tại: {{ tracking_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": ("Hồ sơ {{ dossier_code }} đã dừng giải quyết. Xem lý do tại: "
                     "{{ tracking_url }}"),
    },
    {
        "code": "dossier_resolved",
        "name": "Đã có kết quả giải quyết",
        "email_subject": "[{{ site_name }}] Hồ sơ {{ dossier_code }} đã có kết quả",
        "email_body": """Kính gửi: {{ owner_name }}

Hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}) đã có kết quả giải quyết.

Ông/Bà nhận kết quả tại {{ receiving_agency }} hoặc theo hình thức đã đăng ký; khi nhận vui lòng mang theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả hoặc cho biết mã hồ sơ.

Tra cứu hồ sơ tại: {{ tracking_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": "Hồ sơ {{ dossier_code }} đã có kết quả. Tra cứu: {{ tracking_url }}",
    },
    {
        "code": "dossier_assigned",
        "name": "Hồ sơ chuyển đến cán bộ xử lý",
        "email_subject": "[{{ site_name }}] Hồ sơ {{ dossier_code }} chuyển đến Ông/Bà",
        "email_body": """Kính gửi: {{ officer_name }}

Hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}; chủ hồ sơ: {{ owner_name }}) vừa được chuyển đến Ông/Bà xử lý.
Hạn trả kết quả: {{ due_at|date:"H:i d/m/Y" }}

Trân trọng,
{{ site_name }}
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": "",
    },
]


def create_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("portal", "MessageTemplate")
    for template in PROCESSING_TEMPLATES:
        MessageTemplate.objects.get_or_create(
            code=template["code"],
            defaults={key: value for key, value in template.items() if key != "code"},
        )


class Migration(migrations.Migration):
    dependencies = [("portal", "0003_heartbeat_scheduler")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
