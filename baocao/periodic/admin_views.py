"""Pages for administrators of periodic reporting (issue 10): the forms (define, edit: header,
columns, rows or indicators, cross-cell rules) and the assignments of a form to agencies.
Staff with baocao.change_reportform, or a superuser (views.admin_required); the services
(setup.py) check the Agency permissions again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from baocao.models import ReportAssignment, ReportForm
from baocao.periodic import forms as f
from baocao.periodic import setup
from baocao.periodic.deadlines import make_period
from baocao.periodic.views import PAGE_SIZE, admin_required
from portal.errors import DomainError

FORM_SAVED = "Đã lưu biểu mẫu “%(code)s”."
ASSIGNED = "Đã giao biểu “%(code)s” cho %(count)s đơn vị."


# --- administrators: forms --------------------------------------------------------------------

@require_GET
@admin_required
def form_list(request: HttpRequest) -> HttpResponse:
    """Every form with its number of columns, rows and assignments; one query."""
    forms_ = (ReportForm.objects
              .annotate(column_count=Count("columns", distinct=True),
                        row_count=Count("rows", distinct=True),
                        assignment_count=Count("assignments", distinct=True))
              .order_by("-is_active", "code"))
    return render(request, "baocao/periodic/form_list.html", {"forms": forms_})


@require_http_methods(["GET", "POST"])
@admin_required
def form_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Define a form (pk None) or edit one: header, columns, rows or indicators, rules."""
    existing = get_object_or_404(ReportForm, pk=pk) if pk is not None else None
    data = request.POST if request.method == "POST" else None
    if existing is not None:
        initial = {name: getattr(existing, name) for name in (
            "code", "title", "legal_basis", "system", "period_kind", "layout", "source",
            "unit_note", "description")}
        header = f.FormHeaderForm(data, initial=initial, editing=True)
        columns = f.ColumnFormSet(data, prefix="cot", initial=f.column_initial(existing))
        rows = f.RowFormSet(data, prefix="dong", initial=f.row_initial(existing))
        rules = f.RuleFormSet(data, prefix="quytac", initial=f.rule_initial(existing))
    else:
        header = f.FormHeaderForm(data)
        columns = f.ColumnFormSet(data, prefix="cot")
        rows = f.RowFormSet(data, prefix="dong")
        rules = f.RuleFormSet(data, prefix="quytac")
    problems: list[str] = []
    if data is not None and all(x.is_valid() for x in (header, columns, rows, rules)):
        problems = f.check_definition(header, columns, rows)
        if not problems:
            try:
                saved = setup.define_form(
                    **header.cleaned_data,
                    columns=columns.items(), rows=rows.items(), rules=rules.items(),
                    by=request.user)
            except DomainError as exc:
                problems = [exc.message]
            else:
                messages.success(request, FORM_SAVED % {"code": saved.code})
                return redirect("baocao:periodic_form_edit", pk=saved.pk)
    status = 400 if data is not None else 200
    return render(request, "baocao/periodic/form_edit.html", {
        "existing": existing, "header": header, "columns": columns, "rows": rows,
        "rules": rules, "problems": problems}, status=status)


# --- administrators: assignments --------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@admin_required
def assignments(request: HttpRequest) -> HttpResponse:
    """The assignments (form, agencies, receiver, deadline, first period) and a new one."""
    initial = {"first_year": timezone.localdate().year}
    if request.GET.get("bieu", "").isdigit():
        initial["form"] = int(request.GET["bieu"])
    form = f.AssignmentForm(request.POST or None, initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            assignment, count = _assign(form.cleaned_data, request.user)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, ASSIGNED % {"code": assignment.form.code,
                                                  "count": count})
            return redirect("baocao:periodic_assignments")
    listed = (ReportAssignment.objects.select_related("form", "receiving_agency", "created_by")
              .annotate(agency_count=Count("agencies", distinct=True),
                        period_count=Count("periods", distinct=True))
              .order_by("-is_active", "form__code", "-created_at"))
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(request, "baocao/periodic/assignments.html", {
        "form": form, "page": page, "error": error},
        status=400 if request.method == "POST" else 200)


def _assign(data: dict, by) -> tuple[ReportAssignment, int]:
    """Assign from the form's period (year, number) chosen, to every agency of a level under
    an agency or to the agencies picked."""
    report_form: ReportForm = data["form"]
    if data["scope"] == f.AssignmentForm.SCOPE_LEVEL:
        agencies = list(setup.agencies_at_level(data["level"], data["under"]))
    else:
        agencies = list(data["agencies"])
    first = make_period(report_form.system, report_form.period_kind, data["first_year"],
                        data["first_number"])
    assignment = setup.assign_form(
        form=report_form, agencies=agencies, receiving_agency=data["receiving_agency"],
        first_period_start=first.first_day,
        deadline_working_days=data["deadline_working_days"],
        remind_before_days=data["remind_before_days"],
        remind_after_days=data["remind_after_days"], by=by)
    return assignment, len(agencies)
