"""The processing slips (hoso/slips.py): Mẫu 02 after receipt, the refusal, the stop notice,
Mẫu 04 in both form sets, the control sheet with its marks and query budget, and the officer
downloads. Processing rows are made with the ORM: these tests read them, they do not
exercise the workflow."""

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from hoso import slips
from hoso.choices import SlipVersion, StepOutcome
from hoso.models import Apology, Dossier, DossierStep, SupplementRequest
from hoso.selectors import get_dossier_for_officer
from portal.calendar import TZ
from portal.choices import Role
from tests.conftest import make_officer
from tests.factories import UserFactory
from tests.hoso.conftest import desk_receive
from tthc.choices import ClockRule

pytestmark = pytest.mark.django_db

TT01_BASIS = "ban hành kèm theo Thông tư số 01/2018/TT-VPCP ngày 23/11/2018"
TT03_BASIS = "Phụ lục I Thông tư số 03/2025/TT-VPCP"


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def pdf_text(data: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces collapsed."""
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def received(province, birth_procedure, desk_a1):
    """A dossier received at commune A1 on Monday 23/11/2026 (the TT 03/2025 set)."""
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):
        return desk_receive(desk_a1, birth_procedure, province.commune_a1)


@pytest.fixture
def received_tt01(province, birth_procedure, desk_a1):
    """A dossier received on 10/9/2025, before TT 03/2025 (the TT 01/2018 set)."""
    with time_machine.travel(at(2025, 9, 10, 9, 0), tick=False):
        return desk_receive(desk_a1, birth_procedure, province.commune_a1)


def fresh(dossier) -> Dossier:
    """The dossier as the views load it."""
    return Dossier.objects.select_related(
        "procedure", "receiving_agency", "deciding_agency").get(pk=dossier.pk)


def supplement(dossier, number=1, **fields) -> SupplementRequest:
    values = {
        "dossier": dossier, "number": number, "requested_by": UserFactory(
            full_name="Phạm Đức Long"),
        "items": [
            {"name": "Giấy chứng sinh", "reason": "Bản chụp mờ, không đọc được số giấy"},
            {"name": "Tờ khai đăng ký khai sinh", "reason": "Thiếu chữ ký của người đi khai"},
        ],
        "requested_at": at(2026, 11, 24, 10, 30), "clock_rule": ClockRule.RESTART,
        "due_at_before": dossier.due_at,
    }
    values.update(fields)
    return SupplementRequest.objects.create(**values)


# --- Mẫu 02 --------------------------------------------------------------------------------

def test_supplement_request_lists_every_item_with_its_reason(received):
    request = supplement(fresh(received))

    text = pdf_text(slips.supplement_request_pdf(request))

    for expected in [
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", received.code, "UBND XÃ A1",
        "Hồ sơ của: Nguyễn Văn An", "019090001234", received.procedure.name,
        "lần thứ 1", "Giấy chứng sinh", "Bản chụp mờ, không đọc được số giấy",
        "Tờ khai đăng ký khai sinh", "Thiếu chữ ký của người đi khai",
        "Thời gian yêu cầu bổ sung: 10 giờ 30 phút, ngày 24/11/2026",
        "Thời hạn giải quyết được tính lại từ đầu", "NGƯỜI HƯỚNG DẪN", "Phạm Đức Long",
        "Mẫu số 02 — " + TT03_BASIS, "ngày 24 tháng 11 năm 2026",
    ]:
        assert expected in text, expected
    assert "Người phê duyệt" not in text


def test_a_second_supplement_request_prints_its_reason_and_approver(received):
    dossier = fresh(received)
    supplement(dossier)
    second = supplement(
        dossier, number=2, items=[{"name": "Giấy chứng nhận kết hôn",
                                   "reason": "Cần để xác định quan hệ cha con"}],
        reason="Phát hiện khi thẩm định sau lần bổ sung thứ nhất",
        approved_by=UserFactory(full_name="Đỗ Quang Vinh"), requested_at=at(2026, 11, 26, 8, 0),
        clock_rule=ClockRule.PAUSE)

    text = pdf_text(slips.supplement_request_pdf(second))

    for expected in [
        "lần thứ 2", "Giấy chứng nhận kết hôn", "Cần để xác định quan hệ cha con",
        "Lý do yêu cầu bổ sung lần thứ 2: Phát hiện khi thẩm định sau lần bổ sung thứ nhất",
        "Người phê duyệt: Đỗ Quang Vinh", "không tính vào thời hạn giải quyết",
    ]:
        assert expected in text, expected
    assert "Giấy chứng sinh" not in text


def test_supplement_request_prints_the_basis_of_the_dossiers_form_set(received_tt01):
    text = pdf_text(slips.supplement_request_pdf(supplement(fresh(received_tt01))))

    assert "Mẫu số 02 " + TT01_BASIS in text
    assert TT03_BASIS not in text


# --- refusal and stop ------------------------------------------------------------------------

def test_refusal_prints_the_reason(received):
    Dossier.objects.filter(pk=received.pk).update(
        refusal_reason="Người yêu cầu không có quan hệ với người được đăng ký khai sinh")

    with time_machine.travel(at(2026, 11, 25, 14, 0), tick=False):
        text = pdf_text(slips.refusal_pdf(fresh(received)))

    for expected in [
        "PHIẾU TỪ CHỐI GIẢI QUYẾT HỒ SƠ", received.code, "Nguyễn Văn An",
        "Người yêu cầu không có quan hệ với người được đăng ký khai sinh",
        "Mẫu số 03 — " + TT03_BASIS, "NGƯỜI TỪ CHỐI", "ngày 25 tháng 11 năm 2026",
    ]:
        assert expected in text, expected


def test_no_refusal_slip_without_a_reason(received):
    with pytest.raises(ValueError, match="no refusal reason"):
        slips.refusal_pdf(fresh(received))


def test_stop_notice_is_the_tt03_form_with_the_reason(received, received_tt01):
    Dossier.objects.filter(pk__in=[received.pk, received_tt01.pk]).update(
        stop_reason="Công dân có đơn đề nghị dừng thực hiện thủ tục")

    with time_machine.travel(at(2026, 11, 25, 14, 0), tick=False):
        tt03 = pdf_text(slips.stop_notice_pdf(fresh(received)))
        tt01 = pdf_text(slips.stop_notice_pdf(fresh(received_tt01)))

    for text, dossier in ((tt03, received), (tt01, received_tt01)):
        assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
        assert dossier.code in text
        assert "Công dân có đơn đề nghị dừng thực hiện thủ tục" in text
        # new in TT 03/2025: the old set has no such form
        assert "Mẫu số 05 — " + TT03_BASIS in text
        assert TT01_BASIS not in text


# --- Mẫu 04 --------------------------------------------------------------------------------

def apology(dossier, **fields) -> Apology:
    values = {"dossier": dossier, "reason": "Chờ ý kiến xác minh của UBND xã nơi cư trú",
              "new_due_at": dossier.due_at + dt.timedelta(days=3),
              "issued_by": UserFactory(full_name="Hoàng Minh Tuấn"),
              "issued_at": dossier.due_at - dt.timedelta(hours=4)}
    values.update(fields)
    return Apology.objects.create(**values)


def test_apology_wording_follows_the_form_set(received, received_tt01):
    tt03_dossier, tt01_dossier = fresh(received), fresh(received_tt01)

    tt03 = pdf_text(slips.apology_pdf(apology(tt03_dossier)))
    tt01 = pdf_text(slips.apology_pdf(apology(tt01_dossier)))

    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in tt03
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" not in tt03
    assert "Mẫu số 04 — " + TT03_BASIS in tt03
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in tt01
    assert "ĐỀ NGHỊ GIA HẠN" not in tt01
    assert "Mẫu số 04 " + TT01_BASIS in tt01
    for text, dossier in ((tt03, tt03_dossier), (tt01, tt01_dossier)):
        assert dossier.code in text
        assert "Chờ ý kiến xác minh của UBND xã nơi cư trú" in text
        assert slips.moment_text(dossier.due_at) in text  # the original due time
        assert slips.moment_text(dossier.due_at + dt.timedelta(days=3)) in text
        assert "Hoàng Minh Tuấn" in text


def test_a_second_apology_starts_from_the_first_ones_date(received):
    dossier = fresh(received)
    first = apology(dossier)
    second = apology(dossier, new_due_at=first.new_due_at + dt.timedelta(days=2),
                     issued_at=first.new_due_at - dt.timedelta(hours=2))

    text = pdf_text(slips.apology_pdf(second))

    assert f"Thời hạn trả kết quả đã hẹn: {slips.moment_text(first.new_due_at)}" in text
    assert slips.moment_text(second.new_due_at) in text


# --- the control sheet -----------------------------------------------------------------------

# Each kind of step as (due, finished) after its start: early ends the day before it is due, on
# time ends on the due day before the due time, late ends after it; open has not ended.
STEP_KINDS = [
    (dt.timedelta(days=1), dt.timedelta(hours=5)),
    (dt.timedelta(hours=3), dt.timedelta(hours=2)),
    (dt.timedelta(hours=2), dt.timedelta(hours=6)),
    (dt.timedelta(days=1), None),
]


def add_steps(dossier, count: int) -> None:
    """`count` hand-overs a day apart: early, on time, late, then open, repeating; the second
    step is a transfer from the commune to the district."""
    commune, district = dossier.receiving_agency, dossier.receiving_agency.parent
    for i in range(count):
        due, finished = STEP_KINDS[i % len(STEP_KINDS)]
        started = at(2026, 11, 23, 9, 30) + dt.timedelta(days=i)
        DossierStep.objects.create(
            dossier=dossier, position=i + 1, name=f"Bước {i + 1}: thẩm định",
            agency=district if i == 1 else commune, transfer_from=commune if i == 1 else None,
            assignee=UserFactory(full_name=f"Chuyên viên số {i + 1}"),
            started_at=started, due_at=started + due,
            finished_at=None if finished is None else started + finished,
            outcome=StepOutcome.OPEN if finished is None else StepOutcome.DONE)


def test_control_sheet_has_one_row_per_handover_with_its_mark(received):
    add_steps(received, 4)

    text = pdf_text(slips.control_sheet_pdf(fresh(received)))

    for expected in [
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", received.code, "Nguyễn Văn An",
        "Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 23/11/2026", slips.moment_text(received.due_at),
        "Mẫu số 06 — " + TT03_BASIS, "Cơ quan phối hợp giải quyết: UBND huyện A",
        "1. Giao: Ngô Thị Hạnh, UBND xã A1",  # the receiving officer hands over step 1
        "2. Nhận: Chuyên viên số 1, UBND xã A1", "Lúc: 09:30 23/11/2026",
        "2. Nhận: Chuyên viên số 2, UBND huyện A", "Chuyển liên thông từ UBND xã A1",
        "1. Giao: Chuyên viên số 2, UBND huyện A",  # the holder of the step before
    ]:
        assert expected in text, expected
    marks = [slips.EARLY, slips.ON_TIME, slips.LATE, slips.IN_PROGRESS]
    positions = [text.index(mark, text.index("Bước 1")) for mark in marks]
    assert positions == sorted(positions)  # in the order of the steps
    assert text.count(slips.LATE) == 2  # the column header and the one late step


def test_step_marks_compare_the_end_with_the_due_time():
    due = at(2026, 11, 24, 10, 0)

    def mark(finished, due_at=due):
        return slips.step_mark(DossierStep(started_at=at(2026, 11, 23, 8, 0), due_at=due_at,
                                           finished_at=finished))

    assert mark(at(2026, 11, 23, 16, 0)) == "Trước hạn"
    assert mark(at(2026, 11, 24, 9, 0)) == "Đúng hạn"
    assert mark(at(2026, 11, 24, 10, 0)) == "Đúng hạn"
    assert mark(at(2026, 11, 24, 10, 1)) == "Quá hạn"  # late the same day is late
    assert mark(at(2026, 11, 24, 0, 30), due_at=at(2026, 11, 24, 23, 59)) == "Đúng hạn"
    assert mark(None) == "Đang xử lý"
    assert mark(at(2026, 11, 30, 9, 0), due_at=None) == "Đúng hạn"


def test_control_sheet_number_follows_the_form_set(received_tt01):
    text = pdf_text(slips.control_sheet_pdf(fresh(received_tt01)))

    assert "Mẫu số 05 " + TT01_BASIS in text
    assert TT03_BASIS not in text
    assert "Cơ quan (bộ phận) giải quyết: UBND xã A1" in text
    assert "Hồ sơ chưa được chuyển xử lý." in text


def test_control_sheet_costs_the_same_queries_whatever_the_steps(received, province,
                                                                 birth_procedure, desk_a1):
    with time_machine.travel(at(2026, 11, 23, 9, 5), tick=False):
        other = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    add_steps(received, 1)
    add_steps(other, 9)
    few, many = fresh(received), fresh(other)

    with CaptureQueriesContext(connection) as one_step:
        slips.control_sheet_pdf(few)
    with CaptureQueriesContext(connection) as nine_steps:
        slips.control_sheet_pdf(many)

    assert len(nine_steps) == len(one_step) <= 4  # steps, receipt event, the agency's parent


# --- downloads -------------------------------------------------------------------------------

def all_slips(client, dossier, number=1, apology_id=0):
    args = [dossier.pk]
    return {
        "supplement_slip": client.get(reverse("hoso:supplement_slip", args=[*args, number])),
        "refusal_slip": client.get(reverse("hoso:refusal_slip", args=args)),
        "stop_notice": client.get(reverse("hoso:stop_notice", args=args)),
        "apology_slip": client.get(reverse("hoso:apology_slip", args=[*args, apology_id])),
        "control_sheet": client.get(reverse("hoso:control_sheet", args=args)),
    }


def test_officer_downloads_every_slip(client, received, desk_a1):
    dossier = fresh(received)
    supplement(dossier)
    excuse = apology(dossier)
    add_steps(dossier, 2)
    Dossier.objects.filter(pk=dossier.pk).update(refusal_reason="Không đủ điều kiện",
                                                 stop_reason="Công dân rút yêu cầu")
    client.force_login(desk_a1)

    responses = all_slips(client, dossier, apology_id=excuse.pk)

    kinds = {"supplement_slip": "yeu-cau-bo-sung-lan-1", "refusal_slip": "tu-choi-giai-quyet",
             "stop_notice": "thong-bao-dung-giai-quyet",
             "apology_slip": f"xin-loi-hen-lai-{excuse.pk}", "control_sheet": "phieu-kiem-soat"}
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            f'inline; filename="{dossier.code}-{kinds[name]}.pdf"')
        assert dossier.code in pdf_text(response.content)


def test_another_communes_officer_gets_404(client, received, desk_b1):
    dossier = fresh(received)
    supplement(dossier)
    excuse = apology(dossier)
    Dossier.objects.filter(pk=dossier.pk).update(refusal_reason="Không đủ điều kiện",
                                                 stop_reason="Công dân rút yêu cầu")
    client.force_login(desk_b1)

    responses = all_slips(client, dossier, apology_id=excuse.pk)

    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 404)


def test_missing_slips_are_404(client, received, received_tt01, desk_a1):
    other_apology = apology(fresh(received_tt01))
    client.force_login(desk_a1)

    responses = all_slips(client, received, number=1, apology_id=other_apology.pk)

    assert {name: r.status_code for name, r in responses.items()} == {
        "supplement_slip": 404, "refusal_slip": 404, "stop_notice": 404,
        "apology_slip": 404,  # another dossier's apology
        "control_sheet": 200}  # always: the receipt opens it


def test_the_selector_is_the_gate(received, province):
    """A district officer above the commune sees it (the agency tree); a sibling does not."""
    district = make_officer(province.district_a, Role.PROCESSING_OFFICER, username="cv_a")
    sibling = make_officer(province.commune_a2, Role.PROCESSING_OFFICER, username="cv_a2")

    assert get_dossier_for_officer(district, received.pk) == received
    with pytest.raises(Exception, match="Không tìm thấy hồ sơ"):
        get_dossier_for_officer(sibling, received.pk)


def test_slip_versions_come_from_the_receipt_date(received, received_tt01):
    assert received.slip_version == SlipVersion.TT03_2025
    assert received_tt01.slip_version == SlipVersion.TT01_2018
