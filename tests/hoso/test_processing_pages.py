"""The officer's dossier page: everything about the dossier, and a form for each action this
officer may take now, each asking for its fields and a confirmation."""

import pytest
from django.urls import reverse

from hoso.choices import DossierStatus
from hoso.models import Dossier
from tests.hoso.test_processing import pdf_bytes, people, received, started  # noqa: F401

pytestmark = pytest.mark.django_db


def page(client, user, dossier):
    client.force_login(user)
    return client.get(reverse("hoso:officer_dossier", args=[dossier.pk])).content.decode()


def post(client, user, dossier, action, **data):
    client.force_login(user)
    return client.post(reverse("hoso:officer_action", args=[dossier.pk, action]), data)


def test_the_page_offers_only_the_actions_this_officer_may_take(client, province,
                                                                people):  # noqa: F811
    dossier = started(province, people)
    specialist = page(client, people["specialist"], dossier)
    assert "Chuyển bước tiếp theo" in specialist
    assert "Yêu cầu bổ sung hồ sơ" in specialist
    assert "Từ chối giải quyết" not in specialist  # a leader's decision
    assert "Phiếu kiểm soát quá trình giải quyết hồ sơ" in specialist
    assert "Thẩm định" in specialist
    assert "Đang xử lý" in specialist
    leader = page(client, people["leader"], dossier)
    assert "Từ chối giải quyết" in leader
    assert "Dừng giải quyết" in leader


def test_an_action_needs_its_confirmation_and_changes_nothing_without_it(client, province,
                                                                         people):  # noqa: F811
    dossier = started(province, people)
    refused = post(client, people["specialist"], dossier, "forward", note="Đủ điều kiện")
    assert refused.status_code == 400
    assert "Tôi đã kiểm tra và xác nhận" in refused.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).current_step.name == "Thẩm định"
    done = post(client, people["specialist"], dossier, "forward", note="Đủ điều kiện",
                assignee=people["leader"].pk, confirm="on")
    assert done.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.current_step.name, dossier.assignee) == ("Ký duyệt", people["leader"])


def test_a_rule_refusal_comes_back_as_a_message(client, province, people):  # noqa: F811
    dossier = started(province, people)
    post(client, people["specialist"], dossier, "forward", confirm="on")
    response = post(client, people["leader"], dossier, "resolve", confirm="on")
    assert response.status_code == 302
    assert "Chưa đính kèm kết quả" in page(client, people["leader"], dossier)
    assert Dossier.objects.get(pk=dossier.pk).status == DossierStatus.IN_PROGRESS


def test_supplement_request_from_the_page_lists_items_and_links_the_slip(
        client, province, people):  # noqa: F811
    dossier = started(province, people)
    bad = post(client, people["specialist"], dossier, "request_supplement",
               items="Giấy chứng sinh", confirm="on")
    assert bad.status_code == 400
    assert "chưa ghi lý do" in bad.content.decode()
    post(client, people["specialist"], dossier, "request_supplement",
         items="Giấy chứng sinh: bản chụp mờ\nTờ khai: thiếu chữ ký", confirm="on")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.AWAITING_SUPPLEMENT
    assert dossier.supplement_requests.get().items == [
        {"name": "Giấy chứng sinh", "reason": "bản chụp mờ"},
        {"name": "Tờ khai", "reason": "thiếu chữ ký"}]
    assert reverse("hoso:supplement_slip", args=[dossier.pk, 1]) in page(
        client, people["specialist"], dossier)


def test_result_attached_then_resolved_and_returned_from_the_pages(client, province,
                                                                   people):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    dossier = started(province, people)
    post(client, people["specialist"], dossier, "forward", confirm="on")
    client.force_login(people["leader"])
    client.post(reverse("hoso:add_result", args=[dossier.pk]), {
        "name": "Giấy xác nhận", "number": "12/GXN", "issued_on": "2026-12-01",
        "file": SimpleUploadedFile("kq.pdf", pdf_bytes())})
    post(client, people["leader"], dossier, "resolve", confirm="on")
    post(client, people["desk"], dossier, "return_result", method="desk",
         returned_to="Nguyễn Văn An", confirm="on")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RETURNED
    assert dossier.results.get().electronic


def test_a_leader_assigns_several_dossiers_at_once_and_sees_what_was_refused(
        client, province, people):  # noqa: F811
    first, second = started(province, people), started(province, people)
    waiting = received(province, people)  # not started: assigning is allowed, forward is not
    client.force_login(people["leader"])
    inbox = client.get(reverse("hoso:inbox_queue", args=["da-tiep-nhan"])).content.decode()
    assert 'name="dossier"' in inbox
    assert "Xử lý hàng loạt" in inbox
    client.post(reverse("hoso:inbox_bulk"), {
        "action": "forward", "dossier": [first.pk, second.pk, waiting.pk]})
    moved = Dossier.objects.filter(pk__in=[first.pk, second.pk])
    assert {d.current_step.name for d in moved} == {"Ký duyệt"}
    messages = [str(m) for m in client.get(reverse("hoso:inbox")).context["messages"]]
    assert any("cho 2 hồ sơ" in m for m in messages)
    assert any(waiting.code in m for m in messages)


def test_bulk_actions_are_for_leaders_only(client, province, people):  # noqa: F811
    dossier = started(province, people)
    client.force_login(people["specialist"])
    assert 'name="dossier"' not in client.get(reverse("hoso:inbox")).content.decode()
    response = client.post(reverse("hoso:inbox_bulk"), {"action": "assign",
                                                        "dossier": [dossier.pk],
                                                        "assignee": people["leader"].pk})
    assert response.status_code == 403
