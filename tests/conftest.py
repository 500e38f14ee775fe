"""Shared fixtures: a small province with two districts, and personas (STYLE.md §4.10)."""

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from portal import services
from portal.cache import new_tree_generation
from portal.calendar import clear_calendar_cache
from portal.choices import AgencyKind, AgencyLevel, Role
from portal.models import Agency
from portal.notifications import templates_cache_key
from tests.factories import AgencyFactory, UserFactory
from tthc.snapshots import clear_terms_cache

PASSWORD = "Mat-khau-thu-2026"


def _forget_cached_facts() -> None:
    clear_calendar_cache()
    clear_terms_cache()
    new_tree_generation()
    cache.delete(templates_cache_key())


@pytest.fixture(autouse=True)
def _fresh_caches():
    """The calendar's administrator days, procedure terms and routing facts are cached; a
    test's rows die with its transaction, and so must what was cached from them."""
    _forget_cached_facts()
    yield
    _forget_cached_facts()


@dataclass
class Province:
    root: Agency
    department: Agency
    district_a: Agency
    commune_a1: Agency
    commune_a2: Agency
    district_b: Agency
    commune_b1: Agency
    two_level_commune: Agency


@pytest.fixture
def province(db) -> Province:
    root = AgencyFactory(name="UBND tỉnh thử nghiệm", level=AgencyLevel.PROVINCE)
    department = AgencyFactory(parent=root, name="Sở Tư pháp", kind=AgencyKind.DEPARTMENT)
    district_a = AgencyFactory(parent=root, name="UBND huyện A", level=AgencyLevel.DISTRICT)
    district_b = AgencyFactory(parent=root, name="UBND huyện B", level=AgencyLevel.DISTRICT)
    commune = {"level": AgencyLevel.COMMUNE}
    return Province(
        root=root,
        department=department,
        district_a=district_a,
        commune_a1=AgencyFactory(parent=district_a, name="UBND xã A1", **commune),
        commune_a2=AgencyFactory(parent=district_a, name="UBND xã A2", **commune),
        district_b=district_b,
        commune_b1=AgencyFactory(parent=district_b, name="UBND xã B1", **commune),
        two_level_commune=AgencyFactory(parent=root, name="UBND phường mới", **commune),
    )


def make_officer(agency: Agency, role: str, **kwargs):
    user = UserFactory(**kwargs)
    services.grant_role(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def district_a_desk(province):
    return make_officer(province.district_a, Role.DESK_OFFICER, username="desk_a")


@pytest.fixture
def district_b_desk(province):
    return make_officer(province.district_b, Role.DESK_OFFICER, username="desk_b")


@pytest.fixture
def province_viewer(province):
    return make_officer(province.root, Role.REPORT_VIEWER, username="province_viewer")


@pytest.fixture
def citizen(db):
    return services.register_citizen(
        full_name="Nguyễn Văn An", cccd="019090001234", phone="0912345678",
        email="an@example.vn", password=PASSWORD,
    )
