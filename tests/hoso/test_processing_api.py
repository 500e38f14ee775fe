"""POST /api/v1/dossiers/{code}/actions/{action}/: one endpoint per action, 409 with a code
when the state forbids it, 403 when the user may not, 404 for a dossier out of sight."""

import pytest
from django.urls import reverse

from hoso.choices import DossierStatus
from hoso.models import Dossier
from tests.hoso.test_processing import people, received  # noqa: F401 — the fixture

pytestmark = pytest.mark.django_db


def act(client, user, dossier, action, **data):
    client.force_login(user)
    return client.post(reverse("api:dossier-action", args=[dossier.code, action]), data,
                       content_type="application/json")


def test_actions_through_the_api(client, province, people):  # noqa: F811
    dossier = received(province, people)
    assert act(client, people["specialist"], dossier, "start").json()["status"] == (
        "in_progress")
    again = act(client, people["specialist"], dossier, "start")
    assert (again.status_code, again.json()["code"]) == (409, "transition_not_allowed")
    refused = act(client, people["desk"], dossier, "forward")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    incomplete = act(client, people["specialist"], dossier, "request_supplement",
                     items=[{"name": "Tờ khai", "reason": ""}])
    assert (incomplete.status_code, incomplete.json()["code"]) == (409, "items_listed")
    asked = act(client, people["specialist"], dossier, "request_supplement",
                items=[{"name": "Tờ khai", "reason": "Thiếu chữ ký"}])
    assert asked.json()["status"] == DossierStatus.AWAITING_SUPPLEMENT
    assert act(client, people["desk"], dossier, "supplement").status_code == 200
    assert Dossier.objects.get(pk=dossier.pk).status == DossierStatus.IN_PROGRESS


def test_a_dossier_out_of_sight_is_404_and_an_unknown_action_too(client, province,
                                                                 people):  # noqa: F811
    dossier = received(province, people)
    assert act(client, people["stranger"], dossier, "start").status_code == 404
    assert act(client, people["specialist"], dossier, "fly").status_code == 404
    assert Dossier.objects.get(pk=dossier.pk).status == DossierStatus.RECEIVED


def test_a_missing_field_is_named_in_vietnamese(client, province, people):  # noqa: F811
    from hoso.services import processing
    from portal.errors import InvalidInput

    dossier = received(province, people)
    with pytest.raises(InvalidInput) as missing:
        processing.perform("rate", dossier_id=dossier.pk, actor=people["desk"])
    assert missing.value.message == "Thiếu thông tin: điểm đánh giá."
    assert Dossier.objects.get(pk=dossier.pk).status == DossierStatus.RECEIVED
