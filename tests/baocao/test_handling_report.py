"""Biểu II.06a/VPCP/KSTT on 40 hand-built dossiers: every column equals the hand count written
here, every row keeps the identities, period boundaries fall on the GRIS cut-off, the dossier
list behind a cell has as many dossiers as the cell says and only the viewer's agencies."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from baocao import definitions as defs
from baocao.handling import (
    ReportInconsistent,
    cell_dossiers,
    check_report,
    handling_report,
)
from baocao.procedure_counts import procedure_count_report
from hoso.models import Dossier, SupplementRequest
from portal.calendar import TZ
from portal.choices import Role
from tests.conftest import make_officer
from tests.hoso.conftest import birth_procedure, desk_a1, desk_receive  # noqa: F401
from tthc.models import Procedure

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _after_the_quarter():
    """Reports of Quý IV/2026 read after it ended: open dossiers are judged at its end (while
    a period runs they are judged now — test_a_running_period_judges_lateness_now)."""
    with time_machine.travel(dt.datetime(2027, 1, 20, 9, 0, tzinfo=TZ), tick=False):
        yield

QUARTER = defs.gris_period("quarter", 2026, 4)  # 15/09/2026 00:00 → 15/12/2026 00:00 local


def at(month, day, hour=9, minute=0, year=2026):
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


# The supplement requests of a case: (requested at, supplement received at, due time before).
REQUESTS = "requests"

# One line per dossier: number, where it is decided ("commune" A1, "commune_b" B1,
# "district" A, "province" = the department), procedure field ("HT" birth, "LLTP"), then the
# fields set directly on the row after a real desk receipt (the report reads only these),
# and the columns it must count in (Quý IV/2026) — the comment says why.
CASES = [
    # received in the period, open, within the deadline: one per online channel → (4) (12)
    (1, "commune", "HT", {"channel": "online", "received_at": at(10, 1), "due_at": at(12, 20),
                              "status": "in_progress"}),
    (2, "commune", "HT", {"channel": "national_portal", "received_at": at(10, 1),
                              "due_at": at(12, 20), "status": "in_progress"}),
    (3, "commune", "HT", {"channel": "vneid", "received_at": at(10, 1), "due_at": at(12, 20),
                              "status": "in_progress"}),
    # resolved before the due date → early (8)
    (4, "commune", "HT", {"received_at": at(10, 1), "due_at": at(10, 10, 17),
                              "finished_at": at(10, 5), "status": "resolved"}),
    (5, "commune", "HT", {"received_at": at(10, 1), "due_at": at(10, 10, 17),
                              "finished_at": at(10, 5), "status": "returned"}),
    # postal, resolved on the due date (earlier hour) → on time (9)
    (6, "commune", "HT", {"channel": "postal", "received_at": at(10, 1), "due_at": at(10, 10, 17),
                              "finished_at": at(10, 10, 9), "status": "resolved"}),
    # resolved after the due time → late (10)
    (7, "commune", "HT", {"received_at": at(10, 1), "due_at": at(10, 10, 17),
                              "finished_at": at(10, 12), "status": "returned"}),
    # resolved before the due time but counted overdue (an earlier step ran late) → late (10)
    (8, "commune", "HT", {"received_at": at(10, 1), "due_at": at(10, 10, 17),
                          "finished_at": at(10, 9), "status": "resolved",
                          "counted_overdue": True}),
    # withdrawn after the due time: counted on time (9), TH practice
    (9, "commune", "HT", {"received_at": at(10, 1), "due_at": at(10, 10, 17),
                              "finished_at": at(10, 20), "status": "withdrawn"}),
    # refused during processing before the due date → resolved, early (8)
    (10, "commune", "HT", {"received_at": at(10, 1), "due_at": at(10, 10, 17),
                               "finished_at": at(10, 3), "status": "refused"}),
    # stopped after the due time → late (10)
    (11, "commune", "HT", {"received_at": at(10, 1), "due_at": at(10, 10, 17),
                               "finished_at": at(10, 11), "status": "stopped"}),
    # waiting for a supplement, due time before the end: the clock is paused → within (12)
    (12, "commune", "HT", {"received_at": at(11, 1), "due_at": at(12, 1),
                               "status": "awaiting_supplement", "supplement_count": 1,
                               "paused_at": at(11, 20),
                               REQUESTS: [(at(11, 20), None, at(12, 1))]}),
    # open, due before the end of the period → overdue (13)
    (13, "commune", "HT", {"received_at": at(11, 1), "due_at": at(12, 1),
                               "status": "in_progress"}),
    # open with no due time → within (12)
    (14, "commune", "HT", {"received_at": at(12, 1), "due_at": None, "status": "in_progress"}),
    # open, due after the end, but counted overdue by a second supplement request made
    # before the end (N22) → overdue (13)
    (15, "commune", "HT", {"received_at": at(12, 1), "due_at": at(12, 20), "status": "in_progress",
                               "counted_overdue": True, "supplement_count": 2,
                               REQUESTS: [(at(12, 2), at(12, 3), at(12, 10)),
                                          (at(12, 4), at(12, 5), at(12, 15))]}),
    # resolved after the end of the period, due after it: in progress within at the end (12)
    (16, "commune", "HT", {"received_at": at(12, 1), "due_at": at(12, 18),
                               "finished_at": at(12, 17), "status": "resolved"}),
    # received 23:59 on the 14th: in the period (12)
    (17, "commune", "HT", {"received_at": at(12, 14, 23, 59), "due_at": at(12, 20),
                               "status": "in_progress"}),
    # received 00:00 on the 15th: the next period, not counted
    (18, "commune", "HT", {"received_at": at(12, 15, 0, 0), "due_at": at(12, 20),
                               "status": "in_progress"}),
    # received 00:00 on 15/09: the first moment of the period (12)
    (19, "commune", "HT", {"received_at": at(9, 15, 0, 0), "due_at": at(12, 20),
                               "status": "in_progress"}),
    # received 23:59 on 14/09: carried over (6), still open and overdue (13)
    (20, "commune", "HT", {"received_at": at(9, 14, 23, 59), "due_at": at(9, 20),
                               "status": "in_progress"}),
    # carried over (6), resolved early in the period (8)
    (21, "commune", "HT", {"received_at": at(9, 1), "due_at": at(9, 25), "finished_at": at(9, 20),
                               "status": "returned"}),
    (22, "commune", "HT", {"received_at": at(9, 1), "due_at": at(9, 25), "finished_at": at(9, 20),
                               "status": "resolved"}),
    # carried over (6) though received online, resolved late (10)
    (23, "commune", "HT", {"channel": "online", "received_at": at(9, 1), "due_at": at(9, 25),
                               "finished_at": at(9, 30), "status": "returned"}),
    # finished before the period: not counted
    (24, "commune", "HT", {"received_at": at(8, 1), "due_at": at(8, 25), "finished_at": at(9, 10),
                               "status": "returned"}),
    # carried over (6), open, overdue (13)
    (25, "commune", "HT", {"received_at": at(8, 1), "due_at": at(9, 1), "status": "in_progress"}),
    # carried over (6), waiting for a supplement past its due time → within (12)
    (26, "commune", "HT", {"received_at": at(9, 1), "due_at": at(9, 10),
                               "status": "awaiting_supplement", "supplement_count": 1,
                               REQUESTS: [(at(9, 5), None, at(9, 10))]}),
    # never received: pending online submission, draft, refused at intake — not counted
    (27, "commune", "HT", {"channel": "online", "received_at": None, "due_at": None,
                               "status": "submitted"}),
    (28, "commune", "HT", {"channel": "online", "received_at": None, "due_at": None,
                               "status": "draft"}),
    (29, "commune", "HT", {"channel": "online", "received_at": None, "due_at": None,
                               "finished_at": at(10, 2), "status": "refused"}),
    # district A decides (LLTP)
    (30, "district", "LLTP", {"channel": "online", "received_at": at(10, 2), "due_at": at(10, 6),
                                  "finished_at": at(10, 5), "status": "resolved"}),     # (4) (8)
    (31, "district", "LLTP", {"received_at": at(10, 2), "due_at": at(10, 6, 17),
                                  "finished_at": at(10, 6, 8), "status": "returned"}),  # (5) (9)
    (32, "district", "LLTP", {"channel": "postal", "received_at": at(10, 2), "due_at": at(12, 1),
                                  "status": "in_progress"}),                         # (5) (13)
    (33, "district", "LLTP", {"received_at": at(9, 1), "due_at": at(12, 20),
                                  "status": "in_progress"}),                         # (6) (12)
    # the department (provincial level) decides (LLTP)
    (34, "province", "LLTP", {"channel": "national_portal", "received_at": at(10, 3),
                                  "due_at": at(12, 30), "status": "received"}),         # (4) (12)
    (35, "province", "LLTP", {"received_at": at(10, 3), "due_at": at(10, 13),
                                  "finished_at": at(10, 14), "status": "returned"}),    # (5) (10)
    (36, "province", "LLTP", {"received_at": at(10, 5), "due_at": at(10, 15),
                                  "finished_at": at(10, 6), "status": "withdrawn"}),    # (5) (9)
    # commune B1 (another district)
    (37, "commune_b", "HT", {"received_at": at(10, 2), "due_at": at(10, 9),
                                 "finished_at": at(10, 3), "status": "returned"}),      # (5) (8)
    (38, "commune_b", "HT", {"channel": "vneid", "received_at": at(10, 2), "due_at": at(10, 9),
                                 "status": "in_progress"}),                          # (4) (13)
    # finished 23:59 on the 14th: resolved in the period, early (8)
    (39, "commune", "HT", {"received_at": at(12, 1), "due_at": at(12, 20),
                               "finished_at": at(12, 14, 23, 59), "status": "resolved"}),
    # finished 00:00 on the 15th: still in progress at the end of the period, within (12)
    (40, "commune", "HT", {"received_at": at(12, 1), "due_at": at(12, 20),
                               "finished_at": at(12, 15, 0, 0), "status": "resolved"}),
]

# The hand count: columns (3)…(13) of Quý IV/2026 for the whole province.
EXPECTED_PROVINCE = {
    "level:province": [3, 1, 2, 0, 2, 0, 1, 1, 1, 1, 0],
    "level:district": [4, 1, 2, 1, 2, 1, 1, 0, 2, 1, 1],
    "level:commune": [28, 4, 18, 6, 13, 7, 2, 4, 15, 10, 5],
    "field:HT": [28, 4, 18, 6, 13, 7, 2, 4, 15, 10, 5],
    "field:LLTP": [7, 2, 4, 1, 4, 1, 2, 1, 3, 2, 1],
    "total": [35, 6, 22, 7, 17, 8, 4, 5, 18, 12, 6],
}
# District A's subtree: without the department (34–36) and commune B1 (37, 38).
EXPECTED_DISTRICT_A = {
    "level:district": [4, 1, 2, 1, 2, 1, 1, 0, 2, 1, 1],
    "level:commune": [26, 3, 17, 6, 12, 6, 2, 4, 14, 10, 4],
    "field:HT": [26, 3, 17, 6, 12, 6, 2, 4, 14, 10, 4],
    "field:LLTP": [4, 1, 2, 1, 2, 1, 1, 0, 2, 1, 1],
    "total": [30, 4, 19, 7, 14, 7, 3, 4, 16, 11, 5],
}


@pytest.fixture
def lltp_procedure(db):
    from tests.tthc.conftest import record
    from tthc import services as tthc_services

    return tthc_services.save_procedure(record(
        national_code="2.000635", name="Cấp phiếu lý lịch tư pháp cho công dân Việt Nam",
        field={"code": "LLTP", "name": "Lý lịch tư pháp"}, levels=["province"],
        processing_time="10", eform=None, workflows=[{"level": "province", "steps": [
            {"name": "Xử lý", "role": "processing_officer", "share": "10"}]}]))[0]


@pytest.fixture
def forty(province, birth_procedure, lltp_procedure, desk_a1):  # noqa: F811
    """The 40 dossiers of CASES, each received at the desk of commune A1 by the real intake
    service, then set directly to the state the case describes (deciding agency, procedure,
    channel, times, status): the report reads only these fields."""
    deciding = {"commune": province.commune_a1, "commune_b": province.commune_b1,
                "district": province.district_a, "province": province.department}
    procedures = {"HT": birth_procedure, "LLTP": lltp_procedure}
    made = {}
    for number, where, field_code, case in CASES:
        dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
        fields = {k: v for k, v in case.items() if k != REQUESTS}
        values = {"channel": "direct", "finished_at": None, "counted_overdue": False,
                  "deciding_agency": deciding[where], "procedure": procedures[field_code],
                  **fields}
        Dossier.objects.filter(pk=dossier.pk).update(**values)
        supplement_requests(dossier, desk_a1, case.get(REQUESTS, []))
        made[number] = dossier.pk
    return made


def supplement_requests(dossier, officer, requests):
    """The supplement history the report rebuilds column (13) from."""
    SupplementRequest.objects.bulk_create(
        SupplementRequest(dossier=dossier, number=number, requested_by=officer,
                          requested_at=requested_at, received_at=received_at,
                          due_at_before=due_before, clock_rule="restart")
        for number, (requested_at, received_at, due_before) in enumerate(requests, start=1))


def cells_by_key(report):
    return {row.key: row.values() for row in report.rows()}


def test_the_province_quarter_equals_the_hand_count(province, forty):
    report = handling_report(province.root, QUARTER)
    assert cells_by_key(report) == EXPECTED_PROVINCE
    assert [row.label for row in report.sections[0][1]] == ["Cấp tỉnh", "Cấp huyện", "Cấp xã"]
    assert [row.label for row in report.sections[1][1]] == ["Hộ tịch", "Lý lịch tư pháp"]


def test_a_district_report_counts_only_its_subtree(province, forty):
    report = handling_report(province.district_a, QUARTER)
    assert cells_by_key(report) == EXPECTED_DISTRICT_A


def test_the_identities_hold_on_every_row(province, forty):
    for agency in (province.root, province.district_a, province.commune_a1):
        report = handling_report(agency, QUARTER)
        assert check_report(report) == []
        for row in report.rows():
            c = row.cells
            assert c[3] == c[4] + c[5] + c[6] == c[7] + c[11]
            assert c[7] == c[8] + c[9] + c[10]
            assert c[11] == c[12] + c[13]


def test_a_broken_identity_stops_the_report(province, forty):
    report = handling_report(province.root, QUARTER)
    report.total.cells[8] += 1  # as if the query had counted one early dossier twice
    problems = check_report(report)
    assert any("(7) = (8)+(9)+(10)" in p for p in problems)
    with pytest.raises(ReportInconsistent):
        raise ReportInconsistent(problems)


def test_the_orm_and_sql_forms_of_each_column_select_the_same_dossiers(province, forty):
    report = cells_by_key(handling_report(province.root, QUARTER))
    everyone = frozenset(Dossier.objects.values_list("deciding_agency_id", flat=True))
    for column in defs.COUNT_COLUMNS:
        listed = cell_dossiers(province.root, QUARTER, column, "total", everyone).count()
        assert listed == report["total"][column - 3], column


def test_received_at_2359_on_the_14th_and_0000_on_the_15th_fall_in_different_gris_months(
        province, forty):
    december = defs.gris_period("month", 2026, 12)   # 15/11/2026 → 14/12/2026
    january = defs.gris_period("month", 2027, 1)     # 15/12/2026 → 14/01/2027
    assert december.label == "Tháng 12/2026 (15/11/2026 – 14/12/2026)"
    in_december = Dossier.objects.filter(defs.received_in(december))
    in_january = Dossier.objects.filter(defs.received_in(january))
    assert forty[17] in set(in_december.values_list("pk", flat=True))
    assert forty[18] not in set(in_december.values_list("pk", flat=True))
    assert forty[18] in set(in_january.values_list("pk", flat=True))
    # in January the 23:59 dossier, still open, is carried over from the previous period
    carried = set(Dossier.objects.filter(defs.carried_over(january)).values_list("pk", flat=True))
    assert forty[17] in carried
    assert forty[18] not in carried


def test_gris_and_calendar_periods_have_the_decree_boundaries():
    q4 = defs.gris_period("quarter", 2026, 4)
    assert q4.label == "Quý IV/2026 (15/09/2026 – 14/12/2026)"
    assert q4.start == dt.datetime(2026, 9, 15, tzinfo=TZ)
    assert q4.end == dt.datetime(2026, 12, 15, tzinfo=TZ)
    assert defs.gris_period("month", 2026, 1).range_text == "15/12/2025 – 14/01/2026"
    assert defs.gris_period("half", 2026, 1).range_text == "15/12/2025 – 14/06/2026"
    assert defs.gris_period("nine_months", 2026).range_text == "15/12/2025 – 14/09/2026"
    assert defs.gris_period("year", 2026).range_text == "15/12/2025 – 14/12/2026"
    assert defs.calendar_period("quarter", 2026, 1).range_text == "01/01/2026 – 31/03/2026"
    custom = defs.custom_period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert custom.end == dt.datetime(2026, 11, 1, tzinfo=TZ)
    assert defs.period_from_params(q4.as_params()) == q4
    assert defs.period_from_params(custom.as_params()) == custom


def test_a_bad_period_is_refused_in_vietnamese():
    from portal.errors import InvalidInput

    with pytest.raises(InvalidInput, match="quý"):
        defs.gris_period("quarter", 2026, 5)
    with pytest.raises(InvalidInput, match="Ngày kết thúc"):
        defs.custom_period(dt.date(2026, 10, 2), dt.date(2026, 10, 1))


def test_the_report_is_one_query_for_the_counts(province, forty):
    with CaptureQueriesContext(connection) as queries:
        handling_report(province.root, QUARTER)
    counting = [q for q in queries.captured_queries if "COUNT(*) FILTER" in q["sql"]]
    assert len(counting) == 1
    assert len(queries.captured_queries) <= 3  # + the levels present, + the field names


# --- pages ---------------------------------------------------------------------------------

def _query(agency, **extra):
    params = {"agency": agency.pk, **QUARTER.as_params()}
    params.update(extra)
    return params


def test_the_report_page_shows_the_official_columns_and_numbers(client, province, forty):
    viewer = make_officer(province.root, Role.REPORT_VIEWER, username="xem_tinh")
    client.force_login(viewer)
    response = client.get(reverse("baocao:handling_report"), _query(province.root))
    assert response.status_code == 200
    page = response.content.decode()
    for heading in ("Số hồ sơ nhận giải quyết", "Đã giải quyết", "Đang giải quyết",
                    "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước", "Trước hạn", "Trong hạn"):
        assert heading in page
    assert "Quý IV/2026 (15/09/2026 – 14/12/2026)" in page
    assert "col=10&amp;row=level%3Acommune" in page or "col=10&amp;row=level:commune" in page


def test_the_list_behind_a_cell_has_as_many_dossiers_as_the_cell(client, province, forty):
    viewer = make_officer(province.root, Role.REPORT_VIEWER, username="xem_tinh")
    client.force_login(viewer)
    for column, row, expected in ((13, "level:commune", 5), (8, "total", 8),
                                  (6, "field:LLTP", 1), (9, "level:province", 1)):
        response = client.get(reverse("baocao:report_dossiers"), _query(
            province.root, report="handling", col=column, row=row))
        assert response.status_code == 200
        assert response.context["page"].paginator.count == expected, (column, row)


def test_the_cell_list_takes_a_constant_number_of_queries(client, province, forty):
    viewer = make_officer(province.root, Role.REPORT_VIEWER, username="xem_tinh")
    client.force_login(viewer)
    url = reverse("baocao:report_dossiers")
    client.get(url, _query(province.root, report="handling", col=3, row="total"))  # warm up
    with CaptureQueriesContext(connection) as few:
        client.get(url, _query(province.root, report="handling", col=13, row="total"))
    with CaptureQueriesContext(connection) as many:
        client.get(url, _query(province.root, report="handling", col=3, row="total"))
    assert len(few.captured_queries) == len(many.captured_queries)


def test_another_districts_viewer_sees_nothing_of_ours(client, province, forty):
    viewer_b = make_officer(province.district_b, Role.REPORT_VIEWER, username="xem_huyen_b")
    client.force_login(viewer_b)
    response = client.get(reverse("baocao:handling_report"), _query(province.district_a))
    assert response.status_code == 403
    response = client.get(reverse("baocao:report_dossiers"), _query(
        province.district_a, report="handling", col=3, row="total"))
    assert response.status_code == 403
    # their own district: only B1's two dossiers
    response = client.get(reverse("baocao:report_dossiers"), _query(
        province.district_b, report="handling", col=3, row="total"))
    assert response.context["page"].paginator.count == 2
    page = client.get(reverse("baocao:handling_report"), _query(province.district_b))
    assert page.context["report"].total.cells[3] == 2


def test_the_procedure_count_report_counts_the_catalogue_by_level(province, db):
    from tests.tthc.conftest import record
    from tthc import services as tthc_services

    for values in (
        {},  # birth: commune, with the record's workflow if any
        {"national_code": "2.000635", "name": "Cấp phiếu lý lịch tư pháp",
             "field": {"code": "LLTP", "name": "Lý lịch tư pháp"}, "levels": ["province"],
             "processing_time": "10", "eform": None, "workflows": [{"level": "province", "steps": [
                 {"name": "Xử lý", "role": "processing_officer", "share": "10"}]}]},
        {"national_code": "2.001023", "name": "Chứng thực bản sao từ bản chính",
             "field": {"code": "CT", "name": "Chứng thực"}, "levels": ["district", "commune"],
             "service_mode": "info", "channels": ["direct"], "eform": None,
             "processing_time": "1", "workflows": [{"level": lvl, "steps": [
                 {"name": "Chứng thực", "role": "processing_officer", "share": "1"}]}
                 for lvl in ("district", "commune")]},
    ):
        tthc_services.save_procedure(record(**values))
    birth_at_desk = int(Procedure.objects.get(national_code="1.001193").accepts_direct)
    report = procedure_count_report(province.root, QUARTER)
    total = report.total.cells
    # total / province / district / commune; CT (district and commune) counts once in the total
    assert total["authority"] == [3, 1, 1, 2]
    assert total["one_stop"] == [2 + birth_at_desk, 1, 1, 1 + birth_at_desk]
    # the catalogue requires one workflow per level, so every procedure has one
    assert total["workflow"] == [3, 1, 1, 2]
    assert [row.key for row in report.rows] == ["field:CT", "field:HT", "field:LLTP"]
    # a district sees district and commune procedures only
    district = procedure_count_report(province.district_a, QUARTER).total.cells
    assert district["authority"] == [2, 0, 1, 2]


def test_a_running_period_judges_lateness_now_not_at_its_end(province, birth_procedure,
                                                             desk_a1):  # noqa: F811
    """While the quarter runs, a dossier due after today (but before the quarter ends) is in
    progress within its deadline, not overdue; once the quarter is over it is overdue."""
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    Dossier.objects.filter(pk=dossier.pk).update(
        status="in_progress", received_at=at(11, 2), due_at=at(12, 1), finished_at=None)
    with time_machine.travel(at(11, 23), tick=False):
        running = handling_report(province.root, QUARTER).total.cells
    after = handling_report(province.root, QUARTER).total.cells  # 20/01/2027
    assert (running[12], running[13]) == (1, 0)
    assert (after[12], after[13]) == (0, 1)


def test_column_13_judges_a_dossier_as_it_stood_at_the_end_of_the_period(
        province, birth_procedure, desk_a1):  # noqa: F811
    """A dossier finished or changed after the period is counted as it stood at the end, from
    its supplement history, not from its flags of today."""
    def dossier(requests, **fields):
        made = desk_receive(desk_a1, birth_procedure, province.commune_a1)
        Dossier.objects.filter(pk=made.pk).update(received_at=at(11, 2), **fields)
        supplement_requests(made, desk_a1, requests)
        return made.pk

    # due 10/12, within at the end; a second request on 20/12 counts it overdue from then
    second_later = dossier([(at(12, 5), at(12, 6), at(12, 10)), (at(12, 20), None, at(12, 28))],
                           status="awaiting_supplement", supplement_count=2,
                           counted_overdue=True, due_at=at(12, 28))
    # overdue at the end (due 1/12); a request after the end now pauses its clock
    overdue_then_paused = dossier([(at(12, 20), None, at(12, 1))],
                                  status="awaiting_supplement", supplement_count=1,
                                  due_at=at(12, 1))
    # paused at the end (due 1/12 before the pause), supplemented and finished in January
    paused_at_end = dossier([(at(11, 25), at(12, 18), at(12, 1))], status="resolved",
                            supplement_count=1, due_at=at(12, 30), finished_at=at(1, 5, year=2027))
    report = handling_report(province.root, QUARTER)
    assert (report.total.cells[12], report.total.cells[13]) == (2, 1)
    columns = {c: set(Dossier.objects.filter(defs.COLUMN_Q[c](QUARTER))
                      .values_list("pk", flat=True)) for c in (12, 13)}
    assert columns == {12: {second_later, paused_at_end}, 13: {overdue_then_paused}}

