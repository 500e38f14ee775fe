"""Who may receive what (DOMAIN-2025.md §1.3–1.4, N03–N06).

A desk receives a procedure for its own locality — the people's committee it belongs to (a
commune's centre for the commune, the provincial centre for provincial agencies). A procedure
flagged "không phụ thuộc địa giới hành chính" is received at any desk of the province (or of
the country, for nationwide scope) and routed to the deciding agency, at the same or another
level. Otherwise the applicant is guided to the competent desk.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.cache import memo, per_generation
from portal.choices import AgencyKind
from portal.errors import InvalidInput
from portal.models import Agency
from tthc.choices import BoundaryFreeScope
from tthc.models import Procedure
from tthc.selectors import agencies_carrying_out

# A safety net only: entries are keyed on what invalidates them.
ROUTE_CACHE_SECONDS = 3600

NOT_CARRIED_OUT = "%(agency)s không giải quyết thủ tục “%(procedure)s”."
NOT_OUR_AREA = ("Thủ tục “%(procedure)s” phụ thuộc địa giới hành chính: vui lòng nộp hồ sơ tại "
                "%(desk)s.")


def locality(agency: Agency) -> Agency:
    """The people's committee an agency belongs to (itself when it is one)."""
    return localities(agency)[agency.pk]


def localities(*agencies: Agency) -> dict[int, Agency]:
    """`locality` of each agency, in one query: the deepest people's committee on its path
    (itself included), else the root of its tree."""
    prefixes = {a.path[:end] for a in agencies
                for end in range(Agency.steplen, len(a.path) + 1, Agency.steplen)}
    candidates = {a.path: a for a in Agency.objects.filter(path__in=prefixes)}
    found = {}
    for agency in agencies:
        chain = [candidates.get(agency.path[:end]) for end in
                 range(len(agency.path), 0, -Agency.steplen)]
        committees = [a for a in chain if a is not None and a.kind == AgencyKind.PEOPLES_COMMITTEE]
        found[agency.pk] = committees[0] if committees else chain[-1]
    return found


@dataclass(frozen=True)
class RouteFacts:
    """What the route check reads from the database, cached per procedure version and agency
    tree generation (both change whenever these facts can)."""

    carried_out: bool
    same_locality: bool
    competent_desk: str  # the deciding agency's locality, named in the guidance


def route_facts(procedure: Procedure, receiving: Agency, deciding: Agency) -> RouteFacts:
    route_key = (f"hoso:route:v1:{connection.settings_dict['NAME']}:{procedure.pk}:"
                 f"{procedure.version}:{receiving.pk}:{deciding.pk}")
    return memo.get(route_key, lambda: _route_facts(route_key, procedure, receiving,
                                                    deciding))


def _route_facts(route_key: str, procedure: Procedure, receiving: Agency, deciding: Agency
                 ) -> RouteFacts:
    def compute() -> RouteFacts:
        found = localities(receiving, deciding)
        return RouteFacts(
            carried_out=agencies_carrying_out(procedure).filter(pk=deciding.pk).exists(),
            same_locality=found[receiving.pk].pk == found[deciding.pk].pk,
            competent_desk=found[deciding.pk].name)

    return per_generation(route_key, compute, timeout=ROUTE_CACHE_SECONDS)


def check_route(*, procedure: Procedure, receiving: Agency, deciding: Agency, on=None) -> None:
    """Raise InvalidInput (with guidance) unless `receiving` may take this procedure for
    `deciding`."""
    on = on or timezone.localdate()
    facts = route_facts(procedure, receiving, deciding)
    if not facts.carried_out:
        raise InvalidInput("not_carried_out", _(NOT_CARRIED_OUT)
                           % {"agency": deciding.name, "procedure": procedure.name})
    if facts.same_locality:
        return
    same_province = receiving.path[:Agency.steplen] == deciding.path[:Agency.steplen]
    if procedure.is_boundary_free_on(on) and (
            same_province or procedure.boundary_free_scope == BoundaryFreeScope.NATIONWIDE):
        return
    raise InvalidInput("not_our_area", _(NOT_OUR_AREA)
                       % {"procedure": procedure.name, "desk": facts.competent_desk})
