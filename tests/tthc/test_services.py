"""Saving procedures from records, workflow shares, amendments and snapshots."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.tthc.conftest import record
from tthc import services
from tthc.models import FeeItem, Field, Procedure, RequiredDocument, Workflow, WorkflowStep

pytestmark = pytest.mark.django_db


def counts():
    return (Procedure.objects.count(), Field.objects.count(), RequiredDocument.objects.count(),
            FeeItem.objects.count(), Workflow.objects.count(), WorkflowStep.objects.count())


def test_a_record_creates_the_whole_procedure(birth):
    assert birth.field.name == "Hộ tịch"
    assert [lvl.level for lvl in birth.levels.all()] == ["commune"]
    assert birth.documents.count() == 2
    fee = birth.fees.get()
    assert fee.amount == 8000
    assert fee.online_amount() == 4000
    assert fee.exemptions.get().group == "Người thuộc hộ nghèo"
    assert [s.name for s in birth.workflows.get().steps.all()] == [
        "Tiếp nhận", "Thẩm định", "Ký duyệt"]
    assert birth.channels == ["direct", "online", "postal"]
    assert birth.legacy_level == 4


def test_workflow_shares_must_add_up_to_the_processing_time():
    bad = record(workflows=[{"level": "commune", "steps": [
        {"name": "Tiếp nhận", "role": "desk_officer", "share": "0.5"},
        {"name": "Ký", "role": "leader", "share": "0.25"}]}])
    with pytest.raises(services.RecordInvalid) as exc:
        services.save_procedure(bad)
    assert exc.value.reasons == [
        "workflows[commune]: Tổng thời gian các bước (0,75 ngày làm việc) phải bằng thời hạn "
        "giải quyết (1 ngày làm việc)."]
    assert counts() == (0, 0, 0, 0, 0, 0)


def test_share_problems_accepts_exact_decimal_sums():
    assert services.share_problems(Decimal("10"), "working_days",
                                   [Decimal("0.5"), Decimal("7.25"), Decimal("2.25")]) == []
    assert services.share_problems(Decimal("10"), "working_days", []) == [
        "Quy trình phải có ít nhất một bước."]


def test_every_level_needs_exactly_one_workflow():
    with pytest.raises(services.RecordInvalid) as exc:
        services.save_procedure(record(levels=["commune", "district"]))
    assert "workflows: cần đúng một quy trình cho cấp “Cấp huyện”." in exc.value.reasons


def test_an_invalid_record_reports_every_problem_and_writes_nothing():
    bad = record(national_code="1.1", processing_time="abc", levels=["village"],
                 channels=["fax"], service_mode="full",
                 documents=[{"name": "", "originals": 0, "copies": 0}],
                 fees=[{"kind": "tip", "name": "Tiền bồi dưỡng", "amount": -5}], extra=1)
    with pytest.raises(services.RecordInvalid) as exc:
        services.save_procedure(bad)
    text = " | ".join(exc.value.reasons)
    for expected in ("Trường không được hỗ trợ: extra", "processing_time: “abc” không phải là số",
                     "levels: cấp không hợp lệ village", "channels: kênh không hợp lệ fax",
                     "national_code: Mã thủ tục quốc gia có dạng 1.001234",
                     "documents[1].name", "fees[1].kind", "fees[1].amount"):
        assert expected in text, expected
    assert counts() == (0, 0, 0, 0, 0, 0)


def test_online_service_modes_require_the_online_channel():
    with pytest.raises(services.RecordInvalid) as exc:
        services.save_procedure(record(channels=["direct"]))
    assert any("phải cho phép nộp trực tuyến" in r for r in exc.value.reasons)


def test_saving_again_replaces_the_procedure_and_bumps_its_version(birth):
    changed = record(processing_time="2", documents=record()["documents"][:1],
                     workflows=[{"level": "commune", "steps": [
                         {"name": "Xử lý", "role": "processing_officer", "share": "2"}]}])
    procedure, created = services.save_procedure(changed)
    assert not created
    assert procedure.pk == birth.pk
    assert procedure.version == 2
    assert procedure.documents.count() == 1
    assert Workflow.objects.get(procedure=procedure).steps.count() == 1


def test_amending_a_procedure_does_not_change_a_snapshot_held_elsewhere(birth):
    held = json.loads(json.dumps(birth.terms_snapshot()))  # as a dossier would store it
    kept = json.dumps(held, sort_keys=True)
    services.save_procedure(record(
        name="Đăng ký khai sinh (sửa đổi)", processing_time="3",
        fees=[{"kind": "le_phi", "name": "Lệ phí mới", "amount": 20000}],
        workflows=[{"level": "commune", "steps": [
            {"name": "Xử lý", "role": "processing_officer", "share": "3"}]}],
        eform={**record()["eform"], "title": "Tờ khai mới"}))
    assert json.dumps(held, sort_keys=True) == kept
    assert held["procedure"]["processing_time"] == "1"
    assert held["procedure"]["version"] == 1
    assert held["fees"][0]["amount"] == 8000
    assert held["fees"][0]["online_amount"] == 4000
    assert held["eform_schema"]["title"] == "Tờ khai đăng ký khai sinh"
    fresh = Procedure.objects.get(pk=birth.pk).terms_snapshot()
    assert fresh["procedure"]["version"] == 2
    assert fresh["fees"][0]["amount"] == 20000


def test_snapshot_is_plain_json_and_a_deep_copy(birth):
    snapshot = birth.terms_snapshot()
    json.dumps(snapshot)
    snapshot["eform_schema"]["title"] = "đổi"
    assert birth.eform_schema["title"] == "Tờ khai đăng ký khai sinh"


def test_retire_takes_the_procedure_out_of_the_catalogue(birth):
    services.retire_procedure(procedure=birth, on=dt.date(2026, 11, 23))
    assert not Procedure.objects.published(dt.date(2026, 11, 23)).filter(pk=birth.pk).exists()
    assert Procedure.objects.published(dt.date(2026, 11, 22)).filter(pk=birth.pk).exists()


def test_workflow_validation_helper_for_the_admin(birth):
    workflow = birth.workflows.get()
    services.validate_workflow(workflow)
    workflow.steps.filter(position=1).update(share=Decimal("0.5"))
    with pytest.raises(ValidationError, match="phải bằng thời hạn giải quyết"):
        services.validate_workflow(workflow)


def test_online_discount_rounds_half_up():
    fee = FeeItem(amount=15_001, online_discount_percent=Decimal("50"))
    assert fee.online_amount() == 7501
    assert FeeItem(amount=None).online_amount() is None


def test_an_online_amount_set_by_regulation_wins_over_a_rate():
    fee = FeeItem(kind="le_phi", name="Lệ phí", amount=15_000, amount_online=7_000)
    assert fee.online_amount() == 7000
    fee.full_clean(exclude=["procedure"])
    with pytest.raises(ValidationError, match="không lớn hơn mức thu chung"):
        FeeItem(kind="le_phi", name="x", amount=5_000, amount_online=7_000).full_clean(
            exclude=["procedure"])
    with pytest.raises(ValidationError, match="không nhập cả hai"):
        FeeItem(kind="le_phi", name="x", amount=15_000, amount_online=7_000,
                online_discount_percent=Decimal(10)).full_clean(exclude=["procedure"])
