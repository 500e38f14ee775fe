"""Pages of electronic results: the leader signs and issues the e-result on the officer's
dossier page, revokes it with a reason; anyone checks a result from its QR or from the code
printed on paper, optionally comparing a copy of the PDF (DOMAIN-2025.md §7.2, N35–N37)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from hoso import selectors
from hoso.models import Dossier, Result
from hoso.services import eresults
from hoso.uploads import check_upload
from portal.choices import Role
from portal.errors import DomainError
from portal.views import role_required

OFFICER_ROLES = (Role.DESK_OFFICER, Role.PROCESSING_OFFICER, Role.LEADER, Role.ADMINISTRATOR)


class IssueForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Tên giấy tờ kết quả"), max_length=500)
    number = forms.CharField(label=gettext_lazy("Số, ký hiệu"), max_length=100)
    issued_on = forms.DateField(label=gettext_lazy("Ngày ban hành"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(
        label=gettext_lazy("Tệp PDF đã soạn (không bắt buộc)"), required=False,
        help_text=gettext_lazy("Để trống: hệ thống lập văn bản theo mẫu kết quả của thủ tục. "
                               "Hệ thống ký số bằng chứng thư số của cơ quan."))


class RevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Lý do thu hồi"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class VerifyForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Mã tra cứu in trên văn bản"), max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    file = forms.FileField(
        label=gettext_lazy("Bản PDF cần đối chiếu (không bắt buộc)"), required=False,
        help_text=gettext_lazy("Hệ thống so sánh tệp với bản gốc đã lưu và kiểm tra chữ ký "
                               "số; tệp không được lưu lại."))


class CopyForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Bản PDF cần đối chiếu"))


# --- the officer's dossier page ---------------------------------------------------------------

def panel_context(user, dossier: Dossier) -> dict:
    """What templates/hoso/_eresult_panel.html needs on the officer's dossier page: the
    e-results with their signature, who may revoke which, the issue form for the leader."""
    results = list(dossier.results.select_related("signed_by", "revoked_by"))
    may_issue = eresults.may_issue(dossier, user)
    return {
        "eresult_form": IssueForm(initial={
            "name": dossier.procedure.result_name, "issued_on": timezone.localdate()})
        if may_issue else None,
        "eresult_next_code": f"{dossier.code}-KQ{len(results) + 1}",
        "eresult_agency": eresults.issuing_agency(dossier) if may_issue else None,
        "eresults": [r for r in results if r.electronic],
        "revocable_ids": {r.pk for r in results if eresults.may_revoke(r, user)},
        "revoke_form": RevokeForm(),
    }


@role_required(*OFFICER_ROLES)
@require_POST
def issue(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """The leader signs and issues the e-result (rendered from the template, or uploaded)."""
    dossier = selectors.get_dossier_for_officer(request.user, dossier_id)
    form = IssueForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Vui lòng nhập đủ tên, số, ký hiệu và ngày ban hành của kết "
                                  "quả."))
        return redirect("hoso:officer_dossier", dossier_id=dossier.pk)
    try:
        result = eresults.issue_eresult(
            dossier_id=dossier.pk, leader=request.user, name=form.cleaned_data["name"],
            number=form.cleaned_data["number"], issued_on=form.cleaned_data["issued_on"],
            upload=form.cleaned_data["file"])
    except DomainError as exc:
        if exc.status_code == 403:
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã ký số và ban hành kết quả điện tử %(code)s.")
                         % {"code": result.code})
    return redirect("hoso:officer_dossier", dossier_id=dossier.pk)


@role_required(*OFFICER_ROLES)
@require_POST
def revoke(request: HttpRequest, result_id: int) -> HttpResponse:
    """Revoke a result with a reason (N36)."""
    result = get_object_or_404(Result.objects.only("pk", "dossier_id"), pk=result_id)
    dossier = selectors.get_dossier_for_officer(request.user, result.dossier_id)
    form = RevokeForm(request.POST)
    try:
        eresults.revoke_result(result_id=result.pk, officer=request.user,
                               reason=form.data.get("reason", ""))
    except DomainError as exc:
        if exc.status_code == 403:
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã thu hồi kết quả %(code)s.") % {"code": result.code})
    return redirect("hoso:officer_dossier", dossier_id=dossier.pk)


# --- public verification ----------------------------------------------------------------------

def _verify_rate(group, request) -> str:
    return settings.VERIFY_RATE


def _copy_bytes(upload) -> bytes:
    """An uploaded copy to compare: PDF only, checked as every upload is; never stored."""
    checked = check_upload(upload)
    if checked.extension != "pdf":
        raise DomainError("copy_not_pdf", _(eresults.NOT_PDF), status_code=400)
    upload.seek(0)
    return b"".join(upload.chunks())


def _page(request: HttpRequest, result: Result | None, *, form=None, copy_form=None,
          searched: bool = False, copy: bytes | None = None, status: int = 200
          ) -> HttpResponse:
    check = eresults.verify_result(result, copy=copy) if result is not None else None
    return render(request, "hoso/verify_result.html", {
        "form": form, "copy_form": copy_form, "searched": searched, "check": check,
        "result": result, "masked_owner": eresults.masked_owner(result.dossier)
        if result is not None else "",
    }, status=status)


@ratelimit(key="ip", rate=_verify_rate, method=ratelimit.ALL, block=False)
@require_http_methods(["GET", "POST"])
def verify_result(request: HttpRequest, token: str) -> HttpResponse:
    """The page the QR opens: is this result authentic, unchanged and not revoked?"""
    if getattr(request, "limited", False):
        return render(request, "hoso/verify_result.html", {"limited": True}, status=429)
    result = eresults.result_by_token(token)
    if result is None:
        raise Http404(_(eresults.RESULT_NOT_FOUND))
    copy_form = CopyForm(request.POST or None, request.FILES or None)
    copy = None
    if request.method == "POST" and copy_form.is_valid():
        try:
            copy = _copy_bytes(copy_form.cleaned_data["file"])
        except DomainError as exc:
            copy_form.add_error("file", exc.message)
    return _page(request, result, copy_form=copy_form, searched=True, copy=copy)


@ratelimit(key="ip", rate=_verify_rate, method=ratelimit.ALL, block=False)
@require_http_methods(["GET", "POST"])
def verify_form(request: HttpRequest) -> HttpResponse:
    """Verify a paper copy by the code printed on it (N37), optionally with its PDF."""
    if getattr(request, "limited", False):
        return render(request, "hoso/verify_result.html",
                      {"limited": True, "form": VerifyForm()}, status=429)
    form = VerifyForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _page(request, None, form=form)
    result = eresults.result_by_code(form.cleaned_data["code"])
    copy = None
    if result is not None and form.cleaned_data["file"]:
        try:
            copy = _copy_bytes(form.cleaned_data["file"])
        except DomainError as exc:
            form.add_error("file", exc.message)
            return _page(request, None, form=form, status=400)
    return _page(request, result, form=form, searched=True, copy=copy)
