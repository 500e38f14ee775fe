"""The KPI library (issue 9 item 1): each KPI a small declared object with its Vietnamese name,
the definition shown in the UI, and its numerator and denominator as set-based queries over a
period (baocao.definitions.Period) and an agency subtree.

Public API (the dashboards, the snapshots and the 766 score code against it):

- ``KPIS``: id → Kpi, in display order;
- ``compute(kpi_id, period, agency_ids)``: one aggregate query; ``agency_ids`` already expanded
  to the subtree (portal.permissions), None = the whole province;
- ``compute_by_agency(kpi_id, period, agencies)``: each agency's value over its WHOLE subtree in
  ONE query per KPI — the counts grouped by the dossier's agency, joined to the ancestors by
  the materialised path (``portal_agency.path LIKE ancestor.path || '%'``) and summed per
  ancestor, never a query per agency;
- ``compute_many(kpi_ids, period, agency_ids)``: the same values for several KPIs, those over
  the same rows sharing one query (the dashboards' headline);
- ``dossier_ids_behind(kpi_id, period, agency_ids, part)``: the dossiers behind the numerator
  or the denominator (a lazy queryset for a paginated drill-down list);
- ``procedures_behind(...)``: the same for the one KPI that counts procedures;
- ``ReportKpi.reports(...)``: the same for the KPI that counts periodic reports
  (``reports_online``: reports sent online against reports due, baocao.periodic).

The classification of dossiers (received, resolved, early/on time/late, in progress, overdue)
comes from baocao.definitions, the one place the reports and the KPIs share. A rate is
100 × numerator / denominator (Decimal, 2 places, half up), None when the denominator is 0; a
count is the numerator itself (the denominator is kept for context); an average is
numerator / denominator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.expressions import Combinable, RawSQL
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from baocao import definitions as d
from baocao.definitions import Period
from baocao.models import AgencyReport, ReportVersion
from hoso.choices import DigitisationState, DossierStatus
from hoso.figures import DIGITAL
from hoso.models import Dossier, DossierDocument, Rating, Result
from portal.choices import AgencyKind
from portal.models import Agency
from thanhtoan.choices import AttemptStatus, Provider
from thanhtoan.models import PaymentAttempt
from tthc.choices import ImplementerRelation, ServiceMode
from tthc.models import Procedure, ProcedureAgency, ProcedureLevel

RATE, COUNT, AVERAGE = "rate", "count", "average"
HIGHER, LOWER = "higher", "lower"
DECIDING, RECEIVING = "deciding_agency", "receiving_agency"
PARTS = ("numerator", "denominator")
CENT = Decimal("0.01")

# What "paid online" is (thanhtoan): an attempt that succeeded through an online provider —
# the provincial gateway (VNPay) or the national portal's payment platform. Cash at the desk and
# a bank transfer confirmed by an officer are not online payments.
ONLINE_PROVIDERS = (Provider.PAYGOV, Provider.VNPAY)
# Results for "resolved with a result" (the processing-time and e-result KPIs): refusals,
# stops and withdrawals end processing without a result.
WITH_RESULT = (DossierStatus.RESOLVED, DossierStatus.RETURNED)
SATISFIED_AVERAGE = 4  # of the 1–5 scores per criterion
# Every local date is a whole number of days after this one (LocalDayNumber).
_EPOCH = "2000-01-01"


@dataclass(frozen=True)
class KpiValue:
    numerator: int | None
    denominator: int | None
    value: Decimal | None


# --- SQL helpers (PostgreSQL; SQLite for the demo) ---------------------------------------------

class LocalDayNumber(Func):
    """The local (Asia/Ho_Chi_Minh) date of a moment as a whole number of days, so that the
    difference of two is the number of calendar days between their local dates."""

    output_field = IntegerField()

    def as_sql(self, compiler, conn, **extra):  # PostgreSQL
        sql, params = compiler.compile(self.source_expressions[0])
        return (f"(({sql} AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - DATE '{_EPOCH}')", params)

    def as_sqlite(self, compiler, conn, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        offset = d.LOCAL_TZ.utcoffset(dt.datetime(2026, 1, 1, tzinfo=d.UTC))
        hours = int(offset.total_seconds() // 3600)  # no daylight saving in Việt Nam
        return (f"CAST(julianday({sql}, '{hours:+d} hours') - julianday('{_EPOCH}') AS INTEGER)",
                params)


class ScoresAverage(Func):
    """The average of a rating's scores (a JSON object criterion → 1–5)."""

    output_field = IntegerField()  # compared with an integer; the SQL value is numeric

    def as_sql(self, compiler, conn, **extra):  # PostgreSQL (jsonb)
        sql, params = compiler.compile(self.source_expressions[0])
        return (f"(SELECT AVG((j.value)::numeric) FROM jsonb_each_text({sql}) AS j)",  # noqa: S608
                params)

    def as_sqlite(self, compiler, conn, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return (f"(SELECT AVG(CAST(j.value AS REAL)) FROM json_each({sql}) AS j)",  # noqa: S608
                params)


def _prefixed(q: Q, prefix: str) -> Q:
    """The same condition on rows that reach the dossier through `prefix` ("dossier__")."""
    children = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(_prefixed(child, prefix))
            continue
        if not isinstance(child, tuple):
            raise TypeError("only plain lookups can be prefixed")
        key, value = child
        if isinstance(value, F):
            value = F(prefix + value.name)
        children.append((prefix + key, value))
    return Q(*children, _connector=q.connector, _negated=q.negated)


def _rate(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(CENT, ROUND_HALF_UP)


def _local_dates(period: Period) -> tuple[dt.date, dt.date]:
    """The first and the last local date the period covers."""
    first = timezone.localtime(period.start, d.LOCAL_TZ).date()
    last = timezone.localtime(period.end - dt.timedelta(microseconds=1), d.LOCAL_TZ).date()
    return first, last


# --- the KPI objects ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Kpi:
    """A KPI over rows of `model` (dossiers, papers or ratings), each row belonging to the
    agency `agency_field` of its dossier. `rows(period)`: the denominator's rows;
    `numerator(period)`: the condition (on those rows) of the numerator's; `amount(period)`: for
    an average, what each row adds to the numerator (the denominator counts the rows)."""

    id: str
    name: str
    definition: str
    unit: str
    direction: str
    kind: str
    counts: str  # what the numerator and denominator count ("hồ sơ", "giấy tờ", "đánh giá")
    model: type[Model]
    rows: Callable[[Period], Q]
    numerator: Callable[[Period], Q] | None = None
    amount: Callable[[Period], Combinable] | None = None
    agency_field: str = DECIDING
    default_target: Decimal | None = None

    @property
    def target(self) -> Decimal | None:
        """The target from settings.REPORT_KPI_TARGETS (the seeds' targets), else the
        declared default; None: no target."""
        configured = getattr(settings, "REPORT_KPI_TARGETS", {}).get(self.id)
        return Decimal(str(configured)) if configured is not None else self.default_target

    @property
    def to_dossier(self) -> str:
        """The path from a row to its dossier ("" for dossiers)."""
        return "" if self.model is Dossier else "dossier__"

    @property
    def agency_lookup(self) -> str:
        """The lookup from a row to the agency it is counted for."""
        return f"{self.to_dossier}{self.agency_field}"

    def value_of(self, numerator: int, denominator: int) -> Decimal | None:
        if self.kind == RATE:
            return _rate(numerator, denominator)
        if self.kind == COUNT:
            return Decimal(numerator)
        if not denominator:
            return None
        return (Decimal(numerator) / denominator).quantize(CENT, ROUND_HALF_UP)

    def meets_target(self, value: Decimal | None) -> bool | None:
        if value is None or self.target is None:
            return None
        return value >= self.target if self.direction == HIGHER else value <= self.target

    # -- the queries --

    def _queryset(self, period: Period) -> QuerySet:
        return self.model.objects.filter(self.rows(period))

    def _aggregates(self, period: Period) -> dict:
        if self.kind == AVERAGE:
            return {"num": Sum(self.amount(period)), "den": Count("pk")}
        return {"num": Count("pk", filter=self.numerator(period)), "den": Count("pk")}

    def _of_agencies(self, agency_ids: Iterable[int] | None) -> Q:
        if agency_ids is None:
            return Q()
        return Q(**{f"{self.agency_lookup}__in": sorted(set(agency_ids))})

    def compute(self, period: Period, agency_ids: Iterable[int] | None) -> KpiValue:
        row = (self._queryset(period).filter(self._of_agencies(agency_ids))
               .aggregate(**self._aggregates(period)))
        return self.result(row["num"], row["den"])

    def grouped_sql(self, period: Period, paths: list[str] | None) -> tuple[str, list, str]:
        """SQL of the counts grouped by the row's agency (columns agency_id, num, den), only
        for rows under one of `paths` (None: everywhere); the outer aggregate is SUM."""
        field = self.agency_lookup
        qs = self._queryset(period)
        if paths is not None:
            under = Q()
            for path in paths:
                under |= Q(**{f"{field}__path__startswith": path})
            qs = qs.filter(under)
        grouped = (qs.values(agency_id=F(field)).annotate(**self._aggregates(period))
                   .values("agency_id", "num", "den").order_by())
        sql, params = grouped.query.sql_with_params()
        return sql, list(params), "sum"

    def result(self, numerator, denominator) -> KpiValue:
        numerator, denominator = int(numerator or 0), int(denominator or 0)
        return KpiValue(numerator, denominator, self.value_of(numerator, denominator))

    def dossiers(self, period: Period, agency_ids: Iterable[int] | None,
                 part: str) -> QuerySet[Dossier]:
        if part not in PARTS:
            raise ValueError(f"part must be one of {PARTS}")
        rows = self._queryset(period).filter(self._of_agencies(agency_ids))
        if part == "numerator" and self.kind != AVERAGE:
            rows = rows.filter(self.numerator(period))
        if self.model is Dossier:
            return rows
        return Dossier.objects.filter(pk__in=rows.values("dossier_id"))


@dataclass(frozen=True)
class ProcedureKpi(Kpi):
    """Counts distinct procedures: the online procedures (partial or full service) in force in
    the period that an agency of the subtree carries out (tthc.selectors.procedures_of: named
    for the agency, or of a people's committee's level unless another agency of that level is
    named; less exclusions), and those of them with at least one online dossier received in the
    period and decided by such an agency."""

    def _pairs_sql(self, period: Period) -> tuple[str, list]:
        first, last = _local_dates(period)
        dossier, procedure = Dossier._meta.db_table, Procedure._meta.db_table
        level, implementer = ProcedureLevel._meta.db_table, ProcedureAgency._meta.db_table
        agency = Agency._meta.db_table
        online = ", ".join(["%s"] * len(d.ONLINE_CHANNELS))
        sql = f"""
SELECT pr.agency_id AS agency_id, pr.procedure_id AS key,
       CASE WHEN h.agency_id IS NULL THEN 0 ELSE 1 END AS num
FROM (SELECT pa.agency_id, pa.procedure_id FROM {implementer} pa WHERE pa.relation = %s
      UNION
      SELECT a.id, pl.procedure_id FROM {level} pl JOIN {agency} a ON a.level = pl.level
      WHERE a.kind = %s AND a.is_active AND NOT EXISTS (
          SELECT 1 FROM {implementer} n JOIN {agency} na ON na.id = n.agency_id
          WHERE n.procedure_id = pl.procedure_id AND n.relation = %s
            AND na.level = pl.level)) pr
JOIN {procedure} p ON p.id = pr.procedure_id
LEFT JOIN (SELECT DISTINCT x.deciding_agency_id AS agency_id, x.procedure_id
           FROM {dossier} x WHERE x.received_at >= %s AND x.received_at < %s
             AND x.channel IN ({online})) h
  ON h.agency_id = pr.agency_id AND h.procedure_id = pr.procedure_id
WHERE p.service_mode IN (%s, %s) AND p.published_from <= %s
  AND (p.retired_on IS NULL OR p.retired_on > %s)
  AND NOT EXISTS (SELECT 1 FROM {implementer} e WHERE e.procedure_id = pr.procedure_id
                  AND e.agency_id = pr.agency_id AND e.relation = %s)
"""  # noqa: S608 — table names from the models, values are parameters
        params = [ImplementerRelation.IMPLEMENTS.value, AgencyKind.PEOPLES_COMMITTEE.value,
                  ImplementerRelation.IMPLEMENTS.value, period.start, period.end,
                  *[str(c) for c in d.ONLINE_CHANNELS], ServiceMode.PARTIAL.value,
                  ServiceMode.FULL.value, last, first, ImplementerRelation.EXCLUDED.value]
        return sql, params

    def _filtered_pairs(self, period: Period, agency_ids) -> tuple[str, list]:
        sql, params = self._pairs_sql(period)
        if agency_ids is None:
            return sql, params
        ids = sorted(set(agency_ids)) or [-1]
        where = ", ".join(["%s"] * len(ids))
        return (f"SELECT * FROM ({sql}) pairs WHERE pairs.agency_id IN ({where})",  # noqa: S608
                [*params, *ids])

    def compute(self, period: Period, agency_ids) -> KpiValue:
        sql, params = self._filtered_pairs(period, agency_ids)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(DISTINCT CASE WHEN r.num = 1 THEN r.key END), "  # noqa: S608
                           f"COUNT(DISTINCT r.key) FROM ({sql}) r", params)
            numerator, denominator = cursor.fetchone()
        return self.result(numerator, denominator)

    def grouped_sql(self, period: Period, paths) -> tuple[str, list, str]:
        sql, params = self._pairs_sql(period)
        return sql, params, "distinct"

    def procedures(self, period: Period, agency_ids, part: str) -> QuerySet[Procedure]:
        if part not in PARTS:
            raise ValueError(f"part must be one of {PARTS}")
        sql, params = self._filtered_pairs(period, agency_ids)
        condition = " WHERE r.num = 1" if part == "numerator" else ""
        chosen = RawSQL(f"SELECT r.key FROM ({sql}) r{condition}", params)  # noqa: S608, S611
        return Procedure.objects.filter(pk__in=chosen).order_by("name", "pk")

    def dossiers(self, period: Period, agency_ids, part: str) -> QuerySet[Dossier]:
        """The online dossiers received in the period of the counted procedures (the same
        list for both parts: a procedure without dossiers has none to show)."""
        procedures = self.procedures(period, agency_ids, "numerator")
        qs = Dossier.objects.filter(d.received_online_in(period), procedure__in=procedures)
        if agency_ids is not None:
            qs = qs.filter(deciding_agency__in=sorted(set(agency_ids)))
        return qs


@dataclass(frozen=True)
class ReportKpi(Kpi):
    """Counts the periodic reports of baocao.periodic (issue 10) instead of dossiers: the
    reports due in the period (their period's deadline falls in it) of the agencies of the
    subtree, and those of them sent online — approved on the system (a current approved
    version, channel "online"), not entered on the agency's behalf from a paper report. The
    rows are AgencyReports counted for their reporting agency (`agency_field` is not used)."""

    @property
    def agency_lookup(self) -> str:
        return "agency"

    def grouped_sql(self, period: Period, paths: list[str] | None) -> tuple[str, list, str]:
        qs = self._queryset(period)
        if paths is not None:
            under = Q()
            for path in paths:
                under |= Q(agency__path__startswith=path)
            qs = qs.filter(under)
        grouped = (qs.values("agency_id").annotate(**self._aggregates(period))
                   .values("agency_id", "num", "den").order_by())
        sql, params = grouped.query.sql_with_params()
        return sql, list(params), "sum"

    def reports(self, period: Period, agency_ids: Iterable[int] | None,
                part: str) -> QuerySet:
        """The reports behind the numerator or the denominator, by deadline then agency."""
        if part not in PARTS:
            raise ValueError(f"part must be one of {PARTS}")
        rows = self._queryset(period).filter(self._of_agencies(agency_ids))
        if part == "numerator":
            rows = rows.filter(self.numerator(period))
        return rows.select_related("agency", "period__assignment__form").order_by(
            "period__deadline_at", "agency__path", "pk")

    def dossiers(self, period: Period, agency_ids, part: str) -> QuerySet[Dossier]:
        """No dossier is behind a count of reports (the drill-down lists `reports`)."""
        if part not in PARTS:
            raise ValueError(f"part must be one of {PARTS}")
        return Dossier.objects.none()


def _reports_due(p: Period) -> Q:
    return Q(period__deadline_at__gte=p.start, period__deadline_at__lt=p.end)


def _report_sent_online(p: Period) -> Q:
    return Q(channel=AgencyReport.Channel.ONLINE,
             current_version__status=ReportVersion.Status.APPROVED)


# --- the conditions of each KPI ----------------------------------------------------------------

def _not_digital_paper() -> Exists:
    return Exists(DossierDocument.objects.filter(dossier=OuterRef("pk"))
                  .exclude(digitisation__in=DIGITAL))


def _valid_eresult() -> Exists:
    return Exists(Result.objects.filter(dossier=OuterRef("pk"), electronic=True,
                                        signed_at__isnull=False, revoked_at__isnull=True))


def _paid_online() -> Exists:
    return Exists(PaymentAttempt.objects.filter(
        order__dossier=OuterRef("pk"), status=AttemptStatus.PAID,
        provider__in=[str(p) for p in ONLINE_PROVIDERS]))


def _resolved_with_result(p: Period) -> Q:
    return d.resolved(p) & Q(status__in=[str(s) for s in WITH_RESULT])


def _received_papers(p: Period) -> Q:
    return _prefixed(d.received_in(p), "dossier__")


def _intake_rows(p: Period) -> Q:
    return Q(channel__in=d.ONLINE_CHANNELS, submitted_at__gte=p.start, submitted_at__lt=p.end,
             intake_due_at__isnull=False)


def _intake_late(p: Period) -> Q:
    until = min(p.end, timezone.now())
    return (Q(received_at__isnull=False, received_at__gt=F("intake_due_at"))
            | Q(status=DossierStatus.SUBMITTED, intake_due_at__lt=until))


def _processing_days(p: Period) -> Combinable:
    return LocalDayNumber("finished_at") - LocalDayNumber("received_at")


_KPIS = (
    ProcedureKpi(
        id="online_procedures_with_dossiers",
        name="Tỷ lệ dịch vụ công trực tuyến phát sinh hồ sơ trực tuyến",
        definition=(
            "Tử số: số thủ tục cung cấp dịch vụ công trực tuyến (một phần hoặc toàn trình) có "
            "ít nhất một hồ sơ nộp trực tuyến được tiếp nhận trong kỳ, do cơ quan thực hiện thủ "
            "tục giải quyết. Mẫu số: số thủ tục cung cấp dịch vụ công trực tuyến còn hiệu lực "
            "trong kỳ mà các cơ quan thuộc đơn vị thực hiện. Mỗi thủ tục tính một lần."),
        unit="%", direction=HIGHER, kind=RATE, counts="thủ tục", model=Procedure,
        rows=lambda p: Q()),
    Kpi(
        id="online_dossiers",
        name="Tỷ lệ hồ sơ nộp trực tuyến",
        definition=(
            "Tử số: hồ sơ tiếp nhận trong kỳ qua kênh trực tuyến (Cổng Một Cửa, Cổng Dịch vụ "
            "công quốc gia, VNeID). Mẫu số: tất cả hồ sơ tiếp nhận trong kỳ (mọi kênh), theo cơ "
            "quan giải quyết."),
        unit="%", direction=HIGHER, kind=RATE, counts="hồ sơ", model=Dossier,
        rows=d.received_in, numerator=d.received_online_in),
    Kpi(
        id="digitised_dossiers",
        name="Tỷ lệ số hóa hồ sơ",
        definition=(
            "Tử số: hồ sơ tiếp nhận trong kỳ mà mọi thành phần giấy tờ đều ở trạng thái điện "
            "tử (đã số hóa, tái sử dụng hoặc khai thác từ cơ sở dữ liệu quốc gia); hồ sơ chỉ có "
            "tờ khai điện tử được tính là đã số hóa. Mẫu số: hồ sơ tiếp nhận trong kỳ."),
        unit="%", direction=HIGHER, kind=RATE, counts="hồ sơ", model=Dossier,
        rows=d.received_in, numerator=lambda p: ~_not_digital_paper()),
    Kpi(
        id="electronic_results",
        name="Tỷ lệ số hóa kết quả giải quyết",
        definition=(
            "Tử số: hồ sơ có kết quả trong kỳ (đã có kết quả hoặc đã trả kết quả) có ít nhất "
            "một kết quả điện tử đã ký số và chưa bị thu hồi. Mẫu số: hồ sơ có kết quả trong "
            "kỳ (không tính hồ sơ từ chối, dừng hoặc rút)."),
        unit="%", direction=HIGHER, kind=RATE, counts="hồ sơ", model=Dossier,
        rows=_resolved_with_result, numerator=lambda p: _valid_eresult()),
    Kpi(
        id="on_time",
        name="Tỷ lệ hồ sơ giải quyết đúng hạn",
        definition=(
            "Tử số: hồ sơ giải quyết xong trong kỳ trước hạn hoặc đúng hạn (hồ sơ rút được "
            "tính đúng hạn; hồ sơ không có hạn trả được tính đúng hạn). Mẫu số: hồ sơ giải "
            "quyết xong trong kỳ (có kết quả, từ chối, dừng hoặc rút) — cột (7) của báo cáo "
            "kết quả giải quyết."),
        unit="%", direction=HIGHER, kind=RATE, counts="hồ sơ", model=Dossier,
        rows=d.resolved, numerator=lambda p: d.resolved_early(p) | d.resolved_on_time(p)),
    Kpi(
        id="overdue_in_progress",
        name="Hồ sơ đang giải quyết quá hạn",
        definition=(
            "Số hồ sơ đang giải quyết tại cuối kỳ đã quá hạn (đã ghi nhận quá hạn, hoặc hạn "
            "trả trước cuối kỳ và không ở trạng thái chờ bổ sung) — cột (13). Mẫu số để tham "
            "khảo: hồ sơ đang giải quyết tại cuối kỳ, cột (11). Càng thấp càng tốt."),
        unit="hồ sơ", direction=LOWER, kind=COUNT, counts="hồ sơ", model=Dossier,
        rows=d.in_progress, numerator=d.in_progress_overdue),
    Kpi(
        id="online_payment",
        name="Tỷ lệ hồ sơ có phí, lệ phí được thanh toán trực tuyến",
        definition=(
            "Tử số: hồ sơ có phí, lệ phí tiếp nhận trong kỳ đã có một lần thanh toán thành công "
            "qua kênh trực tuyến (Nền tảng thanh toán của Cổng Dịch vụ công quốc gia hoặc cổng "
            "thanh toán của tỉnh); tiền mặt và chuyển khoản do cán bộ xác nhận không tính. Mẫu "
            "số: hồ sơ tiếp nhận trong kỳ có tổng phí, lệ phí lớn hơn 0 đồng."),
        unit="%", direction=HIGHER, kind=RATE, counts="hồ sơ", model=Dossier,
        rows=lambda p: d.received_in(p) & Q(fee_total__gt=0),
        numerator=lambda p: _paid_online()),
    Kpi(
        id="data_reuse",
        name="Tỷ lệ giấy tờ tái sử dụng dữ liệu",
        definition=(
            "Tử số: thành phần giấy tờ của hồ sơ tiếp nhận trong kỳ được lấy từ kho dữ liệu "
            "(giấy tờ đã số hóa hoặc kết quả giải quyết trước) hoặc khai thác từ cơ sở dữ liệu "
            "quốc gia thay vì nộp lại. Mẫu số: tất cả thành phần giấy tờ của các hồ sơ đó."),
        unit="%", direction=HIGHER, kind=RATE, counts="giấy tờ", model=DossierDocument,
        rows=_received_papers,
        numerator=lambda p: Q(digitisation__in=sorted(DigitisationState.reuse_states()))),
    Kpi(
        id="satisfaction",
        name="Tỷ lệ hài lòng",
        definition=(
            "Tử số: lượt đánh giá trong kỳ có điểm trung bình các tiêu chí từ 4 trở lên (thang "
            "1–5, tương ứng mức “hài lòng” hoặc “rất hài lòng”). Mẫu số: lượt đánh giá trong "
            "kỳ của hồ sơ đã tiếp nhận (mỗi hồ sơ một lượt), theo cơ quan giải quyết."),
        unit="%", direction=HIGHER, kind=RATE, counts="đánh giá", model=Rating,
        rows=lambda p: Q(rated_at__gte=p.start, rated_at__lt=p.end,
                         dossier__received_at__isnull=False),
        numerator=lambda p: Q(GreaterThanOrEqual(ScoresAverage("scores"), SATISFIED_AVERAGE))),
    Kpi(
        id="average_processing_days",
        name="Thời gian giải quyết trung bình",
        definition=(
            "Số ngày theo lịch (kể cả ngày nghỉ) từ ngày tiếp nhận đến ngày có kết quả, bình "
            "quân trên các hồ sơ có kết quả trong kỳ (không tính hồ sơ từ chối, dừng hoặc rút); "
            "hồ sơ có kết quả ngay trong ngày tiếp nhận tính 0 ngày. Tử số: tổng số ngày; mẫu "
            "số: số hồ sơ."),
        unit="ngày", direction=LOWER, kind=AVERAGE, counts="hồ sơ", model=Dossier,
        rows=_resolved_with_result, amount=_processing_days),
    Kpi(
        id="intake_overdue",
        name="Hồ sơ trực tuyến tiếp nhận quá hạn",
        definition=(
            "Số hồ sơ nộp trực tuyến trong kỳ không được kiểm tra, tiếp nhận trong thời hạn "
            "(số giờ làm việc theo cấu hình): đã tiếp nhận sau hạn kiểm tra, hoặc đến cuối kỳ "
            "vẫn chờ tiếp nhận dù đã quá hạn. Theo cơ quan tiếp nhận. Mẫu số để tham khảo: hồ "
            "sơ nộp trực tuyến trong kỳ. Càng thấp càng tốt."),
        unit="hồ sơ", direction=LOWER, kind=COUNT, counts="hồ sơ", model=Dossier,
        rows=_intake_rows, numerator=_intake_late, agency_field=RECEIVING),
    ReportKpi(
        id="reports_online",
        name="Tỷ lệ báo cáo định kỳ gửi trực tuyến",
        definition=(
            "Tử số: báo cáo định kỳ đến hạn trong kỳ (hạn nộp của kỳ báo cáo nằm trong kỳ) "
            "đã được lãnh đạo đơn vị duyệt và gửi trực tuyến trên hệ thống; báo cáo giấy do "
            "văn phòng nhập hộ không tính. Mẫu số: tất cả báo cáo định kỳ đến hạn trong kỳ "
            "của các đơn vị được giao báo cáo, theo đơn vị báo cáo. Mục tiêu: ít nhất 50 %."),
        unit="%", direction=HIGHER, kind=RATE, counts="báo cáo", model=AgencyReport,
        rows=_reports_due, numerator=_report_sent_online, default_target=Decimal(50)),
)

KPIS: dict[str, Kpi] = {kpi.id: kpi for kpi in _KPIS}


def get_kpi(kpi_id: str) -> Kpi:
    try:
        return KPIS[kpi_id]
    except KeyError:
        from portal.errors import InvalidInput

        raise InvalidInput("unknown_kpi", f"Không có chỉ số “{kpi_id}”.") from None


# --- the public API -----------------------------------------------------------------------------

def compute(kpi_id: str, period: Period, agency_ids: Iterable[int] | None) -> KpiValue:
    """The KPI over the agencies (already expanded to their subtrees; None: the province).
    One query."""
    return get_kpi(kpi_id).compute(period, agency_ids)


def compute_many(kpi_ids: Iterable[str], period: Period,
                 agency_ids: Iterable[int] | None) -> dict[str, KpiValue]:
    """Several KPIs over the same agencies, as compute() gives them, in fewer scans: plain
    KPIs over the same rows (same model, agency and `rows` definition — e.g. the online and
    the digitised share of the dossiers received) share one aggregate query with a FILTER
    pair each; the others are computed alone."""
    wanted = [get_kpi(k) for k in kpi_ids]
    ids = None if agency_ids is None else sorted(set(agency_ids))
    groups: dict[tuple, list[Kpi]] = {}
    for kpi in wanted:
        if type(kpi) is Kpi:
            groups.setdefault((kpi.model, kpi.agency_lookup, kpi.rows), []).append(kpi)
        else:
            groups[(kpi.id,)] = [kpi]
    out: dict[str, KpiValue] = {}
    for members in groups.values():
        first = members[0]
        if len(members) == 1:
            out[first.id] = first.compute(period, ids)
            continue
        aggregates = {"den": Count("pk")}
        for n, kpi in enumerate(members):
            aggregates[f"num{n}"] = kpi._aggregates(period)["num"]
        row = (first._queryset(period).filter(first._of_agencies(ids))
               .aggregate(**aggregates))
        for n, kpi in enumerate(members):
            out[kpi.id] = kpi.result(row[f"num{n}"], row["den"])
    return {kpi.id: out[kpi.id] for kpi in wanted}


def _covering_paths(paths: list[str]) -> list[str]:
    """The paths not under another of them (a prefix filter needs only these)."""
    out: list[str] = []
    for path in sorted(set(paths)):
        if not out or not path.startswith(out[-1]):
            out.append(path)
    return out


def compute_by_agency(kpi_id: str, period: Period,
                      agencies: Iterable[Agency]) -> dict[int, KpiValue]:
    """Each agency's value over its whole subtree, in one query: the counts grouped by the
    dossier's agency, joined to each ancestor whose path prefixes the agency's path, summed
    (or, for procedures, counted distinct) per ancestor."""
    kpi = get_kpi(kpi_id)
    agencies = list(agencies)
    if not agencies:
        return {}
    paths = _covering_paths([a.path for a in agencies])
    inner, params, mode = kpi.grouped_sql(period, None if any(len(p) == Agency.steplen
                                                                for p in paths) else paths)
    table = Agency._meta.db_table
    if mode == "sum":
        columns = "SUM(r.num), SUM(r.den)"
    else:
        columns = "COUNT(DISTINCT CASE WHEN r.num = 1 THEN r.key END), COUNT(DISTINCT r.key)"
    ids = sorted({a.pk for a in agencies})
    sql = f"""
SELECT anc.id, {columns}
FROM {table} anc
JOIN {table} sub ON sub.path LIKE anc.path || '%%'
JOIN ({inner}) r ON r.agency_id = sub.id
WHERE anc.id IN ({", ".join(["%s"] * len(ids))})
GROUP BY anc.id
"""  # noqa: S608 — table names from the models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids])
        found = {row[0]: kpi.result(row[1], row[2]) for row in cursor.fetchall()}
    empty = kpi.result(0, 0)
    return {agency_id: found.get(agency_id, empty) for agency_id in ids}


def dossier_ids_behind(kpi_id: str, period: Period, agency_ids: Iterable[int] | None,
                       part: str) -> QuerySet[Dossier]:
    """The dossiers behind the numerator ("numerator") or the denominator ("denominator") of
    the KPI over these agencies, oldest receipt first: a lazy queryset, one query a page. For a
    KPI counting dossiers its count equals the numerator (or the denominator); for papers and
    ratings it lists their dossiers; for an average both parts are the same dossiers."""
    qs = get_kpi(kpi_id).dossiers(period, agency_ids, part)
    return qs.order_by("received_at", "pk")


def procedures_behind(kpi_id: str, period: Period, agency_ids: Iterable[int] | None,
                      part: str) -> QuerySet[Procedure]:
    """The procedures behind a KPI that counts procedures (online_procedures_with_dossiers)."""
    kpi = get_kpi(kpi_id)
    if not isinstance(kpi, ProcedureKpi):
        raise ValueError(f"{kpi_id} does not count procedures")
    return kpi.procedures(period, agency_ids, part)
