"""Pre-filling (baocao/periodic/prefill.py): the handling-results form is filled entirely from
dossiers and equals the live report (baocao.handling.handling_report) for the same agency
subtree and period; the procedure-count form equals procedure_count_report. On the 40
hand-built dossiers of tests/baocao/test_handling_report.py."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from baocao.definitions import COUNT_COLUMNS
from baocao.handling import handling_report
from baocao.models import ReportVersion
from baocao.periodic import prefill, services
from baocao.procedure_counts import procedure_count_report
from portal.errors import InvalidInput
from tests.baocao.periodic.conftest import QUARTER_IV, SEND_AT, SUBMIT, assign, grant
from tests.baocao.test_handling_report import forty, lltp_procedure  # noqa: F401
from tests.factories import UserFactory
from tests.hoso.conftest import birth_procedure, desk_a1  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _at_send_time():
    """After the quarter: open dossiers are judged at its end, by the live report and the
    prefill alike."""
    with time_machine.travel(SEND_AT, tick=False):
        yield


def live_handling(agency):
    live = handling_report(agency, QUARTER_IV)
    return ([row.key for row in live.rows()],
            {row.key: {str(c): Decimal(row.cells[c]) for c in COUNT_COLUMNS}
             for row in live.rows()})


def reporter_of(agency):
    return grant(UserFactory(), agency, SUBMIT)


def stored(version):
    out = {}
    for cell in version.values.all():
        out.setdefault(cell.row, {})[cell.column] = cell.number
    return out


def test_the_commune_report_is_prefilled_with_the_live_report(handling_setup, people, forty):
    a1 = next(iter(handling_setup.reports))
    report = handling_setup.report(a1)
    version = services.start_report(report=report, by=people.reporter)
    keys, values = live_handling(a1)
    assert [row["code"] for row in version.rows] == keys
    assert stored(version) == values
    assert values["total"]["3"] == 26  # A1 decides 26 of the 40 dossiers (hand count)
    assert [row["label"] for row in version.rows] == ["Cấp xã", "Hộ tịch", "Tổng cộng"]
    assert version.rows[0]["section"] == "Theo cấp giải quyết"
    assert dt.datetime.fromisoformat(version.prefill["as_of"]) == SEND_AT
    assert version.prefill["values"]["total"]["7"] == str(values["total"]["7"])


def test_a_district_report_is_prefilled_with_its_subtree(handling_form, three_level_tree,
                                                         people, province, forty):
    setup = assign(handling_form, [province.district_a], province.root,
                   people.province_office)
    district_reporter = reporter_of(province.district_a)
    version = services.start_report(report=setup.report(province.district_a),
                                    by=district_reporter)
    keys, values = live_handling(province.district_a)
    assert [row["code"] for row in version.rows] == keys
    assert stored(version) == values
    assert values["total"]["3"] == 30


def test_prefill_equals_the_live_report_for_every_commune(handling_setup, forty):
    for agency, report in handling_setup.reports.items():
        rows, values = prefill.prefill(report)
        keys, live = live_handling(agency)
        assert [row["code"] for row in rows] == keys
        assert values == live
    a2 = list(handling_setup.reports)[1]  # no dossier decided there: zeros, never missing
    _rows, values = prefill.prefill(handling_setup.reports[a2])
    assert set(values) == {"level:commune", "total"}
    assert set(values["total"].values()) == {Decimal(0)}


def test_the_prefilled_report_submits_and_a_changed_figure_keeps_what_was_computed(
        handling_setup, people, forty):
    report = handling_setup.report(next(iter(handling_setup.reports)))
    draft = services.start_report(report=report, by=people.reporter)
    computed = stored(draft)["total"]["4"]
    # a dossier counted "direct" was in fact received online: move one from (5) to (4) on
    # both the level row, the field row and the total — the identities still hold
    moves = {row: {"4": str(stored(draft)[row]["4"] + 1), "5": str(stored(draft)[row]["5"] - 1)}
             for row in ("level:commune", "field:HT", "total")}
    services.save_draft(report=report, values=moves,
                        notes={"total": {"4": "Hồ sơ 1 nộp qua Cổng DVCQG, nhập nhầm kênh"}},
                        by=people.reporter)
    version = services.submit_report(report=report, by=people.reporter)
    version.refresh_from_db()
    assert version.status == ReportVersion.Status.SUBMITTED
    assert stored(version)["total"]["4"] == computed + 1
    assert Decimal(version.prefill["values"]["total"]["4"]) == computed
    assert version.values.get(row="total", column="4").note.startswith("Hồ sơ 1")


def test_a_broken_identity_in_a_prefilled_report_is_refused_on_submission(
        handling_setup, people, forty):
    report = handling_setup.report(next(iter(handling_setup.reports)))
    services.start_report(report=report, by=people.reporter)
    services.save_draft(report=report, values={"total": {"8": "0"}}, by=people.reporter)
    with pytest.raises(services.ReportInvalid) as caught:
        services.submit_report(report=report, by=people.reporter)
    (key, messages), = caught.value.errors.items()
    assert key == ("total", "7")
    assert messages[0].startswith("Cột (7) phải bằng (8) + (9) + (10): ")


def test_the_procedure_count_form_is_prefilled_from_the_catalogue(
        procedure_count_form, people, province, birth_procedure, lltp_procedure):
    setup = assign(procedure_count_form, [province.root, province.district_a], province.root,
                   people.province_office)
    for agency in (province.root, province.district_a):
        rows, values = prefill.prefill(setup.report(agency))
        live = procedure_count_report(agency, QUARTER_IV)
        assert [row["code"] for row in rows] == [r.key for r in [*live.rows, live.total]]
        for row in [*live.rows, live.total]:
            assert [values[row.key][str(c)] for c in range(3, 15)] == row.values()
    rows, values = prefill.prefill(setup.report(province.root))
    assert values["total"]["3"] == 2  # the birth and the criminal-record procedures
    report = setup.report(province.root)
    officer = reporter_of(province.root)
    services.start_report(report=report, by=officer)
    assert services.submit_report(report=report, by=officer).status == "submitted"


def test_a_manual_form_has_nothing_to_prefill(indicator_setup, people):
    report = indicator_setup.report(next(iter(indicator_setup.reports)))
    with pytest.raises(InvalidInput, match="không có nguồn số liệu tính sẵn"):
        prefill.prefill(report)
    draft = services.start_report(report=report, by=people.reporter)
    assert (draft.rows, draft.prefill, draft.values.count()) == ([], {}, 0)
