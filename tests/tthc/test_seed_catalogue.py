"""The demo catalogue: real procedures over many fields and all levels, with e-forms."""

import json
from collections import Counter

import pytest
from django.urls import reverse

from portal.demo import seed_demo as seed_portal
from tthc.choices import ServiceMode
from tthc.demo import CATALOGUE, seed_catalogue
from tthc.eforms import EForm
from tthc.models import Procedure, ProcedureAgency
from tthc.selectors import CatalogueFilter, catalogue_stats, search_procedures

pytestmark = pytest.mark.django_db
RECORDS = json.loads(CATALOGUE.read_text(encoding="utf-8"))


@pytest.fixture
def seeded():
    seed_portal()
    return seed_catalogue()


def test_the_seed_file_is_big_and_varied_enough():
    assert len(RECORDS) >= 80
    assert len({r["field"]["code"] for r in RECORDS}) >= 12
    levels = Counter(level for r in RECORDS for level in r["levels"])
    assert {"province", "district", "commune"} <= set(levels)
    assert sum(1 for r in RECORDS if r.get("eform")) >= 10
    assert len({r["national_code"] for r in RECORDS}) == len(RECORDS)


def test_seed_loads_every_record_and_is_idempotent(seeded):
    assert seeded["procedures"] == len(RECORDS)
    versions = set(Procedure.objects.values_list("version", flat=True))
    seed_catalogue()
    assert Procedure.objects.count() == len(RECORDS)
    assert set(Procedure.objects.values_list("version", flat=True)) == {v + 1 for v in versions}


def test_statistics_page_matches_the_seed(seeded, client):
    response = client.get(reverse("tthc:statistics"))
    stats = response.context["stats"]
    levels = Counter(level for r in RECORDS for level in r["levels"])
    assert dict(stats.by_level) == {"Cấp tỉnh": levels["province"],
                                    "Cấp huyện": levels["district"],
                                    "Cấp xã": levels["commune"]}
    modes = Counter(r["service_mode"] for r in RECORDS)
    assert dict(stats.by_mode) == {label: modes[value] for value, label in ServiceMode.choices}
    assert dict(stats.by_legacy_level) == {
        level: n for level, n in {2: modes["info"], 3: modes["partial"],
                                  4: modes["full"]}.items() if n}
    assert stats.total == len(RECORDS)
    assert catalogue_stats() == stats


def test_birth_registration_is_found_without_diacritics_and_its_eforms_render(seeded):
    found = [p.name for p in search_procedures(CatalogueFilter(query="dang ky khai sinh"))]
    assert any(name.startswith("Đăng ký khai sinh") for name in found)
    for procedure in Procedure.objects.exclude(eform_schema={}):
        form = EForm(procedure.eform_schema)
        assert form.fields, procedure.national_code
        assert not EForm(procedure.eform_schema, data={}).is_valid()


def test_province_procedures_are_assigned_to_departments(seeded):
    province_level = Procedure.objects.filter(levels__level="province")
    assigned = ProcedureAgency.objects.filter(procedure__in=province_level).values(
        "procedure").distinct().count()
    assert assigned >= province_level.count() * 0.8
    assert Procedure.objects.filter(featured=True).count() >= 10
