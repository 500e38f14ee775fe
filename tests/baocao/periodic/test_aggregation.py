"""Numbers out of periodic reports (baocao.periodic.selectors): aggregation up a three-level
(province → district → communes) and a two-level (province → communes) tree, SUM or AVG per
cell rule, only the sent (approved) current versions counting, a replacement's approved values
replacing the old; the trend of an indicator across periods; the completion ("75/111") view
and the reporter's inbox — each a constant number of queries, each filtered by the user's
agencies."""

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from baocao.models import AgencyReport, ReportingPeriod
from baocao.periodic import selectors, services
from baocao.periodic.selectors import AWAITING, DRAFTING, NOT_STARTED, SENT
from portal.errors import InvalidInput, NotFoundError
from tests.baocao.periodic.conftest import (
    APPROVE,
    DEADLINE,
    OPEN_AT,
    SEND_AT,
    SUBMIT,
    assign,
    grant,
    indicator_values,
    send_report,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AFTER_DEADLINE = DEADLINE.replace(day=18)


def values_of(found, *rows):
    return {row: found["values"].get(row, {}).get("value") for row in rows}


# --- three levels: province → district → communes -------------------------------------------

def test_a_district_sums_its_communes_sent_reports_and_names_the_missing(
        sent_indicator_reports, three_level_tree, people):
    a1, a2, a3 = three_level_tree.communes
    found = selectors.aggregate(sent_indicator_reports.period, three_level_tree.district,
                                people.province_office)
    assert values_of(found, "DS", "DS_NAM", "DS_NU", "LUA") == {
        "DS": Decimal(22300), "DS_NAM": Decimal(11000), "DS_NU": Decimal(11300),
        "LUA": Decimal("1870.75")}
    assert found["included"] == [a1.pk, a2.pk]
    assert found["missing"] == [a3.pk]
    assert [r["code"] for r in found["rows"]] == ["DS", "DS_NAM", "DS_NU", "LUA", "HO_NGHEO",
                                                  "GHI_CHU"]


def test_a_rate_is_averaged_and_a_text_is_not_aggregated(sent_indicator_reports,
                                                         three_level_tree, people):
    found = selectors.aggregate(sent_indicator_reports.period, three_level_tree.district,
                                people.province_office)
    assert found["values"]["HO_NGHEO"]["value"] == Decimal("5.1")  # (4,2 + 6) / 2
    assert "GHI_CHU" not in found["values"]


def test_the_province_adds_up_every_district_through_the_tree(
        three_level_tree, province, people, indicator_form):
    """Communes of two districts: district A's aggregate is its communes', the province's is
    all of them (the materialised path, whatever the depth)."""
    a1, a2, a3 = three_level_tree.communes
    b1 = province.commune_b1
    setup = assign(indicator_form, [a1, a2, a3, b1], province.root, people.province_office)
    for position, agency in enumerate((a1, a2, b1)):
        send_report(setup.report(agency), indicator_values(position))
    district = selectors.aggregate(setup.period, province.district_a, people.province_office)
    whole = selectors.aggregate(setup.period, province.root, people.province_office)
    other = selectors.aggregate(setup.period, province.district_b, people.province_office)
    assert district["values"]["DS"]["value"] == Decimal(12500 + 9800)
    assert other["values"]["DS"]["value"] == Decimal(7300)
    assert whole["values"]["DS"]["value"] == Decimal(12500 + 9800 + 7300)
    assert whole["values"]["LUA"]["value"] == Decimal("2280.75")
    assert whole["values"]["HO_NGHEO"]["value"] == Decimal("4.5667")  # (4,2 + 6 + 3,5) / 3
    assert whole["included"] == [a1.pk, a2.pk, b1.pk]
    assert whole["missing"] == [a3.pk]
    commune = selectors.aggregate(setup.period, a1, people.province_office)
    assert commune["values"]["DS"]["value"] == Decimal(12500)
    assert commune["included"] == [a1.pk]
    assert commune["missing"] == []


# --- two levels: province → communes ------------------------------------------------------------

def test_a_two_level_province_sums_its_communes(sent_two_level_reports, two_level_tree,
                                                two_level_people):
    c1, c2, c3 = two_level_tree.communes
    found = selectors.aggregate(sent_two_level_reports.period, two_level_tree.root,
                                two_level_people.province_office)
    assert values_of(found, "DS", "LUA", "HO_NGHEO") == {
        "DS": Decimal(12500 + 7300), "LUA": Decimal("1260.5"), "HO_NGHEO": Decimal("3.85")}
    assert found["included"] == [c1.pk, c3.pk]
    assert found["missing"] == [c2.pk]


# --- what counts --------------------------------------------------------------------------------

def test_only_approved_current_versions_count(indicator_setup, three_level_tree, people):
    a1, a2, a3 = three_level_tree.communes
    send_report(indicator_setup.report(a1), indicator_values(0))
    send_report(indicator_setup.report(a2), indicator_values(1), approve=False)  # submitted
    reporter = grant(UserFactory(), a3, SUBMIT)
    with time_machine.travel(SEND_AT, tick=False):
        services.save_draft(report=indicator_setup.report(a3), values=indicator_values(2),
                            notes={}, note="", by=reporter)  # a draft
    found = selectors.aggregate(indicator_setup.period, three_level_tree.district,
                                people.province_office)
    assert found["values"]["DS"]["value"] == Decimal(12500)
    assert found["included"] == [a1.pk]
    assert found["missing"] == [a2.pk, a3.pk]


def test_nothing_sent_gives_no_values_and_every_agency_missing(indicator_setup,
                                                                three_level_tree, people):
    found = selectors.aggregate(indicator_setup.period, three_level_tree.root,
                                people.province_office)
    assert found["values"] == {}
    assert found["included"] == []
    assert found["missing"] == [a.pk for a in three_level_tree.communes]


def test_a_replacements_approved_values_replace_the_old(sent_indicator_reports,
                                                        three_level_tree, people):
    a1 = three_level_tree.communes[0]
    setup = sent_indicator_reports
    reporter = grant(UserFactory(), a1, SUBMIT)
    leader = grant(UserFactory(), a1, APPROVE)
    corrected = indicator_values(0)
    corrected["DS"]["value"], corrected["DS_NU"]["value"] = "12600", "6500"
    with time_machine.travel(AFTER_DEADLINE, tick=False):
        services.replace_report(report=setup.report(a1), reason="Sai số dân số nữ.",
                                by=reporter)
        services.save_draft(report=setup.report(a1), values=corrected, notes={}, note="",
                            by=reporter)
        services.submit_report(report=setup.report(a1), by=reporter)
    pending = selectors.aggregate(setup.period, three_level_tree.district,
                                  people.province_office)
    assert pending["values"]["DS"]["value"] == Decimal(22300)  # the sent version still counts
    with time_machine.travel(AFTER_DEADLINE, tick=False):
        services.approve_report(report=setup.report(a1), by=leader)
    found = selectors.aggregate(setup.period, three_level_tree.district,
                                people.province_office)
    assert found["values"]["DS"]["value"] == Decimal(22400)
    assert found["values"]["DS_NU"]["value"] == Decimal(11400)
    assert found["included"] == [a1.pk, three_level_tree.communes[1].pk]


def test_a_computable_forms_rows_are_merged_across_agencies(handling_setup, three_level_tree,
                                                            people):
    a1, a2, _a3 = three_level_tree.communes
    for agency in (a1, a2):
        send_report(handling_setup.report(agency), {})
    found = selectors.aggregate(handling_setup.period, three_level_tree.district,
                                people.province_office)
    codes = [r["code"] for r in found["rows"]]
    assert codes[0] == "level:commune"
    assert codes[-1] == "total"
    assert len(codes) == len(set(codes))
    assert found["values"]["total"]["3"] == Decimal(0)
    assert [c.code for c in found["columns"]] == [str(n) for n in range(3, 14)]


def test_merge_rows_keeps_each_lists_order():
    first = [{"code": "level:commune"}, {"code": "field:A"}, {"code": "total"}]
    second = [{"code": "level:commune"}, {"code": "field:B"}, {"code": "field:C"},
              {"code": "total"}]
    merged = selectors.merge_rows([first, second])
    assert [r["code"] for r in merged] == ["level:commune", "field:B", "field:C", "field:A",
                                           "total"]


def test_plain_drops_the_stored_decimal_places():
    assert str(selectors.plain(Decimal("12.0000"))) == "12"
    assert str(selectors.plain(Decimal("4.2500"))) == "4.25"
    assert str(selectors.plain(Decimal("1000.0000"))) == "1000"
    assert selectors.plain(None) is None


# --- permissions and cost ----------------------------------------------------------------------

def test_only_viewers_of_the_agency_see_its_aggregate(sent_indicator_reports,
                                                      three_level_tree, people):
    period = sent_indicator_reports.period
    selectors.aggregate(period, three_level_tree.district, people.district_office)
    with pytest.raises(PermissionDenied):
        selectors.aggregate(period, three_level_tree.root, people.district_office)
    with pytest.raises(PermissionDenied):
        selectors.aggregate(period, three_level_tree.district, people.reporter)


def test_the_aggregate_costs_the_same_queries_for_any_number_of_agencies(
        three_level_tree, province, people, indicator_form, django_assert_max_num_queries):
    a1, a2, a3 = three_level_tree.communes
    few = assign(indicator_form, [a1], province.root, people.province_office)
    send_report(few.report(a1), indicator_values(0))
    with django_assert_max_num_queries(7) as small:
        selectors.aggregate(few.period, province.root, people.province_office)
    more = assign(indicator_form, [a2, a3, province.commune_b1], province.root,
                  people.province_office)  # a second assignment: the period counts both
    for position, agency in enumerate((a2, a3), start=1):
        send_report(more.report(agency), indicator_values(position))
    with django_assert_max_num_queries(len(small.captured_queries)):
        selectors.aggregate(more.period, province.root, people.province_office)


# --- trend ---------------------------------------------------------------------------------------

def test_the_trend_of_an_indicator_across_periods(sent_indicator_reports, three_level_tree,
                                                  people, django_assert_max_num_queries):
    a1 = three_level_tree.communes[0]
    next_quarter = ReportingPeriod.objects.get(assignment=sent_indicator_reports.assignment,
                                               year=2027, number=1)
    report = AgencyReport.objects.get(period=next_quarter, agency=a1)
    values = indicator_values(0)
    values["DS"]["value"], values["DS_NAM"]["value"] = "12700", "6300"
    send_report(report, values, at=OPEN_AT.replace(month=12, day=28))
    with django_assert_max_num_queries(7):
        points = selectors.trend(sent_indicator_reports.form, "DS", "value",
                                 three_level_tree.district, people.province_office)
    assert [(p.year, p.number) for p in points] == [(2026, 4), (2027, 1)]
    assert [p.value for p in points] == [Decimal(22300), Decimal(12700)]
    assert [(p.included, p.expected) for p in points] == [(2, 3), (1, 3)]
    rates = selectors.trend(sent_indicator_reports.form, "HO_NGHEO", "value",
                            three_level_tree.district, people.province_office, periods=1)
    assert [(p.year, p.value) for p in rates] == [(2027, Decimal("4.2"))]
    with pytest.raises(PermissionDenied):
        selectors.trend(sent_indicator_reports.form, "DS", "value", three_level_tree.root,
                        people.district_office)


# --- completion: the "75/111" view --------------------------------------------------------------

def test_completion_counts_who_sent_who_waits_who_drafts_and_who_has_not_started(
        indicator_setup, three_level_tree, province, people, indicator_form):
    a1, a2, a3 = three_level_tree.communes
    send_report(indicator_setup.report(a1), indicator_values(0))
    send_report(indicator_setup.report(a2), indicator_values(1), approve=False)
    with time_machine.travel(SEND_AT, tick=False):
        found = selectors.completion(indicator_setup.period, people.province_office)
    assert found.total == 3
    assert found.by_bucket == {SENT: 1, AWAITING: 1, DRAFTING: 0, NOT_STARTED: 1}
    assert found.ratio_text == "1/3"
    assert (found.sent_on_time, found.sent_late, found.overdue_unsent) == (1, 0, 0)
    with time_machine.travel(AFTER_DEADLINE, tick=False):
        late = selectors.completion([indicator_setup.period], people.province_office)
    assert late[indicator_setup.period.pk].overdue_unsent == 2
    assert late[indicator_setup.period.pk].late == 2


def test_a_report_sent_after_the_deadline_is_late(indicator_setup, three_level_tree, people):
    a1, a2, _a3 = three_level_tree.communes
    send_report(indicator_setup.report(a1), indicator_values(0))
    send_report(indicator_setup.report(a2), indicator_values(1), at=AFTER_DEADLINE)
    with time_machine.travel(AFTER_DEADLINE, tick=False):
        found = selectors.completion(indicator_setup.period, people.province_office)
        rows = {r.agency_id: r for r in selectors.completion_rows(indicator_setup.period,
                                                                  people.province_office)}
        late_only = list(selectors.completion_rows(indicator_setup.period,
                                                   people.province_office, bucket="late"))
    assert (found.sent, found.sent_on_time, found.sent_late, found.late) == (2, 1, 1, 2)
    assert rows[a1.pk].is_late is False
    assert rows[a1.pk].bucket == SENT
    assert rows[a2.pk].is_late is True
    assert [r.agency_id for r in late_only] == [a2.pk, three_level_tree.communes[2].pk]


def test_completion_rows_follow_the_users_agencies_in_constant_queries(
        sent_indicator_reports, three_level_tree, province, people, indicator_form,
        django_assert_max_num_queries):
    district_viewer = people.district_office
    rows = selectors.completion_rows(sent_indicator_reports.period, district_viewer)
    assert [r.agency_id for r in rows] == [a.pk for a in three_level_tree.communes]
    outsider = grant(UserFactory(), province.district_b, "view_reports")
    assert list(selectors.completion_rows(sent_indicator_reports.period, outsider)) == []
    assert selectors.completion(sent_indicator_reports.period, outsider).total == 0
    with django_assert_max_num_queries(3):
        listed = list(selectors.completion_rows(sent_indicator_reports.period,
                                                people.province_office))
        [(r.agency.name, r.current_version and r.current_version.number) for r in listed]


def test_a_replacement_in_progress_keeps_the_report_sent(sent_indicator_reports,
                                                         three_level_tree, people):
    a1 = three_level_tree.communes[0]
    reporter = grant(UserFactory(), a1, SUBMIT)
    with time_machine.travel(AFTER_DEADLINE, tick=False):
        services.replace_report(report=sent_indicator_reports.report(a1), reason="Sửa số liệu.",
                                by=reporter)
        found = selectors.completion(sent_indicator_reports.period, people.province_office)
    assert found.by_bucket[SENT] == 2


# --- the reporter's inbox and one report -------------------------------------------------------

def test_the_inbox_holds_the_reports_of_the_users_agencies_only(indicator_setup,
                                                                three_level_tree, people):
    a1, a2, _a3 = three_level_tree.communes
    mine = list(selectors.reports_for_user(people.reporter))
    assert {r.agency_id for r in mine} == {a1.pk}
    assert len(mine) == 2  # Quý IV/2026 and Quý I/2027, latest deadline first
    assert mine[0].period.deadline_at > mine[1].period.deadline_at
    assert {r.agency_id for r in selectors.reports_for_user(people.leader)} == {a1.pk}
    assert {r.agency_id for r in selectors.reports_for_user(people.other_reporter)} == {a2.pk}
    assert list(selectors.reports_for_user(people.province_office)) == []
    assert [r.pk for r in selectors.reports_for_user(people.reporter, year=2026)] == [
        indicator_setup.reports[a1].pk]


def test_a_commune_reporter_cannot_see_another_communes_draft(indicator_setup,
                                                              three_level_tree, people):
    a1, a2, _a3 = three_level_tree.communes
    with time_machine.travel(SEND_AT, tick=False):
        services.save_draft(report=indicator_setup.report(a2), values=indicator_values(1),
                            notes={}, note="", by=people.other_reporter)
    with pytest.raises(NotFoundError):
        selectors.get_report_for(people.reporter, indicator_setup.reports[a2].pk)
    report = selectors.get_report_for(people.other_reporter, indicator_setup.reports[a2].pk)
    assert selectors.visible_version(report, people.other_reporter).status == "draft"
    # the provincial office reads the report but not its draft
    seen = selectors.get_report_for(people.province_office, indicator_setup.reports[a2].pk)
    assert selectors.visible_version(seen, people.province_office) is None
    assert selectors.versions_of(seen, people.province_office) == []


def test_an_agency_and_its_communes_both_sending_count_once_by_the_topmost(
        indicator_form, three_level_tree, people):
    """The district's report already covers its communes: where both sent, the province's
    aggregate takes the district's alone, never the same figures twice; the district's own
    aggregate is its own report."""
    district = three_level_tree.district
    a1, a2, _a3 = three_level_tree.communes
    setup = assign(indicator_form, [district, a1, a2], three_level_tree.root,
                   people.province_office)
    send_report(setup.report(district), indicator_values(2))
    send_report(setup.report(a1), indicator_values(0))
    send_report(setup.report(a2), indicator_values(1))
    for top in (three_level_tree.root, district):
        found = selectors.aggregate(setup.period, top, people.province_office)
        assert found["values"]["DS"]["value"] == Decimal(indicator_values(2)["DS"]["value"])
        assert found["included"] == [district.pk]
        assert sorted(found["covered"]) == sorted([a1.pk, a2.pk])
    points = selectors.trend(indicator_form, "DS", "value", three_level_tree.root,
                             people.province_office)
    assert points[-1].value is None or points[0].value == Decimal(
        indicator_values(2)["DS"]["value"])


def test_a_form_is_not_assigned_twice_to_the_same_agency(indicator_setup, three_level_tree,
                                                         people):
    with pytest.raises(InvalidInput) as refused:
        assign(indicator_setup.form, [three_level_tree.communes[0]], three_level_tree.root,
               people.province_office)
    assert refused.value.code == "already_assigned"
    assert "đã được giao" in refused.value.message
    assert ReportingPeriod.objects.count() == 2  # Quý IV/2026 and Quý I/2027, nothing new
