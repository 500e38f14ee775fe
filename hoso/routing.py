"""Who may receive what (DOMAIN-2025.md §1.3–1.4, N03–N06).

A desk receives a procedure for its own locality — the people's committee it belongs to (a
commune's centre for the commune, the provincial centre for provincial agencies). A procedure
flagged "không phụ thuộc địa giới hành chính" is received at any desk of the province (or of
the country, for nationwide scope) and routed to the deciding agency, at the same or another
level. Otherwise the applicant is guided to the competent desk.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.choices import AgencyKind
from portal.errors import InvalidInput
from portal.models import Agency
from tthc.choices import BoundaryFreeScope
from tthc.models import Procedure
from tthc.selectors import agencies_carrying_out

NOT_CARRIED_OUT = "%(agency)s không giải quyết thủ tục “%(procedure)s”."
NOT_OUR_AREA = ("Thủ tục “%(procedure)s” phụ thuộc địa giới hành chính: vui lòng nộp hồ sơ tại "
                "%(desk)s.")


def locality(agency: Agency) -> Agency:
    """The people's committee an agency belongs to (itself when it is one)."""
    if agency.kind == AgencyKind.PEOPLES_COMMITTEE:
        return agency
    for ancestor in reversed(Agency.objects.get_ancestors(agency)):
        if ancestor.kind == AgencyKind.PEOPLES_COMMITTEE:
            return ancestor
    return Agency.objects.get_root_nodes().filter(path=agency.path[:Agency.steplen]).first()


def check_route(*, procedure: Procedure, receiving: Agency, deciding: Agency, on=None) -> None:
    """Raise InvalidInput (with guidance) unless `receiving` may take this procedure for
    `deciding`."""
    on = on or timezone.localdate()
    if not agencies_carrying_out(procedure).filter(pk=deciding.pk).exists():
        raise InvalidInput("not_carried_out", _(NOT_CARRIED_OUT)
                           % {"agency": deciding.name, "procedure": procedure.name})
    if locality(receiving).pk == locality(deciding).pk:
        return
    same_province = receiving.path[:Agency.steplen] == deciding.path[:Agency.steplen]
    if procedure.is_boundary_free_on(on) and (
            same_province or procedure.boundary_free_scope == BoundaryFreeScope.NATIONWIDE):
        return
    raise InvalidInput("not_our_area", _(NOT_OUR_AREA)
                       % {"procedure": procedure.name, "desk": locality(deciding).name})
