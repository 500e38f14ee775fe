"""Verification API for other agencies (/api/v1/results/<code>/verification/): is a result
authentic, unchanged and not revoked (DOMAIN-2025.md N36–N37)? GET checks the stored file;
POST also compares a copy the caller holds (multipart `file`). Any authenticated account (an
agency's token); the answer carries no personal data."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from hoso.services import eresults
from hoso.uploads import check_upload
from portal.errors import InvalidInput, NotFoundError

UNKNOWN_CODE = "Không tìm thấy kết quả có mã này."
FILE_REQUIRED = "Vui lòng gửi tệp PDF cần đối chiếu (trường file)."


class SignatureSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    intact = serializers.BooleanField()
    trusted = serializers.BooleanField()
    signer = serializers.CharField(help_text="Chủ thể chứng thư số (RFC 4514).")
    signer_name = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    timestamp = serializers.DateTimeField(allow_null=True,
                                          help_text="Thời điểm theo dấu thời gian (nếu có).")
    reason = serializers.CharField(help_text="Lý do không hợp lệ; rỗng khi hợp lệ.")


class VerificationSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    number = serializers.CharField()
    type_code = serializers.CharField()
    valid = serializers.BooleanField(help_text="Chữ ký hợp lệ, tệp không đổi, chưa thu hồi.")
    revoked = serializers.BooleanField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    issued_on = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    issuing_agency = serializers.CharField(help_text="Mã cơ quan ban hành.")
    issuing_agency_name = serializers.CharField()
    electronic = serializers.BooleanField()
    hash_matches = serializers.BooleanField(allow_null=True)
    sha256 = serializers.CharField()
    signature = SignatureSerializer(allow_null=True)
    copy_matches = serializers.BooleanField(allow_null=True, required=False)
    copy_signature = SignatureSerializer(allow_null=True, required=False)
    reason = serializers.CharField()


ERROR = inline_serializer("VerificationError", {"code": serializers.CharField(),
                                                "detail": serializers.CharField()})


def _payload(check: eresults.Verification) -> dict:
    result = check.result
    agency = result.issuing_agency or result.dossier.deciding_agency
    return {
        "code": result.code, "name": result.name, "number": result.number,
        "type_code": result.type_code, "valid": check.valid, "revoked": check.revoked,
        "revoked_at": result.revoked_at, "issued_on": result.issued_on,
        "valid_until": result.valid_until, "issuing_agency": agency.code,
        "issuing_agency_name": agency.name, "electronic": check.electronic,
        "hash_matches": check.hash_matches if check.electronic else None,
        "sha256": result.sha256,
        "signature": check.signature.as_dict() if check.signature else None,
        "copy_matches": check.copy_matches,
        "copy_signature": check.copy_signature.as_dict() if check.copy_signature else None,
        "reason": check.reason,
    }


def _result(code: str):
    result = eresults.result_by_code(code)
    if result is None:
        raise NotFoundError("result_not_found", _(UNKNOWN_CODE))
    return result


class ResultVerification(APIView):
    """Verify a result by its code `<dossier code>-KQ<n>` (N35)."""

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Xác thực kết quả giải quyết theo mã",
        responses={200: VerificationSerializer, 404: OpenApiResponse(ERROR)})
    def get(self, request, code: str):
        return Response(_payload(eresults.verify_result(_result(code))))

    @extend_schema(
        summary="Xác thực kết quả và đối chiếu một bản PDF",
        request={"multipart/form-data": inline_serializer(
            "VerificationCopy", {"file": serializers.FileField()})},
        responses={200: VerificationSerializer, 400: OpenApiResponse(ERROR),
                   404: OpenApiResponse(ERROR)})
    def post(self, request, code: str):
        result = _result(code)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("file_required", _(FILE_REQUIRED))
        if check_upload(upload).extension != "pdf":
            raise InvalidInput("copy_not_pdf", _(eresults.NOT_PDF))
        upload.seek(0)
        copy = b"".join(upload.chunks())
        return Response(_payload(eresults.verify_result(result, copy=copy)))


def _urls():
    from django.urls import path

    return [path("results/<str:code>/verification/", ResultVerification.as_view(),
                 name="result-verification")]


urlpatterns = _urls()
