"""Template context shared by every page: the province's name and the navigation."""

from django.conf import settings
from django.http import HttpRequest

from portal.choices import Role


def portal(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    roles = user.roles if user is not None and user.is_authenticated else frozenset()
    return {
        "PROVINCE_NAME": settings.PORTAL_PROVINCE_NAME,
        "SITE_NAME": settings.PORTAL_SITE_NAME,
        "nav": {
            "reception": bool(roles & {Role.DESK_OFFICER, Role.ADMINISTRATOR}),
            "processing": bool(
                roles & {Role.PROCESSING_OFFICER, Role.LEADER, Role.ADMINISTRATOR}),
            "reports": bool(roles & {Role.REPORT_VIEWER, Role.REPORTER, Role.LEADER,
                                     Role.ADMINISTRATOR}),
            "admin": bool(user is not None and user.is_authenticated and user.is_staff),
            "citizen": Role.CITIZEN in roles,
        },
    }
