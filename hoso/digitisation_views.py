"""Digitisation pages of the desk: a dossier's papers with their digitisation state and a
form per paper (scan pages, state, metadata), and the agency's list of dossiers whose papers
are still on paper only (hoso.services.digitisation, hoso.figures)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hoso import figures, selectors
from hoso.choices import DigitisationState
from hoso.models import Dossier, DossierDocument
from hoso.scans import ROTATIONS, ScanIn
from hoso.services import digitisation
from portal.choices import Role
from portal.errors import DomainError
from portal.views import role_required

OFFICER_ROLES = (Role.DESK_OFFICER, Role.PROCESSING_OFFICER, Role.LEADER, Role.ADMINISTRATOR)
DATE_INPUTS = ["%Y-%m-%d", "%d/%m/%Y"]
PAGE_SIZE = 50


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django docs, "Uploading multiple files"): cleans a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _date_field(label) -> forms.DateField:
    return forms.DateField(label=label, required=False, input_formats=DATE_INPUTS,
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))


class DigitiseForm(forms.Form):
    """One paper: the scanned pages in order (each turned as listed), the state and what is
    known of the paper."""

    scans = MultipleFileField(
        label=gettext_lazy("Tệp quét (ảnh JPEG, PNG hoặc PDF; chọn theo thứ tự trang)"),
        required=False)
    rotations = forms.CharField(
        label=gettext_lazy("Xoay (độ, theo chiều kim đồng hồ, lần lượt cho từng tệp)"),
        required=False, max_length=400,
        help_text=gettext_lazy("Ví dụ “0, 90, 0”. Để trống nếu không cần xoay; một giá trị "
                               "duy nhất áp dụng cho mọi tệp."))
    state = forms.ChoiceField(
        label=gettext_lazy("Trạng thái số hóa"),
        choices=[(s.value, s.label) for s in (DigitisationState.DIGITISED,
                                              DigitisationState.NOT_DIGITISED,
                                              DigitisationState.NATIONAL_SOURCE)])
    doc_number = forms.CharField(label=gettext_lazy("Số, ký hiệu"), required=False,
                                 max_length=100)
    issued_on = _date_field(gettext_lazy("Ngày ban hành"))
    issuer = forms.CharField(label=gettext_lazy("Cơ quan ban hành"), required=False,
                             max_length=255)
    valid_until = _date_field(gettext_lazy("Hiệu lực đến ngày (để trống nếu không thời hạn)"))

    def clean_rotations(self) -> list[int]:
        text = self.cleaned_data.get("rotations", "")
        values = [v.strip().removesuffix("°") for v in text.replace(";", ",").split(",")]
        values = [v for v in values if v]
        try:
            rotations = [int(v) for v in values]
        except ValueError:
            rotations = None
        if rotations is None or any(r not in ROTATIONS for r in rotations):
            raise forms.ValidationError(_("Góc xoay chỉ được là 0, 90, 180 hoặc 270 độ, cách "
                                          "nhau bằng dấu phẩy."))
        return rotations

    def clean(self):
        data = super().clean()
        scans, rotations = data.get("scans") or [], data.get("rotations") or []
        if len(rotations) > 1 and len(rotations) != len(scans):
            self.add_error("rotations", _(
                "Có %(files)s tệp nhưng %(angles)s góc xoay: nhập một góc cho mỗi tệp, hoặc "
                "một góc cho tất cả.") % {"files": len(scans), "angles": len(rotations)})
        return data

    def scan_list(self) -> list[ScanIn]:
        scans, rotations = self.cleaned_data["scans"], self.cleaned_data["rotations"]
        if len(rotations) == 1:
            rotations = rotations * len(scans)
        return [ScanIn(file=f, rotation=rotations[i] if rotations else 0)
                for i, f in enumerate(scans)]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"scans": self.scan_list(), "state": data["state"],
                "doc_number": data["doc_number"], "issued_on": data["issued_on"],
                "issuer": data["issuer"], "valid_until": data["valid_until"]}


def _initial(doc: DossierDocument) -> dict:
    state = doc.digitisation
    if state == DigitisationState.NOT_DIGITISED:
        state = DigitisationState.DIGITISED  # what the officer came to do
    return {"state": state, "doc_number": doc.doc_number, "issued_on": doc.issued_on,
            "issuer": doc.issuer, "valid_until": doc.valid_until}


def _rows(dossier: Dossier, documents: list[DossierDocument], forms_by_doc: dict) -> list:
    """Every document the procedure asks for (the terms received under), with the papers
    handed in for it and their forms; papers of no listed document come last."""
    specs = (dossier.terms or {}).get("documents") or []
    by_position: dict[int, list] = {}
    for doc in documents:
        by_position.setdefault(doc.position, []).append((doc, forms_by_doc.get(doc.pk)))
    rows = [{"spec": spec, "papers": by_position.pop(spec.get("position"), [])}
            for spec in specs]
    for position, papers in sorted(by_position.items()):
        rows.append({"spec": {"position": position, "name": papers[0][0].name,
                              "required": False}, "papers": papers})
    return rows


@role_required(*OFFICER_ROLES)
def dossier_digitisation(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """The papers of one dossier and, for an officer who may digitise, a form per paper."""
    dossier = selectors.get_dossier_for_officer(request.user, dossier_id)
    allowed = digitisation.may_digitise(request.user, dossier)
    open_for_it = dossier.status in digitisation.DIGITISABLE_STATUSES and bool(dossier.code)
    documents = list(dossier.documents.select_related("digitised_by", "wallet_document"))
    editable = {doc.pk for doc in documents if not (
        doc.wallet_document_id or doc.digitisation in digitisation.SET_BY_WALLET)}
    status = 200
    bound: tuple[int, DigitiseForm] | None = None
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied(_("Bạn không có quyền số hóa giấy tờ của hồ sơ này."))
        try:
            document_id = int(request.POST.get("document", ""))
        except ValueError:
            document_id = 0
        if document_id not in editable:
            messages.error(request, _("Không tìm thấy giấy tờ cần số hóa."))
            return redirect("hoso:dossier_digitisation", dossier_id=dossier.pk)
        form = DigitiseForm(request.POST, request.FILES, prefix=f"d{document_id}")
        if form.is_valid():
            try:
                doc = digitisation.digitise(document_id=document_id, officer=request.user,
                                            **form.service_kwargs())
            except DomainError as exc:
                if exc.status_code == 403:
                    raise PermissionDenied(exc.message) from exc
                form.add_error(None, exc.message)
                messages.error(request, exc.message)
                status = exc.status_code
            else:
                messages.success(request, _done_message(doc))
                return redirect(reverse("hoso:dossier_digitisation", args=[dossier.pk])
                                + f"#giay-to-{doc.pk}")
        else:
            status = 400
            messages.error(request, _("Chưa lưu được: vui lòng xem lỗi ở giấy tờ bên dưới."))
        bound = (document_id, form)
    forms_by_doc = {}
    if allowed and open_for_it:
        forms_by_doc = {doc.pk: DigitiseForm(prefix=f"d{doc.pk}", initial=_initial(doc))
                        for doc in documents if doc.pk in editable}
        if bound:
            forms_by_doc[bound[0]] = bound[1]
    return render(request, "hoso/digitise.html", {
        "dossier": dossier, "rows": _rows(dossier, documents, forms_by_doc),
        "allowed": allowed, "open_for_it": open_for_it,
    }, status=status)


def _done_message(doc: DossierDocument) -> str:
    if doc.digitisation == DigitisationState.DIGITISED:
        return _("Đã số hóa “%(name)s”: mã %(code)s, %(pages)s trang.") % {
            "name": doc.name, "code": doc.digital_code, "pages": doc.page_count}
    return _("Đã ghi nhận “%(name)s”: %(state)s.") % {
        "name": doc.name, "state": doc.get_digitisation_display()}


@role_required(*OFFICER_ROLES)
def paper_only(request: HttpRequest) -> HttpResponse:
    """"Hồ sơ còn giấy tờ chưa số hóa": the received dossiers of the officer's agencies with a
    paper not yet digital, and a summary per agency (a fixed number of queries per page)."""
    paginator = Paginator(figures.paper_only_dossiers(request.user), PAGE_SIZE)
    # the COUNT on the bare rows (no join to the papers, no grouping)
    paginator.count = figures.paper_only_dossiers(request.user, counts=False).count()
    page = paginator.get_page(request.GET.get("trang"))
    return render(request, "hoso/paper_only.html", {
        "page": page, "summary": figures.paper_only_summary(request.user)})
