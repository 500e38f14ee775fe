"""Dossier API under /api/v1/: citizen submission (multipart), desk intake, checking online
submissions, tracking, the officer inbox. Object access follows the agency rule: an officer
reaches the dossiers of their agencies' subtrees, a citizen their own; anything else is 404."""

from __future__ import annotations

import copy
import json

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from hoso import selectors
from hoso.choices import ApologyReason, Channel, ReturnMethod
from hoso.models import Dossier, DossierEvent
from hoso.services import intake
from portal.api import CopiedFieldsMixin
from portal.choices import Role
from portal.errors import InvalidInput
from portal.models import Agency
from tthc.models import Procedure


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DossierEvent
        fields = ["at", "action", "status_before", "status_after", "note"]


class DossierSerializer(CopiedFieldsMixin, serializers.Serializer):
    """A dossier as the API shows it (declared field by field: a ModelSerializer rebuilds its
    fields from the model on every response)."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True, allow_null=True)
    procedure = serializers.CharField(source="procedure.national_code", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    status = serializers.CharField(read_only=True)
    channel = serializers.CharField(read_only=True)
    receiving_agency = serializers.CharField(source="receiving_agency.code", read_only=True)
    deciding_agency = serializers.CharField(source="deciding_agency.code", read_only=True)
    owner_type = serializers.CharField(read_only=True)
    owner_name = serializers.CharField(read_only=True)
    owner_id_type = serializers.CharField(read_only=True)
    owner_id_number = serializers.CharField(read_only=True)
    submitter_name = serializers.CharField(read_only=True)
    result_delivery = serializers.CharField(read_only=True)
    fee_total = serializers.IntegerField(read_only=True, allow_null=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    intake_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    received_at = serializers.DateTimeField(read_only=True, allow_null=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    slip_version = serializers.CharField(read_only=True)
    intake_overdue = serializers.SerializerMethodField()

    def get_intake_overdue(self, dossier: Dossier) -> bool:
        return dossier.intake_overdue()


class DossierDetailSerializer(DossierSerializer):
    form_data = serializers.JSONField(read_only=True)
    events = EventSerializer(many=True, read_only=True)


class IntakeInput(CopiedFieldsMixin, serializers.Serializer):
    """The fields of a submission or a desk intake (papers' files come as multipart
    `file_<position>`)."""

    procedure = serializers.CharField()
    deciding_agency = serializers.CharField()
    receiving_agency = serializers.CharField(required=False)
    owner_type = serializers.CharField(required=False, default="citizen")
    owner_name = serializers.CharField(required=False)
    owner_id_type = serializers.CharField(required=False, default="cccd")
    owner_id_number = serializers.CharField(required=False)
    owner_phone = serializers.CharField(required=False, allow_blank=True, default="")
    owner_email = serializers.CharField(required=False, allow_blank=True, default="")
    owner_address = serializers.CharField(required=False, allow_blank=True, default="")
    submitter_name = serializers.CharField(required=False, allow_blank=True, default="")
    submitter_id_number = serializers.CharField(required=False, allow_blank=True, default="")
    submitter_phone = serializers.CharField(required=False, allow_blank=True, default="")
    submitter_relation = serializers.CharField(required=False, allow_blank=True, default="")
    form_data = serializers.JSONField(required=False, default=dict)
    papers = serializers.JSONField(required=False, default=list,
                                   help_text="[{\"position\": 1, \"originals\": 1, \"copies\": 0}, "
                                             "{\"position\": 2, \"wallet_document\": 7}]")
    result_delivery = serializers.CharField(required=False, default="desk")
    delivery_address = serializers.CharField(required=False, allow_blank=True, default="")
    channel = serializers.CharField(required=False, default=Channel.DIRECT)
    postal_service = serializers.CharField(required=False, allow_blank=True, default="")
    postal_tracking_number = serializers.CharField(required=False, allow_blank=True,
                                                   default="")


def _agency(code: str) -> Agency:
    """The agency with this code (remembered for a moment: desks send the same few codes)."""
    from portal.cache import memo

    found = memo.get(f"hoso:agency:{code}", lambda: Agency.objects.filter(code=code).first())
    agency = copy.copy(found)
    if agency is None:
        raise InvalidInput("agency_not_found", _("Không tìm thấy cơ quan có mã “%(code)s”.")
                           % {"code": code})
    return agency


def _intake_request(data: dict, files, *, receiving: Agency | None, applicant=None
                    ) -> intake.IntakeRequest:
    from portal.cache import memo

    code, today = data["procedure"], timezone.localdate()
    procedure = copy.copy(memo.get(f"hoso:procedure:{code}:{today}", lambda: (
        Procedure.objects.published(today).filter(national_code=code).first())))
    if procedure is None:
        raise InvalidInput("procedure_not_found", _("Không tìm thấy thủ tục có mã “%(code)s”.")
                           % {"code": data["procedure"]})
    deciding = _agency(data["deciding_agency"])
    form_data = data["form_data"]
    if isinstance(form_data, str):
        form_data = json.loads(form_data or "{}")
    papers_data = data["papers"]
    if isinstance(papers_data, str):
        papers_data = json.loads(papers_data or "[]")
    papers = {int(p["position"]): intake.PaperIn(position=int(p["position"]),
                                                 originals=int(p.get("originals", 0)),
                                                 copies=int(p.get("copies", 0)),
                                                 wallet_document_id=_wallet_pick(p))
              for p in papers_data}
    for key, upload in files.items():
        if key.startswith("file_") and key[5:].isdigit():
            paper = papers.setdefault(int(key[5:]), intake.PaperIn(position=int(key[5:])))
            paper.file = upload
    if applicant is None:
        applicant = intake.Applicant(**{k: data.get(k) or "" for k in (
            "owner_type", "owner_name", "owner_id_type", "owner_id_number", "owner_phone",
            "owner_email", "owner_address", "submitter_name", "submitter_id_number",
            "submitter_phone", "submitter_relation")})
    return intake.IntakeRequest(
        procedure=procedure, receiving_agency=receiving or deciding, deciding_agency=deciding,
        applicant=applicant, form_data=form_data, papers=list(papers.values()),
        delivery=intake.Delivery(method=data["result_delivery"],
                                 address=data["delivery_address"]))


def _wallet_pick(paper: dict) -> int | None:
    """A paper taken from the owner's wallet instead of a file: `"wallet_document": <id>`."""
    value = paper.get("wallet_document")
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise InvalidInput("invalid_wallet_document", _("Mã giấy tờ trong kho dữ liệu không "
                                                        "hợp lệ."))
    return int(value)


def _parse(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CitizenDossiers(APIView):
    """A citizen's dossiers (GET) and online submission in one request (POST, multipart),
    idempotent by the `Idempotency-Key` header."""

    @extend_schema(responses=DossierSerializer(many=True))
    def get(self, request):
        rows = selectors.dossiers_of_citizen(request.user)[:200]
        return Response(DossierSerializer(rows, many=True).data)

    @extend_schema(request={"multipart/form-data": IntakeInput}, responses={201: DossierSerializer},
                   parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR,
                                                OpenApiParameter.HEADER)])
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "")[:64]
        if key:
            done = Dossier.objects.filter(account=request.user, idempotency_key=key).first()
            if done is not None:
                return Response(DossierSerializer(done).data, status=status.HTTP_200_OK)
        data = _parse(IntakeInput, request)
        applicant = intake.Applicant.from_account(request.user)
        for field in ("owner_name", "owner_id_number", "owner_phone", "owner_email",
                      "owner_address", "owner_type", "owner_id_type"):
            if field in request.data:
                setattr(applicant, field, data[field])
        dossier = intake.submit_new_online(
            account=request.user, idempotency_key=key,
            request=_intake_request(data, request.FILES, receiving=None, applicant=applicant))
        return Response(DossierSerializer(dossier).data, status=status.HTTP_201_CREATED)


class DossierDetail(APIView):
    @extend_schema(responses=DossierDetailSerializer)
    def get(self, request, dossier_id: int):
        dossier = Dossier.objects.filter(pk=dossier_id).first()
        if dossier is None or not selectors.can_view(request.user, dossier):
            raise Http404
        return Response(DossierDetailSerializer(dossier).data)


class IsOfficer(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (
            user.is_superuser or user.roles & {Role.DESK_OFFICER, Role.PROCESSING_OFFICER,
                                               Role.LEADER, Role.ADMINISTRATOR}))


class DeskIntake(APIView):
    """A walk-in or postal dossier, received at once (desk officers)."""

    permission_classes = [IsOfficer]

    @extend_schema(request={"multipart/form-data": IntakeInput,
                            "application/json": IntakeInput},
                   responses={201: DossierSerializer})
    def post(self, request):
        data = _parse(IntakeInput, request)
        receiving = _agency(data.get("receiving_agency") or data["deciding_agency"])
        dossier = intake.intake_at_desk(
            officer=request.user, request=_intake_request(data, request.FILES,
                                                          receiving=receiving),
            channel=data["channel"], postal_service=data["postal_service"],
            postal_tracking_number=data["postal_tracking_number"])
        return Response(DossierSerializer(dossier).data, status=status.HTTP_201_CREATED)


REASON = inline_serializer("Reason", {"reason": serializers.CharField()})


class DossierAction(APIView):
    """Check an online submission: receive, request completion, or refuse (with a reason)."""

    permission_classes = [IsOfficer]
    action = ""

    @extend_schema(request=REASON, responses=DossierSerializer)
    def post(self, request, dossier_id: int):
        dossier = selectors.get_dossier_for_officer(request.user, dossier_id)
        reason = str(request.data.get("reason", ""))
        if self.action == "receive":
            dossier = intake.receive(dossier_id=dossier.pk, officer=request.user)
        elif self.action == "request_completion":
            dossier = intake.request_completion(dossier_id=dossier.pk, officer=request.user,
                                                reason=reason)
        else:
            dossier = intake.reject_intake(dossier_id=dossier.pk, officer=request.user,
                                           reason=reason)
        return Response(DossierSerializer(dossier).data)


class ActionInput(serializers.Serializer):
    """The fields the processing actions take (each action reads its own)."""

    reason = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    assignee = serializers.CharField(required=False, help_text="tên đăng nhập cán bộ")
    approver = serializers.CharField(required=False, help_text="tên đăng nhập lãnh đạo")
    agency = serializers.CharField(required=False, help_text="mã cơ quan nhận liên thông")
    items = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    new_due_at = serializers.DateTimeField(required=False)
    reason_code = serializers.ChoiceField(choices=ApologyReason.choices, required=False)
    method = serializers.ChoiceField(choices=ReturnMethod.choices, required=False)
    returned_to = serializers.CharField(required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(required=False, allow_blank=True, default="")
    scores = serializers.DictField(child=serializers.IntegerField(), required=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


def _user(username: str | None, field: str):
    from portal.models import User

    user = User.objects.filter(username=username or "").first()
    if user is None:
        raise InvalidInput(f"{field}_not_found", _("Không tìm thấy cán bộ “%(name)s”.")
                           % {"name": username or ""})
    return user


def _run_action(action: str, dossier: Dossier, user, data: dict):
    """Turn the request's names and codes into objects and run the action's verb."""
    from hoso.services import processing

    fields = {key: value for key, value in data.items() if value not in (None, "")}
    for name in ("assignee", "approver"):
        if name in fields:
            fields[name] = _user(fields[name], name)
    if "agency" in fields:
        fields["agency"] = _agency(fields["agency"])
    if action == "request_supplement":
        fields["items"] = [processing.SupplementItem(str(i.get("name", "")),
                                                     str(i.get("reason", "")))
                           for i in data["items"]]
    for text in ("reason", "note", "returned_to", "tracking_number", "comment"):
        fields.setdefault(text, "")
    if action not in processing.VERBS:
        raise Http404(_("Không có thao tác này."))
    return processing.perform(action, dossier_id=dossier.pk, actor=user, **fields)


class DossierProcessingAction(APIView):
    """One processing action on a dossier by its code: 409 with a code when the state or a
    rule forbids it, 403 when the user may not, 404 for a dossier the user cannot see."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ActionInput, responses=DossierSerializer)
    def post(self, request, code: str, action: str):
        dossier = Dossier.objects.filter(code=code).first()
        if dossier is None or not selectors.can_view(request.user, dossier):
            raise Http404(_(selectors.NOT_FOUND))
        data = _parse(ActionInput, request)
        _run_action(action, dossier, request.user, data)
        fresh = Dossier.objects.select_related("procedure", "receiving_agency",
                                               "deciding_agency").get(pk=dossier.pk)
        return Response(DossierSerializer(fresh).data)


class TrackingThrottle(AnonRateThrottle):
    scope = "tracking"

    def get_rate(self) -> str:
        from django.conf import settings

        return settings.TRACKING_RATE.replace("/m", "/min")


class Tracking(APIView):
    """Public tracking: the dossier code plus the last 4 digits of the applicant's phone or ID
    number; personal data masked. Throttled per client address."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [TrackingThrottle]

    @extend_schema(request=inline_serializer("TrackInput", {
        "code": serializers.CharField(), "last4": serializers.CharField()}),
        responses=inline_serializer("TrackOutput", {
            "code": serializers.CharField(), "procedure": serializers.CharField(),
            "owner": serializers.CharField(), "status": serializers.CharField(),
            "received_at": serializers.DateTimeField(), "due_at": serializers.DateTimeField(),
            "on_time": serializers.BooleanField(), "events": EventSerializer(many=True)}))
    def post(self, request):
        dossier = selectors.track(str(request.data.get("code", "")),
                                  str(request.data.get("last4", "")))
        if dossier is None:
            raise Http404
        return Response({
            "code": dossier.code, "procedure": dossier.procedure.name,
            "owner": selectors.mask(dossier.owner_name), "status": dossier.status,
            "status_label": dossier.get_status_display(), "received_at": dossier.received_at,
            "due_at": dossier.due_at, "on_time": not dossier.is_overdue(),
            "events": [{"at": e.at, "action": e.action, "status_after": e.status_after}
                       for e in dossier.events.all()],
        })


class Inbox(APIView):
    """An officer's queue, oldest deadline first, keyset-paginated (`cursor`)."""

    permission_classes = [IsOfficer]

    @extend_schema(parameters=[
        OpenApiParameter("cursor", OpenApiTypes.STR), OpenApiParameter("procedure",
                                                                       OpenApiTypes.STR),
        OpenApiParameter("channel", OpenApiTypes.STR)],
        responses=inline_serializer("InboxPage", {
            "results": DossierSerializer(many=True), "next": serializers.CharField(),
            "counts": serializers.DictField()}))
    def get(self, request, queue: str):
        flt = selectors.InboxFilter(procedure=request.query_params.get("procedure", ""),
                                    channel=request.query_params.get("channel", ""))
        page = selectors.inbox_page(request.user, queue, flt,
                                    cursor=request.query_params.get("cursor", ""))
        return Response({"results": DossierSerializer(page.rows, many=True).data,
                         "next": page.next_cursor,
                         "counts": selectors.queue_counts(request.user)})


def _urls():
    from django.urls import path

    return [
        path("dossiers/", CitizenDossiers.as_view(), name="dossier-list"),
        path("dossiers/<int:dossier_id>/", DossierDetail.as_view(), name="dossier-detail"),
        path("dossiers/desk-intake/", DeskIntake.as_view(), name="desk-intake"),
        path("dossiers/<int:dossier_id>/receive/",
             DossierAction.as_view(action="receive"), name="dossier-receive"),
        path("dossiers/<int:dossier_id>/request-completion/",
             DossierAction.as_view(action="request_completion"),
             name="dossier-request-completion"),
        path("dossiers/<int:dossier_id>/reject/",
             DossierAction.as_view(action="reject_intake"), name="dossier-reject"),
        path("dossiers/<str:code>/actions/<str:action>/", DossierProcessingAction.as_view(),
             name="dossier-action"),
        path("tracking/", Tracking.as_view(), name="tracking"),
        path("inbox/<str:queue>/", Inbox.as_view(), name="inbox"),
    ]


urlpatterns = _urls()
