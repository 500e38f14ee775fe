"""The e-mails about a report's approval (baocao/periodic/notices.py): submitting tells the
agency's leaders who may approve ("Báo cáo … chờ duyệt"), returning tells the reporter who
submitted ("Báo cáo … bị trả lại: <lý do>"); once per version and person, in the verb's
transaction; the built-in texts equal the rows migration 0016 installs."""

import importlib
import re

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from baocao.periodic import notices, services
from portal import notifications
from portal.models import MessageTemplate, Notification
from tests.baocao.periodic.conftest import (
    APPROVE,
    SEND_AT,
    SUBMIT,
    grant,
    indicator_values,
    send_report,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RETURN_REASON = "Số dân số nữ chưa khớp với báo cáo của công an xã."


def mails(code):
    return Notification.objects.filter(template_code=code).order_by("recipient")


def a1_report(assigned):
    return assigned.report(next(iter(assigned.reports)))


def submitted(report, people):
    """A1's report saved and submitted by its reporter at SEND_AT (not approved)."""
    with time_machine.travel(SEND_AT, tick=False):
        services.start_report(report=report, by=people.reporter)
        services.save_draft(report=report, values=indicator_values(0), by=people.reporter)
        return services.submit_report(report=report, by=people.reporter)


def test_submitting_tells_the_agencys_leaders_who_may_approve(indicator_setup, people,
                                                              three_level_tree):
    a1 = three_level_tree.communes[0]
    # approve granted through a group on the agency counts; on the province above does not
    group = Group.objects.create(name="Lãnh đạo xã A1")
    deputy = UserFactory(username="pho_chu_tich_a1", email="pho_chu_tich_a1@example.vn")
    deputy.groups.add(group)
    assign_perm(f"portal.{APPROVE}", group, a1)
    province_leader = grant(UserFactory(email="lanh_dao_tinh@example.vn"),
                            three_level_tree.root, APPROVE)
    report = a1_report(indicator_setup)
    version = submitted(report, people)
    sent = mails(notices.SUBMITTED_CODE)
    assert list(sent.values_list("recipient", flat=True)) == [
        "leader_a1@example.vn", "pho_chu_tich_a1@example.vn"]
    assert province_leader.email not in sent.values_list("recipient", flat=True)
    mail = sent.get(recipient="leader_a1@example.vn")
    assert mail.subject == ("[Cổng Một Cửa] Báo cáo TEST.KTXH.01 Quý IV/2026 của UBND xã A1 "
                            "chờ duyệt")
    assert "Kính gửi: Nguyễn Văn Bình" in mail.body
    assert ("Trần Thị Lan đã trình báo cáo TEST.KTXH.01 “Một số chỉ tiêu kinh tế – xã hội "
            "(thử nghiệm)”") in mail.body
    assert f"lúc 09:00 16/12/2026 (phiên bản {version.number})" in mail.body
    assert "thay thế" not in mail.body
    assert f"/bao-cao-dinh-ky/{report.pk}/" in mail.body
    assert (mail.object_ref, mail.event_key) == (
        f"agency_report:{report.pk}",
        f"report_version:{version.pk}:submitted:user:{people.leader.pk}")


def test_the_submitter_is_not_told_and_telling_twice_sends_once(indicator_setup, people):
    report = a1_report(indicator_setup)
    grant(people.reporter, report.agency, APPROVE)  # the reporter may approve too
    version = submitted(report, people)
    assert list(mails(notices.SUBMITTED_CODE).values_list("recipient", flat=True)) == [
        "leader_a1@example.vn"]
    leaders = notices.recipients([report.agency], (APPROVE,))[report.agency_id]
    notices.tell_submitted(report, version, leaders)
    assert mails(notices.SUBMITTED_CODE).count() == 1


def test_returning_tells_the_reporter_with_the_reason(indicator_setup, people):
    report = a1_report(indicator_setup)
    version = submitted(report, people)
    with time_machine.travel(SEND_AT.replace(hour=10), tick=False):
        services.return_report(report=report, reason=RETURN_REASON, by=people.leader)
    mail = mails(notices.RETURNED_CODE).get()
    assert mail.recipient == "reporter_a1@example.vn"
    assert mail.subject == ("[Cổng Một Cửa] Báo cáo TEST.KTXH.01 Quý IV/2026 bị trả lại: "
                            f"{RETURN_REASON}")
    assert "Kính gửi: Trần Thị Lan" in mail.body
    assert ("Nguyễn Văn Bình đã trả lại báo cáo TEST.KTXH.01 “Một số chỉ tiêu kinh tế – xã "
            "hội (thử nghiệm)”, Quý IV/2026") in mail.body
    assert f"(phiên bản {version.number}) lúc 10:00 16/12/2026." in mail.body
    assert f"Lý do: {RETURN_REASON}" in mail.body
    assert mail.event_key == f"report_version:{version.pk}:returned:user:{people.reporter.pk}"
    # the next submission is a new version: the leader is told again
    with time_machine.travel(SEND_AT.replace(hour=11), tick=False):
        services.start_report(report=report, by=people.reporter)
        services.submit_report(report=report, by=people.reporter)
    assert mails(notices.SUBMITTED_CODE).count() == 2


def test_a_long_reason_is_cut_in_the_subject_not_in_the_body(indicator_setup, people):
    report = a1_report(indicator_setup)
    submitted(report, people)
    reason = "Số liệu chưa khớp. " * 20
    services.return_report(report=report, reason=reason, by=people.leader)
    mail = mails(notices.RETURNED_CODE).get()
    assert len(mail.subject) < 200
    assert mail.subject.endswith("…")
    assert f"Lý do: {reason.strip()}" in mail.body


def test_a_replacement_says_so_with_its_reason(indicator_setup, people):
    report = a1_report(indicator_setup)
    send_report(report, indicator_values(0), reporter=people.reporter, leader=people.leader)
    with time_machine.travel(SEND_AT.replace(hour=14), tick=False):
        services.replace_report(report=report, reason="Sửa số dân số", by=people.reporter)
        services.submit_report(report=report, by=people.reporter)
    latest = mails(notices.SUBMITTED_CODE).order_by("-pk").first()
    assert "Đây là phiên bản thay thế báo cáo đã gửi. Lý do thay thế: Sửa số dân số" in \
        latest.body


def test_paper_reports_and_reporters_without_leaders_tell_nobody(indicator_setup, people,
                                                                 three_level_tree):
    a2, a3 = three_level_tree.communes[1], three_level_tree.communes[2]
    services.record_paper_report(report=indicator_setup.report(a3),
                                 values=indicator_values(2), by=people.province_office)
    submitter = grant(UserFactory(), a2, SUBMIT)
    report = indicator_setup.report(a2)
    services.start_report(report=report, by=submitter)
    services.save_draft(report=report, values=indicator_values(1), by=submitter)
    services.submit_report(report=report, by=submitter)  # A2 has no leader with approve
    assert not Notification.objects.exists()


def test_a_missing_template_row_uses_the_built_in_text(indicator_setup, people):
    MessageTemplate.objects.filter(code__in=(notices.SUBMITTED_CODE,
                                             notices.RETURNED_CODE)).delete()
    notifications.forget_templates()
    report = a1_report(indicator_setup)
    submitted(report, people)
    services.return_report(report=report, reason=RETURN_REASON, by=people.leader)
    assert mails(notices.SUBMITTED_CODE).get().subject.endswith("chờ duyệt")
    assert RETURN_REASON in mails(notices.RETURNED_CODE).get().subject


def test_an_inactive_template_sends_nothing_but_the_submission_stands(indicator_setup, people):
    # the row the migration installs (a live-server test may have flushed it)
    migration = importlib.import_module(
        "portal.migrations.0016_periodic_report_decision_templates")
    migration.create_templates(django_apps, None)
    MessageTemplate.objects.filter(code=notices.SUBMITTED_CODE).update(is_active=False)
    notifications.forget_templates()
    report = a1_report(indicator_setup)
    version = submitted(report, people)
    assert version.is_frozen
    assert not mails(notices.SUBMITTED_CODE).exists()


def test_the_templates_are_installed_with_the_built_in_texts(db):
    migration = importlib.import_module(
        "portal.migrations.0016_periodic_report_decision_templates")
    built_in = {notices.SUBMITTED_CODE: notices.SUBMITTED_TEMPLATE,
                notices.RETURNED_CODE: notices.RETURNED_TEMPLATE}
    assert {t["code"]: {k: v for k, v in t.items() if k != "code"}
            for t in migration.TEMPLATES} == built_in
    MessageTemplate.objects.filter(code__in=built_in).delete()
    migration.create_templates(django_apps, None)
    for code, fields in built_in.items():
        row = MessageTemplate.objects.get(code=code)
        assert {field: getattr(row, field) for field in fields} == fields


@pytest.mark.parametrize("code", [notices.SUBMITTED_CODE, notices.RETURNED_CODE])
def test_every_variable_of_the_texts_is_listed_for_administrators(code):
    fields = {notices.SUBMITTED_CODE: notices.SUBMITTED_TEMPLATE,
              notices.RETURNED_CODE: notices.RETURNED_TEMPLATE}[code]
    used = set()
    for text in fields.values():
        used |= set(re.findall(r"{{\s*(\w+)", text)) | set(re.findall(r"{%\s*if (\w+)", text))
    listed = set(notifications.TEMPLATE_VARIABLES[code]) | set(notifications.COMMON_VARIABLES)
    assert used - listed == set()
