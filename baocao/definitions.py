"""The shared definitions of every report and KPI (issue 9): periods and the classification of
dossiers into the columns of the handling-results report (Biểu II.06a/VPCP/KSTT, DOMAIN.md §5).

Everything that counts dossiers imports from here, so a KPI, a report cell and the dossier list
behind it cannot disagree. Each class of dossiers exists twice, with the same meaning:

- as a Django ``Q`` (``received_in(period)``, ``resolved_late(period)`` …) for the ORM —
  ``Count("id", filter=...)`` in the KPIs, ``.filter(...)`` in the drill-down lists;
- as a raw SQL boolean fragment (``SQL_RECEIVED_IN`` …) over the dossier table aliased ``d``
  with the named parameters ``%(start)s`` and ``%(end)s``, for the set-based report queries.

tests/baocao/test_definitions.py checks on a fixture that both forms select the same dossiers.

Rules (the common brief of issue 9):
- times are stored in UTC; a period is half-open [start, end) built from local dates in
  Asia/Ho_Chi_Minh;
- GRIS periods (NĐ 09/2019): month = 15th of the previous month → 15th of the month; quarter =
  15th of the month before the quarter → 15th of its last month; 6 months 15/12 → 15/06;
  9 months 15/12 → 15/09; year 15/12 → 15/12 (each end exclusive, i.e. up to the 14th);
- calendar periods: 1st → 1st; custom: any dates, the end date inclusive;
- only received dossiers count (received_at not null); end of processing = finished_at;
- a dossier belongs to an agency subtree by its deciding agency (``in_subtree``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone

from hoso.choices import Channel, DossierStatus
from hoso.models import SupplementRequest
from portal.errors import InvalidInput

LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC

# --- periods ------------------------------------------------------------------------------------

GRIS = "gris"
CALENDAR = "calendar"
CUSTOM = "custom"
PERIOD_KINDS = ("month", "quarter", "half", "nine_months", "year")
PERIOD_KIND_LABELS = {
    "month": "Tháng",
    "quarter": "Quý",
    "half": "6 tháng",
    "nine_months": "9 tháng",
    "year": "Năm",
}
SYSTEM_LABELS = {GRIS: "Kỳ báo cáo (15 – 14)", CALENDAR: "Theo tháng dương lịch",
                 CUSTOM: "Tùy chọn từ ngày – đến ngày"}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Period:
    """A reporting period [start, end) in UTC with its Vietnamese label.

    ``system`` is "gris", "calendar" or "custom"; ``kind`` one of PERIOD_KINDS (or "custom");
    ``year``/``number`` identify a GRIS or calendar period (number: month 1–12, quarter 1–4,
    half 1–2, otherwise 1). ``first_day``/``last_day`` are the local dates it covers (the last
    inclusive), as printed on the report."""

    start: dt.datetime
    end: dt.datetime
    label: str
    system: str = CUSTOM
    kind: str = CUSTOM
    year: int | None = None
    number: int | None = None
    first_day: dt.date = field(default=dt.date.min)
    last_day: dt.date = field(default=dt.date.min)

    @property
    def judged_at(self) -> dt.datetime:
        """When an open dossier's lateness is judged: the end of the period, or now while the
        period is still running (a dossier due tomorrow is not overdue today)."""
        return min(self.end, timezone.now())

    @property
    def sql_params(self) -> dict[str, dt.datetime]:
        """The named parameters of the SQL fragments."""
        return {"start": self.start, "end": self.end, "as_of": self.judged_at}

    @property
    def range_text(self) -> str:
        """"15/09/2026 – 14/12/2026"."""
        return f"{self.first_day:%d/%m/%Y} – {self.last_day:%d/%m/%Y}"

    def as_params(self) -> dict[str, str]:
        """What identifies the period in a query string or a stored export: from/to local
        dates (to inclusive) plus the system, kind, year and number it was chosen by."""
        out = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(),
               "system": self.system, "kind": self.kind}
        if self.year is not None:
            out["year"] = str(self.year)
        if self.number is not None:
            out["number"] = str(self.number)
        return out


def local_midnight(day: dt.date) -> dt.datetime:
    """00:00 local time of a date, in UTC."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def _make(first: dt.date, end_day: dt.date, label: str, system: str, kind: str,
          year: int | None, number: int | None) -> Period:
    last = end_day - dt.timedelta(days=1)
    return Period(start=local_midnight(first), end=local_midnight(end_day),
                  label=f"{label} ({first:%d/%m/%Y} – {last:%d/%m/%Y})", system=system,
                  kind=kind, year=year, number=number, first_day=first, last_day=last)


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _bounds(kind: str, year: int, number: int) -> tuple[tuple[int, int], tuple[int, int], str]:
    """(first month, month after the last, label) of a period in calendar months."""
    if kind == "month":
        _check(number, 12, "tháng")
        return (year, number), _shift_month(year, number, 1), f"Tháng {number}/{year}"
    if kind == "quarter":
        _check(number, 4, "quý")
        first = 3 * (number - 1) + 1
        return (year, first), _shift_month(year, first, 3), f"Quý {ROMAN[number]}/{year}"
    if kind == "half":
        _check(number, 2, "nửa năm")
        first = 1 if number == 1 else 7
        label = f"6 tháng {'đầu' if number == 1 else 'cuối'} năm {year}"
        return (year, first), _shift_month(year, first, 6), label
    if kind == "nine_months":
        return (year, 1), (year, 10), f"9 tháng năm {year}"
    if kind == "year":
        return (year, 1), (year + 1, 1), f"Năm {year}"
    raise InvalidInput("bad_period", f"Loại kỳ báo cáo không hợp lệ: {kind}.")


def _check(number: int, maximum: int, what: str) -> None:
    if not 1 <= number <= maximum:
        raise InvalidInput("bad_period", f"Số {what} phải từ 1 đến {maximum}.")


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise InvalidInput("bad_period", "Năm báo cáo phải từ 2000 đến 2100.")


def gris_period(kind: str, year: int, number: int = 1) -> Period:
    """A GRIS reporting period (NĐ 09/2019): it starts on the 15th of the month before its
    first calendar month and ends (exclusive) on the 15th of its last month. For example
    gris_period("quarter", 2026, 4) is 15/09/2026 00:00 → 15/12/2026 00:00 local time,
    labelled "Quý IV/2026 (15/09/2026 – 14/12/2026)"; "year" 2026 is 15/12/2025 → 15/12/2026."""
    _check_year(year)
    (fy, fm), _after, label = _bounds(kind, year, number)
    # the last calendar month of the period is the month before `_after`
    ly, lm = _shift_month(*_after, -1)
    py, pm = _shift_month(fy, fm, -1)
    return _make(dt.date(py, pm, 15), dt.date(ly, lm, 15), label, GRIS, kind, year, number)


def calendar_period(kind: str, year: int, number: int = 1) -> Period:
    """A calendar period: from the 1st of its first month to the 1st after its last month."""
    _check_year(year)
    (fy, fm), (ay, am), label = _bounds(kind, year, number)
    return _make(dt.date(fy, fm, 1), dt.date(ay, am, 1), label, CALENDAR, kind, year, number)


def custom_period(date_from: dt.date, date_to: dt.date) -> Period:
    """Any range of local dates, both inclusive."""
    if date_to < date_from:
        raise InvalidInput("bad_period",
                           "Ngày kết thúc kỳ báo cáo phải sau hoặc bằng ngày bắt đầu.")
    if (date_to - date_from).days > 3660:
        raise InvalidInput("bad_period", "Kỳ báo cáo tùy chọn dài tối đa 10 năm.")
    end = date_to + dt.timedelta(days=1)
    label = f"Từ ngày {date_from:%d/%m/%Y} đến ngày {date_to:%d/%m/%Y}"
    period = _make(date_from, end, label, CUSTOM, CUSTOM, None, None)
    return Period(start=period.start, end=period.end, label=label, first_day=date_from,
                  last_day=date_to)


def _parse_date(raw: str | None, what: str) -> dt.date:
    raw = (raw or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()  # noqa: DTZ007 — a local date
        except ValueError:
            continue
    raise InvalidInput("bad_period", f"{what} không hợp lệ (dd/mm/yyyy).")


def _parse_int(raw: str | None, what: str) -> int:
    try:
        return int((raw or "").strip())
    except ValueError:
        raise InvalidInput("bad_period", f"{what} không hợp lệ.") from None


def period_from_params(params: dict) -> Period:
    """The period a query string (or a stored export's params) describes: either
    system/kind/year/number, or from/to dates (custom, to inclusive). Bad input raises
    InvalidInput with a Vietnamese message."""
    system = (params.get("system") or "").strip()
    if system in (GRIS, CALENDAR):
        kind = (params.get("kind") or "").strip()
        year = _parse_int(params.get("year"), "Năm báo cáo")
        number = _parse_int(params.get("number") or "1", "Số kỳ báo cáo")
        make = gris_period if system == GRIS else calendar_period
        return make(kind, year, number)
    return custom_period(_parse_date(params.get("from"), "Ngày bắt đầu"),
                         _parse_date(params.get("to"), "Ngày kết thúc"))


def current_gris_month(today: dt.date) -> Period:
    """The GRIS month a local date falls in (the 15th starts the next month's period)."""
    year, month = (today.year, today.month)
    if today.day >= 15:
        year, month = _shift_month(year, month, 1)
    return gris_period("month", year, month)


# --- the classification as Q objects (ORM) --------------------------------------------------------

FINISHED_STATES = (DossierStatus.RESOLVED, DossierStatus.RETURNED, DossierStatus.REFUSED,
                   DossierStatus.STOPPED, DossierStatus.WITHDRAWN)
ONLINE_CHANNELS = tuple(sorted(Channel.online_channels()))
OFFLINE_CHANNELS = (Channel.DIRECT, Channel.POSTAL)


def _local_date(name: str) -> TruncDate:
    return TruncDate(name, tzinfo=LOCAL_TZ)


def in_subtree(path: str, *, by: str = "deciding_agency") -> Q:
    """Dossiers whose deciding agency (or `by`, e.g. "receiving_agency" for intake KPIs) is
    the agency with this treebeard path or below it."""
    return Q(**{f"{by}__path__startswith": path})


def received() -> Q:
    return Q(received_at__isnull=False)


def received_in(p: Period) -> Q:
    """Received in the period: S <= received_at < E."""
    return Q(received_at__gte=p.start, received_at__lt=p.end)


def received_online_in(p: Period) -> Q:
    """(4) received in the period through an online channel."""
    return received_in(p) & Q(channel__in=ONLINE_CHANNELS)


def received_offline_in(p: Period) -> Q:
    """(5) received in the period directly or by post."""
    return received_in(p) & Q(channel__in=OFFLINE_CHANNELS)


def carried_over(p: Period) -> Q:
    """(6) received before the period and not finished before it started."""
    return Q(received_at__lt=p.start) & (Q(finished_at__isnull=True)
                                         | Q(finished_at__gte=p.start))


def handled(p: Period) -> Q:
    """(3) received in the period or carried over into it."""
    return Q(received_at__lt=p.end) & (Q(finished_at__isnull=True)
                                       | Q(finished_at__gte=p.start))


def resolved(p: Period) -> Q:
    """(7) finished in the period (resolved, returned, refused, stopped or withdrawn)."""
    return Q(received_at__isnull=False, finished_at__gte=p.start, finished_at__lt=p.end,
             status__in=FINISHED_STATES)


def _late() -> Q:
    return ~Q(status=DossierStatus.WITHDRAWN) & (
        Q(counted_overdue=True) | Q(due_at__isnull=False, finished_at__gt=F("due_at")))


def resolved_late(p: Period) -> Q:
    """(10) finished in the period after its due time, or counted overdue (not withdrawn)."""
    return resolved(p) & _late()


def _early() -> Q:
    return (~Q(status=DossierStatus.WITHDRAWN) & Q(counted_overdue=False)
            & Q(due_at__isnull=False, finished_at__lte=F("due_at"))
            & Q(LessThan(_local_date("finished_at"), _local_date("due_at"))))


def resolved_early(p: Period) -> Q:
    """(8) finished in the period on an earlier local date than its due date."""
    return resolved(p) & _early()


def resolved_on_time(p: Period) -> Q:
    """(9) finished in the period on its due date, with no due time, or withdrawn."""
    return resolved(p) & (
        Q(status=DossierStatus.WITHDRAWN)
        | (Q(counted_overdue=False) & (
            Q(due_at__isnull=True)
            | (Q(finished_at__lte=F("due_at"))
               & Q(GreaterThanOrEqual(_local_date("finished_at"), _local_date("due_at")))))))


def in_progress(p: Period) -> Q:
    """(11) handled in the period and not finished in it (still open at its end)."""
    return handled(p) & (Q(finished_at__isnull=True) | Q(finished_at__gte=p.end)
                         | ~Q(status__in=FINISHED_STATES))


def _overdue_at(moment: dt.datetime) -> Q:
    """Overdue as the dossier stood at `moment` (the end of the period, or now while it runs),
    rebuilt from its supplement requests rather than its current flags, so a dossier that
    went overdue, was paused or got a second request only after the period ended is judged as
    it was then (TH practice, DOMAIN.md §5: an open dossier is overdue when its due date is
    before the period end; one waiting for a supplement counts within the deadline; a second
    request counts it overdue, N22):

    - no supplement request ever: due before `moment`;
    - otherwise: a second request made before `moment`, or — not paused at `moment` — the
      due time it had then (the ``due_at_before`` of the first request after `moment`, or
      its current due time) is before `moment`.
    """
    requests = SupplementRequest.objects.filter(dossier=OuterRef("pk"))
    second_request = Exists(requests.filter(number__gte=2, requested_at__lt=moment))
    paused = Exists(requests.filter(requested_at__lt=moment).filter(
        Q(received_at__isnull=True) | Q(received_at__gte=moment)))
    due_then = Coalesce(
        Subquery(requests.filter(requested_at__gte=moment).order_by("number")
                 .values("due_at_before")[:1]),
        F("due_at"), Value(dt.datetime.max.replace(tzinfo=UTC)))
    return ((Q(supplement_count=0) & Q(due_at__lt=moment))
            | (Q(supplement_count__gt=0)
               & (second_request | (Q(LessThan(due_then, moment)) & ~paused))))


def in_progress_overdue(p: Period) -> Q:
    """(13) in progress at the end and overdue at the end (or now, while the period runs):
    see ``_overdue_at``."""
    return in_progress(p) & _overdue_at(p.judged_at)


def in_progress_within(p: Period) -> Q:
    """(12) in progress at the end and not overdue then."""
    return in_progress(p) & ~_overdue_at(p.judged_at)


# --- the same classification as SQL fragments (alias d, parameters %(start)s / %(end)s) ---------

def _sql_list(values: tuple[str, ...] | frozenset[str]) -> str:
    # constants of hoso.choices (lower-case identifiers), never user input
    return ", ".join(f"'{str(v)}'" for v in sorted(values))


SQL_FINISHED = _sql_list(FINISHED_STATES)
SQL_ONLINE = _sql_list(ONLINE_CHANNELS)
SQL_OFFLINE = _sql_list(OFFLINE_CHANNELS)
_W = f"'{DossierStatus.WITHDRAWN}'"
_LOCAL = "AT TIME ZONE 'Asia/Ho_Chi_Minh'"

SQL_RECEIVED_IN = "(d.received_at >= %(start)s AND d.received_at < %(end)s)"
SQL_RECEIVED_ONLINE_IN = f"({SQL_RECEIVED_IN} AND d.channel IN ({SQL_ONLINE}))"
SQL_RECEIVED_OFFLINE_IN = f"({SQL_RECEIVED_IN} AND d.channel IN ({SQL_OFFLINE}))"
SQL_CARRIED_OVER = ("(d.received_at < %(start)s AND (d.finished_at IS NULL "
                    "OR d.finished_at >= %(start)s))")
# (3) — also the WHERE clause of a report query (it implies received_at IS NOT NULL)
SQL_HANDLED = ("(d.received_at < %(end)s AND (d.finished_at IS NULL "
               "OR d.finished_at >= %(start)s))")
SQL_RESOLVED = (f"(d.finished_at >= %(start)s AND d.finished_at < %(end)s "
                f"AND d.status IN ({SQL_FINISHED}))")
_SQL_LATE = (f"(d.status <> {_W} AND (d.counted_overdue "
             "OR COALESCE(d.finished_at > d.due_at, FALSE)))")
_SQL_EARLY = (f"(d.status <> {_W} AND NOT d.counted_overdue AND COALESCE("
              f"d.finished_at <= d.due_at AND (d.finished_at {_LOCAL})::date "
              f"< (d.due_at {_LOCAL})::date, FALSE))")
SQL_RESOLVED_LATE = f"({SQL_RESOLVED} AND {_SQL_LATE})"
SQL_RESOLVED_EARLY = f"({SQL_RESOLVED} AND {_SQL_EARLY})"
SQL_RESOLVED_ON_TIME = f"({SQL_RESOLVED} AND NOT {_SQL_LATE} AND NOT {_SQL_EARLY})"
SQL_IN_PROGRESS = (f"({SQL_HANDLED} AND (d.finished_at IS NULL OR d.finished_at >= %(end)s "
                   f"OR d.status NOT IN ({SQL_FINISHED})))")
_SR = SupplementRequest._meta.db_table
# _overdue_at as SQL. The supplement history at `as_of`, per dossier that has one, as a small
# derived table the report query LEFT JOINs as `s` ON s.dossier_id = d.id (a hash join keeps
# the aggregate parallel; correlated subqueries in the FILTERs would not):
SQL_SUPPLEMENTS_AT = (  # the model's table name and constants, no input
    "SELECT dossier_id, "  # noqa: S608
    "bool_or(number >= 2 AND requested_at < %(as_of)s) AS second_before, "
    "bool_or(requested_at < %(as_of)s AND (received_at IS NULL "
    "OR received_at >= %(as_of)s)) AS paused_then, "
    "(array_agg(due_at_before ORDER BY number) "
    "FILTER (WHERE requested_at >= %(as_of)s))[1] AS due_then "
    f"FROM {_SR} GROUP BY dossier_id")
_SQL_OPEN_OVERDUE = (
    "(CASE WHEN s.dossier_id IS NULL THEN COALESCE(d.due_at < %(as_of)s, FALSE) ELSE "
    "COALESCE(s.second_before OR (COALESCE(s.due_then, d.due_at) < %(as_of)s "
    "AND NOT s.paused_then), FALSE) END)")
SQL_IN_PROGRESS_OVERDUE = f"({SQL_IN_PROGRESS} AND {_SQL_OPEN_OVERDUE})"
SQL_IN_PROGRESS_WITHIN = f"({SQL_IN_PROGRESS} AND NOT {_SQL_OPEN_OVERDUE})"

# --- the 13 columns of Biểu II.06a/VPCP/KSTT --------------------------------------------------

# column number → (Q factory, SQL fragment); (1) TT and (2) the row label are not counts
COLUMN_Q = {
    3: handled, 4: received_online_in, 5: received_offline_in, 6: carried_over,
    7: resolved, 8: resolved_early, 9: resolved_on_time, 10: resolved_late,
    11: in_progress, 12: in_progress_within, 13: in_progress_overdue,
}
COLUMN_SQL = {
    3: SQL_HANDLED, 4: SQL_RECEIVED_ONLINE_IN, 5: SQL_RECEIVED_OFFLINE_IN, 6: SQL_CARRIED_OVER,
    7: SQL_RESOLVED, 8: SQL_RESOLVED_EARLY, 9: SQL_RESOLVED_ON_TIME, 10: SQL_RESOLVED_LATE,
    11: SQL_IN_PROGRESS, 12: SQL_IN_PROGRESS_WITHIN, 13: SQL_IN_PROGRESS_OVERDUE,
}
COUNT_COLUMNS = tuple(range(3, 14))
# (sum, parts): the identities every row must satisfy (DOMAIN.md §5)
IDENTITIES = ((3, (4, 5, 6)), (7, (8, 9, 10)), (11, (12, 13)), (3, (7, 11)))


def broken_identities(cells: dict[int, int]) -> list[str]:
    """The identities a row of counts breaks, as readable text ("(3) = (4)+(5)+(6): 10 ≠ 9");
    empty when the row is consistent."""
    out = []
    for total, parts in IDENTITIES:
        found = sum(cells[c] for c in parts)
        if cells[total] != found:
            out.append(f"({total}) = {'+'.join(f'({c})' for c in parts)}: "
                       f"{cells[total]} ≠ {found}")
    return out
