"""The deadline alert becomes a digest: one e-mail per officer and run listing its dossiers
(hoso.jobs). The text is replaced only where an administrator has not edited it."""

from django.db import migrations

OLD_SUBJECT = "[{{ site_name }}] {{ kind }}: hồ sơ {{ dossier_code }}"
NEW_SUBJECT = "[{{ site_name }}] {{ kind }}: {{ count }} mục"
NEW_BODY = """Kính gửi: {{ officer_name }}

{{ kind }} — {{ count }} mục (hồ sơ hoặc bước xử lý):
{% for item in items %}
- {{ item.code }} — {{ item.procedure_name }}; chủ hồ sơ: {{ item.owner_name }}{% if item.step_name %}; bước: {{ item.step_name }}{% endif %}; hạn: {{ item.due_at|date:"H:i d/m/Y" }}{% endfor %}{% if more %}
- và {{ more }} hồ sơ khác.{% endif %}

Xem đầy đủ tại: {{ inbox_url }}
Nếu không kịp trả kết quả đúng hạn, đề nghị lãnh đạo ban hành văn bản xin lỗi và hẹn lại ngày trả kết quả trước khi hết hạn.

Trân trọng,
{{ site_name }}
"""  # noqa: E501 (one line per paragraph of the e-mail)


def to_digest(apps, schema_editor):
    MessageTemplate = apps.get_model("portal", "MessageTemplate")
    MessageTemplate.objects.filter(code="deadline_alert", email_subject=OLD_SUBJECT).update(
        email_subject=NEW_SUBJECT, email_body=NEW_BODY)


class Migration(migrations.Migration):
    dependencies = [("portal", "0009_duty_report_template")]

    operations = [migrations.RunPython(to_digest, migrations.RunPython.noop)]
