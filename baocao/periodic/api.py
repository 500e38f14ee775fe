"""Periodic-reporting API under /api/v1/ (issue 10): forms, periods, the completion of a
period, the aggregate of an agency's subtree, a report's values; a reporter saves a draft
(PUT) and submits it (POST …/submit/) through baocao.periodic.services, so the API, the pages
and the jobs share one set of verbs and one validator.

Access follows the agency rule (portal.permissions, inherited down the tree): a report is
read by its reporter and leader (drafts included) and by the report viewers of its agency
(the sent version only); anything else is 404. Completion and aggregates are for report
viewers (`view_reports`); writing needs `submit_periodic_report` (checked by the services:
403). Errors are {"code", "detail"}; a report that fails validation adds "errors": one entry
per cell with its Vietnamese messages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from baocao.models import AgencyReport
from baocao.periodic import selectors
from baocao.periodic import serializers as s
from portal.errors import InvalidInput
from portal.models import Agency

TAG = "Báo cáo định kỳ"
NO_AGENCY = "Chọn đơn vị cần tổng hợp (tham số agency: mã định danh của đơn vị)."
UNKNOWN_AGENCY = "Không tìm thấy đơn vị có mã “%(code)s”."
NOT_A_VIEWER = "Bạn không theo dõi đơn vị nào được giao báo cáo trong kỳ này."
BAD_YEAR = "Năm không hợp lệ."

_ERRORS = {400: s.ErrorSerializer, 403: s.ErrorSerializer, 404: s.ErrorSerializer}


def _services():
    """baocao.periodic.services (imported when a write happens)."""
    from baocao.periodic import services

    return services


def _invalid_response(exc) -> Response:
    """400 for a report that fails validation: {"code", "detail", "errors": [{"row",
    "column", "messages"}]} (row and column empty for the report as a whole)."""
    return Response({"code": exc.code, "detail": exc.message, "errors": exc.as_list()},
                    status=exc.status_code)


# --- forms and periods -------------------------------------------------------------------------

@extend_schema(tags=[TAG], summary="Các biểu mẫu báo cáo định kỳ đang dùng",
               responses={200: s.ReportFormSerializer(many=True), **_ERRORS})
class ReportFormList(generics.ListAPIView):
    """Every form in use, with its columns, fixed rows and cross-cell rules."""

    serializer_class = s.ReportFormSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.active_forms()


class PeriodPagination(CursorPagination):
    ordering = ("-start", "-id")
    page_size = 50


@extend_schema(tags=[TAG], summary="Các kỳ báo cáo người dùng được xem", parameters=[
    OpenApiParameter("form", OpenApiTypes.STR, description="Ký hiệu biểu, ví dụ "
                                                           "II.06a/VPCP/KSTT"),
    OpenApiParameter("year", OpenApiTypes.INT)],
    responses={200: s.ReportingPeriodSerializer(many=True), **_ERRORS})
class ReportPeriodList(generics.ListAPIView):
    """The periods with at least one report the user may read, newest first."""

    serializer_class = s.ReportingPeriodSerializer
    pagination_class = PeriodPagination

    def get_queryset(self):
        qs = selectors.periods_visible_to(self.request.user)
        form = self.request.query_params.get("form", "").strip()
        if form:
            qs = qs.filter(assignment__form__code=form)
        year = self.request.query_params.get("year", "").strip()
        if year:
            if not year.isdigit():
                raise InvalidInput("bad_year", BAD_YEAR)
            qs = qs.filter(year=int(year))
        return qs


class ReportPeriodCompletion(APIView):
    @extend_schema(tags=[TAG], summary="Tình hình gửi báo cáo của một kỳ (đã gửi 75/111)",
                   responses={200: s.CompletionSerializer, **_ERRORS})
    def get(self, request, period_id: int) -> Response:
        """Who has sent, who awaits approval, who is drafting, who has not started and who
        is late, over the assigned agencies the user follows (`view_reports`)."""
        period = selectors.get_period_for(request.user, period_id)
        found = selectors.completion(period, request.user)
        if not found.total:
            raise PermissionDenied(NOT_A_VIEWER)
        rows = selectors.completion_rows(period, request.user)
        return Response(s.CompletionSerializer({
            "period": period, "counts": s.completion_counts(found), "agencies": rows}).data)


def _agency_param(request) -> Agency:
    code = request.query_params.get("agency", "").strip()
    if not code:
        raise InvalidInput("agency_required", NO_AGENCY)
    agency = Agency.objects.filter(code=code).first()
    if agency is None and code.isdigit():
        agency = Agency.objects.filter(pk=int(code)).first()
    if agency is None:
        raise InvalidInput("agency_not_found", UNKNOWN_AGENCY % {"code": code})
    return agency


class ReportPeriodAggregate(APIView):
    @extend_schema(tags=[TAG], summary="Số liệu tổng hợp của một đơn vị và các đơn vị trực "
                                       "thuộc", parameters=[
        OpenApiParameter("agency", OpenApiTypes.STR, required=True,
                         description="Mã định danh của đơn vị tổng hợp (hoặc số id).")],
        responses={200: s.AggregateSerializer, **_ERRORS})
    def get(self, request, period_id: int) -> Response:
        """The period's form aggregated over the agency's subtree: each cell the SUM or the
        AVG (per its rule) of the sent versions of the assigned agencies under it, with the
        agencies included and those missing."""
        period = selectors.get_period_for(request.user, period_id)
        found = selectors.aggregate(period, _agency_param(request), request.user)
        return Response(s.AggregateSerializer(s.aggregate_data(found)).data)


# --- reports -----------------------------------------------------------------------------------

class ReportPagination(PageNumberPagination):
    page_size = 50


@extend_schema(tags=[TAG], summary="Báo cáo của các đơn vị người dùng lập hoặc duyệt",
               parameters=[OpenApiParameter("status", OpenApiTypes.STR,
                                            enum=AgencyReport.Status.values),
                           OpenApiParameter("year", OpenApiTypes.INT)],
               responses={200: s.AgencyReportSerializer(many=True), **_ERRORS})
class AgencyReportList(generics.ListAPIView):
    """The reporter's inbox: the reports of the agencies the user prepares (reporter) or
    approves (leader), the latest deadline first."""

    serializer_class = s.AgencyReportSerializer
    pagination_class = ReportPagination

    def get_queryset(self):
        params = self.request.query_params
        year = params.get("year", "").strip()
        if year and not year.isdigit():
            raise InvalidInput("bad_year", BAD_YEAR)
        chosen = params.get("status", "").strip()
        return selectors.reports_for_user(
            self.request.user, status=chosen if chosen in AgencyReport.Status.values else None,
            year=int(year) if year else None)


def _detail(report: AgencyReport, user) -> dict:
    form = report.period.assignment.form
    version = selectors.visible_version(report, user)
    rows = selectors.rows_of(version, selectors.form_rows(form))
    return s.report_detail(report, version, selectors.form_columns(form), rows,
                           selectors.cells_of(version))


class AgencyReportDetail(APIView):
    @extend_schema(tags=[TAG], summary="Một báo cáo và số liệu của nó",
                   responses={200: s.AgencyReportDetailSerializer, **_ERRORS})
    def get(self, request, report_id: int) -> Response:
        """The version the user reads — the latest (a draft included) for the agency's
        reporter and leader, the sent one for a report viewer — with its rows and cells."""
        report = selectors.get_report_for(request.user, report_id)
        return Response(_detail(report, request.user))

    @extend_schema(tags=[TAG], summary="Lưu bản nháp", request=s.DraftInput,
                   responses={200: s.AgencyReportDetailSerializer,
                              400: OpenApiResponse(s.InvalidReportSerializer,
                                                   description="Số liệu không hợp lệ: "
                                                               "thông báo theo từng ô."),
                              403: s.ErrorSerializer, 404: s.ErrorSerializer,
                              409: s.ErrorSerializer})
    def put(self, request, report_id: int) -> Response:
        """Save the draft's cells as typed ({row: {column: "1.250"}}), the cells' notes and
        the report's note: types and bounds are checked (a draft may be incomplete); a
        report without a draft (not started, or returned) gets one first. Reporters only."""
        report = selectors.get_report_for(request.user, report_id)
        data = s.DraftInput(data=request.data)
        data.is_valid(raise_exception=True)
        services = _services()
        try:
            services.save_draft(report=report, values=data.validated_data["values"],
                                notes=data.validated_data["notes"],
                                note=data.validated_data["note"], by=request.user)
        except services.ReportInvalid as exc:
            return _invalid_response(exc)
        return Response(_detail(selectors.get_report_for(request.user, report_id),
                                request.user))


class AgencyReportSubmit(APIView):
    @extend_schema(tags=[TAG], summary="Trình lãnh đạo duyệt", request=None,
                   responses={200: s.AgencyReportDetailSerializer,
                              400: OpenApiResponse(s.InvalidReportSerializer,
                                                   description="Báo cáo chưa đủ hoặc sai "
                                                               "số liệu."),
                              403: s.ErrorSerializer, 404: s.ErrorSerializer,
                              409: s.ErrorSerializer})
    def post(self, request, report_id: int) -> Response:
        """Submit the draft to the agency's leader: every rule is checked (required cells,
        the form's identities) and the version is frozen. Reporters only."""
        report = selectors.get_report_for(request.user, report_id)
        services = _services()
        try:
            services.submit_report(report=report, by=request.user)
        except services.ReportInvalid as exc:
            return _invalid_response(exc)
        return Response(_detail(selectors.get_report_for(request.user, report_id),
                                request.user), status=status.HTTP_200_OK)


urlpatterns = [
    path("report-forms/", ReportFormList.as_view(), name="report-form-list"),
    path("report-periods/", ReportPeriodList.as_view(), name="report-period-list"),
    path("report-periods/<int:period_id>/completion/", ReportPeriodCompletion.as_view(),
         name="report-period-completion"),
    path("report-periods/<int:period_id>/aggregate/", ReportPeriodAggregate.as_view(),
         name="report-period-aggregate"),
    path("agency-reports/", AgencyReportList.as_view(), name="agency-report-list"),
    path("agency-reports/<int:report_id>/", AgencyReportDetail.as_view(),
         name="agency-report-detail"),
    path("agency-reports/<int:report_id>/submit/", AgencyReportSubmit.as_view(),
         name="agency-report-submit"),
]
