"""Officer payment pages (issue 7): the payment list of the officer's agencies with totals and
its XLSX, reconciliation (đối soát) uploads, runs and their XLSX, and the receipt PDF for the
citizen who owns the dossier and the officers who may view it. A receipt or run the user may
not see is not found, like a missing one (STYLE.md §4.4)."""

from __future__ import annotations

import datetime as dt
import tempfile
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from portal.calendar import TZ
from portal.choices import Role
from portal.errors import DomainError
from portal.permissions import agencies_with_perm, agency_ids_with_perm
from portal.views import role_required
from thanhtoan import receipts, reconciliation
from thanhtoan.choices import OrderStatus, Provider
from thanhtoan.models import PaymentAttempt, PaymentOrder, ReconciliationRun

VIEW_PERM = "portal.view_dossier"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
ITEMS_PAGE_SIZE = 100
RUNS_PAGE_SIZE = 20
DATE_INPUTS = ["%d/%m/%Y", "%Y-%m-%d"]
BAD_DATE = gettext_lazy("Ngày không hợp lệ, vui lòng nhập theo dạng ngày/tháng/năm "
                        "(ví dụ 05/11/2026).")
NO_RECEIPT = "Không tìm thấy biên lai."
OFFICER_ROLES = (Role.DESK_OFFICER, Role.PROCESSING_OFFICER, Role.LEADER, Role.REPORT_VIEWER,
                 Role.ADMINISTRATOR)
RECONCILE_ROLES = (Role.LEADER, Role.ADMINISTRATOR, Role.REPORT_VIEWER, Role.DESK_OFFICER)


# --- the payment list ----------------------------------------------------------------------

class PaymentFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Trạng thái"), required=False,
                               choices=[("", gettext_lazy("Tất cả")), *OrderStatus.choices])
    provider = forms.ChoiceField(label=gettext_lazy("Kênh thanh toán"), required=False,
                                 choices=[("", gettext_lazy("Tất cả")), *Provider.choices])
    date_from = forms.DateField(label=gettext_lazy("Từ ngày"), required=False,
                                input_formats=DATE_INPUTS,
                                widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
                                error_messages={"invalid": BAD_DATE})
    date_to = forms.DateField(label=gettext_lazy("Đến ngày"), required=False,
                              input_formats=DATE_INPUTS,
                              widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
                              error_messages={"invalid": BAD_DATE})
    code = forms.CharField(label=gettext_lazy("Mã hồ sơ"), required=False, max_length=40)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", gettext_lazy("Đến ngày phải sau hoặc bằng từ ngày."))
        return data


def payment_orders_visible_to(user) -> QuerySet[PaymentOrder]:
    """Orders collected by, or for dossiers decided by, an agency where the user may view
    dossiers (the agency set is a subquery: no query of its own)."""
    mine = agencies_with_perm(user, VIEW_PERM)
    return PaymentOrder.objects.filter(Q(agency__in=mine)
                                       | Q(dossier__deciding_agency__in=mine))


def filtered_orders(user, data: dict) -> QuerySet[PaymentOrder]:
    qs = payment_orders_visible_to(user)
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("provider"):
        # an order tried through the channel (a subquery: no join, no duplicate rows)
        qs = qs.filter(pk__in=PaymentAttempt.objects.filter(provider=data["provider"])
                       .values("order_id"))
    if data.get("date_from"):
        qs = qs.filter(created_at__gte=dt.datetime.combine(data["date_from"], dt.time.min,
                                                           tzinfo=TZ))
    if data.get("date_to"):
        qs = qs.filter(created_at__lt=dt.datetime.combine(
            data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=TZ))
    if data.get("code"):
        qs = qs.filter(dossier__code__icontains=data["code"].strip())
    return qs


def status_totals(qs: QuerySet[PaymentOrder]) -> list[dict]:
    """Count and sum of amount per status, in one GROUP BY query."""
    rows = {row["status"]: row for row in qs.order_by().values("status").annotate(
        count=Count("pk"), total=Sum("amount"))}
    return [{"status": value, "label": label, "count": rows[value]["count"],
             "total": rows[value]["total"] or 0}
            for value, label in OrderStatus.choices if value in rows]


def _list_rows(qs: QuerySet[PaymentOrder]) -> QuerySet[PaymentOrder]:
    return (qs.select_related("dossier", "agency", "paid_attempt")
            .only("reference", "amount", "status", "method", "paid_at", "created_at",
                  "dossier__code", "dossier__owner_name", "agency__name",
                  "paid_attempt__provider", "paid_attempt__txn_ref")
            .order_by("-created_at", "-pk"))


def _filter_form(request: HttpRequest) -> tuple[PaymentFilterForm, dict]:
    form = PaymentFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, data


def _query_string(request: HttpRequest) -> str:
    keep = {k: request.GET[k] for k in PaymentFilterForm.base_fields if request.GET.get(k)}
    return urlencode(keep)


@require_GET
@role_required(*OFFICER_ROLES)
@never_cache
def payment_list(request: HttpRequest) -> HttpResponse:
    form, data = _filter_form(request)
    qs = filtered_orders(request.user, data)
    totals = status_totals(qs)
    page = Paginator(_list_rows(qs), PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(request, "thanhtoan/officer/payment_list.html", {
        "form": form, "page": page, "totals": totals,
        "total_count": sum(t["count"] for t in totals),
        "total_amount": sum(t["total"] for t in totals),
        "query_string": _query_string(request),
    }, status=400 if form.is_bound and not form.is_valid() else 200)


LIST_COLUMNS = (("STT", 6), ("Mã yêu cầu thanh toán", 30), ("Mã hồ sơ", 24),
                ("Người nộp", 26), ("Cơ quan thu", 28), ("Số tiền (đồng)", 16),
                ("Trạng thái", 18), ("Kênh thanh toán", 26), ("Mã giao dịch", 20),
                ("Ngày tạo", 17), ("Ngày thanh toán", 17))


def _local(moment):
    return moment.astimezone(TZ).replace(tzinfo=None) if moment else None


@require_GET
@role_required(*OFFICER_ROLES)
@never_cache
def payment_list_excel(request: HttpRequest) -> HttpResponse:
    form, data = _filter_form(request)
    if form.is_bound and not form.is_valid():
        return payment_list(request)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách thanh toán")
    for index, (_h, width) in enumerate(LIST_COLUMNS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    title = WriteOnlyCell(ws, value="DANH SÁCH THANH TOÁN")
    title.font = Font(bold=True, size=14)
    ws.append([title])
    header = []
    for text, _w in LIST_COLUMNS:
        c = WriteOnlyCell(ws, value=text)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="E3EAF2")
        c.alignment = Alignment(wrap_text=True, vertical="center")
        header.append(c)
    ws.append(header)
    providers = dict(Provider.choices)
    statuses = dict(OrderStatus.choices)
    rows = _list_rows(filtered_orders(request.user, data))
    for number, order in enumerate(rows.iterator(chunk_size=2000), start=1):
        attempt = order.paid_attempt
        ws.append([number, order.reference, order.dossier.code or "", order.dossier.owner_name,
                   order.agency.name, order.amount, str(statuses.get(order.status, "")),
                   str(providers.get(attempt.provider, "")) if attempt else "",
                   attempt.txn_ref if attempt else "", _local(order.created_at),
                   _local(order.paid_at)])
    out = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it once sent
    wb.save(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, content_type=XLSX,
                        filename="danh-sach-thanh-toan.xlsx")


# --- reconciliation ------------------------------------------------------------------------

class SettlementUploadForm(forms.Form):
    provider = forms.ChoiceField(label=gettext_lazy("Kênh thanh toán"),
                                 choices=[(p.value, p.label) for p in Provider
                                          if p not in (Provider.CASH, Provider.TRANSFER)])
    file = forms.FileField(label=gettext_lazy("Tệp đối soát (CSV)"))


@require_http_methods(["GET", "POST"])
@role_required(*RECONCILE_ROLES)
@never_cache
def reconciliation_page(request: HttpRequest) -> HttpResponse:
    form = SettlementUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                run = reconciliation.import_settlement(
                    provider=form.cleaned_data["provider"], fileobj=upload,
                    file_name=upload.name, user=request.user)
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("thanhtoan:reconciliation_run", run_id=run.pk)
        status = 400
    runs = Paginator(ReconciliationRun.objects.select_related("imported_by")
                     .annotate(item_count=Count("items")).order_by("-imported_at", "-pk"),
                     RUNS_PAGE_SIZE)
    return render(request, "thanhtoan/officer/reconciliation.html", {
        "form": form, "page": runs.get_page(request.GET.get("trang")),
        "count_keys": reconciliation.COUNT_KEYS,
    }, status=status)


@require_GET
@role_required(*RECONCILE_ROLES)
@never_cache
def reconciliation_run(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(ReconciliationRun.objects.select_related("imported_by"), pk=run_id)
    items = Paginator(run.items.order_by("pk"), ITEMS_PAGE_SIZE)
    return render(request, "thanhtoan/officer/reconciliation_run.html", {
        "run": run, "page": items.get_page(request.GET.get("trang")),
        "counts": [(reconciliation.kind_label(k), run.counts.get(k, 0))
                   for k in reconciliation.COUNT_KEYS],
        "labels": reconciliation.KIND_LABELS,
    })


@require_GET
@role_required(*RECONCILE_ROLES)
@never_cache
def reconciliation_run_excel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(ReconciliationRun, pk=run_id)
    out = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it once sent
    reconciliation.write_run_workbook(out, run)
    out.seek(0)
    return FileResponse(out, as_attachment=True, content_type=XLSX,
                        filename=reconciliation.excel_filename(run))


# --- the receipt PDF -----------------------------------------------------------------------

def may_view_receipt(user, receipt) -> bool:
    dossier = receipt.order.dossier
    if dossier.account_id is not None and dossier.account_id == user.pk:
        return True
    mine = agency_ids_with_perm(user, VIEW_PERM)
    return dossier.receiving_agency_id in mine or dossier.deciding_agency_id in mine


@require_GET
@login_required
@never_cache
def receipt_pdf(request: HttpRequest, receipt_id: int) -> HttpResponse:
    receipt = receipts.load_receipt(receipt_id)
    if receipt is None or not may_view_receipt(request.user, receipt):
        raise Http404(NO_RECEIPT)
    response = HttpResponse(receipts.render_receipt(receipt), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="bien-lai-{receipt.series.replace("/", "-")}-'
        f'{receipt.number:07d}.pdf"')
    return response
