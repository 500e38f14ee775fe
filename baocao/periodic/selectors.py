"""Named reads of periodic reporting (issue 10): the completion of a period (the "75/111"
view), the values of a report, the aggregate up the agency tree, the trend of an indicator
across periods, and the reporter's inbox.

Rules:
- every read is set-based (COUNT(*) FILTER, SUM/AVG … GROUP BY) and costs a constant number
  of queries whatever the number of agencies (never a query per agency or per row);
- who sees what (portal.permissions, inherited down the tree): a reporter
  (`submit_periodic_report`) or a leader (`approve_periodic_report`) of an agency sees its
  reports with their drafts; a report viewer (`view_reports`, the provincial office) sees the
  completion, the sent (approved) versions and the aggregates of the agencies under them —
  never a draft;
- an agency has "sent" a period's report once a version of it was approved (the report's
  `current_version`): a replacement being prepared leaves the sent version in force until
  the new one is approved; it was late when it was first sent after the deadline, or when the
  deadline passed and nothing was sent;
- the aggregate of an agency for a period reads the current approved version of every
  agency of its subtree (materialised path) assigned the form for that period (whatever the
  assignment), combining each cell by its rule: SUM, AVG (over the agencies that gave a
  number), or nothing (texts, "none"). The agencies that have not sent are listed as missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.lookups import StartsWith
from django.utils import timezone

from baocao.models import (
    AgencyReport,
    Aggregation,
    FormColumn,
    FormRow,
    ReportForm,
    ReportingPeriod,
    ReportValue,
    ReportVersion,
    ValueType,
)
from baocao.periodic.validation import cell_rule
from portal.errors import NotFoundError
from portal.models import Agency
from portal.permissions import agencies_with_perm, agency_ids_with_perm

VIEW = "view_reports"
SUBMIT = "submit_periodic_report"
APPROVE = "approve_periodic_report"

REPORT_NOT_FOUND = "Không tìm thấy báo cáo, hoặc bạn không có quyền xem báo cáo này."
PERIOD_NOT_FOUND = "Không tìm thấy kỳ báo cáo, hoặc bạn không có quyền xem kỳ báo cáo này."
NO_AGGREGATE_RIGHT = "Bạn không có quyền xem số liệu tổng hợp của đơn vị “%(agency)s”."

Status = AgencyReport.Status

# The completion buckets of the "75/111" view, in display order.
SENT, AWAITING, DRAFTING, NOT_STARTED = "sent", "awaiting_approval", "drafting", "not_started"
BUCKET_LABELS = {
    SENT: "Đã gửi",
    AWAITING: "Chờ lãnh đạo duyệt",
    DRAFTING: "Đang lập",
    NOT_STARTED: "Chưa lập",
}
LATE = "late"  # a filter of completion_rows: sent late, or not sent past the deadline

_SENT = Q(current_version__isnull=False)
_BUCKET_CONDITIONS = {
    SENT: _SENT,
    AWAITING: Q(current_version__isnull=True, status=Status.SUBMITTED),
    DRAFTING: Q(current_version__isnull=True, status__in=[Status.DRAFT, Status.RETURNED]),
    NOT_STARTED: Q(current_version__isnull=True, status=Status.NOT_STARTED),
}


# --- permissions -------------------------------------------------------------------------------

def preparer_agency_ids(user) -> frozenset[int]:
    """The agencies whose reports (drafts included) the user prepares or approves."""
    return agency_ids_with_perm(user, SUBMIT) | agency_ids_with_perm(user, APPROVE)


def may_prepare(user, report: AgencyReport) -> bool:
    """May the user see this report's drafts (its reporter or its leader)?"""
    return report.agency_id in preparer_agency_ids(user)


def may_view_sent(user, agency: Agency) -> bool:
    """May the user see the sent reports, the completion and the aggregate of this agency's
    subtree (report viewers: the provincial office, a district's office)?"""
    return agency.pk in agency_ids_with_perm(user, VIEW)


def _require_view(user, agency: Agency) -> None:
    if not may_view_sent(user, agency):
        raise PermissionDenied(NO_AGGREGATE_RIGHT % {"agency": agency.name})


# --- forms and periods -------------------------------------------------------------------------

def active_forms() -> QuerySet[ReportForm]:
    """The forms in use, with their columns and rows (3 queries in all)."""
    return (ReportForm.objects.filter(is_active=True)
            .prefetch_related("columns", "rows").order_by("code"))


def periods_visible_to(user) -> QuerySet[ReportingPeriod]:
    """The periods with at least one report the user may see (as viewer or preparer), newest
    first."""
    mine = (Q(reports__agency__in=agencies_with_perm(user, VIEW))
            | Q(reports__agency__in=agencies_with_perm(user, SUBMIT))
            | Q(reports__agency__in=agencies_with_perm(user, APPROVE)))
    ids = ReportingPeriod.objects.filter(mine).values("pk")
    return (ReportingPeriod.objects.filter(pk__in=ids)
            .select_related("assignment__form", "assignment__receiving_agency")
            .order_by("-start", "pk"))


def get_period_for(user, period_id: int) -> ReportingPeriod:
    """The period if the user sees at least one of its reports, else NotFoundError (the
    same answer for missing and forbidden)."""
    period = periods_visible_to(user).filter(pk=period_id).first()
    if period is None:
        raise NotFoundError("period_not_found", PERIOD_NOT_FOUND)
    return period


def _same_period(period: ReportingPeriod) -> Q:
    """The reports of this period's form, year and number, whatever the assignment."""
    return Q(period__assignment__form_id=period.assignment.form_id, period__year=period.year,
             period__number=period.number)


# --- completion (the "75/111" view) -----------------------------------------------------------

@dataclass(frozen=True)
class Completion:
    """Who has sent a period's report, among the assigned agencies the user may follow."""

    period_id: int
    total: int
    by_bucket: dict[str, int]  # SENT, AWAITING, DRAFTING, NOT_STARTED → count
    sent_on_time: int
    sent_late: int
    overdue_unsent: int  # not sent while the deadline has passed

    @property
    def sent(self) -> int:
        return self.by_bucket[SENT]

    @property
    def late(self) -> int:
        return self.sent_late + self.overdue_unsent

    @property
    def unsent(self) -> int:
        return self.total - self.sent

    @property
    def ratio_text(self) -> str:
        """"75/111"."""
        return f"{self.sent}/{self.total}"

    @property
    def percent(self) -> Decimal | None:
        if not self.total:
            return None
        return (Decimal(100) * self.sent / self.total).quantize(Decimal("0.1"))

    def buckets(self) -> list[tuple[str, str, int]]:
        """(bucket, Vietnamese label, count) in display order."""
        return [(key, label, self.by_bucket[key]) for key, label in BUCKET_LABELS.items()]


def _late(now: dt.datetime) -> Q:
    return (Q(_SENT, first_sent_at__gt=F("period__deadline_at"))
            | Q(current_version__isnull=True, period__deadline_at__lt=now))


def completion(period_or_periods: ReportingPeriod | Iterable[ReportingPeriod], user, *,
               now: dt.datetime | None = None) -> Completion | dict[int, Completion]:
    """The counts per bucket of one period (a Completion) or of several (period id →
    Completion), over the assigned agencies the user may follow (`view_reports`). One query."""
    single = isinstance(period_or_periods, ReportingPeriod)
    periods = [period_or_periods] if single else list(period_or_periods)
    now = now or timezone.now()
    counts = {f"n_{key}": Count("pk", filter=cond) for key, cond in _BUCKET_CONDITIONS.items()}
    rows = (AgencyReport.objects
            .filter(period__in=[p.pk for p in periods], agency__in=agencies_with_perm(user, VIEW))
            .values("period_id").order_by()
            .annotate(total=Count("pk"), **counts,
                      sent_late=Count("pk", filter=Q(_SENT, first_sent_at__gt=F(
                          "period__deadline_at"))),
                      overdue_unsent=Count("pk", filter=Q(current_version__isnull=True,
                                                          period__deadline_at__lt=now))))
    found = {row["period_id"]: row for row in rows}
    out = {}
    for period in periods:
        row = found.get(period.pk, {})
        by_bucket = {key: row.get(f"n_{key}", 0) for key in BUCKET_LABELS}
        late = row.get("sent_late", 0)
        out[period.pk] = Completion(
            period_id=period.pk, total=row.get("total", 0), by_bucket=by_bucket,
            sent_on_time=by_bucket[SENT] - late, sent_late=late,
            overdue_unsent=row.get("overdue_unsent", 0))
    return out[periods[0].pk] if single else out


def completion_rows(period: ReportingPeriod, user, *, bucket: str | None = None,
                    now: dt.datetime | None = None) -> QuerySet[AgencyReport]:
    """Each assigned agency the user may follow, in tree order: its report with `bucket`
    (SENT…), `is_late`, the sent version (`current_version`), `first_sent_at` / `sent_at`
    and `last_reminded_at`. `bucket` filters on one bucket or on LATE. A lazy queryset, one
    query a page."""
    now = now or timezone.now()
    qs = (AgencyReport.objects.filter(period=period, agency__in=agencies_with_perm(user, VIEW))
          .select_related("agency", "current_version", "period")
          .annotate(bucket=Case(*[When(cond, then=Value(key))
                                  for key, cond in _BUCKET_CONDITIONS.items()],
                                default=Value(NOT_STARTED)),
                    is_late=ExpressionWrapper(_late(now), output_field=BooleanField()))
          .order_by("agency__path"))
    if bucket == LATE:
        qs = qs.filter(_late(now))
    elif bucket in _BUCKET_CONDITIONS:
        qs = qs.filter(_BUCKET_CONDITIONS[bucket])
    return qs


def bucket_label(key: str) -> str:
    return BUCKET_LABELS.get(key, "")


# --- the reporter's inbox and one report ------------------------------------------------------

def reports_for_user(user, *, status: str | None = None, form: ReportForm | None = None,
                     year: int | None = None) -> QuerySet[AgencyReport]:
    """The reports the user prepares or approves (their agencies' subtrees), the latest
    deadline first, with period, form, agency and sent version joined (one query a page)."""
    qs = AgencyReport.objects.filter(Q(agency__in=agencies_with_perm(user, SUBMIT))
                                     | Q(agency__in=agencies_with_perm(user, APPROVE)))
    if status:
        qs = qs.filter(status=status)
    if form is not None:
        qs = qs.filter(period__assignment__form=form)
    if year is not None:
        qs = qs.filter(period__year=year)
    return (qs.select_related("period__assignment__form", "period__assignment__receiving_agency",
                              "agency", "current_version")
            .order_by("-period__deadline_at", "agency__path", "pk"))


def get_report_for(user, report_id: int) -> AgencyReport:
    """The report if the user prepares it or follows its agency; else NotFoundError (the
    same answer for missing and forbidden)."""
    report = (AgencyReport.objects
              .select_related("period__assignment__form", "period__assignment__receiving_agency",
                              "agency", "current_version")
              .filter(pk=report_id).first())
    if report is None or not (may_prepare(user, report) or may_view_sent(user, report.agency)):
        raise NotFoundError("report_not_found", REPORT_NOT_FOUND)
    return report


def visible_version(report: AgencyReport, user) -> ReportVersion | None:
    """The version the user reads: the latest one (a draft included) for its reporter or
    leader, the sent (approved) one for a viewer."""
    if may_prepare(user, report):
        return report.versions.order_by("-number").first()
    return report.current_version


def versions_of(report: AgencyReport, user) -> list[ReportVersion]:
    """The versions the user may read, oldest first (a viewer: the sent and replaced ones)."""
    qs = report.versions.select_related("created_by", "submitted_by", "decided_by")
    if not may_prepare(user, report):
        qs = qs.filter(status__in=[ReportVersion.Status.APPROVED,
                                   ReportVersion.Status.SUPERSEDED])
    return list(qs.order_by("number"))


def form_columns(form: ReportForm) -> list[FormColumn]:
    return list(form.columns.order_by("order", "pk"))


def form_rows(form: ReportForm) -> list[FormRow]:
    return list(form.rows.order_by("order", "pk"))


def row_dicts(form_rows_list: list[FormRow]) -> list[dict]:
    return [{"code": r.code, "label": r.label, "section": r.section, "unit": r.unit}
            for r in form_rows_list]


def rows_of(version: ReportVersion | None, fixed: list[FormRow]) -> list[dict]:
    """The rows of a report: the form's fixed rows, else the rows stored with the version
    (computable forms whose rows come from the data)."""
    if fixed:
        return row_dicts(fixed)
    return rows_of_json(version.rows if version else [])


def cells_of(version: ReportVersion | None) -> dict[str, dict[str, ReportValue]]:
    """The cells of a version, {row: {column: ReportValue}}. One query."""
    if version is None:
        return {}
    out: dict[str, dict[str, ReportValue]] = {}
    for value in version.values.all():
        out.setdefault(value.row, {})[value.column] = value
    return out


# --- aggregation up the tree -------------------------------------------------------------------

def aggregation_of(form: ReportForm, row: FormRow | None, column: FormColumn | None) -> str:
    """How a cell combines the values of several agencies: its rule's aggregation
    (validation.cell_rule: the indicator's on an INDICATORS form, else the column's); texts
    and cells outside the form are never combined."""
    if column is None:
        return Aggregation.NONE
    rule = cell_rule(form, row, column)
    if rule.value_type == ValueType.TEXT:
        return Aggregation.NONE
    return rule.aggregation


def plain(value: Decimal | None) -> Decimal | None:
    """A figure without the stored 4 decimal places' trailing zeros: 12.0000 → 12,
    4.2500 → 4.25."""
    if value is None:
        return None
    value = Decimal(value).quantize(Decimal("0.0001"))
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _combined(rule: str, total, mean) -> Decimal | None:
    if rule == Aggregation.SUM:
        return plain(total)
    if rule == Aggregation.AVERAGE:
        return plain(mean)
    return None


def merge_rows(lists: Iterable[list[dict]]) -> list[dict]:
    """The union of several agencies' row lists (computable forms), each row once, in an order
    that respects every list: a row first seen in a later list goes right after the row that
    precedes it there."""
    merged: list[dict] = []
    position: dict[str, int] = {}
    for rows in lists:
        previous = None
        for row in rows:
            code = row["code"]
            if code not in position:
                at = position[previous] + 1 if previous is not None else 0
                merged.insert(at, row)
                position = {r["code"]: i for i, r in enumerate(merged)}
            previous = code
    return merged


def aggregate(period: ReportingPeriod, agency: Agency, user) -> dict:
    """The values of `agency`'s subtree for the period's form, year and number, each cell
    combined (SUM/AVG per its rule) over the current approved versions, in one grouped query.

    Returns {"form", "period", "agency", "columns": [FormColumn], "rows": [{"code", "label",
    "section", "unit"}], "values": {row: {column: Decimal}}, "included": [agency ids],
    "missing": [agency ids], "agencies": {id: {"code", "name", "path"}}} — included: the
    agencies whose sent version counts; missing: the assigned agencies that have not sent.
    Raises PermissionDenied unless the user follows the agency (`view_reports`)."""
    _require_view(user, agency)
    form = period.assignment.form
    in_scope = AgencyReport.objects.filter(_same_period(period),
                                           agency__path__startswith=agency.path)
    fixed, columns = form_rows(form), form_columns(form)
    roster = list(in_scope.order_by("agency__path").values(
        "agency_id", "agency__code", "agency__name", "agency__path", "current_version_id",
        "current_version__status", *([] if fixed else ["current_version__rows"])))
    sent = [r for r in roster if r["current_version__status"] == ReportVersion.Status.APPROVED]
    counted = _topmost(sent)
    cells = (ReportValue.objects.filter(version__in=[r["current_version_id"] for r in counted],
                                        number__isnull=False)
             .values("row", "column").order_by()
             .annotate(total=Sum("number"), mean=Avg("number")))
    rows = row_dicts(fixed) if fixed else merge_rows(
        [rows_of_json(r["current_version__rows"]) for r in counted])
    row_by_code = {r.code: r for r in fixed}
    column_by_code = {c.code: c for c in columns}
    values: dict[str, dict[str, Decimal]] = {}
    for cell in cells:
        rule = aggregation_of(form, row_by_code.get(cell["row"]),
                              column_by_code.get(cell["column"]))
        value = _combined(rule, cell["total"], cell["mean"])
        if value is not None:
            values.setdefault(cell["row"], {})[cell["column"]] = value
    return {
        "form": form, "period": period, "agency": agency, "columns": columns, "rows": rows,
        "values": values,
        "included": [r["agency_id"] for r in counted],
        # sent, but inside the subtree of an agency whose sent report already covers it
        "covered": [r["agency_id"] for r in sent if r not in counted],
        "missing": [r["agency_id"] for r in roster
                    if r["current_version__status"] != ReportVersion.Status.APPROVED],
        "agencies": {r["agency_id"]: {"code": r["agency__code"], "name": r["agency__name"],
                                      "path": r["agency__path"]} for r in roster},
    }


def _topmost(sent: list[dict]) -> list[dict]:
    """The sent reports that count in an aggregate: an agency's report covers its whole
    subtree (a district's II.06a is computed over its communes' dossiers; a district's
    indicator report consolidates its communes'), so where an agency and some of its
    descendants both sent one, only the topmost counts — never the same dossiers twice.
    `sent` is ordered by path, so an ancestor comes before its descendants."""
    counted: list[dict] = []
    for report in sent:
        if not any(report["agency__path"].startswith(top["agency__path"]) for top in counted):
            counted.append(report)
    return counted


def _covered(root: Agency) -> Exists:
    """SQL form of _topmost for a queryset of sent reports under `root`: another sent report
    of the same form, year and number by a strict ancestor under `root` exists."""
    return Exists(AgencyReport.objects.filter(
        StartsWith(OuterRef("agency__path"), F("agency__path")),
        agency__path__startswith=root.path,
        period__assignment__form_id=OuterRef("period__assignment__form_id"),
        period__year=OuterRef("period__year"), period__number=OuterRef("period__number"),
        current_version__status=ReportVersion.Status.APPROVED,
    ).exclude(agency_id=OuterRef("agency_id")))


def rows_of_json(rows: list | None) -> list[dict]:
    """The rows stored with a version (prefill: {"code", "label", "section", "number",
    "total"?}) in the shape of row_dicts, the total row flagged."""
    return [{"code": r["code"], "label": r.get("label", ""), "section": r.get("section", ""),
             "unit": r.get("unit", ""), **({"total": True} if r.get("total") else {})}
            for r in (rows or [])]


@dataclass(frozen=True)
class TrendPoint:
    year: int
    number: int
    label: str
    start: dt.datetime
    value: Decimal | None
    included: int  # agencies whose sent version counts
    expected: int  # agencies assigned the form for the period


def trend(form: ReportForm, row: str, column: str, agency: Agency, user,
          periods: int = 12) -> list[TrendPoint]:
    """One cell (an indicator) of the form aggregated over `agency`'s subtree for each of the
    last `periods` opened periods, oldest first. A constant number of queries whatever the
    number of periods and agencies."""
    _require_view(user, agency)
    recent = list(ReportingPeriod.objects.filter(assignment__form=form)
                  .values("year", "number").order_by()
                  .annotate(first=Min("start"), label=Max("label"))
                  .order_by("-first")[:max(int(periods), 1)])
    if not recent:
        return []
    since = min(p["first"] for p in recent)
    scope = Q(period__assignment__form=form, period__start__gte=since,
              agency__path__startswith=agency.path)
    sent = AgencyReport.objects.filter(scope,
                                       current_version__status=ReportVersion.Status.APPROVED)
    sums = _trend_sums(sent.exclude(_covered(agency)), row, column)
    counts = {(r["period__year"], r["period__number"]): r for r in (
        AgencyReport.objects.filter(scope).values("period__year", "period__number").order_by()
        .annotate(expected=Count("pk"), included=Count("pk", filter=Q(
            current_version__status=ReportVersion.Status.APPROVED))))}
    rule = aggregation_of(form, form.rows.filter(code=row).first(),
                          form.columns.filter(code=column).first())
    out = []
    for p in sorted(recent, key=lambda p: p["first"]):
        key = (p["year"], p["number"])
        found, count = sums.get(key), counts.get(key, {})
        out.append(TrendPoint(
            year=p["year"], number=p["number"], label=p["label"], start=p["first"],
            value=_combined(rule, found["total"], found["mean"]) if found else None,
            included=count.get("included", 0), expected=count.get("expected", 0)))
    return out


def _trend_sums(sent: QuerySet[AgencyReport], row: str, column: str) -> dict:
    rows = (ReportValue.objects.filter(version__in=sent.values("current_version_id"), row=row,
                                       column=column, number__isnull=False)
            .values("version__report__period__year", "version__report__period__number")
            .order_by().annotate(total=Sum("number"), mean=Avg("number")))
    return {(r["version__report__period__year"], r["version__report__period__number"]): r
            for r in rows}
