"""The verbs of the portal app: accounts, roles in agencies, heartbeats. One transaction each."""

from __future__ import annotations

import socket

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from portal.choices import OFFICER_ROLES, HeartbeatSource, Role
from portal.errors import InvalidInput, NotFoundError
from portal.models import Agency, AgencyMembership, Heartbeat, User
from portal.permissions import ROLE_PERMISSIONS, forget_permissions

AGENCY_NOT_FOUND = "Không tìm thấy cơ quan, đơn vị có mã định danh “%(code)s”."
NOT_AN_OFFICER_ROLE = "Vai trò “%(role)s” không phải vai trò của cán bộ."
CCCD_TAKEN = "Số CCCD này đã được dùng để đăng ký một tài khoản khác."
USERNAME_TAKEN = "Tên đăng nhập “%(username)s” đã tồn tại."

# Apps whose models an administrator manages in the admin site.
ADMINISTERED_APPS = ("portal", "tthc", "hoso", "thanhtoan", "baocao", "django_celery_beat")


def _validation_message(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def ensure_role_groups() -> dict[str, Group]:
    """Create the role groups (idempotent); the administrator group manages the catalogue,
    agencies, users and the schedule in the admin site."""
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    admin_perms = Permission.objects.filter(content_type__app_label__in=ADMINISTERED_APPS)
    groups[Role.ADMINISTRATOR].permissions.add(*admin_perms)
    return groups


@transaction.atomic
def create_agency(*, parent: Agency | None, **fields) -> Agency:
    """Add an agency to the tree (a root when `parent` is None) after validating its fields."""
    agency = Agency(**fields)
    try:
        agency.full_clean(exclude=["path", "depth", "numchild"])
    except ValidationError as exc:
        raise InvalidInput("invalid_agency", _validation_message(exc)) from exc
    if parent is None:
        return Agency.objects.add_root(instance=agency)
    return Agency.objects.add_child(parent, instance=agency)


def get_agency_by_code(code: str) -> Agency:
    try:
        return Agency.objects.get(code=code)
    except Agency.DoesNotExist:
        raise NotFoundError("agency_not_found", _(AGENCY_NOT_FOUND) % {"code": code}) from None


@transaction.atomic
def register_citizen(
    *, full_name: str, cccd: str, phone: str, email: str, password: str
) -> User:
    """Create a citizen account; the CCCD is the login name."""
    if User.objects.filter(cccd=cccd).exists() or User.objects.filter(username=cccd).exists():
        raise InvalidInput("cccd_taken", _(CCCD_TAKEN))
    user = User(username=cccd, full_name=full_name.strip(), cccd=cccd, phone=phone, email=email)
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("invalid_citizen", _validation_message(exc)) from exc
    user.set_password(password)
    user.save()
    user.groups.add(ensure_role_groups()[Role.CITIZEN])
    return user


@transaction.atomic
def grant_role(*, user: User, agency: Agency, role: str) -> AgencyMembership:
    """Give an officer a role in an agency: the membership row, the role group and the
    role's object permissions on the agency (inherited by its subtree)."""
    if role not in OFFICER_ROLES:
        raise InvalidInput("not_officer_role", _(NOT_AN_OFFICER_ROLE) % {"role": role})
    membership, _created = AgencyMembership.objects.get_or_create(
        user=user, agency=agency, role=role
    )
    user.groups.add(ensure_role_groups()[role])
    for codename in ROLE_PERMISSIONS[role]:
        assign_perm(f"portal.{codename}", user, agency)
    if role == Role.ADMINISTRATOR and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_roles", None)
    forget_permissions(user)
    return membership


@transaction.atomic
def revoke_role(*, user: User, agency: Agency, role: str) -> None:
    """Take a role back; permissions still given by another role on the agency stay."""
    AgencyMembership.objects.filter(user=user, agency=agency, role=role).delete()
    remaining_roles = AgencyMembership.objects.filter(user=user, agency=agency).values_list(
        "role", flat=True
    )
    still_granted = set().union(*(ROLE_PERMISSIONS[r] for r in remaining_roles))
    for codename in ROLE_PERMISSIONS[role] - still_granted:
        remove_perm(f"portal.{codename}", user, agency)
    if not AgencyMembership.objects.filter(user=user, role=role).exists():
        user.groups.remove(*Group.objects.filter(name=role))
    user.__dict__.pop("_roles", None)
    forget_permissions(user)


@transaction.atomic
def create_officer(
    *,
    username: str,
    full_name: str,
    agency_code: str,
    role: str,
    email: str = "",
    phone: str = "",
    password: str | None = None,
) -> User:
    """Create an officer account with a role in the agency of that code. Nothing is created
    when the agency code is unknown or any field is invalid."""
    agency = get_agency_by_code(agency_code)
    if role not in OFFICER_ROLES:
        raise InvalidInput("not_officer_role", _(NOT_AN_OFFICER_ROLE) % {"role": role})
    if User.objects.filter(username=username).exists():
        raise InvalidInput("username_taken", _(USERNAME_TAKEN) % {"username": username})
    user = User(username=username, full_name=full_name, email=email, phone=phone)
    try:
        user.full_clean(exclude=["password"])
        if password:
            validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("invalid_officer", _validation_message(exc)) from exc
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    grant_role(user=user, agency=agency, role=role)
    return user


def record_heartbeat(*, source: str = HeartbeatSource.WORKER) -> Heartbeat:
    """Note that a background process is alive now (read by /healthz)."""
    heartbeat, _created = Heartbeat.objects.update_or_create(
        source=source,
        defaults={"beat_at": timezone.now(), "hostname": socket.gethostname()[:255]},
    )
    return heartbeat
