"""Processing rules with fixed clocks (DESIGN.md §4; DOMAIN-2025.md N21–N34)."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections

from hoso.choices import NATIONAL_STATUS, Action, DossierStatus, StepOutcome, national_status
from hoso.models import Dossier, DossierEvent
from hoso.services import intake, processing
from hoso.services.processing import ResultIn, SupplementItem
from hoso.workflow import TRANSITIONS, TransitionRefused, check
from portal.calendar import TZ
from portal.choices import Role
from portal.errors import InvalidInput
from portal.models import Notification
from tests.conftest import make_officer
from tests.hoso.conftest import intake_request, pdf_bytes
from tests.tthc.conftest import record
from tthc import services as tthc_services

pytestmark = pytest.mark.django_db


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def five_day_procedure(**overrides):
    """Dates in these tests avoid 24/11 (Ngày Văn hóa Việt Nam, a day off from 2026).
    Commune level, 5 working days: reception ½, appraisal 3 (may send back), signing 1½."""
    data = record(national_code="1.000005", name="Thủ tục năm ngày", processing_time="5",
                  same_day_cutoff=False, eform=None, documents=record()["documents"][1:],
                  fees=[], workflows=[{"level": "commune", "steps": [
                      {"name": "Tiếp nhận", "role": "desk_officer", "agency": "receiving",
                       "share": "0.5"},
                      {"name": "Thẩm định", "role": "processing_officer", "share": "3",
                       "may_send_back": True},
                      {"name": "Ký duyệt", "role": "leader", "share": "1.5",
                       "may_send_back": True}]}])
    data.update(overrides)
    return tthc_services.save_procedure(data)[0]


@pytest.fixture
def people(province):
    a1 = province.commune_a1
    return {
        "desk": make_officer(a1, Role.DESK_OFFICER, username="desk"),
        "specialist": make_officer(a1, Role.PROCESSING_OFFICER, username="chuyenvien",
                                   email="cv@example.vn"),
        "leader": make_officer(a1, Role.LEADER, username="lanhdao"),
        "district": make_officer(province.district_b, Role.PROCESSING_OFFICER,
                                 username="phong_huyen_b"),
        "stranger": make_officer(province.commune_b1, Role.LEADER, username="lanhdao_b1"),
    }


def received(province, people, procedure=None, when=None):
    procedure = procedure or five_day_procedure()
    with time_machine.travel(when or at(2026, 11, 30, 9, 0), tick=False):
        return intake.intake_at_desk(officer=people["desk"], request=intake_request(
            procedure, province.commune_a1, form_data={},
            papers=[intake.PaperIn(position=1, originals=1)]))


def started(province, people, **kwargs):
    dossier = received(province, people, **kwargs)
    with time_machine.travel(at(2026, 11, 30, 9, 30), tick=False):
        return processing.start(dossier_id=dossier.pk, officer=people["specialist"],
                                assignee=people["specialist"])


def result_in(electronic=True):
    return ResultIn(name="Giấy xác nhận", number="125/GXN", issued_on=dt.date(2026, 11, 25),
                    signer="Nguyễn Văn Lãnh",
                    file=SimpleUploadedFile("ket-qua.pdf", pdf_bytes()) if electronic else None)


# --- the table itself ------------------------------------------------------------------------

@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_action_is_refused_from_every_state_it_does_not_start_from(province, people,
                                                                          action):
    dossier = received(province, people)
    events = DossierEvent.objects.filter(dossier=dossier).count()
    for status in sorted(set(DossierStatus.values) - TRANSITIONS[action].sources):
        Dossier.objects.filter(pk=dossier.pk).update(status=status)
        dossier.refresh_from_db()
        with pytest.raises(TransitionRefused) as refused:
            check(dossier, action, people["leader"])
        assert refused.value.code == "transition_not_allowed", (action, status)
        assert refused.value.status_code == 409
    assert DossierEvent.objects.filter(dossier=dossier).count() == events


def test_every_status_maps_to_a_national_portal_code():
    assert set(NATIONAL_STATUS) == set(DossierStatus.values)
    assert [national_status(s) for s in ("submitted", "received", "refused", "in_progress",
                                         "awaiting_supplement", "awaiting_obligation",
                                         "withdrawn", "stopped", "resolved", "returned")] == (
        list(range(1, 11)))
    assert national_status("draft") is None


# --- the whole way ---------------------------------------------------------------------------

def test_commune_to_district_and_back_resolved_returned_online_and_rated(province, people):
    dossier = started(province, people)
    steps = list(dossier.steps.order_by("started_at", "pk"))
    assert [(s.name, s.outcome, s.on_time) for s in steps] == [
        ("Tiếp nhận", "done", True), ("Thẩm định", "open", None)]
    assert dossier.current_step.due_at == at(2026, 12, 3, 14, 45)  # ½ + 3 days from 09:00
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        dossier = processing.forward(dossier_id=dossier.pk, officer=people["specialist"],
                                     assignee=people["leader"], note="Đủ điều kiện")
    assert (dossier.current_step.name, dossier.assignee) == ("Ký duyệt", people["leader"])
    with time_machine.travel(at(2026, 12, 1, 14, 0), tick=False):
        dossier = processing.transfer(dossier_id=dossier.pk, officer=people["leader"],
                                      agency=province.district_b, note="Xác minh")
    assert dossier.handling_agency == province.district_b
    with pytest.raises(TransitionRefused) as refused:  # the district holds it now
        processing.resolve(dossier_id=dossier.pk, officer=people["leader"])
    assert refused.value.status_code == 403
    with time_machine.travel(at(2026, 12, 2, 9, 0), tick=False):
        dossier = processing.transfer_back(dossier_id=dossier.pk, officer=people["district"],
                                           note="Đã xác minh")
    assert dossier.handling_agency == province.commune_a1
    assert dossier.assignee == people["leader"]
    with time_machine.travel(at(2026, 12, 2, 10, 0), tick=False):
        processing.add_result(dossier_id=dossier.pk, officer=people["leader"],
                              result=result_in())
        dossier = processing.resolve(dossier_id=dossier.pk, officer=people["leader"])
    assert dossier.status == DossierStatus.RESOLVED
    with time_machine.travel(at(2026, 12, 2, 11, 0), tick=False):
        dossier = processing.return_result(dossier_id=dossier.pk, officer=people["desk"],
                                           method="online")
        processing.rate(dossier_id=dossier.pk, actor=people["desk"],
                        scores={"time": 5, "attitude": 4}, comment="Nhanh")
    assert dossier.status == DossierStatus.RETURNED
    assert dossier.results.get().code == f"{dossier.code}-KQ1"
    handovers = [(s.name, s.agency.name, s.outcome, s.on_time)
                 for s in dossier.steps.order_by("started_at", "pk")]
    assert handovers == [
        ("Tiếp nhận", "UBND xã A1", "done", True),
        ("Thẩm định", "UBND xã A1", "done", True),
        ("Ký duyệt", "UBND xã A1", "transferred", True),
        ("Liên thông: UBND huyện B", "UBND huyện B", "done", True),
        ("Ký duyệt", "UBND xã A1", "done", True)]
    actions = list(dossier.events.values_list("action", flat=True))
    assert actions == ["receive", "start", "forward", "transfer", "transfer_back", "resolve",
                       "return_result", "rate"]
    assert Notification.objects.filter(template_code="dossier_assigned",
                                       object_ref=f"dossier:{dossier.pk}").exists()


def test_a_late_step_is_marked_late(province, people):
    dossier = started(province, people)
    with time_machine.travel(at(2026, 12, 4, 9, 0), tick=False):  # due 26/11 13:15
        dossier = processing.forward(dossier_id=dossier.pk, officer=people["specialist"])
    assert dossier.steps.get(name="Thẩm định").on_time is False


def test_send_back_reopens_the_previous_step_with_its_officer(province, people):
    dossier = started(province, people)
    dossier = processing.forward(dossier_id=dossier.pk, officer=people["specialist"],
                                 assignee=people["leader"])
    dossier = processing.send_back(dossier_id=dossier.pk, officer=people["leader"],
                                   reason="Thiếu xác minh")
    assert (dossier.current_step.name, dossier.assignee) == ("Thẩm định", people["specialist"])
    assert dossier.steps.filter(name="Thẩm định").count() == 2


def test_a_leader_reassigns_and_the_officer_is_told(province, people):
    dossier = started(province, people)
    other = make_officer(province.commune_a1, Role.PROCESSING_OFFICER, username="cv2",
                         email="cv2@example.vn")
    dossier = processing.assign(dossier_id=dossier.pk, leader=people["leader"], assignee=other)
    assert dossier.current_step.assignee == other
    assert Notification.objects.filter(template_code="dossier_assigned",
                                       recipient="cv2@example.vn").exists()
    with pytest.raises(TransitionRefused) as refused:
        processing.assign(dossier_id=dossier.pk, leader=people["leader"],
                          assignee=people["stranger"])
    assert refused.value.code == "assignee_of_agency"


# --- supplements and the clock -----------------------------------------------------------------

def supplement_round(province, people, rule):
    procedure = five_day_procedure(supplement_clock=rule)
    dossier = started(province, people, procedure=procedure)
    assert dossier.due_at == at(2026, 12, 7, 9, 0)
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        processing.request_supplement(dossier_id=dossier.pk, officer=people["specialist"],
                                      items=[SupplementItem("Giấy chứng sinh", "Bản mờ")])
    with time_machine.travel(at(2026, 12, 3, 10, 0), tick=False):
        return processing.supplement(dossier_id=dossier.pk, actor=people["desk"])


def test_pause_moves_the_due_time_by_exactly_the_paused_working_time(province, people):
    dossier = supplement_round(province, people, "pause")
    assert dossier.status == DossierStatus.IN_PROGRESS
    assert dossier.due_at == at(2026, 12, 9, 9, 0)  # two working days later
    assert dossier.kpi_due_at == at(2026, 12, 9, 9, 0)


def test_restart_counts_the_full_time_again_from_the_supplement(province, people):
    dossier = supplement_round(province, people, "restart")
    assert dossier.due_at == at(2026, 12, 10, 10, 0)  # five working days from 26/11 10:00
    assert dossier.kpi_due_at == at(2026, 12, 9, 9, 0)  # the 766 measure only pauses
    request = dossier.supplement_requests.get()
    assert (request.due_at_before, request.due_at_after) == (at(2026, 12, 7, 9, 0),
                                                             dossier.due_at)


def test_a_supplement_request_lists_every_item_with_its_reason(province, people):
    dossier = started(province, people)
    with pytest.raises(TransitionRefused) as refused:
        processing.request_supplement(dossier_id=dossier.pk, officer=people["specialist"],
                                      items=[SupplementItem("Giấy chứng sinh", "")])
    assert refused.value.code == "items_listed"


def test_a_second_supplement_request_needs_a_reason_and_an_approver(province, people):
    dossier = supplement_round(province, people, "pause")
    item = [SupplementItem("Tờ khai", "Sai ngày sinh")]
    with pytest.raises(TransitionRefused) as refused:
        processing.request_supplement(dossier_id=dossier.pk, officer=people["specialist"],
                                      items=item)
    assert refused.value.code == "second_supplement_approved"
    with pytest.raises(TransitionRefused):  # an approver without the permission here
        processing.request_supplement(dossier_id=dossier.pk, officer=people["specialist"],
                                      items=item, reason="Phát hiện sai sót mới",
                                      approver=people["stranger"])
    dossier = processing.request_supplement(
        dossier_id=dossier.pk, officer=people["specialist"], items=item,
        reason="Phát hiện sai sót mới", approver=people["leader"])
    assert (dossier.supplement_count, dossier.counted_overdue) == (2, True)


def test_financial_obligation_pauses_both_due_times(province, people):
    dossier = started(province, people)
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        processing.request_obligation(dossier_id=dossier.pk, officer=people["specialist"],
                                      reason="Chờ nộp thuế thu nhập cá nhân")
    assert Dossier.objects.get(pk=dossier.pk).status == DossierStatus.AWAITING_OBLIGATION
    with time_machine.travel(at(2026, 12, 2, 10, 0), tick=False):
        dossier = processing.obligation_met(dossier_id=dossier.pk, officer=people["specialist"])
    assert dossier.due_at == dossier.kpi_due_at == at(2026, 12, 8, 9, 0)


# --- refusals of the rules ---------------------------------------------------------------------

def test_resolve_without_a_result_is_refused(province, people):
    dossier = started(province, people)
    dossier = processing.forward(dossier_id=dossier.pk, officer=people["specialist"])
    with pytest.raises(TransitionRefused) as refused:
        processing.resolve(dossier_id=dossier.pk, officer=people["leader"])
    assert refused.value.code == "result_attached"
    assert Dossier.objects.get(pk=dossier.pk).status == DossierStatus.IN_PROGRESS


def test_resolve_before_the_last_step_is_refused(province, people):
    dossier = started(province, people)
    processing.add_result(dossier_id=dossier.pk, officer=people["specialist"],
                          result=result_in(electronic=False))
    with pytest.raises(TransitionRefused) as refused:
        processing.resolve(dossier_id=dossier.pk, officer=people["leader"])
    assert refused.value.code == "steps_finished"


def resolved(province, people, **kwargs):
    dossier = started(province, people, **kwargs)
    processing.forward(dossier_id=dossier.pk, officer=people["specialist"])
    processing.add_result(dossier_id=dossier.pk, officer=people["leader"],
                          result=result_in(electronic=False))
    return processing.resolve(dossier_id=dossier.pk, officer=people["leader"])


def test_return_with_an_unpaid_fee_due_at_return_is_refused(province, people):
    procedure = five_day_procedure(fee_timing="at_return", fees=[
        {"kind": "le_phi", "name": "Lệ phí", "amount": 50000, "unit": "hồ sơ"}])
    dossier = resolved(province, people, procedure=procedure)
    with pytest.raises(TransitionRefused) as refused:
        processing.return_result(dossier_id=dossier.pk, officer=people["desk"], method="desk",
                                 returned_to="Nguyễn Văn An")
    assert "chưa nộp phí, lệ phí (50.000 đ)" in refused.value.message
    Dossier.objects.filter(pk=dossier.pk).update(fee_paid_at=at(2026, 12, 2, 8, 0))
    dossier = processing.return_result(dossier_id=dossier.pk, officer=people["desk"],
                                       method="desk", returned_to="Nguyễn Văn An")
    assert (dossier.status, dossier.returned_to) == (DossierStatus.RETURNED, "Nguyễn Văn An")


def test_withdraw_after_resolution_is_refused(province, people):
    dossier = resolved(province, people)
    with pytest.raises(TransitionRefused) as refused:
        processing.withdraw(dossier_id=dossier.pk, actor=people["desk"])
    assert refused.value.status_code == 409


def test_stop_only_before_a_result_exists(province, people):
    dossier = started(province, people)
    processing.add_result(dossier_id=dossier.pk, officer=people["specialist"],
                          result=result_in(electronic=False))
    with pytest.raises(TransitionRefused) as refused:
        processing.stop(dossier_id=dossier.pk, leader=people["leader"], reason="Công dân đề nghị")
    assert refused.value.code == "no_result_yet"
    other = started(province, people)
    other = processing.stop(dossier_id=other.pk, leader=people["leader"],
                            reason="Công dân đề nghị dừng")
    assert (other.status, national_status(other.status)) == (DossierStatus.STOPPED, 8)
    assert other.steps.get(name="Thẩm định").outcome == StepOutcome.CLOSED


def test_apology_before_the_due_time_keeps_the_original_appointment(province, people):
    dossier = started(province, people)
    with time_machine.travel(at(2026, 12, 4, 9, 0), tick=False):
        dossier = processing.apologize(dossier_id=dossier.pk, leader=people["leader"],
                                       reason_code="verification", reason="Chờ xác minh",
                                       new_due_at=at(2026, 12, 9, 17, 0))
    assert (dossier.due_at, dossier.extended_due_at) == (at(2026, 12, 7, 9, 0),
                                                         at(2026, 12, 9, 17, 0))
    with time_machine.travel(at(2026, 12, 5, 9, 0), tick=False), pytest.raises(
            TransitionRefused):  # one extension only (PORTAL_MAX_APOLOGIES)
        processing.apologize(dossier_id=dossier.pk, leader=people["leader"], reason="Lần nữa",
                             reason_code="verification", new_due_at=at(2026, 12, 11, 17, 0))


def test_an_apology_after_the_due_time_is_refused(province, people):
    dossier = started(province, people)
    with time_machine.travel(at(2026, 12, 8, 9, 0), tick=False), pytest.raises(
            TransitionRefused) as refused:
        processing.apologize(dossier_id=dossier.pk, leader=people["leader"], reason="Muộn",
                             reason_code="verification", new_due_at=at(2026, 12, 11, 17, 0))
    assert refused.value.code == "before_due"


def test_an_extension_needs_a_reason_from_the_list(province, people):
    dossier = started(province, people)
    with time_machine.travel(at(2026, 12, 4, 9, 0), tick=False), pytest.raises(
            TransitionRefused) as refused:
        processing.apologize(dossier_id=dossier.pk, leader=people["leader"], reason="Bận",
                             reason_code="", new_due_at=at(2026, 12, 9, 17, 0))
    assert refused.value.code == "reason_from_list"


def test_refusal_needs_a_reason(province, people):
    dossier = started(province, people)
    with pytest.raises(TransitionRefused):
        processing.refuse(dossier_id=dossier.pk, leader=people["leader"], reason="  ")
    dossier = processing.refuse(dossier_id=dossier.pk, leader=people["leader"],
                                reason="Không đủ điều kiện theo Điều 5")
    assert dossier.status == DossierStatus.REFUSED


def test_rating_once_with_scores_from_one_to_five(province, people):
    dossier = resolved(province, people)
    processing.return_result(dossier_id=dossier.pk, officer=people["desk"], method="online")
    with pytest.raises(InvalidInput):
        processing.rate(dossier_id=dossier.pk, actor=people["desk"], scores={"time": 6})
    processing.rate(dossier_id=dossier.pk, actor=people["desk"], scores={"time": 4})
    with pytest.raises(TransitionRefused) as refused:
        processing.rate(dossier_id=dossier.pk, actor=people["desk"], scores={"time": 5})
    assert refused.value.code == "not_rated"


def test_an_officer_without_the_permission_there_gets_403_and_nothing_changes(province,
                                                                              people):
    dossier = started(province, people)
    before = (dossier.status, dossier.current_step_id, dossier.events.count())
    with pytest.raises(TransitionRefused) as refused:
        processing.forward(dossier_id=dossier.pk, officer=people["stranger"])
    assert refused.value.status_code == 403
    dossier.refresh_from_db()
    assert (dossier.status, dossier.current_step_id, dossier.events.count()) == before


def test_a_failure_mid_way_leaves_everything_as_before(province, people, monkeypatch):
    dossier = started(province, people)

    def broken(*args, **kwargs):
        raise RuntimeError("mail template broke")

    monkeypatch.setattr("hoso.notify.notify_applicant", broken)
    with pytest.raises(RuntimeError):
        processing.request_supplement(dossier_id=dossier.pk, officer=people["specialist"],
                                      items=[SupplementItem("Tờ khai", "Thiếu chữ ký")])
    dossier.refresh_from_db()
    assert (dossier.status, dossier.supplement_count, dossier.paused_at) == (
        DossierStatus.IN_PROGRESS, 0, None)
    assert not dossier.supplement_requests.exists()


@pytest.mark.django_db(transaction=True)
def test_two_officers_at_once_exactly_one_wins(province, people):
    dossier = received(province, people)
    barrier = threading.Barrier(2)
    outcomes = []

    def act(officer):
        try:
            barrier.wait()
            processing.start(dossier_id=dossier.pk, officer=officer)
            outcomes.append("ok")
        except TransitionRefused as exc:
            outcomes.append(exc.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(people[k],)) for k in ("specialist",
                                                                         "leader")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [409, "ok"]
    assert DossierEvent.objects.filter(dossier=dossier, action=Action.START).count() == 1


def test_a_transferred_dossier_is_in_the_other_agencys_inbox_until_it_comes_back(
        province, people):
    from hoso.selectors import InboxFilter, inbox_page

    def in_inbox(user, dossier):
        return dossier.pk in [d.pk for d in inbox_page(user, "da-tiep-nhan",
                                                        InboxFilter()).rows]

    dossier = started(province, people)
    assert not in_inbox(people["district"], dossier)
    processing.transfer(dossier_id=dossier.pk, officer=people["specialist"],
                        agency=province.district_b)
    assert in_inbox(people["district"], dossier)
    processing.transfer_back(dossier_id=dossier.pk, officer=people["district"])
    assert not in_inbox(people["district"], dossier)


def test_the_applicant_is_told_of_each_change_that_concerns_them(
        province, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the receipt's, after commit
        dossier = started(province, people)
    processing.request_obligation(dossier_id=dossier.pk, officer=people["specialist"],
                                  reason="Nộp lệ phí trước bạ")
    processing.obligation_met(dossier_id=dossier.pk, officer=people["specialist"])
    processing.request_supplement(dossier_id=dossier.pk, officer=people["specialist"],
                                  items=[SupplementItem("Tờ khai", "Thiếu chữ ký")])
    codes = set(Notification.objects.filter(object_ref=f"dossier:{dossier.pk}")
                .values_list("template_code", flat=True))
    assert {"dossier_received", "obligation_requested", "supplement_requested"} <= codes
