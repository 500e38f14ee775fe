"""Who carries out a procedure, and the admin pages that amend procedures and workflows."""

import pytest
from django.urls import reverse

from portal.choices import AgencyKind, AgencyLevel
from tests.factories import AgencyFactory, UserFactory
from tthc.models import ProcedureAgency
from tthc.selectors import CatalogueFilter, agencies_carrying_out, procedures_of, search_procedures

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    province = AgencyFactory(name="UBND tỉnh", level=AgencyLevel.PROVINCE)
    justice = AgencyFactory(parent=province, name="Sở Tư pháp", kind=AgencyKind.DEPARTMENT)
    district = AgencyFactory(parent=province, name="UBND huyện", level=AgencyLevel.DISTRICT)
    commune_a = AgencyFactory(parent=district, name="UBND xã A", level=AgencyLevel.COMMUNE)
    commune_b = AgencyFactory(parent=district, name="UBND xã B", level=AgencyLevel.COMMUNE)
    return province, justice, district, commune_a, commune_b


def test_every_commune_carries_out_commune_procedures_unless_excluded(small_catalogue, tree):
    _province, _justice, _district, commune_a, commune_b = tree
    birth = small_catalogue[0]
    assert set(agencies_carrying_out(birth)) == {commune_a, commune_b}
    ProcedureAgency.objects.create(procedure=birth, agency=commune_b, relation="excluded")
    assert list(agencies_carrying_out(birth)) == [commune_a]
    assert birth in procedures_of(commune_a)
    assert birth not in procedures_of(commune_b)


def test_a_named_department_carries_out_a_province_procedure(small_catalogue, tree):
    province, justice, *_rest = tree
    record_check = small_catalogue[1]  # lý lịch tư pháp, province level
    assert list(agencies_carrying_out(record_check)) == [province]
    ProcedureAgency.objects.create(procedure=record_check, agency=justice)
    assert list(agencies_carrying_out(record_check)) == [justice]
    assert record_check in procedures_of(justice)
    assert record_check not in procedures_of(province)


def test_catalogue_filter_by_agency(small_catalogue, tree):
    *_rest, commune_a, _b = tree
    found = {p.national_code for p in search_procedures(CatalogueFilter(agency=commune_a.code))}
    assert found == {"1.001193", "2.001023", "1.001612"}
    assert not search_procedures(CatalogueFilter(agency="000.00.99.X99")).exists()


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def steps_form(workflow, shares):
    data = {"steps-TOTAL_FORMS": str(len(shares)), "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "1", "steps-MAX_NUM_FORMS": "1000",
            "procedure": str(workflow.procedure_id), "level": workflow.level}
    for i, share in enumerate(shares):
        data.update({f"steps-{i}-position": str(i + 1), f"steps-{i}-name": f"Bước {i + 1}",
                     f"steps-{i}-role": "processing_officer", f"steps-{i}-agency": "deciding",
                     f"steps-{i}-share": share})
    return data


def test_admin_refuses_workflow_steps_that_do_not_add_up(admin_client, birth):
    workflow = birth.workflows.get()
    workflow.steps.all().delete()
    url = reverse("admin:tthc_workflow_change", args=[workflow.pk])
    response = admin_client.post(url, steps_form(workflow, ["0,5", "0,25"]))
    assert response.status_code == 200
    assert "Tổng thời gian các bước (0,75 ngày làm việc) phải bằng thời hạn giải quyết" in (
        response.content.decode())
    assert workflow.steps.count() == 0
    snapshot_before = birth.terms_snapshot()
    response = admin_client.post(url, steps_form(workflow, ["0,5", "0,5"]))
    assert response.status_code == 302
    assert workflow.steps.count() == 2
    birth.refresh_from_db()
    assert birth.version == 2  # dossiers received from now on get the new workflow
    assert len(birth.terms_snapshot()["workflows"]["commune"]) == 2
    assert len(snapshot_before["workflows"]["commune"]) == 0


def test_admin_amendment_bumps_the_version_and_reports_errors_in_vietnamese(admin_client,
                                                                            birth):
    url = reverse("admin:tthc_procedure_change", args=[birth.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["accepts_online"] = ""  # a full online service without the online channel
    for key in ("accepts_direct", "accepts_postal", "same_day_cutoff", "boundary_free",
                "result_electronic"):
        data[key] = "on" if data[key] else ""
    for prefix in ("levels", "documents", "fees", "attachments", "agencies"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    data["eform_schema"] = page.context["adminform"].form["eform_schema"].value()
    response = admin_client.post(url, {k: v for k, v in data.items() if v != ""})
    assert "phải cho phép nộp trực tuyến" in response.content.decode()
    birth.refresh_from_db()
    assert birth.version == 1
