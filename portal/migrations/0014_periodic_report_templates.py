"""The reminder to an agency about its periodic report (issue 10): before the deadline, after
it, or at one click by the provincial office. baocao.periodic.reminders.REMINDER_TEMPLATE keeps
the same text as the built-in fallback (a test keeps the two equal)."""

from django.db import migrations

TEMPLATE = {
    "code": "periodic_report_reminder",
    "name": "Nhắc gửi báo cáo định kỳ",
    "email_subject": "[{{ site_name }}] {{ kind }}: báo cáo {{ form_code }} {{ period_name }}",
    "email_body": """Kính gửi: {{ recipient_name }}

{{ kind }}: báo cáo {{ form_code }} “{{ form_title }}”, {{ period_label }}, của {{ agency_name }}.
Hạn gửi: {{ deadline|date:"H:i d/m/Y" }}{% if overdue %} (đã quá hạn){% endif %}. Đơn vị nhận báo cáo: {{ receiving_agency }}.
Tình trạng hiện nay: {{ status }}.

Đề nghị Ông/Bà lập báo cáo, trình lãnh đạo duyệt và gửi trên hệ thống tại: {{ report_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
    "sms_body": ("{{ kind }}: báo cáo {{ form_code }} {{ period_name }}, hạn "
                 "{{ deadline|date:\"H:i d/m/Y\" }}. {{ report_url }}"),
}


def create_template(apps, schema_editor):
    MessageTemplate = apps.get_model("portal", "MessageTemplate")
    MessageTemplate.objects.get_or_create(
        code=TEMPLATE["code"], defaults={k: v for k, v in TEMPLATE.items() if k != "code"})


class Migration(migrations.Migration):
    dependencies = [("portal", "0013_periodic_reporting")]

    operations = [migrations.RunPython(create_template, migrations.RunPython.noop)]
