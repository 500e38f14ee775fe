"""The public transparency page: no login, per agency on-time and online rates of the current
GRIS quarter, no personal data, cached for ten minutes and rate-limited."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from baocao import kpis, transparency
from baocao.dashboard_views import current_gris_quarter
from hoso.models import Dossier
from tests.baocao.test_dashboards import QUARTER, SAMPLE, _now, make_dossiers  # noqa: F401
from tests.hoso.conftest import birth_procedure, desk_a1  # noqa: F401

pytestmark = pytest.mark.django_db

PAGE = reverse("baocao:transparency")


@pytest.fixture(autouse=True)
def _no_cached_page(_now):  # noqa: F811
    cache.delete(transparency.cache_key(current_gris_quarter()))
    yield
    cache.delete(transparency.cache_key(current_gris_quarter()))


@pytest.fixture
def sample(province, birth_procedure, desk_a1):  # noqa: F811
    return make_dossiers(province, birth_procedure, desk_a1, SAMPLE)


def visit(client, address="10.20.30.40"):
    return client.get(PAGE, REMOTE_ADDR=address)


def test_anyone_sees_the_rates_per_agency_without_personal_data(client, province, sample):
    response = visit(client)
    assert response.status_code == 200
    page = response.content.decode()
    rows = {r["name"]: r for r in response.context["rows"]}
    assert set(rows) == {"UBND tỉnh thử nghiệm", "Sở Tư pháp", "UBND huyện A", "UBND xã A1",
                         "UBND xã A2", "UBND huyện B", "UBND xã B1", "UBND phường mới"}
    a1 = kpis.compute_by_agency("on_time", QUARTER, [province.commune_a1])
    assert rows["UBND xã A1"]["on_time"]["text"] == "50 %"
    assert a1[province.commune_a1.pk].value == 50
    assert rows["UBND huyện A"]["online_dossiers"]["text"] == "60 %"  # 3 of 5
    assert rows["UBND xã B1"]["on_time"]["text"] == "0 %"
    assert rows["Sở Tư pháp"]["on_time"]["text"] == "Chưa có số liệu"
    assert QUARTER.label in page
    for dossier in Dossier.objects.all():
        assert dossier.owner_name not in page
        assert dossier.owner_id_number not in page
        assert dossier.code not in page
    assert "019090001234" not in page
    assert "Nguyễn Văn An" not in page


def test_the_page_is_cached_for_ten_minutes(client, province, sample, birth_procedure,
                                            desk_a1):  # noqa: F811
    first = visit(client)
    with CaptureQueriesContext(connection) as ctx:
        second = visit(client)
    assert not [q for q in ctx.captured_queries if "hoso_dossier" in q["sql"]]
    assert second.context["rows"] == first.context["rows"]
    assert second["Cache-Control"] == "public, max-age=600"
    # a new dossier shows only once the cached numbers expire
    make_dossiers(province, birth_procedure, desk_a1, [SAMPLE[0]])
    assert visit(client).context["rows"] == first.context["rows"]
    cache.delete(transparency.cache_key(current_gris_quarter()))
    assert visit(client).context["rows"] != first.context["rows"]
    assert transparency.CACHE_SECONDS == 600


def test_the_page_is_rate_limited_per_address(client, province, settings):
    settings.TRANSPARENCY_RATE = "2/m"
    address = "10.99.88.77"
    cache.clear()  # the limiter's counters for this address
    assert visit(client, address).status_code == 200
    assert visit(client, address).status_code == 200
    limited = visit(client, address)
    assert limited.status_code == 429
    assert "quá nhiều lần" in limited.content.decode()
    assert visit(client, "10.99.88.78").status_code == 200


def test_the_public_pages_link_to_it_in_the_footer(client, db):
    page = client.get(reverse("portal:home")).content.decode()
    assert f'href="{PAGE}"' in page
    assert "Công khai chỉ số giải quyết thủ tục hành chính" in page
