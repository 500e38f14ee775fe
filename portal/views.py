"""HTML pages of the portal app: home, directory, accounts, role landing pages, health check."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from portal import selectors, services
from portal.calendar import get_calendar
from portal.choices import AgencyLevel, Role
from portal.errors import DomainError
from portal.forms import CitizenSignupForm, LoginForm, PortalPasswordChangeForm
from portal.health import health_report
from portal.models import Agency
from portal.permissions import granted_agencies

# Where each role lands after login, in order of precedence for users with several roles.
LANDING_BY_ROLE = [
    (Role.ADMINISTRATOR, "admin:index"),
    (Role.LEADER, "portal:processing_desk"),
    (Role.PROCESSING_OFFICER, "portal:processing_desk"),
    (Role.DESK_OFFICER, "portal:reception_desk"),
    (Role.REPORT_VIEWER, "portal:reports_home"),
    (Role.REPORTER, "baocao:periodic_inbox"),
    (Role.CITIZEN, "portal:account"),
]


def role_required(*roles: str):
    """Allow the view to users holding one of `roles` (403 page otherwise)."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not any(request.user.has_role(role) for role in roles):
                return render(request, "403.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    return render(request, "portal/search.html", {
        "query": query,
        "agencies": selectors.search_agencies(query),
    })


def agency_directory(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/agency_list.html", {"agencies": selectors.public_agencies()})


def agency_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        agency = services.get_agency_by_code(code)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    if not agency.is_active:
        raise Http404(_("Cơ quan, đơn vị này đã ngừng hoạt động."))
    return render(request, "portal/agency_detail.html", {
        "agency": agency,
        "ancestors": Agency.objects.get_ancestors(agency),
        "children": Agency.objects.get_children(agency).filter(is_active=True),
        "hours": get_calendar(agency).hours,
    })


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:landing")
    form = CitizenSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.register_citizen(
                full_name=data["full_name"], cccd=data["cccd"], phone=data["phone"],
                email=data["email"], password=data["password1"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Đăng ký tài khoản thành công. Chào mừng %(name)s!")
                             % {"name": user.full_name})
            return redirect("portal:account")
    return render(request, "portal/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PortalPasswordChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("portal:password_change_done")


def lockout(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """django-axes: the page shown once an account or address is locked (SECURITY.md B1 #1)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/lockout.html", {"minutes": minutes}, status=429)


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """Send each user to their role's page."""
    for role, url_name in LANDING_BY_ROLE:
        if request.user.has_role(role):
            return redirect(url_name)
    return redirect("portal:account")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/account.html", {
        "memberships": request.user.memberships.select_related("agency").order_by("agency__path"),
    })


def _officer_page(request: HttpRequest, template: str, perm: str) -> HttpResponse:
    agencies = list(selectors.agencies_of(request.user, perm))
    today = timezone.localdate()
    calendar = get_calendar(agencies[0] if len(agencies) == 1 else None)
    return render(request, template, {
        "agencies": agencies,
        "memberships": request.user.memberships.select_related("agency").order_by("agency__path"),
        "today_is_working": calendar.is_working_day(today),
        "hours": calendar.hours,
        "calendar_notes": selectors.calendar_notes(calendar, today),
    })


@role_required(Role.DESK_OFFICER, Role.ADMINISTRATOR)
def reception_desk(request: HttpRequest) -> HttpResponse:
    """Desk officers' landing page (Bộ phận Một cửa)."""
    return _officer_page(request, "portal/desk_reception.html", "portal.receive_dossier")


@role_required(Role.PROCESSING_OFFICER, Role.LEADER, Role.ADMINISTRATOR)
def processing_desk(request: HttpRequest) -> HttpResponse:
    """Processing officers' and leaders' landing page."""
    return _officer_page(request, "portal/desk_processing.html", "portal.process_dossier")


@role_required(Role.REPORT_VIEWER, Role.REPORTER, Role.LEADER, Role.ADMINISTRATOR)
def reports_home(request: HttpRequest) -> HttpResponse:
    """Report viewers' landing page: the part of the organisation their reports cover."""
    agencies = selectors.agencies_of(request.user, "portal.view_reports")
    counts = selectors.agency_counts_by_level(agencies)
    levels = [(label, counts.get(value, 0)) for value, label in AgencyLevel.choices]
    return render(request, "portal/reports_home.html", {
        "roots": (Agency.objects.get_root_nodes() if request.user.is_superuser
                  else granted_agencies(request.user, "view_reports").order_by("path")),
        "levels": levels,
        "total": sum(counts.values()),
    })


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def bare(request: HttpRequest) -> JsonResponse:
    """A bare Django JSON view: the baseline `make bench` compares pages with."""
    return JsonResponse({"ok": True})


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    message = str(exception.args[0]) if exception and exception.args and isinstance(
        exception.args[0], str) and not exception.args[0].startswith("No ") else ""
    return render(request, "404.html", {"message": message}, status=404)

