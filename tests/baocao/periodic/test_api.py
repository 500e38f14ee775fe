"""The periodic-reporting API (/api/v1/report-forms/, report-periods/, agency-reports/): read
forms, periods, completion and aggregates; read a report's values, save a draft (PUT) and
submit it (POST …/submit/) through the services; errors as {"code", "detail"} (plus "errors"
per cell); access by agency (a commune reporter cannot see another commune's draft); in the
OpenAPI schema."""

import pytest
import time_machine
from django.urls import reverse

from baocao.models import AgencyReport, ReportValue, ReportVersion
from baocao.periodic import services
from tests.baocao.periodic.conftest import (
    INDICATOR_CODE,
    SEND_AT,
    indicator_values,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_sending_day():
    """Requests happen on 16/12/2026 09:00, before the deadline (sessions included)."""
    with time_machine.travel(SEND_AT, tick=False):
        yield


def as_user(client, user):
    client.force_login(user)
    return client


def detail_url(report) -> str:
    return reverse("api:agency-report-detail", args=[report.pk])


def put(client, report, values, **extra):
    return client.put(detail_url(report), {"values": values, **extra},
                      content_type="application/json")


# --- schema and authentication -------------------------------------------------------------

def test_the_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in ("/api/v1/report-forms/", "/api/v1/report-periods/",
                 "/api/v1/report-periods/{period_id}/completion/",
                 "/api/v1/report-periods/{period_id}/aggregate/",
                 "/api/v1/agency-reports/", "/api/v1/agency-reports/{report_id}/",
                 "/api/v1/agency-reports/{report_id}/submit/"):
        assert path in paths, path
    assert {"get", "put"} <= set(paths["/api/v1/agency-reports/{report_id}/"])
    assert "post" in paths["/api/v1/agency-reports/{report_id}/submit/"]
    aggregate = paths["/api/v1/report-periods/{period_id}/aggregate/"]["get"]
    assert any(p["name"] == "agency" and p["required"] for p in aggregate["parameters"])
    assert "400" in paths["/api/v1/agency-reports/{report_id}/"]["put"]["responses"]


def test_anonymous_requests_are_refused_with_a_code(client, indicator_setup):
    response = client.get(reverse("api:report-form-list"))
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


# --- forms and periods ---------------------------------------------------------------------

def test_forms_are_listed_with_their_columns_rows_and_rules(client, indicator_form, people):
    data = as_user(client, people.reporter).get(reverse("api:report-form-list")).json()
    form = next(f for f in data if f["code"] == INDICATOR_CODE)
    assert form["layout"] == "indicators"
    assert [c["code"] for c in form["columns"]] == ["value"]
    assert form["rows"][0] == {**form["rows"][0], "code": "DS", "unit": "người"}
    assert form["rows"][4]["aggregation"] == "avg"
    assert form["rules"][0]["target"] == "DS"


def test_periods_are_those_the_user_may_read(client, indicator_setup, people):
    url = reverse("api:report-period-list")
    mine = as_user(client, people.reporter).get(url).json()["results"]
    assert [(p["year"], p["number"]) for p in mine] == [(2027, 1), (2026, 4)]
    assert mine[1]["form"] == INDICATOR_CODE
    assert mine[1]["id"] == indicator_setup.period.pk
    filtered = client.get(url, {"year": 2026}).json()["results"]
    assert [p["id"] for p in filtered] == [indicator_setup.period.pk]
    assert client.get(url, {"year": "x"}).json()["code"] == "bad_year"
    outsider = as_user(client, UserFactory()).get(url).json()["results"]
    assert outsider == []


# --- completion and aggregate --------------------------------------------------------------

def test_the_province_sees_who_has_sent(client, sent_indicator_reports, three_level_tree,
                                        people):
    url = reverse("api:report-period-completion", args=[sent_indicator_reports.period.pk])
    data = as_user(client, people.province_office).get(url).json()
    assert data["counts"]["ratio"] == "2/3"
    assert data["counts"]["not_started"] == 1
    assert data["counts"]["sent_on_time"] == 2
    assert [a["agency"] for a in data["agencies"]] == [a.code for a in three_level_tree.communes]
    assert [a["bucket"] for a in data["agencies"]] == ["sent", "sent", "not_started"]
    assert data["agencies"][0]["sent_version"] == 1


def test_completion_is_for_report_viewers(client, sent_indicator_reports, people):
    url = reverse("api:report-period-completion", args=[sent_indicator_reports.period.pk])
    response = as_user(client, people.reporter).get(url)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "đơn vị" in response.json()["detail"]  # the service's own reason, not a generic one
    stranger = as_user(client, UserFactory()).get(url)
    assert stranger.status_code == 404
    assert stranger.json()["code"] == "period_not_found"


def test_another_system_pulls_a_districts_aggregate(client, sent_indicator_reports,
                                                    three_level_tree, people):
    url = reverse("api:report-period-aggregate", args=[sent_indicator_reports.period.pk])
    data = as_user(client, people.province_office).get(
        url, {"agency": three_level_tree.district.code}).json()
    rows = {r["code"]: r["values"] for r in data["rows"]}
    assert rows["DS"] == {"value": "22300"}
    assert rows["LUA"] == {"value": "1870.75"}
    assert rows["HO_NGHEO"] == {"value": "5.1"}
    assert rows["GHI_CHU"] == {}
    assert [a["code"] for a in data["included"]] == [a.code for a in
                                                     three_level_tree.communes[:2]]
    assert [a["code"] for a in data["missing"]] == [three_level_tree.communes[2].code]
    assert data["agency"]["code"] == three_level_tree.district.code
    assert data["form"] == INDICATOR_CODE


def test_an_aggregate_needs_an_agency_the_user_follows(client, sent_indicator_reports,
                                                       three_level_tree, people):
    url = reverse("api:report-period-aggregate", args=[sent_indicator_reports.period.pk])
    as_user(client, people.district_office)
    missing = client.get(url)
    assert (missing.status_code, missing.json()["code"]) == (400, "agency_required")
    unknown = client.get(url, {"agency": "000.00.99.X99"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "agency_not_found")
    above = client.get(url, {"agency": three_level_tree.root.code})
    assert above.status_code == 403
    assert "Bạn không có quyền" in above.json()["detail"]
    assert client.get(url, {"agency": three_level_tree.district.pk}).status_code == 200


# --- one report: read, save a draft, submit ------------------------------------------------

def test_a_reporter_saves_a_draft_and_reads_it_back(client, indicator_setup, three_level_tree,
                                                    people):
    report = indicator_setup.report(three_level_tree.communes[0])
    response = put(as_user(client, people.reporter), report, indicator_values(0),
                   notes={"LUA": {"value": "Ước tính."}}, note="Số liệu sơ bộ.")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == "draft"
    assert data["version"]["status"] == "draft"
    assert data["version"]["note"] == "Số liệu sơ bộ."
    assert data["values"]["DS"] == {"value": "12500"}
    assert data["values"]["LUA"] == {"value": "850.5"}
    assert data["notes"] == {"LUA": {"value": "Ước tính."}}
    assert [r["code"] for r in data["rows"]][:3] == ["DS", "DS_NAM", "DS_NU"]
    again = client.get(detail_url(report)).json()
    assert again["values"] == data["values"]


def test_bad_values_answer_400_per_cell_and_change_nothing(client, indicator_setup,
                                                           three_level_tree, people):
    report = indicator_setup.report(three_level_tree.communes[0])
    values = indicator_values(0)
    values["DS"]["value"] = "-5"
    values["HO_NGHEO"]["value"] = "abc"
    response = put(as_user(client, people.reporter), report, values)
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "report_invalid"
    errors = {(e["row"], e["column"]): e["messages"] for e in data["errors"]}
    assert errors[("DS", "value")] == ["Phải là số nguyên không âm."]
    assert errors[("HO_NGHEO", "value")] == ["Phải là tỷ lệ phần trăm từ 0 đến 100."]
    assert not ReportVersion.objects.filter(report=report).exists()
    assert AgencyReport.objects.get(pk=report.pk).status == "not_started"


def test_a_malformed_body_is_400_with_the_error_shape(client, indicator_setup,
                                                      three_level_tree, people):
    report = indicator_setup.report(three_level_tree.communes[0])
    response = as_user(client, people.reporter).put(
        detail_url(report), {"values": ["DS", "12"]}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_submission_checks_every_rule_then_freezes(client, indicator_setup, three_level_tree,
                                                   people):
    report = indicator_setup.report(three_level_tree.communes[0])
    as_user(client, people.reporter)
    incomplete = {"DS": {"value": "12500"}, "DS_NAM": {"value": "6000"},
                  "DS_NU": {"value": "6400"}}
    assert put(client, report, incomplete).status_code == 200
    submit = reverse("api:agency-report-submit", args=[report.pk])
    refused = client.post(submit)
    assert refused.status_code == 400
    errors = {(e["row"], e["column"]): e["messages"] for e in refused.json()["errors"]}
    assert errors[("LUA", "value")] == ["Chưa nhập."]
    assert "Chỉ tiêu DS phải bằng DS_NAM + DS_NU: 12.500 ≠ 12.400." in errors[("DS", "value")]
    assert put(client, report, indicator_values(0)).status_code == 200
    done = client.post(submit)
    assert done.status_code == 200, done.json()
    data = done.json()
    assert data["status"] == "submitted"
    assert data["version"]["status"] == "submitted"
    assert len(data["version"]["content_sha256"]) == 64
    assert len(data["version"]["file_sha256"]) == 64
    frozen = put(client, report, {"DS": {"value": "1"}})
    assert frozen.status_code == 400
    assert frozen.json()["code"] == "awaiting_approval"
    assert ReportValue.objects.get(version__report=report, row="DS").number == 12500


def test_a_commune_reporter_cannot_see_or_write_another_communes_report(
        client, indicator_setup, three_level_tree, people):
    a2_report = indicator_setup.report(three_level_tree.communes[1])
    put(as_user(client, people.other_reporter), a2_report, indicator_values(1))
    as_user(client, people.reporter)
    for response in (client.get(detail_url(a2_report)),
                     put(client, a2_report, indicator_values(0)),
                     client.post(reverse("api:agency-report-submit", args=[a2_report.pk]))):
        assert response.status_code == 404
        assert response.json()["code"] == "report_not_found"
    assert ReportValue.objects.get(version__report=a2_report, row="DS").number == 9800


def test_a_leader_reads_the_draft_but_may_not_write_it(client, indicator_setup,
                                                       three_level_tree, people):
    report = indicator_setup.report(three_level_tree.communes[0])
    put(as_user(client, people.reporter), report, indicator_values(0))
    as_user(client, people.leader)
    assert client.get(detail_url(report)).json()["version"]["status"] == "draft"
    response = put(client, report, indicator_values(1))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_the_province_reads_the_sent_version_not_the_replacement_draft(
        client, sent_indicator_reports, three_level_tree, people):
    report = sent_indicator_reports.report(three_level_tree.communes[0])
    services.replace_report(report=report, reason="Sửa số dân.", by=people.reporter)
    changed = indicator_values(0)
    changed["DS"]["value"], changed["DS_NU"]["value"] = "12600", "6500"
    assert put(as_user(client, people.reporter), report, changed).status_code == 200
    draft = client.get(detail_url(report)).json()
    assert (draft["version"]["number"], draft["version"]["status"]) == (2, "draft")
    assert draft["values"]["DS"] == {"value": "12600"}
    sent = as_user(client, people.province_office).get(detail_url(report)).json()
    assert (sent["version"]["number"], sent["version"]["status"]) == (1, "approved")
    assert sent["values"]["DS"] == {"value": "12500"}
    assert sent["status"] == "approved"
    assert sent["sent_version"] == 1


def test_the_inbox_lists_the_users_reports(client, indicator_setup, three_level_tree, people):
    url = reverse("api:agency-report-list")
    data = as_user(client, people.reporter).get(url).json()
    assert {r["agency"] for r in data["results"]} == {three_level_tree.communes[0].code}
    assert len(data["results"]) == 2
    assert data["results"][0]["form"] == INDICATOR_CODE
    assert client.get(url, {"year": 2026}).json()["count"] == 1
    assert as_user(client, people.province_office).get(url).json()["results"] == []
