"""The permission choke point: which agencies a user may do X in (STYLE.md §4.4).

Permissions are django-guardian object permissions on `Agency` only (never one row per dossier)
and apply to the agency's whole subtree: an officer granted `portal.receive_dossier` on a
district may receive for the district and every commune under it, and for nothing else.
`agencies_with_perm` answers with a lazy queryset that compiles to one SQL query, so later apps
filter their querysets with `agency__in=agencies_with_perm(user, perm)` as a subquery.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Length, Substr

from portal.choices import Role
from portal.models import Agency, AgencyGroupObjectPermission, AgencyUserObjectPermission

# What each role may do in the agencies it is granted on.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CITIZEN: frozenset(),
    Role.DESK_OFFICER: frozenset({"view_dossier", "receive_dossier"}),
    Role.PROCESSING_OFFICER: frozenset({"view_dossier", "process_dossier"}),
    # the leader approves and sends the agency's periodic reports (issue 10) …
    Role.LEADER: frozenset(
        {"view_dossier", "process_dossier", "approve_dossier", "assign_dossier", "view_reports",
         "approve_periodic_report"}
    ),
    Role.REPORT_VIEWER: frozenset({"view_reports"}),
    # … that its reporter prepares (a role of its own: granted at a province, it would make
    # every officer below a reporter)
    Role.REPORTER: frozenset({"view_reports", "submit_periodic_report"}),
    Role.ADMINISTRATOR: frozenset(
        {"view_dossier", "receive_dossier", "process_dossier", "approve_dossier",
         "assign_dossier", "view_reports", "manage_agency"}
    ),
}
AGENCY_PERMISSIONS = frozenset(codename for codename, _label in Agency._meta.permissions)


def _codename(perm: str) -> str:
    app_label, _dot, codename = perm.rpartition(".")
    if app_label not in ("", "portal") or codename not in AGENCY_PERMISSIONS:
        raise ValueError(f"{perm!r} is not a permission on Agency")
    return codename


def granted_agencies(user, perm: str) -> QuerySet[Agency]:
    """Agencies where `perm` was granted to the user directly or through one of their groups."""
    codename = _codename(perm)
    direct = AgencyUserObjectPermission.objects.filter(
        user=user, permission__codename=codename, permission__content_type__app_label="portal"
    ).values("content_object_id")
    via_group = AgencyGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=codename,
        permission__content_type__app_label="portal",
    ).values("content_object_id")
    return Agency.objects.filter(Q(pk__in=direct) | Q(pk__in=via_group))


def agencies_with_perm(user, perm: str) -> QuerySet[Agency]:
    """Every agency the user may exercise `perm` in: the granted ones and their descendants.

    One query: a descendant's materialised path starts with its ancestor's path.
    """
    codename = _codename(perm)
    if user is None or not user.is_authenticated or not user.is_active:
        return Agency.objects.none()
    if user.is_superuser:
        return Agency.objects.all()
    ancestors = granted_agencies(user, codename).filter(
        path=Substr(OuterRef("path"), 1, Length("path"))
    )
    return Agency.objects.filter(Exists(ancestors))


def agency_ids_with_perm(user, perm: str) -> frozenset[int]:
    """The ids of `agencies_with_perm`, computed once per user object (a request's user, a
    task's officer) and forgotten when a role is granted or revoked (forget_permissions)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cache = user.__dict__.setdefault("_agency_ids", {})
    if perm not in cache:
        cache[perm] = shared_fact(
            user, f"perm:{perm}",
            lambda: frozenset(agencies_with_perm(user, perm).values_list("pk", flat=True)))
    return cache[perm]


def shared_fact(user, name: str, compute):
    """A fact about the user's access (agency ids of a permission, roles) from the shared
    cache, valid while the access generation stays the same: any grant, revocation, group
    or object-permission change and any agency change starts a new generation
    (portal.cache.bump_agency_tree_generation), so a revoked right is gone at the next
    request in every process. One cache round trip; computed on a miss."""
    from django.db import connection

    from portal.cache import per_generation

    return per_generation(f"portal:access:v1:{connection.settings_dict['NAME']}:{user.pk}:"
                          f"{int(user.is_superuser)}:{int(user.is_active)}:{name}", compute)


def forget_permissions(user) -> None:
    """Forget the access facts of this user object and, everywhere, of everyone (a new
    access generation)."""
    from portal.cache import bump_agency_tree_generation

    user.__dict__.pop("_agency_ids", None)
    user.__dict__.pop("_roles", None)
    bump_agency_tree_generation()


def has_agency_perm(user, perm: str, agency: Agency) -> bool:
    """May the user exercise `perm` in this agency (granted on it or on an ancestor)?"""
    return agency.pk in agency_ids_with_perm(user, perm)


def restrict(queryset: QuerySet, user, perm: str, *, agency_field: str = "agency") -> QuerySet:
    """Keep the rows whose `agency_field` lies in an agency the user may exercise `perm` in.

    Every list, export and report of the later apps starts here; the agency set is a subquery,
    so the filter adds no query of its own.
    """
    return queryset.filter(**{f"{agency_field}__in": agencies_with_perm(user, perm)})


def users_with_perm(agency: Agency, perm: str) -> QuerySet:
    """Active users who may exercise `perm` in this agency: granted on it or on an ancestor,
    directly or through a group (for choosing an officer to assign). One query."""
    from portal.models import User

    codename = _codename(perm)
    paths = [agency.path[:end] for end in range(Agency.steplen, len(agency.path) + 1,
                                                Agency.steplen)]
    where = {"permission__codename": codename, "content_object__path__in": paths}
    direct = AgencyUserObjectPermission.objects.filter(**where).values("user_id")
    via_group = AgencyGroupObjectPermission.objects.filter(**where).values("group_id")
    return User.objects.filter(Q(pk__in=direct) | Q(groups__in=via_group),
                               is_active=True).distinct().order_by("full_name", "username")
