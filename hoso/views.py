"""HTML pages of dossiers: the citizen's online submission and "my dossiers", desk intake,
checking online submissions, the officer inbox, public tracking, receipts and papers."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from hoso import eresult_views, selectors
from hoso.choices import (
    Action,
    Channel,
    DossierStatus,
    IdType,
    OwnerType,
    ResultDelivery,
    national_status,
)
from hoso.forms import (
    ApplicantForm,
    DeliveryForm,
    FeeExemptionForm,
    PapersForm,
    PostalForm,
    ReasonForm,
    RoutingForm,
    TrackForm,
)
from hoso.models import Dossier, DossierDocument, Result, private_storage
from hoso.services import intake, processing, wallet
from hoso.workflow import allowed_actions
from portal.calendar import get_calendar
from portal.choices import Role
from portal.errors import DomainError
from portal.models import User
from portal.permissions import agencies_with_perm
from portal.views import role_required
from thanhtoan.fees import exemption_groups, quote_terms
from thanhtoan.fees import quote as fee_quote
from tthc.eforms import EForm, labelled_answers
from tthc.models import Procedure
from tthc.selectors import agencies_carrying_out, procedure_detail

OFFICER_ROLES = (Role.DESK_OFFICER, Role.PROCESSING_OFFICER, Role.LEADER, Role.ADMINISTRATOR)


def _online_procedure(national_code: str) -> Procedure:
    procedure = procedure_detail(national_code)
    if procedure is None or not procedure.accepts_online:
        raise Http404(_("Thủ tục này không nhận hồ sơ trực tuyến."))
    return procedure


# --- citizen: online submission ------------------------------------------------------------------

def _applicant_initial(dossier: Dossier | None, user: User) -> dict:
    if dossier is not None:
        return {f: getattr(dossier, f) for f in ApplicantForm.base_fields}
    applicant = intake.Applicant.from_account(user)
    return {f: getattr(applicant, f) for f in ApplicantForm.base_fields}


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, national_code: str) -> HttpResponse:
    """Step 1 of the online submission: applicant, agency, e-form, papers, delivery; saved as
    a draft that can be resumed."""
    procedure = _online_procedure(national_code)
    draft = None
    if request.GET.get("ho_so"):
        draft = get_object_or_404(Dossier, pk=request.GET["ho_so"], account=request.user,
                                  procedure=procedure,
                                  status__in=[DossierStatus.DRAFT,
                                              DossierStatus.AWAITING_COMPLETION])
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    agencies = agencies_carrying_out(procedure)
    applicant_form = ApplicantForm(data, initial=_applicant_initial(draft, request.user),
                                   prefix="a")
    routing_form = RoutingForm(data, receiving=agencies, deciding=agencies, prefix="r",
                               initial={"deciding_agency": draft.deciding_agency_id
                                        if draft else None})
    routing_form.fields.pop("receiving_agency")
    eform = EForm(procedure.eform_schema, data, prefix="f",
                  initial=_eform_initial(draft)) if procedure.eform_schema else None
    documents = list(procedure.documents.all())
    current = {d.position: d for d in draft.documents.all()} if draft else {}
    # the account's own wallet, offered per required document type (never anyone else's)
    owner_ids = wallet.owner_ids_of(request.user)
    offers = wallet.suggestions(owner_ids[0], [d.doc_type_code for d in documents]) \
        if owner_ids else {}
    papers_form = PapersForm(data, files, documents=documents, desk=False, prefix="p",
                             wallet=offers, current=current, eform=eform is not None)
    delivery_form = DeliveryForm(data, prefix="d", initial={
        "method": draft.result_delivery if draft else ResultDelivery.ONLINE,
        "address": draft.delivery_address if draft else ""})
    exemption_form = _exemption_form(procedure, data, draft.fee_exemptions if draft else [])
    forms = [applicant_form, routing_form, papers_form, delivery_form, exemption_form] + (
        [eform] if eform else [])
    if request.method == "POST" and all(f.is_valid() for f in forms):
        deciding = routing_form.cleaned_data["deciding_agency"]
        request_data = intake.IntakeRequest(
            procedure=procedure, receiving_agency=deciding, deciding_agency=deciding,
            applicant=applicant_form.applicant(),
            form_data=eform.cleaned_json if eform else {}, papers=papers_form.papers(),
            delivery=delivery_form.delivery(), fee_exemptions=exemption_form.claimed())
        try:
            dossier = intake.save_draft(account=request.user, request=request_data, dossier=draft)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã lưu hồ sơ nháp."))
            return redirect("hoso:review", dossier_id=dossier.pk)
    return render(request, "hoso/apply.html", {
        "procedure": procedure, "draft": draft, "applicant_form": applicant_form,
        "routing_form": routing_form, "eform": eform, "papers_form": papers_form,
        "delivery_form": delivery_form, "exemption_form": exemption_form,
        "fee_quote": fee_quote(procedure, Channel.ONLINE,
                               exemptions=draft.fee_exemptions if draft else ()),
        "has_wallet_offers": any(offers.values()),
    })


def _exemption_form(procedure: Procedure, data, claimed: list[str]) -> FeeExemptionForm:
    groups = exemption_groups(procedure.terms_snapshot())
    return FeeExemptionForm(data, groups=groups, prefix="m", initial={"groups": claimed})


def _dossier_quote(dossier: Dossier):
    """The quote of a dossier: on the terms it was received under, or the procedure's
    current terms before receipt, for its channel and claimed groups."""
    return quote_terms(dossier.terms or dossier.procedure.terms_snapshot(),
                       channel=dossier.channel, exemptions=dossier.fee_exemptions or [])


def _eform_initial(draft: Dossier | None) -> dict:
    if draft is None:
        return {}
    initial = {}
    for key, value in draft.form_data.items():
        if isinstance(value, dict):
            initial.update({f"{key}__{k}": v for k, v in value.items()})
        else:
            initial[key] = value
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """Step 2: everything at a glance with the fee preview; submit (idempotent)."""
    dossier = selectors.get_dossier_for_citizen(request.user, dossier_id)
    if request.method == "POST":
        try:
            dossier = intake.submit_online(dossier_id=dossier.pk, account=request.user,
                                           idempotency_key=request.POST.get("idempotency_key",
                                                                            ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã nộp hồ sơ. Bộ phận Một cửa sẽ kiểm tra và tiếp nhận "
                                        "hồ sơ của bạn."))
            return redirect("hoso:my_dossier", dossier_id=dossier.pk)
    return render(request, "hoso/review.html", {
        "dossier": dossier, "answers": _answers(dossier),
        "documents": dossier.documents.select_related("wallet_document"),
        "idempotency_key": uuid.uuid4().hex, "fee_quote": _dossier_quote(dossier),
        "editable": dossier.status in (DossierStatus.DRAFT, DossierStatus.AWAITING_COMPLETION),
    })


@login_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    return render(request, "hoso/my_dossiers.html", {
        "dossiers": selectors.dossiers_of_citizen(request.user)[:200]})


@login_required
def my_dossier(request: HttpRequest, dossier_id: int) -> HttpResponse:
    dossier = selectors.get_dossier_for_citizen(request.user, dossier_id)
    return render(request, "hoso/my_dossier.html", _citizen_context(request, dossier))


def _citizen_context(request: HttpRequest, dossier: Dossier, **forms_in) -> dict:
    from hoso.processing_forms import ActionForm

    context = _detail_context(dossier)
    actions = allowed_actions(dossier, request.user)
    context.update({
        "actions": actions,
        "supplement_request": dossier.supplement_requests.order_by("-number").first()
        if dossier.status == DossierStatus.AWAITING_SUPPLEMENT else None,
        "supplement_form": forms_in.get("supplement") or PapersForm(
            documents=dossier.procedure.documents.all(), desk=False),
        "withdraw_form": forms_in.get("withdraw") or ActionForm(Action.WITHDRAW, dossier),
        "rate_form": forms_in.get("rate") or ActionForm(Action.RATE, dossier),
        "results": dossier.results.all() if dossier.status in (
            DossierStatus.RESOLVED, DossierStatus.RETURNED) else [],
    })
    return context


@login_required
@require_POST
def citizen_action(request: HttpRequest, dossier_id: int, action: str) -> HttpResponse:
    """The applicant's own actions: send the supplement, withdraw, rate the service."""
    from hoso.processing_forms import ActionForm

    dossier = selectors.get_dossier_for_citizen(request.user, dossier_id)
    if action not in (Action.SUPPLEMENT, Action.WITHDRAW, Action.RATE):
        raise Http404
    if action == Action.SUPPLEMENT:
        form = PapersForm(request.POST, request.FILES,
                          documents=dossier.procedure.documents.all(), desk=False)
        valid = form.is_valid() and bool(form.papers())
        if form.is_valid() and not valid:
            form.add_error(None, _("Vui lòng tải lên ít nhất một giấy tờ bổ sung."))
        fields = {"papers": form.papers()} if valid else {}
    else:
        form = ActionForm(action, dossier, request.POST)
        valid = form.is_valid()
        fields = form.service_kwargs() if valid else {}
    if not valid:
        messages.error(request, _("Vui lòng kiểm tra lại thông tin."))
        return render(request, "hoso/my_dossier.html",
                      _citizen_context(request, dossier, **{action: form}), status=400)
    try:
        processing.perform(action, dossier_id=dossier.pk, actor=request.user, **fields)
        messages.success(request, _("Đã thực hiện: %(action)s.")
                         % {"action": Action(action).label})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("hoso:my_dossier", dossier_id=dossier.pk)


@login_required
def result_file(request: HttpRequest, result_id: int) -> FileResponse:
    """The e-result's signed PDF, for the applicant and the officers who may see the dossier."""
    result = get_object_or_404(Result.objects.select_related("dossier"), pk=result_id)
    if not result.file or not selectors.can_view(request.user, result.dossier) or (
            result.dossier.status not in (DossierStatus.RESOLVED, DossierStatus.RETURNED)
            and result.dossier.account_id == request.user.pk):
        raise Http404(_("Không tìm thấy tệp."))
    response = FileResponse(private_storage.open(result.file.name, "rb"),
                            content_type="application/pdf", as_attachment=True,
                            filename=f"{result.code}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _answers(dossier: Dossier) -> list:
    """The e-form as submitted, with the form's own titles (the terms keep the form version the
    dossier was received under; a draft reads the current form)."""
    schema = (dossier.terms or {}).get("eform_schema") or dossier.procedure.eform_schema
    return labelled_answers(schema, dossier.form_data)


def _detail_context(dossier: Dossier) -> dict:
    return {
        "dossier": dossier,
        "answers": _answers(dossier),
        "documents": dossier.documents.all(),
        "events": dossier.events.select_related("actor", "agency"),
        "time_left": selectors.time_left(dossier),
    }


# --- receipts and papers --------------------------------------------------------------------------

@login_required
def receipt(request: HttpRequest, dossier_id: int) -> HttpResponse:
    dossier = get_object_or_404(Dossier.objects.select_related(
        "procedure", "receiving_agency", "deciding_agency"), pk=dossier_id)
    if not dossier.code or not selectors.can_view(request.user, dossier):
        raise Http404(_(selectors.NOT_FOUND))
    from hoso.pdf import render_receipt

    response = HttpResponse(render_receipt(dossier), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="giay-tiep-nhan-{dossier.code}.pdf"'
    return response


@login_required
def intake_notice(request: HttpRequest, dossier_id: int, kind: str) -> HttpResponse:
    """Mẫu 02 (phieu-yeu-cau-bo-sung) or Mẫu 03 (phieu-tu-choi) of an online submission."""
    from hoso.choices import Action
    from hoso.pdf import notice_pdf

    action = {"phieu-yeu-cau-bo-sung": Action.REQUEST_COMPLETION,
              "phieu-tu-choi": Action.REJECT_INTAKE}.get(kind)
    dossier = get_object_or_404(Dossier.objects.select_related(
        "procedure", "receiving_agency", "deciding_agency"), pk=dossier_id)
    if action is None or not selectors.can_view(request.user, dossier) or not (
            dossier.events.filter(action=action).exists()):
        raise Http404(_(selectors.NOT_FOUND))
    response = HttpResponse(notice_pdf(dossier, action), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{kind}-{dossier.pk}.pdf"'
    return response


@login_required
def document_file(request: HttpRequest, document_id: int) -> FileResponse:
    document = get_object_or_404(DossierDocument.objects.select_related("dossier"),
                                 pk=document_id)
    if not document.file or not selectors.can_view(request.user, document.dossier):
        raise Http404(_("Không tìm thấy tệp."))
    response = FileResponse(private_storage.open(document.file.name, "rb"),
                            content_type=document.content_type, as_attachment=True,
                            filename=document.original_filename or document.file.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


# --- public tracking --------------------------------------------------------------------------

@never_cache
@ratelimit(key="ip", rate=lambda group, request: _tracking_rate(), method="POST", block=False)
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, code: str = "") -> HttpResponse:
    """Anyone with the code and 4 digits of the phone or ID number sees the progress."""
    form = TrackForm(request.POST or None, initial={"code": code})
    dossier, searched = None, False
    if request.method == "POST":
        if getattr(request, "limited", False):
            return render(request, "hoso/track.html", {"form": form, "limited": True},
                          status=429)
        if form.is_valid():
            searched = True
            dossier = selectors.track(form.cleaned_data["code"], form.cleaned_data["last4"])
    return render(request, "hoso/track.html", {
        "form": form, "searched": searched, "dossier": dossier,
        "masked_owner": selectors.mask(dossier.owner_name) if dossier else "",
        "events": dossier.events.all() if dossier else [],
        "time_left": selectors.time_left(dossier) if dossier else None,
    })


def _tracking_rate() -> str:
    from django.conf import settings

    return settings.TRACKING_RATE


# --- the desk -------------------------------------------------------------------------------------

@role_required(Role.DESK_OFFICER, Role.ADMINISTRATOR)
def desk_intake_start(request: HttpRequest) -> HttpResponse:
    from tthc.selectors import CatalogueFilter, search_procedures

    query = request.GET.get("q", "")
    found = search_procedures(CatalogueFilter(query=query))[:30] if query else []
    return render(request, "hoso/desk_start.html", {"query": query, "procedures": found})


@role_required(Role.DESK_OFFICER, Role.ADMINISTRATOR)
@require_http_methods(["GET", "POST"])
def desk_intake(request: HttpRequest, national_code: str) -> HttpResponse:
    """A walk-in or postal dossier: applicant (found by CCCD or typed), papers ticked and
    scanned, received at once."""
    procedure = procedure_detail(national_code)
    if procedure is None:
        raise Http404(_("Không tìm thấy thủ tục."))
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    initial = {"owner_type": OwnerType.CITIZEN, "owner_id_type": IdType.CCCD}
    cccd = request.GET.get("cccd", "").strip()
    if cccd:
        known = User.objects.filter(cccd=cccd).first()
        if known:
            applicant = intake.Applicant.from_account(known)
            initial.update({f: getattr(applicant, f) for f in ApplicantForm.base_fields})
        else:
            initial["owner_id_number"] = cccd
            messages.info(request, _("Chưa có tài khoản với số CCCD này; vui lòng nhập thông "
                                     "tin người nộp."))
    receiving = agencies_with_perm(request.user, "portal.receive_dossier").order_by("path")
    wallet_owner, offers = _desk_wallet(request, procedure, receiving, cccd)
    posted = {}
    if request.method == "POST" and request.POST.get("action") == "tra-cuu-kho":
        # a wallet look-up, not an intake: what was typed comes back, unchecked
        posted = {prefix: {k[2:]: v for k, v in request.POST.items()
                           if k.startswith(f"{prefix}-")} for prefix in "ardc"}
        initial.update(posted["a"])
        data, files = None, None
    applicant_form = ApplicantForm(data, initial=initial, prefix="a")
    routing_form = RoutingForm(data, receiving=receiving, initial=posted.get("r"),
                               deciding=agencies_carrying_out(procedure), prefix="r")
    papers_form = PapersForm(data, files, documents=procedure.documents.all(), desk=True,
                             prefix="p", wallet=offers)
    delivery_form = DeliveryForm(data, prefix="d", initial={"method": ResultDelivery.DESK,
                                                           **posted.get("d", {})})
    postal_form = PostalForm(data, prefix="c", initial=posted.get("c"))
    exemption_form = _exemption_form(procedure, data, [])
    forms = [applicant_form, routing_form, papers_form, delivery_form, postal_form,
             exemption_form]
    if request.method == "POST" and data is not None and all(f.is_valid() for f in forms):
        request_data = intake.IntakeRequest(
            procedure=procedure, receiving_agency=routing_form.cleaned_data["receiving_agency"],
            deciding_agency=routing_form.cleaned_data["deciding_agency"],
            applicant=applicant_form.applicant(), papers=papers_form.papers(),
            delivery=delivery_form.delivery(), fee_exemptions=exemption_form.claimed())
        try:
            dossier = intake.intake_at_desk(
                officer=request.user, request=request_data,
                channel=postal_form.cleaned_data["channel"],
                postal_service=postal_form.cleaned_data["postal_service"],
                postal_tracking_number=postal_form.cleaned_data["postal_tracking_number"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
            return redirect("hoso:officer_dossier", dossier_id=dossier.pk)
    return render(request, "hoso/desk_intake.html", {
        "procedure": procedure, "applicant_form": applicant_form,
        "routing_form": routing_form, "papers_form": papers_form,
        "delivery_form": delivery_form, "postal_form": postal_form, "cccd": cccd,
        "exemption_form": exemption_form, "wallet_owner": wallet_owner,
        "wallet_offers": sum(len(entries) for entries in offers.values()),
        "fee_quote": fee_quote(procedure, Channel.DIRECT, exemptions=exemption_form.claimed()
                               if exemption_form.is_bound and exemption_form.is_valid() else ()),
    })


def _desk_wallet(request: HttpRequest, procedure: Procedure, receiving, cccd: str
                 ) -> tuple[str, dict]:
    """The walk-in's wallet suggestions, once the officer asks ("Tra cứu kho dữ liệu", by the
    CCCD searched or the ID number typed in the applicant form) and while the intake stays
    open with them; each look is logged for the owner (hoso.services.wallet)."""
    if request.method == "POST":
        asked = request.POST.get("action") == "tra-cuu-kho" or request.POST.get("kho") == "1"
        owner = request.POST.get("a-owner_id_number", "").strip()
        agency_id = request.POST.get("r-receiving_agency", "")
        agency = receiving.filter(pk=agency_id).first() if agency_id.isdigit() else None
    else:
        asked, owner, agency = request.GET.get("kho") == "1", cccd, None
    if not asked or not owner:
        return "", {}
    in_progress = Dossier(procedure=procedure, owner_id_number=owner,
                          receiving_agency=agency or receiving.first())
    try:
        return owner, wallet.officer_suggestions(request.user, in_progress)
    except DomainError as exc:
        messages.error(request, exc.message)
        return "", {}


@role_required(*OFFICER_ROLES)
def officer_dossier(request: HttpRequest, dossier_id: int) -> HttpResponse:
    dossier = selectors.get_dossier_for_officer(request.user, dossier_id)
    return render(request, "hoso/officer_dossier.html", _officer_context(request, dossier))


def _officer_context(request: HttpRequest, dossier: Dossier, failed: dict | None = None
                     ) -> dict:
    """Everything on the officer's page, and a form for each action this user may take now
    (`failed`: the one form that came back with errors)."""
    from hoso.processing_forms import ActionForm, ResultForm

    context = _detail_context(dossier)
    actions = allowed_actions(dossier, request.user)
    processing_actions = [a for a in actions if a in PROCESSING_ACTIONS]
    forms_by_action = {a: ActionForm(a, dossier) for a in processing_actions}
    if failed:
        forms_by_action.update(failed)
    context.update({
        "actions": actions,
        "reason_form": ReasonForm(),
        "action_forms": [(a, Action(a).label, forms_by_action[a]) for a in processing_actions],
        "steps": dossier.steps.select_related("agency", "assignee", "transfer_from"),
        "results": dossier.results.all(),
        "supplement_requests": dossier.supplement_requests.select_related("requested_by"),
        "apologies": dossier.apologies.filter(status="sent"),
        "apology_draft": dossier.apologies.filter(status="draft").first(),
        "result_form": ResultForm() if "resolve" in actions or (
            dossier.status == DossierStatus.IN_PROGRESS
            and "forward" in actions) else None,
        "national_status": national_status(dossier.status),
    })
    context.update(eresult_views.panel_context(request.user, dossier))
    return context


PROCESSING_ACTIONS = frozenset(processing.VERBS)


@role_required(*OFFICER_ROLES)
@require_POST
def officer_action(request: HttpRequest, dossier_id: int, action: str) -> HttpResponse:
    """Check an online submission (receive, ask for completion, refuse) or take a processing
    action; a refusal of the rules comes back as a message and changes nothing."""
    dossier = selectors.get_dossier_for_officer(request.user, dossier_id)
    try:
        if action == "receive":
            dossier = intake.receive(dossier_id=dossier.pk, officer=request.user)
            messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
        elif action in ("request_completion", "reject_intake"):
            reason = ReasonForm(request.POST).data.get("reason", "")
            verb = (intake.request_completion if action == "request_completion"
                    else intake.reject_intake)
            verb(dossier_id=dossier.pk, officer=request.user, reason=reason)
            messages.success(request, _("Đã gửi thông báo cho người nộp hồ sơ."))
        elif action in PROCESSING_ACTIONS:
            from hoso.processing_forms import ActionForm

            form = ActionForm(action, dossier, request.POST)
            if not form.is_valid():
                messages.error(request, _("Vui lòng kiểm tra lại thông tin của thao tác."))
                return render(request, "hoso/officer_dossier.html",
                              _officer_context(request, dossier, {action: form}), status=400)
            processing.perform(action, dossier_id=dossier.pk, actor=request.user,
                               **form.service_kwargs())
            messages.success(request, _("Đã thực hiện: %(action)s.")
                             % {"action": Action(action).label})
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("hoso:officer_dossier", dossier_id=dossier.pk)


@role_required(*OFFICER_ROLES)
@require_POST
def add_result(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """Attach the result (number, date; the signed PDF of an e-result)."""
    from hoso.processing_forms import ResultForm

    dossier = selectors.get_dossier_for_officer(request.user, dossier_id)
    form = ResultForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Vui lòng nhập đủ tên, số, ký hiệu và ngày ban hành của kết "
                                  "quả."))
        return redirect("hoso:officer_dossier", dossier_id=dossier.pk)
    try:
        result = processing.add_result(dossier_id=dossier.pk, officer=request.user,
                                       result=processing.ResultIn(**form.cleaned_data))
        messages.success(request, _("Đã đính kèm kết quả %(code)s.") % {"code": result.code})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("hoso:officer_dossier", dossier_id=dossier.pk)


@role_required(*OFFICER_ROLES)
def inbox(request: HttpRequest, queue: str = "cho-kiem-tra") -> HttpResponse:
    if queue not in selectors.QUEUES:
        raise Http404(_("Không có hàng đợi này."))
    flt = selectors.InboxFilter(procedure=request.GET.get("thu_tuc", ""),
                                channel=request.GET.get("kenh", ""))
    page = selectors.inbox_page(request.user, queue, flt, cursor=request.GET.get("sau", ""))
    calendar = get_calendar()
    rows = [(d, selectors.time_left(d, calendar=calendar)) for d in page.rows]
    params = request.GET.copy()
    params.pop("sau", None)
    return render(request, "hoso/inbox.html", {
        "queue": queue, "queues": selectors.QUEUES, "counts": selectors.queue_counts(
            request.user), "rows": rows, "next_cursor": page.next_cursor,
        "filter": flt, "channels": Channel.choices, "query_string": params.urlencode(),
        "bulk_officers": _bulk_officers(request.user),
    })


def _bulk_officers(user: User) -> list[User]:
    """The officers a leader may hand dossiers to (processing officers of the agencies where
    the leader assigns); empty for anyone who does not assign."""
    from portal.permissions import granted_agencies, users_with_perm

    officers: dict[int, User] = {}
    for agency in granted_agencies(user, "portal.assign_dossier"):
        officers.update({o.pk: o for o in users_with_perm(agency, "portal.process_dossier")})
    return sorted(officers.values(), key=lambda o: (o.full_name, o.username))


BULK_ACTIONS = {"assign": Action.ASSIGN, "forward": Action.FORWARD}


@role_required(Role.LEADER, Role.ADMINISTRATOR)
@require_POST
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    """A leader assigns or forwards several dossiers at once; each is its own transaction,
    and the ones the rules refuse are listed with the reason."""
    action = BULK_ACTIONS.get(request.POST.get("action", ""))
    ids = [int(i) for i in request.POST.getlist("dossier") if i.isdigit()][:200]
    officer = User.objects.filter(pk=request.POST.get("assignee") or 0).first()
    back = request.POST.get("next") or ""
    back = back if back.startswith("/mot-cua/hop-thu") else ""
    if action is None or not ids or (action == Action.ASSIGN and officer is None):
        messages.error(request, _("Vui lòng chọn hồ sơ, thao tác và cán bộ nhận."))
        return redirect(back or "hoso:inbox")
    done, failed = 0, []
    for dossier in Dossier.objects.visible_to(request.user).filter(pk__in=ids).order_by("pk"):
        try:
            fields = {"assignee": officer}
            processing.perform(action, dossier_id=dossier.pk, actor=request.user, **fields)
            done += 1
        except DomainError as exc:
            failed.append(f"{dossier.code}: {exc.message}")
    if done:
        messages.success(request, _("Đã thực hiện “%(action)s” cho %(n)s hồ sơ.")
                         % {"action": Action(action).label, "n": done})
    for failure in failed:
        messages.error(request, failure)
    return redirect(back or "hoso:inbox")

