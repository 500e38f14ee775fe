"""Notifications to applicants: templates, notify → deliver, SMS backends, the admin pages."""

import datetime as dt
import importlib
import io
import json
import smtplib
import socket
import threading

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal import notifications, sms
from portal.celery import app as celery_app
from portal.errors import DomainError, NotFoundError
from portal.management.commands.fake_sms_gateway import FakeSmsGateway
from portal.models import MessageTemplate, Notification
from portal.tasks import NOTIFICATION_MAX_RETRIES, notification_retry_delay
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DEFAULT_CODES = {"dossier_received", "supplement_requested", "dossier_rejected"}
CODE = "000.00.41.H55-261123-0007"
TRACKING_URL = f"https://motcua.thainguyen.gov.vn/tra-cuu-ho-so/{CODE}/"


def dossier_context(**overrides) -> dict:
    """What hoso passes (hoso/notify.py), with realistic lengths."""
    return {
        "dossier_code": CODE,
        "procedure_name": "Đăng ký khai sinh",
        "owner_name": "Nguyễn Văn An",
        "receiving_agency": "UBND phường Quán Triều",
        "deciding_agency": "UBND phường Quán Triều",
        "received_at": dt.datetime(2026, 11, 23, 2, 15, tzinfo=dt.UTC),  # 09:15 in Hà Nội
        "due_at": dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC),  # 16:00 in Hà Nội
        "tracking_url": TRACKING_URL,
        "missing_items": "- Bản sao Giấy chứng nhận kết hôn\n- Giấy chứng sinh (bản chính)",
        "reason": "Thủ tục không thuộc thẩm quyền giải quyết của UBND phường.",
        **overrides,
    }


def send(code="dossier_received", *, email="an@example.vn", phone="0912345678",
         event_key="dossier:7:received", context=None) -> list[Notification]:
    return notifications.notify(code=code, context=context or dossier_context(), email=email,
                                phone=phone, object_ref="dossier:7", event_key=event_key)


@pytest.fixture
def sms_file(settings, tmp_path):
    settings.SMS_BACKEND = "portal.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    return tmp_path / "sms.log"


def sms_lines(path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def gateway(settings, monkeypatch):
    """A fake HTTP gateway on 127.0.0.1 (random port) in a thread, wired as SMS_BACKEND."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = FakeSmsGateway(("127.0.0.1", 0), token="bi-mat-thu-nghiem")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    settings.SMS_BACKEND = "portal.sms.HttpSmsBackend"
    settings.SMS_HTTP_URL = server.url
    settings.SMS_HTTP_TOKEN = "bi-mat-thu-nghiem"
    settings.SMS_SENDER = "TNG-MOTCUA"
    settings.SMS_HTTP_TIMEOUT = 5
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def eager_retries():
    """Eager Celery runs a task's retries inline (without waiting for the countdown) only when
    eager exceptions do not propagate; tests/settings.py propagates them for everything else."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="quantri_tb", is_staff=True, is_superuser=True))
    return client


# --- templates --------------------------------------------------------------------------


def test_default_templates_exist_after_migrations():
    templates = {t.code: t for t in MessageTemplate.objects.all()}
    assert set(templates) >= DEFAULT_CODES
    for code in DEFAULT_CODES:
        template = templates[code]
        assert template.is_active
        assert template.name
        assert template.email_subject
        assert template.sms_body
        assert "{{ tracking_url }}" in template.email_body
        assert "{{ tracking_url }}" in template.sms_body
        for text in (template.email_subject, template.email_body, template.sms_body):
            notifications.check_template_syntax(text)
    assert "{{ due_at" in templates["dossier_received"].email_body
    assert "{{ missing_items }}" in templates["supplement_requested"].email_body
    assert "{{ reason }}" in templates["dossier_rejected"].email_body


def test_built_in_defaults_are_the_texts_the_migration_installed():
    for code, fields in notifications.DEFAULT_TEMPLATES.items():
        row = MessageTemplate.objects.get(code=code)
        assert {field: getattr(row, field) for field in fields} == fields


def test_a_missing_default_row_falls_back_to_the_built_in_text(
        sms_file, mailoutbox, django_capture_on_commit_callbacks):
    """A transactional test flushes the rows the migration created; intake must still work."""
    MessageTemplate.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        send()
    assert mailoutbox[0].subject == f"[Cổng Một Cửa] Hồ sơ {CODE} đã được tiếp nhận"
    assert sms_lines(sms_file)[0]["text"].startswith(f"Hồ sơ {CODE} đã được tiếp nhận.")
    assert not MessageTemplate.objects.exists()  # a read never writes


def test_the_data_migration_never_overwrites_an_administrators_edits():
    migration = importlib.import_module("portal.migrations.0002_notifications")
    MessageTemplate.objects.filter(code="dossier_received").update(sms_body="Văn bản đã sửa")
    MessageTemplate.objects.filter(code="dossier_rejected").delete()
    migration.create_default_templates(django_apps, None)
    assert MessageTemplate.objects.get(code="dossier_received").sms_body == "Văn bản đã sửa"
    assert MessageTemplate.objects.filter(code="dossier_rejected").exists()


def test_render_message_fills_in_the_receipt_template_in_local_time():
    message = notifications.render_message(code="dossier_received", context=dossier_context())
    assert message.subject == f"[Cổng Một Cửa] Hồ sơ {CODE} đã được tiếp nhận"
    assert "Kính gửi: Nguyễn Văn An" in message.email_body
    assert "Thủ tục: Đăng ký khai sinh" in message.email_body
    assert "Cơ quan tiếp nhận: UBND phường Quán Triều" in message.email_body
    assert "Cơ quan giải quyết" not in message.email_body  # same agency: said once
    assert "Thời điểm tiếp nhận: 09:15 23/11/2026" in message.email_body
    assert "Hẹn trả kết quả: 16:00 24/11/2026" in message.email_body
    assert TRACKING_URL in message.email_body
    assert message.sms_text == (
        f"Hồ sơ {CODE} đã được tiếp nhận. Hẹn trả: 16:00 24/11/2026. Tra cứu: {TRACKING_URL}"
    )


def test_render_message_lists_missing_items_and_reasons():
    supplement = notifications.render_message(code="supplement_requested",
                                              context=dossier_context())
    assert "- Bản sao Giấy chứng nhận kết hôn\n- Giấy chứng sinh (bản chính)" in (
        supplement.email_body)
    rejected = notifications.render_message(code="dossier_rejected", context=dossier_context())
    assert "Lý do:\nThủ tục không thuộc thẩm quyền" in rejected.email_body
    # An online submission sent back before receipt has no code yet: the procedure names it.
    early = notifications.render_message(code="supplement_requested",
                                         context=dossier_context(dossier_code=""))
    assert early.subject == "[Cổng Một Cửa] Hồ sơ Đăng ký khai sinh cần bổ sung, hoàn thiện"
    assert early.sms_text.startswith("Hồ sơ Đăng ký khai sinh cần bổ sung, hoàn thiện.")


@pytest.mark.parametrize("code", sorted(DEFAULT_CODES))
def test_default_sms_texts_fit_in_160_characters(code):
    long_name = "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc"
    for context in (dossier_context(), dossier_context(dossier_code="", procedure_name=long_name,
                                                       tracking_url="https://motcua.thainguyen"
                                                                    ".gov.vn/")):
        text = notifications.render_message(code=code, context=context).sms_text
        assert len(text) <= 160, (len(text), text)


def test_plain_text_messages_are_not_html_escaped():
    context = dossier_context(procedure_name='Cấp giấy phép "A & B" <mới>')
    message = notifications.render_message(code="dossier_received", context=context)
    assert 'Thủ tục: Cấp giấy phép "A & B" <mới>' in message.email_body


def test_render_message_refuses_unknown_and_inactive_codes():
    with pytest.raises(NotFoundError) as unknown:
        notifications.render_message(code="no_such_template", context={})
    assert unknown.value.message == "Không tìm thấy mẫu thông báo “no_such_template”."
    MessageTemplate.objects.filter(code="dossier_received").update(is_active=False)
    with pytest.raises(DomainError) as inactive:
        notifications.render_message(code="dossier_received", context={})
    assert inactive.value.code == "message_template_inactive"
    assert "đang tạm ngừng sử dụng" in inactive.value.message


@pytest.mark.parametrize("text", [
    "{% debug %}", '{% include "base.html" %}', "{% load static %}", "{{ a|no_such_filter }}",
    "{% if a %}không đóng thẻ",
])
def test_templates_may_not_use_unsafe_tags_or_broken_syntax(text):
    with pytest.raises(ValidationError):
        notifications.check_template_syntax(text)


# --- notify → deliver -------------------------------------------------------------------


def test_notify_writes_one_email_and_one_sms_and_delivers_both(
        sms_file, mailoutbox, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = send()
        assert {row.status for row in rows} == {"pending"}  # nothing leaves before commit
        assert mailoutbox == []
    assert len(callbacks) == 1  # one relay kick for both messages
    email_row, sms_row = (Notification.objects.get(channel=c) for c in ("email", "sms"))
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["an@example.vn"]
    assert mail.from_email == settings.DEFAULT_FROM_EMAIL
    assert mail.subject == f"[Cổng Một Cửa] Hồ sơ {CODE} đã được tiếp nhận"
    assert mail.body == email_row.body
    [line] = sms_lines(sms_file)
    assert line["to"] == "+84912345678"
    assert line["text"] == sms_row.body
    assert "Hẹn trả: 16:00 24/11/2026" in line["text"]
    for row, recipient in ((email_row, "an@example.vn"), (sms_row, "+84912345678")):
        assert row.status == "sent"
        assert row.recipient == recipient
        assert row.sent_at is not None
        assert row.attempts == 1
        assert row.template_code == "dossier_received"
        assert row.object_ref == "dossier:7"
        assert row.error == ""
    assert sms_row.provider_message_id == line["id"]


def test_notify_twice_with_the_same_event_key_sends_once(
        sms_file, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = send()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = send()
    assert callbacks == []
    assert [row.pk for row in second] == [row.pk for row in first]
    assert Notification.objects.count() == 2
    assert len(mailoutbox) == 1
    assert len(sms_lines(sms_file)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        send(event_key="dossier:7:received:2")  # another event: another message
    assert len(mailoutbox) == 2


@pytest.mark.parametrize(("email", "phone", "channels"), [
    (None, "0912345678", {"sms"}),
    ("an@example.vn", None, {"email"}),
    ("", "  ", set()),
])
def test_a_missing_address_skips_that_channel(
        email, phone, channels, sms_file, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = send(email=email, phone=phone)
    assert {row.channel for row in rows} == channels
    assert set(Notification.objects.values_list("channel", flat=True)) == channels
    assert len(mailoutbox) == ("email" in channels)
    assert len(sms_lines(sms_file)) == ("sms" in channels)


def test_an_empty_sms_text_sends_no_sms(sms_file, mailoutbox, django_capture_on_commit_callbacks):
    MessageTemplate.objects.filter(code="dossier_received").update(sms_body="")
    with django_capture_on_commit_callbacks(execute=True):
        rows = send()
    assert [row.channel for row in rows] == ["email"]
    assert sms_lines(sms_file) == []


def test_nothing_is_written_or_sent_when_the_callers_transaction_rolls_back(
        sms_file, mailoutbox, django_capture_on_commit_callbacks):
    def failing_business_action():
        with transaction.atomic():
            send()
            raise RuntimeError("the business action failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, \
            pytest.raises(RuntimeError):
        failing_business_action()
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_an_inactive_template_sends_nothing(sms_file, mailoutbox,
                                            django_capture_on_commit_callbacks):
    MessageTemplate.objects.filter(code="dossier_received").update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert send() == []
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_an_unknown_template_is_a_programming_error():
    with pytest.raises(NotFoundError):
        send(code="no_such_template")


def test_an_invalid_phone_fails_for_good_and_the_email_still_goes(
        sms_file, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(phone="0212345678")  # a landline receives no SMS
    sms_row = Notification.objects.get(channel="sms")
    assert sms_row.status == "failed"
    assert sms_row.recipient == "0212345678"
    assert sms_row.error == "Số điện thoại “0212345678” không phải số di động Việt Nam hợp lệ."
    assert sms_lines(sms_file) == []
    assert len(mailoutbox) == 1


def test_an_invalid_email_address_fails_for_good(sms_file, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(email="khong-phai-email")
    row = Notification.objects.get(channel="email")
    assert row.status == "failed"
    assert "không hợp lệ" in row.error
    assert mailoutbox == []


class DisconnectedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_mail_server_outage_is_retried_then_given_up(
        settings, mailoutbox, eager_retries, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.DisconnectedEmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        send(phone=None)
    row = Notification.objects.get()
    assert row.status == "failed"
    assert row.attempts == NOTIFICATION_MAX_RETRIES + 1
    assert row.error.startswith(f"Đã thử gửi {NOTIFICATION_MAX_RETRIES + 1} lần không thành công")
    assert "Connection unexpectedly closed" in row.error


class BrokenSmsBackend(sms.SmsBackend):
    def deliver(self, phone, text):
        raise ValueError("lỗi lập trình trong backend")


def test_an_unforeseen_backend_error_is_retried_then_recorded(
        settings, eager_retries, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = f"{__name__}.BrokenSmsBackend"
    with django_capture_on_commit_callbacks(execute=True):
        send(email=None)
    row = Notification.objects.get()
    assert row.status == "failed"
    assert row.claimed_at is None
    assert "lỗi lập trình trong backend" in row.error


def test_a_row_is_sent_once_however_often_delivery_runs(sms_file, mailoutbox):
    [row] = send(phone=None)  # no on_commit capture: the task never ran
    assert notifications.deliver_notification(notification_id=row.pk).status == "sent"
    assert notifications.deliver_notification(notification_id=row.pk) is None
    assert len(mailoutbox) == 1


def test_a_row_claimed_by_another_worker_is_left_alone_until_the_claim_expires(mailoutbox):
    [row] = send(phone=None)
    Notification.objects.filter(pk=row.pk).update(claimed_at=timezone.now())
    assert notifications.deliver_notification(notification_id=row.pk) is None
    assert mailoutbox == []
    expired = timezone.now() - notifications.CLAIM_TIMEOUT - dt.timedelta(seconds=1)
    Notification.objects.filter(pk=row.pk).update(claimed_at=expired)
    assert notifications.deliver_notification(notification_id=row.pk).status == "sent"
    assert len(mailoutbox) == 1


def test_retry_delays_grow_and_stay_under_the_broker_visibility_timeout():
    delays = [notification_retry_delay(n) for n in range(NOTIFICATION_MAX_RETRIES)]
    assert delays == sorted(delays)
    assert delays[0] == 30
    assert max(delays) <= 1800


# --- the HTTP gateway backend -----------------------------------------------------------


def test_http_backend_posts_json_with_the_bearer_token(gateway):
    message_id = sms.get_sms_backend().send("0912 345 678", "Hồ sơ đã được tiếp nhận.")
    [request] = gateway.received
    assert request["json"] == {"to": "+84912345678", "text": "Hồ sơ đã được tiếp nhận.",
                               "sender": "TNG-MOTCUA"}
    assert request["headers"]["Authorization"] == "Bearer bi-mat-thu-nghiem"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert len(message_id) == 32


def test_notify_through_the_http_gateway(gateway, mailoutbox,
                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(email=None)
    row = Notification.objects.get()
    assert row.status == "sent"
    [request] = gateway.received
    assert request["json"]["to"] == "+84912345678"
    assert request["json"]["text"] == row.body
    assert row.provider_message_id


def test_a_gateway_500_is_temporary_and_the_row_stays_pending(gateway):
    gateway.answers = [500]
    [row] = send(email=None)
    with pytest.raises(notifications.TemporaryDeliveryError):
        notifications.deliver_notification(notification_id=row.pk)
    row.refresh_from_db()
    assert row.status == "pending"
    assert row.claimed_at is None  # released: the retry may claim it
    assert row.attempts == 1
    assert "HTTP 500" in row.error
    assert "cổng gửi tin nhắn đang lỗi" in row.error.lower()


def test_the_task_retries_a_temporary_failure_then_sends(
        gateway, eager_retries, django_capture_on_commit_callbacks):
    gateway.answers = [500, 503]
    with django_capture_on_commit_callbacks(execute=True):
        send(email=None)
    row = Notification.objects.get()
    assert row.status == "sent"
    assert row.attempts == 3
    assert row.error == ""
    assert len(gateway.received) == 3


def test_the_task_gives_up_after_the_last_retry(
        gateway, eager_retries, django_capture_on_commit_callbacks):
    gateway.answers = [502] * (NOTIFICATION_MAX_RETRIES + 1)
    with django_capture_on_commit_callbacks(execute=True):
        send(email=None)
    row = Notification.objects.get()
    assert row.status == "failed"
    assert row.attempts == NOTIFICATION_MAX_RETRIES + 1
    assert len(gateway.received) == NOTIFICATION_MAX_RETRIES + 1
    assert "HTTP 502" in row.error


def test_a_gateway_400_is_permanent_and_the_row_fails_with_the_reason(
        gateway, django_capture_on_commit_callbacks):
    gateway.answers = [400]
    with django_capture_on_commit_callbacks(execute=True):
        send(email=None)
    row = Notification.objects.get()
    assert row.status == "failed"
    assert len(gateway.received) == 1  # never retried
    assert row.error.startswith("Cổng gửi tin nhắn từ chối yêu cầu (HTTP 400)")
    assert "fake gateway answered 400" in row.error


def test_a_wrong_token_is_refused_for_good(gateway, settings):
    settings.SMS_HTTP_TOKEN = "sai-ma"
    with pytest.raises(sms.SmsError) as refused:
        sms.get_sms_backend().send("0912345678", "Thử")
    assert refused.value.permanent
    assert "HTTP 401" in refused.value.message


def test_a_gateway_that_does_not_answer_in_time_is_a_temporary_error():
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        host, port = silent.getsockname()
        backend = sms.HttpSmsBackend(url=f"http://{host}:{port}/sms", token="t", sender="S",
                                     timeout=0.2)
        with pytest.raises(sms.SmsError) as slow:
            backend.send("0912345678", "Thử")
    assert not slow.value.permanent
    assert slow.value.message.startswith("Không kết nối được cổng gửi tin nhắn")


def test_an_unreachable_gateway_is_a_temporary_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = sms.HttpSmsBackend(url=f"http://127.0.0.1:{port}/sms", token="", sender="S",
                                 timeout=2)
    with pytest.raises(sms.SmsError) as down:
        backend.send("0912345678", "Thử")
    assert not down.value.permanent


def test_an_unconfigured_gateway_is_a_permanent_error():
    with pytest.raises(sms.SmsError) as unconfigured:
        sms.HttpSmsBackend(url="", token="", sender="S", timeout=1).send("0912345678", "Thử")
    assert unconfigured.value.permanent
    assert "SMS_HTTP_URL" in unconfigured.value.message


# --- other backends, phone numbers ------------------------------------------------------


def test_console_backend_prints_the_message():
    stream = io.StringIO()
    assert sms.ConsoleSmsBackend(stream=stream).send("0912345678", "Xin chào") == ""
    assert stream.getvalue() == "SMS → +84912345678: Xin chào\n"


def test_the_backend_is_chosen_by_dotted_path(settings):
    settings.SMS_BACKEND = "portal.sms.ConsoleSmsBackend"
    assert isinstance(sms.get_sms_backend(), sms.ConsoleSmsBackend)


@pytest.mark.parametrize(("typed", "normalised"), [
    ("0912345678", "+84912345678"),
    ("+84912345678", "+84912345678"),
    ("84912345678", "+84912345678"),
    ("0084912345678", "+84912345678"),
    ("0912 345 678", "+84912345678"),
    ("091.234.5678", "+84912345678"),
    ("(+84) 912-345-678", "+84912345678"),
    ("0352345678", "+84352345678"),
    ("+84 (0) 912 345 678", "+84912345678"),
])
def test_phone_numbers_are_normalised_to_plus_84(typed, normalised):
    assert sms.normalize_phone(typed) == normalised


@pytest.mark.parametrize("typed", [
    "", "091234567", "09123456789", "0212345678", "0112345678", "+1 202 555 0143",
    "09123456ab", "+8409123456789", "+84212345678",
])
def test_invalid_phone_numbers_are_refused_for_good(typed):
    with pytest.raises(sms.SmsError) as invalid:
        sms.normalize_phone(typed)
    assert invalid.value.permanent
    assert "không phải số di động Việt Nam hợp lệ" in invalid.value.message


# --- admin ------------------------------------------------------------------------------


def template_form(template: MessageTemplate, **changes) -> dict:
    data = {"name": template.name, "email_subject": template.email_subject,
            "email_body": template.email_body, "sms_body": template.sms_body, "is_active": "on"}
    return {**data, **changes}


def test_admin_refuses_invalid_template_syntax_in_vietnamese(admin_client):
    assert admin_client.get(reverse("admin:portal_messagetemplate_add")).status_code == 200
    template = MessageTemplate.objects.get(code="dossier_received")
    url = reverse("admin:portal_messagetemplate_change", args=[template.pk])
    response = admin_client.post(url, template_form(
        template, sms_body="Hồ sơ {{ dossier_code } đã được tiếp nhận {% if %}"))
    assert response.status_code == 200
    assert "Nội dung mẫu không đúng cú pháp mẫu Django" in response.content.decode()
    template.refresh_from_db()
    assert "{% if %}" not in template.sms_body


def test_an_administrators_edited_text_is_what_gets_sent(
        admin_client, sms_file, mailoutbox, django_capture_on_commit_callbacks):
    template = MessageTemplate.objects.get(code="dossier_received")
    url = reverse("admin:portal_messagetemplate_change", args=[template.pk])
    page = admin_client.get(url).content.decode()
    assert "{{ due_at }}" in page  # the variables this code receives are listed
    response = admin_client.post(url, template_form(
        template,
        email_subject="Đã nhận hồ sơ {{ dossier_code }}",
        sms_body="{{ receiving_agency }} đã nhận hồ sơ {{ dossier_code }}, hẹn "
                 '{{ due_at|date:"d/m/Y" }}.',
    ))
    assert response.status_code == 302, response.content.decode()[:2000]
    with django_capture_on_commit_callbacks(execute=True):
        send()
    assert mailoutbox[0].subject == f"Đã nhận hồ sơ {CODE}"
    [line] = sms_lines(sms_file)
    assert line["text"] == f"UBND phường Quán Triều đã nhận hồ sơ {CODE}, hẹn 24/11/2026."


def test_admin_templates_are_turned_off_not_deleted(admin_client):
    template = MessageTemplate.objects.get(code="dossier_received")
    response = admin_client.post(
        reverse("admin:portal_messagetemplate_delete", args=[template.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert MessageTemplate.objects.filter(code="dossier_received").exists()


def test_admin_notification_log_is_read_only_and_filterable(admin_client, sms_file, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(phone="0212345678")
    changelist = reverse("admin:portal_notification_changelist")
    response = admin_client.get(changelist, {"status__exact": "failed", "channel__exact": "sms"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "0212345678" in page
    assert "an@example.vn" not in page
    row = Notification.objects.get(channel="sms")
    detail = admin_client.get(reverse("admin:portal_notification_change", args=[row.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.get(reverse("admin:portal_notification_add")).status_code == 403


@pytest.mark.django_db
def test_notifications_whose_task_was_lost_are_queued_again(settings, tmp_path):
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    from portal.models import Notification
    from portal.notifications import notify, redeliver_lost_notifications

    settings.SMS_BACKEND = "portal.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    # committed but never delivered: no on-commit callback ran (the broker was down)
    rows = notify(code="dossier_received", context={"dossier_code": "X-1"},
                  email="an@example.vn", phone=None, object_ref="dossier:1",
                  event_key="lost-1")
    Notification.objects.filter(pk=rows[0].pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=10))
    assert redeliver_lost_notifications() == 1
    assert Notification.objects.get(pk=rows[0].pk).status == "sent"
    assert len(mail.outbox) == 1
    assert redeliver_lost_notifications() == 0


# --- the relay -------------------------------------------------------------------------------

def test_a_burst_of_commits_shares_one_relay_task(monkeypatch):
    from portal import tasks
    from portal.cache import kicked as forget_kick

    kicked = []
    monkeypatch.setattr(tasks.relay_notifications_task, "delay", lambda: kicked.append(1))
    forget_kick("notification-relay")
    notifications.kick_relay()
    notifications.kick_relay()
    assert kicked == [1]  # the second commit found a relay on its way
    notifications.relay_notifications()  # the relay drops the flag before it reads the rows
    notifications.kick_relay()
    assert kicked == [1, 1]  # so a row committed after its read gets a relay of its own


def test_the_relay_queues_only_messages_never_tried(monkeypatch):
    from portal import tasks

    queued = []
    monkeypatch.setattr(tasks.deliver_notification_task, "delay", queued.append)
    rows = send()
    tried = Notification.objects.create(template_code="dossier_received", channel="email",
                                        recipient="b@example.vn", body="x", attempts=1,
                                        object_ref="dossier:8", event_key="dossier:8:x")
    Notification.objects.create(template_code="dossier_received", channel="email",
                                recipient="c@example.vn", body="x", status="sent",
                                object_ref="dossier:9", event_key="dossier:9:x")
    assert notifications.relay_notifications() == 2
    assert sorted(queued) == sorted(row.pk for row in rows)
    assert tried.pk not in queued
