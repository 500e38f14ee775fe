"""REST API of the portal app under /api/v1/, and the one error shape {"code", "detail"}."""

from __future__ import annotations

import copy

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from portal import services
from portal.errors import DomainError
from portal.models import Agency, User

# DRF's own error codes, given Vietnamese details.
_DETAILS = {
    "not_authenticated": "Vui lòng đăng nhập.",
    "authentication_failed": "Thông tin xác thực không đúng.",
    "permission_denied": "Bạn không có quyền thực hiện thao tác này.",
    "not_found": "Không tìm thấy.",
    "method_not_allowed": "Phương thức không được hỗ trợ.",
    "throttled": "Quá nhiều yêu cầu, vui lòng thử lại sau.",
    "parse_error": "Dữ liệu gửi lên không đọc được.",
    "unsupported_media_type": "Kiểu dữ liệu không được hỗ trợ.",
}


def exception_handler(exc, context):
    """Map DomainError and DRF/Django errors to {"code", "detail"} (STYLE.md §4.2.5)."""
    if isinstance(exc, DomainError):
        return Response({"code": exc.code, "detail": exc.message}, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # keep a service's own Vietnamese reason ("Bạn không có quyền … của đơn vị …")
        if exc.args and str(exc.args[0]):
            return Response({"code": "permission_denied", "detail": str(exc.args[0])},
                            status=403)
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "invalid", "detail": _("Dữ liệu không hợp lệ."),
                         "errors": response.data}
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = code if isinstance(code, str) else "error"
        response.data = {"code": code, "detail": _DETAILS.get(code, str(exc))}
    return response


class CopiedFieldsMixin:
    """For declared (non-model) serializers on busy endpoints: each instance gets shallow
    copies of the declared fields instead of DRF's deep copies (which rebuild every field
    from its constructor arguments, ~1 ms a serializer). The copies are bound to this
    instance as usual; the fields' own settings are read, never changed, while validating
    or rendering."""

    def get_fields(self):
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class AgencySerializer(serializers.ModelSerializer):
    parent_code = serializers.SerializerMethodField()

    class Meta:
        model = Agency
        fields = ["code", "name", "short_name", "level", "kind", "parent_code", "address",
                  "phone", "email", "admin_unit_code"]
        read_only_fields = fields

    def get_parent_code(self, agency: Agency) -> str | None:
        parent_codes = self.context.get("parent_codes")
        if parent_codes is not None:
            return parent_codes.get(agency.path[: -Agency.steplen])
        parent = Agency.objects.get_parent(agency)
        return parent.code if parent else None


class AgencyPagination(CursorPagination):
    ordering = "path"
    page_size = 100


class AgencyList(generics.ListAPIView):
    """The public organisation tree, in tree order."""

    serializer_class = AgencySerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = AgencyPagination
    queryset = Agency.objects.filter(is_active=True)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["parent_codes"] = dict(Agency.objects.values_list("path", "code"))
        return context


class AgencyDetail(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=AgencySerializer)
    def get(self, request, code: str) -> Response:
        agency = services.get_agency_by_code(code)
        return Response(AgencySerializer(agency).data)


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["username", "full_name", "email", "phone", "cccd", "roles"]
        read_only_fields = fields

    def get_roles(self, user: User) -> list[str]:
        return sorted(user.roles)


class Me(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request) -> Response:
        return Response(MeSerializer(request.user).data)


class ObtainToken(ObtainAuthToken):
    """POST username + password → {"token"}; wrong credentials answer 400 {"code","detail"}."""


urlpatterns = [
    path("auth/token/", ObtainToken.as_view(), name="token"),
    path("me/", Me.as_view(), name="me"),
    path("agencies/", AgencyList.as_view(), name="agency-list"),
    path("agencies/<str:code>/", AgencyDetail.as_view(), name="agency-detail"),
]
