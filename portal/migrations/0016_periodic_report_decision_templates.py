"""The e-mails about a periodic report's approval (issue 10): to the agency's leaders when a
reporter submits it ("Báo cáo … chờ duyệt"), and to the reporter when the leader returns it
("Báo cáo … bị trả lại: <lý do>"). baocao.periodic.notices.SUBMITTED_TEMPLATE and
RETURNED_TEMPLATE keep the same texts as the built-in fallbacks (a test keeps them equal)."""

from django.db import migrations

TEMPLATES = [
    {
        "code": "periodic_report_submitted",
        "name": "Báo cáo định kỳ chờ duyệt",
        "email_subject": ("[{{ site_name }}] Báo cáo {{ form_code }} {{ period_name }} của "
                          "{{ agency_name }} chờ duyệt"),
        "email_body": """Kính gửi: {{ recipient_name }}

{{ submitted_by }} đã trình báo cáo {{ form_code }} “{{ form_title }}”, {{ period_label }}, của {{ agency_name }} lúc {{ submitted_at|date:"H:i d/m/Y" }} (phiên bản {{ version_number }}).
{% if replacement %}Đây là phiên bản thay thế báo cáo đã gửi. Lý do thay thế: {{ reason }}
{% endif %}Hạn gửi: {{ deadline|date:"H:i d/m/Y" }}{% if overdue %} (đã quá hạn){% endif %}. Đơn vị nhận báo cáo: {{ receiving_agency }}.

Đề nghị Ông/Bà xem và duyệt để gửi báo cáo, hoặc trả lại kèm lý do, tại: {{ report_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": ("Báo cáo {{ form_code }} {{ period_name }} của {{ agency_name }} chờ duyệt. "
                     "{{ report_url }}"),
    },
    {
        "code": "periodic_report_returned",
        "name": "Báo cáo định kỳ bị trả lại",
        "email_subject": ("[{{ site_name }}] Báo cáo {{ form_code }} {{ period_name }} bị trả lại: "
                          "{{ reason|truncatechars:120 }}"),
        "email_body": """Kính gửi: {{ recipient_name }}

{{ returned_by }} đã trả lại báo cáo {{ form_code }} “{{ form_title }}”, {{ period_label }}, của {{ agency_name }} (phiên bản {{ version_number }}) lúc {{ returned_at|date:"H:i d/m/Y" }}.
Lý do: {{ reason }}

Hạn gửi: {{ deadline|date:"H:i d/m/Y" }}{% if overdue %} (đã quá hạn){% endif %}. Đề nghị Ông/Bà lập lại báo cáo theo ý kiến trên và trình lãnh đạo duyệt tại: {{ report_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": ("Báo cáo {{ form_code }} {{ period_name }} bị trả lại: "
                     "{{ reason|truncatechars:80 }}. {{ report_url }}"),
    },
]


def create_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("portal", "MessageTemplate")
    for template in TEMPLATES:
        MessageTemplate.objects.get_or_create(
            code=template["code"], defaults={k: v for k, v in template.items() if k != "code"})


class Migration(migrations.Migration):
    dependencies = [("portal", "0015_reporter_role")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
