"""The 766-style service-quality score (QĐ 766/QĐ-TTg, DOMAIN.md §4; issue 9 item 3).

Everything that can change — the groups, the indicators, their maxima, formula kinds and
thresholds, the grade bands, whether the portal holds an indicator's data — is read from the
configuration file `settings.SCORE_766_CONFIG` (baocao/data/score766.json by default), never
written here. This module only knows how to count the named sets of dossiers and procedures
the configuration refers to and how each formula kind turns a rate into points.

Counting is set-based: one aggregate query over the dossiers handled in the period (every
dossier set is a ``Count(filter=Q)``) and one over the catalogue, whatever the number of
dossiers; the ranking runs the same two queries grouped by the ranked agency (the prefix of
the deciding agency's treebeard path). The drill-down (`dossiers_behind`) filters with the
very ``Q`` the count used, so a list always has as many rows as the number it explains.

Indicators whose data the portal does not hold have ``"data": null`` in the configuration;
they, and indicators with nothing to measure in the period (denominator 0), are "no data":
excluded from the total and listed with their points. The total is shown out of the maximum
of the indicators that have data and normalised to 100; the grade band is read on the
normalised figure. Nothing is filled in by default (not even the PAKN "full marks when there
are no petitions" rule: the portal has no petition module to prove there were none).

Periods are calendar periods (the 766 portal's, DOMAIN.md §4), built by baocao.definitions.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import reduce
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Substr

from baocao.definitions import (
    ONLINE_CHANNELS,
    Period,
    handled,
    in_progress,
    received_in,
    received_online_in,
    resolved,
)
from hoso.choices import DigitisationState, DossierStatus
from hoso.models import Dossier, DossierDocument, Rating, Result, WalletDocument
from portal.choices import AgencyKind
from portal.errors import InvalidInput
from portal.models import Agency
from thanhtoan.choices import Method, OrderStatus
from thanhtoan.models import PaymentOrder
from tthc.choices import ImplementerRelation, ServiceMode
from tthc.models import FeeItem, Procedure, ProcedureAgency, ProcedureLevel

OK = "ok"
NO_DATA = "no_data"
TWO_PLACES = Decimal("0.01")
ONLINE_MODES = (ServiceMode.PARTIAL, ServiceMode.FULL)
WITH_RESULT = (DossierStatus.RESOLVED, DossierStatus.RETURNED)
DIGITAL = sorted(DigitisationState.digital_states())
REUSED = sorted(DigitisationState.reuse_states())
PARTS = ("numerator", "denominator")

EMPTY_PERIOD = "Không phát sinh trong kỳ (mẫu số bằng 0)."
UNKNOWN_INDICATOR = "Chỉ tiêu không có trong cấu hình chỉ số 766."
NOT_A_DOSSIER_PART = "Chỉ tiêu này không có danh sách hồ sơ cho phần đã chọn."


# --- configuration --------------------------------------------------------------------------

_loaded: dict[tuple[str, float], dict] = {}


def config_path() -> Path:
    return Path(getattr(settings, "SCORE_766_CONFIG", "")
                or Path(__file__).parent / "data" / "score766.json")


def load_config(path: Path | str | None = None) -> dict:
    """The configuration, read once per file version (path and modification time)."""
    path = Path(path) if path else config_path()
    key = (str(path), path.stat().st_mtime)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = json.loads(path.read_text(encoding="utf-8"))
    return _loaded[key]


def indicator_config(code: str, config: dict | None = None) -> dict:
    config = config or load_config()
    for group in config["groups"]:
        for indicator in group["indicators"]:
            if indicator["code"] == code:
                return indicator
    raise InvalidInput("unknown_indicator", UNKNOWN_INDICATOR)


def _number(value) -> Decimal:
    return Decimal(str(value))


def _fmt(value) -> str:
    """12 → "12"; 2.5 → "2,5" (Vietnamese decimal comma)."""
    text = format(_number(value).normalize(), "f")
    return text.replace(".", ",")


def formula_text(indicator: dict) -> str:
    """The formula in words, from the configured kind and values."""
    formula, top = indicator["formula"], _fmt(indicator["max"])
    kind = formula["kind"]
    if indicator.get("tracked"):
        if kind == "threshold":
            return f"Theo dõi, không tính điểm (mức đạt: tỷ lệ ≥ {_fmt(formula['full_at'])} %)"
        return "Theo dõi, không tính điểm"
    if kind == "linear":
        return f"Điểm = {top} × tỷ lệ (tối đa {top})"
    if kind == "threshold":
        full = _fmt(formula["full_at"])
        return f"Đủ {top} điểm khi tỷ lệ ≥ {full} %; dưới mức đó: {top} × tỷ lệ / {full} %"
    if kind == "weighted":
        return f"Điểm = min({top}; {_fmt(formula['weight'])} × tỷ lệ)"
    if kind == "deduction":
        full = _fmt(formula["full_at"])
        return (f"Tỷ lệ = 100 % − tổng các tỷ lệ trừ; điểm = min({top}; {top} × tỷ lệ / "
                f"{full} %)")
    raise ValueError(f"unknown formula kind {kind!r}")


def grade_band(score: Decimal | None, config: dict | None = None) -> str:
    """The band of a score out of 100 (the highest band whose minimum it reaches)."""
    if score is None:
        return ""
    config = config or load_config()
    for band in sorted(config["grade_bands"], key=lambda b: _number(b["min"]), reverse=True):
        if score >= _number(band["min"]):
            return band["label"]
    return ""


def points_for(indicator: dict, rate: Fraction) -> Decimal:
    """Points of an indicator for a rate given as a fraction (0.8 = 80 %)."""
    formula, top = indicator["formula"], Fraction(_number(indicator["max"]))
    kind = formula["kind"]
    if kind == "linear":
        raw = top * rate
    elif kind in ("threshold", "deduction"):
        raw = top * rate * 100 / Fraction(_number(formula["full_at"]))
    elif kind == "weighted":
        raw = Fraction(_number(formula["weight"])) * rate
    else:
        raise ValueError(f"unknown formula kind {kind!r}")
    raw = max(Fraction(0), min(top, raw))
    return _decimal(raw)


def _decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        TWO_PLACES, rounding=ROUND_HALF_UP)


def _percent(value: Fraction) -> Decimal:
    return _decimal(value * 100)


# --- the named sets ---------------------------------------------------------------------------

def _tdgq_on_time(p: Period) -> Q:
    """Done on time (withdrawn counts as on time) or in progress within the deadline at the
    end of the period, on the 766 due time `kpi_due_at` (a second supplement request sets
    counted_overdue: late). A dossier waiting for a supplement is within its deadline."""
    done = resolved(p) & (Q(status=DossierStatus.WITHDRAWN) | (
        Q(counted_overdue=False)
        & (Q(kpi_due_at__isnull=True) | Q(finished_at__lte=F("kpi_due_at")))))
    running = in_progress(p) & Q(counted_overdue=False) & (
        Q(kpi_due_at__isnull=True) | Q(kpi_due_at__gte=p.end)
        | Q(status=DossierStatus.AWAITING_SUPPLEMENT))
    return done | running


def _valid_eresult(p: Period) -> Exists:
    return Exists(Result.objects.filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gte=p.end),
        dossier=OuterRef("pk"), electronic=True, signed_at__lt=p.end))


def _low_rating(p: Period, at_most: int) -> Exists:
    from hoso.services.processing import RATING_CRITERIA

    low = reduce(operator.or_, (Q(**{f"scores__{key}__lte": at_most})
                                for key in sorted(RATING_CRITERIA)))
    return Exists(Rating.objects.filter(low, dossier=OuterRef("pk"), rated_at__lt=p.end))


def _paid_online(p: Period) -> Exists:
    return Exists(PaymentOrder.objects.filter(dossier=OuterRef("pk"), status=OrderStatus.PAID,
                                              method=Method.ONLINE, paid_at__lt=p.end))


def _fee_procedures() -> QuerySet:
    return FeeItem.objects.filter(amount__gt=0).values("procedure")


def dossier_sets(p: Period, config: dict) -> dict[str, Q]:
    """Every named set of dossiers the configuration may refer to, as ORM conditions."""
    on_time = _tdgq_on_time(p)
    with_result = resolved(p) & Q(status__in=WITH_RESULT)
    eresult = with_result & Q(_valid_eresult(p))
    not_digital = DossierDocument.objects.filter(dossier=OuterRef("pk")).exclude(
        digitisation__in=DIGITAL)
    reused = DossierDocument.objects.filter(dossier=OuterRef("pk"), digitisation__in=REUSED)
    deposited = WalletDocument.objects.filter(source_result__dossier=OuterRef("pk"),
                                              source_result__electronic=True,
                                              created_at__lt=p.end)
    full = received_in(p) & Q(procedure__service_mode=ServiceMode.FULL)
    fee = received_in(p) & Q(fee_total__gt=0)
    return {
        "handled": handled(p),
        "received": received_in(p),
        "received_online": received_online_in(p),
        "tdgq_on_time": handled(p) & on_time,
        "tdgq_overdue": handled(p) & ~on_time,
        "full_received": full,
        "full_online": full & Q(channel__in=ONLINE_CHANNELS),
        "fee_received": fee,
        "fee_paid_online": fee & Q(_paid_online(p)),
        "with_result": with_result,
        "eresult": eresult,
        "digitised_eresult": eresult & ~Q(Exists(not_digital)),
        "received_reused": received_in(p) & Q(Exists(reused)),
        "wallet_deposit": with_result & Q(Exists(deposited)),
        "low_rating": handled(p) & Q(_low_rating(p, config.get("low_rating_at_most", 2))),
    }


def _distinct_procedure_counts(p: Period) -> dict:
    """Procedure-level numerators that come from the dossiers: distinct procedures."""
    fee_procedure = Q(procedure__in=_fee_procedures())
    received = received_in(p)
    return {
        "online_procedures_with_dossiers": Count(
            "procedure", distinct=True,
            filter=received & Q(procedure__service_mode__in=ONLINE_MODES)),
        "fee_procedures_with_dossiers": Count("procedure", distinct=True,
                                              filter=received & fee_procedure),
        "fee_procedures_paid_online": Count(
            "procedure", distinct=True, filter=received & fee_procedure & Q(_paid_online(p))),
    }


CATALOGUE_SETS = ("procedures", "online_procedures", "fee_procedures")


def _catalogue_sql(id_count: int) -> str:
    """Procedures carried out by a set of agencies (tthc.selectors.procedures_of, as one
    query): named for an agency, or of a people's committee's level when no agency of that
    level is named, and not excluded for it; published at the period's last day. Grouped by
    the prefix of the agency's path (length 0: one group)."""
    agency, pa = Agency._meta.db_table, ProcedureAgency._meta.db_table
    level, proc, fee = (ProcedureLevel._meta.db_table, Procedure._meta.db_table,
                        FeeItem._meta.db_table)
    ids = ", ".join(["%s"] * id_count)
    # table names come from the models, every value is a parameter
    return f"""
        WITH scope AS (
            SELECT a.id, a.level, a.kind, substr(a.path, 1, %s) AS prefix
              FROM {agency} a WHERE a.id IN ({ids})
        ), carried AS (
            SELECT s.prefix, x.procedure_id FROM scope s
              JOIN {pa} x ON x.agency_id = s.id AND x.relation = %s
            UNION
            SELECT s.prefix, l.procedure_id FROM scope s
              JOIN {level} l ON l.level = s.level
             WHERE s.kind = %s
               AND NOT EXISTS (SELECT 1 FROM {pa} n JOIN {agency} na ON na.id = n.agency_id
                                WHERE n.procedure_id = l.procedure_id AND n.relation = %s
                                  AND na.level = s.level)
               AND NOT EXISTS (SELECT 1 FROM {pa} e WHERE e.procedure_id = l.procedure_id
                                  AND e.agency_id = s.id AND e.relation = %s)
        )
        SELECT c.prefix, COUNT(*),
               COUNT(*) FILTER (WHERE p.service_mode IN (%s, %s)),
               COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM {fee} f
                                               WHERE f.procedure_id = p.id AND f.amount > 0))
          FROM carried c JOIN {proc} p ON p.id = c.procedure_id
         WHERE p.published_from <= %s AND (p.retired_on IS NULL OR p.retired_on > %s)
         GROUP BY c.prefix"""  # noqa: S608


def _catalogue_counts(agency_ids: list[int], prefix_len: int, p: Period) -> dict[str, dict]:
    if not agency_ids:
        return {}
    params = [prefix_len, *agency_ids, ImplementerRelation.IMPLEMENTS.value,
              AgencyKind.PEOPLES_COMMITTEE.value, ImplementerRelation.IMPLEMENTS.value,
              ImplementerRelation.EXCLUDED.value, *(m.value for m in ONLINE_MODES),
              p.last_day, p.last_day]
    with connection.cursor() as cursor:
        cursor.execute(_catalogue_sql(len(agency_ids)), params)
        return {row[0]: dict(zip(CATALOGUE_SETS, row[1:], strict=True))
                for row in cursor.fetchall()}


def _needed_sets(config: dict) -> set[str]:
    names: set[str] = set()
    for group in config["groups"]:
        for indicator in group["indicators"]:
            data = indicator.get("data")
            if data and data["level"] == "dossier":
                names |= {data.get("numerator"), data["denominator"],
                          *data.get("deductions", ())}
    names.discard(None)
    return names


def figures(agency_ids: Iterable[int], p: Period, *, config: dict | None = None,
            prefix_len: int = 0) -> dict[str, dict[str, int]]:
    """Every count the score needs, for dossiers decided by `agency_ids` in the period:
    {path prefix: {set name: count}} (prefix_len 0: one entry, key ""). Two queries."""
    config = config or load_config()
    ids = sorted(set(agency_ids))
    sets = dossier_sets(p, config)
    counts = {name: Count("pk", filter=sets[name]) for name in sorted(_needed_sets(config))}
    counts.update(_distinct_procedure_counts(p))
    dossiers = Dossier.objects.filter(handled(p), deciding_agency__in=ids)
    if prefix_len:
        rows = (dossiers.annotate(prefix=Substr("deciding_agency__path", 1, prefix_len))
                .values("prefix").annotate(**counts).order_by())
        found = {row.pop("prefix"): row for row in rows}
    else:
        found = {"": dossiers.aggregate(**counts)} if ids else {}
    blank = dict.fromkeys([*counts, *CATALOGUE_SETS], 0)
    answer: dict[str, dict[str, int]] = {}
    for prefix, row in found.items():
        answer.setdefault(prefix, dict(blank)).update(row)
    for prefix, row in _catalogue_counts(ids, prefix_len, p).items():
        answer.setdefault(prefix, dict(blank)).update(row)
    return answer


# --- the score --------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorScore:
    code: str
    name: str
    group: str
    max: Decimal
    formula: str
    definition: str
    source: str
    status: str  # OK or NO_DATA
    tracked: bool = False
    level: str = ""  # "dossier" or "procedure" (what numerator and denominator count)
    numerator: int | None = None
    denominator: int | None = None
    rate: Decimal | None = None  # percent, 2 places
    points: Decimal | None = None
    deductions: dict[str, int] = field(default_factory=dict)
    reason: str = ""  # why there is no data

    @property
    def scored(self) -> bool:
        return self.status == OK and not self.tracked

    @property
    def excluded(self) -> bool:
        """Counted in the group's maximum but left out of the score for lack of data."""
        return self.status == NO_DATA and not self.tracked

    @property
    def drill_parts(self) -> tuple[str, ...]:
        """The parts that have a list of dossiers behind them."""
        if self.level != "dossier" or self.status != OK:
            return ()
        return (*(("numerator",) if self.numerator is not None and not self.deductions
                  else ()), "denominator", *self.deductions)


@dataclass(frozen=True)
class GroupScore:
    code: str
    name: str
    max: Decimal
    points: Decimal
    available_max: Decimal  # the maximum of the indicators with data (≤ max)
    indicators: list[IndicatorScore]
    formula: str = ""
    source: str = ""

    @property
    def normalised(self) -> Decimal | None:
        if not self.available_max:
            return None
        return (self.points * 100 / self.available_max).quantize(TWO_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class Score:
    period: Period
    groups: list[GroupScore]
    points: Decimal  # of the indicators with data
    available_max: Decimal
    max: Decimal  # of all groups (100)
    normalised: Decimal | None  # points ÷ available_max × 100
    band: str
    excluded: list[IndicatorScore]  # no data: left out, with their points
    config_version: str = ""

    @property
    def excluded_points(self) -> Decimal:
        return sum((i.max for i in self.excluded), Decimal(0))


def _indicator(group: dict, spec: dict, row: dict[str, int]) -> IndicatorScore:
    common = {"code": spec["code"], "name": spec["name"], "group": group["code"],
              "max": _number(spec["max"]), "formula": formula_text(spec),
              "definition": spec.get("definition", ""), "source": spec.get("source", ""),
              "tracked": bool(spec.get("tracked"))}
    data = spec.get("data")
    if not data:
        return IndicatorScore(**common, status=NO_DATA, reason=spec.get("no_data_reason", ""))
    denominator = row.get(data["denominator"], 0)
    deductions = {name: row.get(name, 0) for name in data.get("deductions", ())}
    numerator = row.get(data["numerator"], 0) if "numerator" in data else None
    if not denominator:
        return IndicatorScore(**common, status=NO_DATA, level=data["level"], numerator=numerator,
                              denominator=0, deductions=deductions, reason=EMPTY_PERIOD)
    if deductions:
        rate = max(Fraction(0), 1 - Fraction(sum(deductions.values()), denominator))
    else:
        rate = Fraction(numerator, denominator)
    points = Decimal(0) if common["tracked"] else points_for(spec, rate)
    return IndicatorScore(**common, status=OK, level=data["level"], numerator=numerator,
                          denominator=denominator, rate=_percent(rate), points=points,
                          deductions=deductions)


def _group(spec: dict, row: dict[str, int]) -> GroupScore:
    indicators = [_indicator(spec, i, row) for i in spec["indicators"]]
    top = _number(spec["max"])
    points = min(top, sum((i.points for i in indicators if i.scored), Decimal(0)))
    available = min(top, sum((i.max for i in indicators if i.scored), Decimal(0)))
    return GroupScore(code=spec["code"], name=spec["name"], max=top, points=points,
                      available_max=available, indicators=indicators,
                      formula=spec.get("formula_text", ""), source=spec.get("source", ""))


def score_from_figures(row: dict[str, int], period: Period, config: dict) -> Score:
    groups = [_group(g, row) for g in config["groups"]]
    points = sum((g.points for g in groups), Decimal(0))
    available = sum((g.available_max for g in groups), Decimal(0))
    normalised = ((points * 100 / available).quantize(TWO_PLACES, ROUND_HALF_UP)
                  if available else None)
    return Score(period=period, groups=groups, points=points, available_max=available,
                 max=sum((g.max for g in groups), Decimal(0)), normalised=normalised,
                 band=grade_band(normalised, config),
                 excluded=[i for g in groups for i in g.indicators if i.excluded],
                 config_version=str(config.get("version", "")))


def score(agency_ids: Iterable[int], period: Period, *, config: dict | None = None) -> Score:
    """The score of the dossiers decided by `agency_ids` (a subtree, already expanded) in a
    period. Two queries."""
    config = config or load_config()
    row = figures(agency_ids, period, config=config).get("", {})
    return score_from_figures(row, period, config)


def score_by_agency(agencies: Iterable[Agency], period: Period, *,
                    config: dict | None = None) -> list[tuple[Agency, Score]]:
    """The score of each agency's subtree, best first (a ranking): per depth of the ranked
    agencies, one query for the subtree ids and the two counting queries grouped by the
    path prefix of the deciding agency."""
    config = config or load_config()
    agencies = list(agencies)
    out: list[tuple[Agency, Score]] = []
    for depth in sorted({a.depth for a in agencies}):
        same = [a for a in agencies if a.depth == depth]
        prefix_len = depth * Agency.steplen
        under = reduce(operator.or_, (Q(path__startswith=a.path) for a in same))
        ids = list(Agency.objects.filter(under).values_list("pk", flat=True))
        found = figures(ids, period, config=config, prefix_len=prefix_len)
        out += [(a, score_from_figures(found.get(a.path, {}), period, config)) for a in same]
    return sorted(out, key=lambda pair: (-(pair[1].normalised or Decimal(-1)),
                                         pair[0].name))


# --- the drill-down ---------------------------------------------------------------------------

def dossiers_behind(indicator_code: str, part: str, agency_ids: Iterable[int],
                    period: Period, *, config: dict | None = None) -> QuerySet[Dossier]:
    """The dossiers behind one part ("numerator", "denominator" or a deduction's set name)
    of a dossier-level indicator, for dossiers decided by `agency_ids` — filtered by the same
    condition that counted them. Raises InvalidInput for anything else."""
    config = config or load_config()
    data = indicator_config(indicator_code, config).get("data") or {}
    names = {"numerator": data.get("numerator"), "denominator": data.get("denominator"),
             **{name: name for name in data.get("deductions", ())}}
    name = names.get(part)
    if data.get("level") != "dossier" or not name:
        raise InvalidInput("not_a_dossier_part", NOT_A_DOSSIER_PART)
    condition = dossier_sets(period, config)[name]
    return Dossier.objects.filter(handled(period), condition,
                                  deciding_agency__in=sorted(set(agency_ids)))
