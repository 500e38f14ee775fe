"""Catalogue search ignores diacritics and case (on PostgreSQL, with the trigram index)."""

import datetime as dt

import pytest
from django.db import connection

from tthc.search import fold
from tthc.selectors import CatalogueFilter, search_procedures

pytestmark = pytest.mark.django_db


def names(**kwargs):
    return [p.name for p in search_procedures(CatalogueFilter(**kwargs))]


def test_fold_removes_vietnamese_diacritics_and_case():
    assert fold("  Đăng KÝ   khai sinh ") == "dang ky khai sinh"
    assert fold("Thủ tục cấp Giấy phép xây dựng") == "thu tuc cap giay phep xay dung"


@pytest.mark.parametrize("query", [
    "khai sinh", "dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "Đăng ký khai sinh", "khai  SINH",
    "1.001193", "sinh dang",
])
def test_search_finds_birth_registration_with_or_without_diacritics(small_catalogue, query):
    assert names(query=query) == ["Đăng ký khai sinh"]


def test_search_runs_on_postgresql_with_the_trigram_index(small_catalogue):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = "
                       "'procedure_search_trgm'")
        assert "gin_trgm_ops" in cursor.fetchone()[0]


def test_words_must_all_match(small_catalogue):
    assert names(query="khai sinh ly lich") == []
    assert names(query="ly lich") == ["Cấp phiếu lý lịch tư pháp cho công dân Việt Nam"]


def test_filters_by_field_level_and_mode(small_catalogue):
    assert names(field="CT") == ["Chứng thực bản sao từ bản chính"]
    assert set(names(level="commune")) == {"Chứng thực bản sao từ bản chính",
                                           "Đăng ký khai sinh", "Đăng ký thành lập hộ kinh doanh"}
    assert names(level="province") == ["Cấp phiếu lý lịch tư pháp cho công dân Việt Nam"]
    assert names(service_mode="info") == ["Chứng thực bản sao từ bản chính"]
    assert names(query="dang ky", service_mode="full", level="commune") == [
        "Đăng ký khai sinh", "Đăng ký thành lập hộ kinh doanh"]


def test_retired_and_future_procedures_are_not_found(small_catalogue):
    birth = small_catalogue[0]
    birth.retired_on = dt.date(2026, 1, 1)
    birth.save()
    assert names(query="khai sinh") == []
    birth.retired_on = None
    birth.published_from = dt.date(2099, 1, 1)
    birth.save()
    assert names(query="khai sinh") == []


def test_search_is_one_query(small_catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(search_procedures(CatalogueFilter(query="dang ky", level="commune")))


def test_search_text_follows_renames(birth):
    birth.name = "Đăng ký lại khai sinh"
    birth.save(update_fields=["name"])
    assert names(query="dang ky lai") == ["Đăng ký lại khai sinh"]
