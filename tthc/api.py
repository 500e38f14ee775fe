"""Catalogue API under /api/v1/procedures/: read for everyone, write for administrators.

Writes take the same record as the import file (README "Importing procedures") and go through
`tthc.services.save_procedure`, so the API, the import command and the seed share one validator.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from portal.errors import InvalidInput
from tthc import selectors, services
from tthc.models import FeeItem, Procedure, RequiredDocument, Workflow, WorkflowStep


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequiredDocument
        fields = ["name", "doc_type_code", "originals", "copies", "required", "note"]


class FeeSerializer(serializers.ModelSerializer):
    online_amount = serializers.IntegerField(read_only=True, allow_null=True)
    exemptions = serializers.SerializerMethodField()

    class Meta:
        model = FeeItem
        fields = ["kind", "name", "amount", "amount_online", "unit", "per_unit",
                  "online_discount_percent",
                  "online_amount", "discount_basis", "exemptions"]

    def get_exemptions(self, fee: FeeItem) -> list[dict]:
        return [{"group": e.group, "proof": e.proof} for e in fee.exemptions.all()]


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkflowStep
        fields = ["position", "name", "role", "agency", "share", "may_send_back"]


class WorkflowSerializer(serializers.ModelSerializer):
    steps = StepSerializer(many=True)

    class Meta:
        model = Workflow
        fields = ["level", "steps"]


class ProcedureListSerializer(serializers.ModelSerializer):
    field = serializers.SlugRelatedField(slug_field="code", read_only=True)
    field_name = serializers.CharField(source="field.name", read_only=True)
    levels = serializers.SerializerMethodField()
    legacy_level = serializers.IntegerField(read_only=True)
    channels = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Procedure
        fields = ["national_code", "name", "field", "field_name", "levels", "service_mode",
                  "legacy_level", "processing_time", "time_unit", "channels", "online_only",
                  "boundary_free", "version"]
        read_only_fields = fields

    def get_levels(self, procedure: Procedure) -> list[str]:
        return [row.level for row in procedure.levels.all()]


class ProcedureDetailSerializer(ProcedureListSerializer):
    documents = DocumentSerializer(many=True, read_only=True)
    fees = FeeSerializer(many=True, read_only=True)
    workflows = WorkflowSerializer(many=True, read_only=True)

    class Meta(ProcedureListSerializer.Meta):
        fields = [*ProcedureListSerializer.Meta.fields, "same_day_cutoff", "boundary_free_scope",
                  "boundary_free_decision", "boundary_free_from", "boundary_free_until",
                  "result_name", "result_type", "result_electronic", "legal_basis",
                  "interagency", "competent_authority", "announcing_decision",
                  "published_from", "retired_on", "documents", "fees", "workflows",
                  "eform_schema"]
        read_only_fields = fields


class ProcedurePagination(CursorPagination):
    ordering = "national_code"
    page_size = 50


FILTER_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Tên hoặc mã, có dấu hay không dấu"),
    OpenApiParameter("field", OpenApiTypes.STR, description="Mã lĩnh vực"),
    OpenApiParameter("level", OpenApiTypes.STR, enum=["ministry", "province", "district",
                                                      "commune"]),
    OpenApiParameter("agency", OpenApiTypes.STR, description="Mã định danh cơ quan thực hiện"),
    OpenApiParameter("service_mode", OpenApiTypes.STR, enum=["info", "partial", "full"]),
]


FEE_QUOTE_LINE_FIELDS = {
    "kind": serializers.ChoiceField(choices=["phi", "le_phi"]),
    "name": serializers.CharField(),
    "base_amount": serializers.IntegerField(allow_null=True, help_text="Mức thu chung (đồng); "
                                            "null: chưa công bố mức thu"),
    "amount": serializers.IntegerField(allow_null=True, help_text="Số phải nộp theo kênh và "
                                       "đối tượng (đồng); 0 khi được miễn"),
    "discount": serializers.IntegerField(help_text="Mức giảm khi nộp trực tuyến (đồng)"),
    "exempt_group": serializers.CharField(help_text="Đối tượng được miễn (nếu có)"),
    "proof": serializers.CharField(help_text="Giấy tờ chứng minh đối tượng miễn"),
    "legal_basis": serializers.CharField(),
    "unit": serializers.CharField(),
    "discount_basis": serializers.CharField(),
    "discount_percent": serializers.CharField(help_text="Tỷ lệ giảm khi nộp trực tuyến (%)"),
    "effective_from": serializers.DateField(allow_null=True),
    "effective_to": serializers.DateField(allow_null=True),
    "exemptions": serializers.ListField(child=serializers.DictField()),
}
FEE_QUOTE = inline_serializer("FeeQuote", {
    "items": inline_serializer("FeeQuoteLine", FEE_QUOTE_LINE_FIELDS, many=True),
    "total": serializers.IntegerField(allow_null=True, help_text="Tổng (đồng); null khi có "
                                      "khoản chưa công bố mức thu"),
    "published": serializers.BooleanField(),
    "mode": serializers.ChoiceField(choices=["at_intake", "before_processing", "at_return",
                                             "exempt", "none"]),
    "timing": serializers.ChoiceField(choices=["at_intake", "before_processing", "at_return"]),
})
FEE_QUOTE_PARAMETERS = [
    OpenApiParameter("channel", OpenApiTypes.STR, description="Kênh nộp (mặc định direct)",
                     enum=["direct", "postal", "online", "national_portal", "vneid"]),
    OpenApiParameter("exemption", OpenApiTypes.STR, many=True,
                     description="Đối tượng miễn phí, lệ phí mà người nộp thuộc về (lặp lại "
                                 "được)"),
    OpenApiParameter("on", OpenApiTypes.DATE, description="Ngày tính phí (mặc định hôm nay)"),
]


class ProcedureViewSet(viewsets.ModelViewSet):
    """Published procedures. Writing needs the administrator's model permissions."""

    lookup_field = "national_code"
    lookup_value_regex = r"\d\.\d{6}"
    permission_classes = [permissions.DjangoModelPermissionsOrAnonReadOnly]
    pagination_class = ProcedurePagination
    queryset = Procedure.objects.all()

    def get_queryset(self):
        params = self.request.query_params
        flt = selectors.CatalogueFilter(
            query=params.get("q", "")[:200], field=params.get("field", ""),
            level=params.get("level", ""), agency=params.get("agency", ""),
            service_mode=params.get("service_mode", ""))
        if self.action == "retrieve":
            return Procedure.objects.published().select_related("field").prefetch_related(
                "levels", "documents", "fees__exemptions", "workflows__steps")
        return selectors.search_procedures(flt).prefetch_related("levels")

    def get_serializer_class(self):
        return ProcedureDetailSerializer if self.action == "retrieve" else ProcedureListSerializer

    @extend_schema(parameters=FILTER_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: ProcedureDetailSerializer})
    def create(self, request, *args, **kwargs):
        procedure, created = services.save_procedure(request.data)
        return Response(ProcedureDetailSerializer(procedure).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=OpenApiTypes.OBJECT, responses=ProcedureDetailSerializer)
    def update(self, request, *args, national_code: str, **kwargs):
        get_object_or_404(Procedure, national_code=national_code)
        record = request.data
        if isinstance(record, dict) and record.get("national_code", national_code) != (
                national_code):
            raise InvalidInput("code_mismatch", _("Mã thủ tục trong nội dung khác mã trên đường "
                                                  "dẫn."))
        procedure, _created = services.save_procedure({**record, "national_code": national_code})
        return Response(ProcedureDetailSerializer(procedure).data)

    def partial_update(self, request, *args, **kwargs):
        raise InvalidInput("use_put", _("Hãy gửi toàn bộ thủ tục bằng PUT."))

    @extend_schema(responses=ProcedureDetailSerializer)
    def destroy(self, request, *args, national_code: str, **kwargs):
        """Retire the procedure from today (dossiers already received keep their terms)."""
        procedure = get_object_or_404(Procedure, national_code=national_code)
        services.retire_procedure(procedure=procedure)
        return Response(ProcedureDetailSerializer(procedure).data)


    @extend_schema(parameters=FEE_QUOTE_PARAMETERS, responses=FEE_QUOTE,
                   summary="Báo giá phí, lệ phí theo kênh nộp, ngày và đối tượng miễn")
    @action(detail=True, methods=["get"], url_path="fee-quote", url_name="fee-quote")
    def fee_quote(self, request, national_code: str, **kwargs):
        """What a dossier would owe: items in force on the day, online price on online
        channels, claimed exemption groups waived; total null when an amount is not
        published (never shown as free)."""
        import datetime as dt

        from hoso.choices import Channel
        from thanhtoan.fees import quote

        procedure = get_object_or_404(Procedure.objects.published(),
                                      national_code=national_code)
        params = request.query_params
        channel = params.get("channel") or Channel.DIRECT
        if channel not in Channel.values:
            raise InvalidInput("bad_channel", _("Kênh nộp “%(channel)s” không hợp lệ; dùng một "
                                                "trong: %(known)s.")
                               % {"channel": channel[:30], "known": ", ".join(Channel.values)})
        try:
            on = dt.date.fromisoformat(params["on"]) if params.get("on") else None
        except ValueError:
            raise InvalidInput("bad_date", _("Ngày tính phí phải có dạng YYYY-MM-DD.")) from None
        result = quote(procedure, channel, exemptions=params.getlist("exemption"), on=on)
        return Response(result.as_json())


def _router():
    from rest_framework.routers import SimpleRouter

    router = SimpleRouter()
    router.register("procedures", ProcedureViewSet, basename="procedure")
    return router


urlpatterns = _router().urls
