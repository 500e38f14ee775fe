"""python manage.py generate_dossiers --count N --years Y [--seed S] [--batch-size B]
                                      [--jobs J] [--open-only]

Synthetic dossiers at provincial scale for the benchmarks: a million in minutes on two cores,
loaded with PostgreSQL COPY (one in-memory CSV buffer per batch), never through the ORM.

What the rows look like (DESIGN.md §6; the demo province of `seed_demo` must be there):
- procedures from the catalogue (those with a workflow), weighted towards the common citizen
  ones (hộ tịch, chứng thực, cư trú); the deciding agency among
  `tthc.selectors.agencies_carrying_out`; the receiving desk is the locality's public service
  centre where it has one, otherwise the deciding agency itself, and for a boundary-free
  procedure sometimes another desk of the province;
- channels ≈ direct 50 %, online 20 %, national portal 15 %, VNeID 5 %, postal 10 % (the channel
  is drawn first, then a procedure that accepts it); owners with well-formed CCCD numbers of the
  province (019, sex and century of birth in the 4th digit) and Vietnamese names, or tax codes
  for businesses;
- receipts spread uniformly over the working time of the last Y years up to now; the due time
  from the real working-day calendar, precomputed once as a list of working days so that adding
  N working days is an index lookup (checked against `hoso.services.intake.due_time` on a sample
  of every run); statuses consistent with the time: most old dossiers returned (about 90 % on
  time), some refused or withdrawn, recent ones received, in progress or awaiting a supplement
  (some overdue), a few online submissions still waiting to be checked;
- codes from `hoso.codes.format_code`, gap-free per unit and day: each batch adds its day counts
  to the `DossierCounter` rows (an upsert that locks them, as a real receipt does, until the
  batch commits) and numbers its dossiers after the values found there, so a second run and a
  later real receipt both continue at n + 1;
- the open dossiers are in every state the deadline jobs look at: received and not started;
  in progress with an open processing step, due before the dossier (so some steps are late
  while their dossier is not); awaiting a supplement, with its `SupplementRequest` and the
  clock paused; late or due within a working day, about half of them with an apology
  (`Apology`, sent with a new appointment beside the original due time, or a draft waiting for
  the leader); `--open-only` makes every dossier open, received within its procedure's time
  (LATE_SHARE already past it): the deadline benchmark's million open dossiers;
- around each received dossier, what the reports count (`_history.py`): its papers in every
  digitisation state (scanned at the desk, uploads confirmed or not, a national source, reused
  from the wallet of the same owner — a repeat applicant — with the wallet entry and its use),
  one result for each resolved or returned dossier (three in four a signed e-result), ratings
  for a third of the returned ones, and the fee payment of fee-bearing dossiers (mostly paid,
  online for most online dossiers) with the dossier's paid time;
- one `DossierEvent` per dossier for the receipt (or the submission, if not yet received), and
  one for the last status change when there is one; `terms` is the procedure's
  `terms_snapshot()` taken once per procedure and shared by its dossiers, without the e-form
  schema (kilobytes per row for a form that is already filled in) and with only the workflow of
  the deciding agency's level: the JSON is most of each row's bytes.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import random
import threading
import time
import uuid
from bisect import bisect
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate, repeat
from operator import attrgetter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from hoso.choices import (
    Action,
    Channel,
    DossierStatus,
    IdType,
    OwnerType,
    PostalService,
    ResultDelivery,
)
from hoso.codes import format_code
from hoso.management.commands._history import History
from hoso.routing import locality
from hoso.services.intake import due_time, fee_preview, slip_version_on
from portal.calendar import TZ, WorkCalendar, get_calendar, parse_working_hours
from portal.choices import AgencyKind, AgencyLevel, Role, TimeUnit
from portal.models import Agency, AgencyMembership
from tthc.choices import Channel as ProcedureChannel
from tthc.models import Procedure
from tthc.search import fold
from tthc.selectors import agencies_carrying_out

NEEDS_POSTGRES = ("Lệnh này chỉ chạy trên PostgreSQL (nạp dữ liệu bằng COPY); cơ sở dữ liệu "
                  "hiện tại là “%(vendor)s”. Đặt DATABASE_URL=postgres://… rồi chạy lại.")
NEEDS_SEED = ("Chưa có dữ liệu tỉnh (cơ quan và danh mục thủ tục có quy trình): chạy "
              "python manage.py seed_demo trước.")
NO_WORKING_TIME = "Không có thời gian làm việc nào trong %(years)s năm gần đây."
BAD_ARGUMENT = "--count, --years, --batch-size và --jobs phải lớn hơn 0."
TZ_CHANGES = "Múi giờ của lịch làm việc thay đổi trong khoảng thời gian cần sinh."
SAMPLE_MISMATCH = ("Lỗi nội bộ: hạn trả tính nhanh (%(fast)s) khác hạn trả theo lịch làm việc "
                   "(%(real)s) của hồ sơ thủ tục %(procedure)s.")

DEFAULT_COUNT = 10_000
DEFAULT_YEARS = 3.0
DEFAULT_BATCH_SIZE = 20_000
DEFAULT_JOBS = 2  # two cores: one job draws while the other's batch is in PostgreSQL
DAY = 86_400
NULL = r"\N"  # the NULL marker of the COPY below (an unquoted empty field is "")
ONLINE = Channel.online_channels()
# Actions of the processing part of the state machine (DESIGN.md §4) that hoso.choices.Action
# does not list yet; the events keep the names of the diagram.
START, REQUEST_SUPPLEMENT, REFUSE, RESOLVE, RETURN_RESULT = (
    "start", "request_supplement", "refuse", "resolve", "return_result")

CHANNEL_WEIGHTS = ((Channel.DIRECT, 50), (Channel.ONLINE, 20), (Channel.NATIONAL_PORTAL, 15),
                   (Channel.VNEID, 5), (Channel.POSTAL, 10))
# Folded field-name keywords → weight of the field (shared by its procedures); others get 1.
FIELD_WEIGHTS = (("ho tich", 30.0), ("chung thuc", 30.0), ("cu tru", 20.0), ("can cuoc", 6.0),
                 ("dat dai", 5.0), ("ho kinh doanh", 3.0))
BUSINESS_FIELDS = ("doanh nghiep", "hop tac xa", "dau tu")
LATE_SHARE = 0.10  # finished after the due time
REFUSED_SHARE = 0.03
WITHDRAWN_SHARE = 0.02
SUPPLEMENT_SHARE = 0.08  # of the open dossiers older than a working day
STEP_SHARE = 0.7  # the open step is due after this share of the time left when it started
APOLOGY_SHARE = 0.5  # of the dossiers in progress that are late or due within a working day
APOLOGY_REASONS = (("verification", "Cần xác minh thêm thông tin về nơi cư trú của người "
                    "yêu cầu."), ("interagency", "Chờ ý kiến của cơ quan phối hợp."),
                   ("officer", "Cán bộ thụ lý nghỉ ốm, đã phân công cán bộ khác."))
ELSEWHERE_SHARE = 0.12  # boundary-free dossiers handed in at another desk of the province
CENTRE_SHARE = 0.9  # where the locality has a public service centre, it receives this share
ON_BEHALF_SHARE = 0.12
EMAIL_SHARE = 0.3
PENDING_SHARE = 0.5  # online submissions of the last working day still waiting to be checked
MAX_SUBMIT_LAG = 30 * 3600  # seconds between an online submission and its receipt
RETURN_WITHIN_DAYS = 2  # working days between the result and its return
LATE_BY_DAYS = 8  # at most, in working days
SAMPLE_CHECKS = 40

FAMILY_NAMES = (("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 6), ("Phan", 4),
                ("Vũ", 4), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Ngô", 1), ("Dương", 1),
                ("Hà", 1), ("Ma", 1), ("Nông", 1), ("Lương", 1), ("Đào", 1), ("Đinh", 1),
                ("Trịnh", 1), ("Lý", 1), ("Triệu", 1), ("Hồ", 1), ("Chu", 1), ("Lưu", 1))
MIDDLE_NAMES = (("Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Xuân", "Thanh", "Tuấn", "Ngọc",
                 "Mạnh", "Duy", "Đình", "Trọng", "Hoàng"),
                ("Thị", "Thu", "Ngọc", "Thanh", "Minh", "Thùy", "Phương", "Kim", "Hồng", "Bích",
                 "Mai", "Diệu", "Khánh", "Thị", "Thị"))
GIVEN_NAMES = (("An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khánh",
                "Long", "Minh", "Nam", "Phong", "Quân", "Sơn", "Thắng", "Tùng", "Tuấn", "Việt",
                "Trung", "Kiên", "Lâm", "Thành", "Toàn", "Vinh", "Đức", "Khoa", "Phúc", "Hoàng"),
               ("Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Huyền",
                "Lan", "Linh", "Loan", "Mai", "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo",
                "Trang", "Tuyết", "Vân", "Yến", "Thủy", "Ly", "Nga", "Nhàn", "Hồng", "My"))
BUSINESS_WORDS = ("Thái Hưng", "Gang Thép", "Chè Tân Cương", "Phú Lương", "Hoàng Long", "Đại Từ",
                  "Sông Công", "An Khánh", "Việt Bắc", "Minh Phát", "Tân Thành", "Hồng Hà")
BUSINESS_FORMS = ("Công ty TNHH", "Công ty cổ phần", "Hợp tác xã", "Công ty TNHH MTV")
RELATIONS = ("Người được ủy quyền", "Bố", "Mẹ", "Vợ", "Chồng", "Con", "Anh", "Chị")
PHONE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "086", "088", "032", "033",
                  "034", "035", "036", "037", "038", "039", "070", "076", "077", "078", "079",
                  "081", "082", "083", "084", "085", "056", "058", "059")

DOSSIER_COLUMNS = (
    "id", "public_id", "code", "procedure_id", "terms", "slip_version", "status", "channel",
    "receiving_agency_id", "deciding_agency_id", "owner_type", "owner_name", "owner_id_type",
    "owner_id_number", "owner_phone", "owner_email", "owner_address", "submitter_name",
    "submitter_id_number", "submitter_phone", "submitter_relation", "form_data",
    "result_delivery", "delivery_address", "postal_service", "postal_tracking_number",
    "fee_total", "idempotency_key", "refusal_reason", "completion_request", "submitted_at",
    "intake_due_at", "received_at", "clock_start_at", "due_at", "finished_at", "returned_at",
    "created_at", "updated_at", "kpi_due_at", "handling_agency_id", "current_step_id",
    "assignee_id", "paused_at", "supplement_count", "extended_due_at", "apology_count",
    "fee_paid_at")
# A dossier in progress holds one open processing step (what the deadline jobs look at).
STEP_COLUMNS = ("id", "dossier_id", "position", "name", "role", "agency_id", "assignee_id",
                "started_at", "due_at", "outcome", "note")
SUPPLEMENT_COLUMNS = ("dossier_id", "number", "items", "reason", "requested_by_id",
                      "requested_at", "clock_rule", "due_at_before")
APOLOGY_COLUMNS = ("dossier_id", "status", "reason_code", "reason", "new_due_at", "drafted_at",
                   "issued_by_id", "issued_at")
EVENT_COLUMNS = ("dossier_id", "at", "actor_id", "agency_id", "action", "status_before",
                 "status_after", "note", "data")
REFUSAL_REASON = "Hồ sơ không đủ điều kiện giải quyết theo quy định."


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


REFUSAL_CSV = _quote(REFUSAL_REASON)
EVENT_DATA_CSV = _quote(json.dumps({"generated": True}))
SUPPLEMENT_ITEMS = [{"name": "Tờ khai", "reason": "Thiếu chữ ký của người yêu cầu"},
                    {"name": "Giấy tờ chứng minh nơi cư trú", "reason": "Bản chụp không rõ"}]
SUPPLEMENT_ITEMS_CSV = _quote(json.dumps(SUPPLEMENT_ITEMS, ensure_ascii=False))
SUPPLEMENT_TEXT_CSV = _quote("\n".join(f"{i['name']}: {i['reason']}" for i in SUPPLEMENT_ITEMS))
COUNTER_UPSERT = (
    "INSERT INTO hoso_dossiercounter (agency_id, day, value) VALUES %s "
    "ON CONFLICT (agency_id, day) DO UPDATE SET value = hoso_dossiercounter.value + EXCLUDED.value "
    "RETURNING agency_id, day, value")


def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')"


# --- working time as a number line ----------------------------------------------------------

def _seconds(moment: dt.time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


class WorkingClock:
    """The working time of one calendar, precomputed once for a range of days.

    A moment is `t`, local seconds (date ordinal × 86 400 + seconds of the day, Asia/Ho_Chi_Minh).
    Working time is `w`, seconds of working time since the first working day's opening, so that
    adding N working days is `w + N × day_length` and a list index replaces the calendar's scan
    day by day. `to_t(w, end=True)` reads a period boundary as the closing of the earlier period,
    as `WorkCalendar.add` does (a limit that ends exactly at 17:00 is due at 17:00).
    """

    def __init__(self, calendar: WorkCalendar, first: dt.date, last: dt.date):
        self.periods = [(_seconds(start), _seconds(end)) for start, end in calendar.hours]
        ends = list(accumulate(end - start for start, end in self.periods))
        self.offsets = [0, *ends[:-1]]  # working time before each period of a day
        self.day_length = ends[-1]
        self.first = first.toordinal()
        self.days: list[int] = []  # ordinals of the working days
        self.next_day: list[int] = []  # per date of the range: index of the next working day
        for ordinal in range(self.first, last.toordinal() + 1):
            self.next_day.append(len(self.days))
            if calendar.is_working_day(dt.date.fromordinal(ordinal)):
                self.days.append(ordinal)
        self.working = frozenset(self.days)

    def to_w(self, t: int) -> int:
        """Working time at `t`; outside working hours, that of the next opening."""
        ordinal, second = divmod(t, DAY)
        index = self.next_day[ordinal - self.first]
        base = index * self.day_length
        if self.days[index] != ordinal:
            return base
        for (start, end), offset in zip(self.periods, self.offsets, strict=True):
            if second < start:
                return base + offset
            if second < end:
                return base + offset + second - start
        return base + self.day_length

    def to_t(self, w: int, end: bool = False) -> int:
        index, offset = divmod(w, self.day_length)
        if end and offset == 0 and index:
            index, offset = index - 1, self.day_length
        ordinal = self.days[index]
        for (start, stop), before in zip(self.periods, self.offsets, strict=True):
            length = stop - start
            if offset < before + length or (end and offset == before + length):
                return ordinal * DAY + start + offset - before
        raise AssertionError("offset beyond the working day")

    def add_calendar_days(self, t: int, days: int) -> int:
        """`days` calendar days later, moved to the next working day if it is a day off."""
        ordinal, second = divmod(t, DAY)
        ordinal += days
        while ordinal not in self.working:
            ordinal += 1
        return ordinal * DAY + second


@lru_cache(maxsize=1024)
def _span(unit_seconds: int, amount: Decimal) -> int:
    return int((Decimal(unit_seconds) * amount).to_integral_value())


@dataclass(frozen=True)
class Limit:
    """A procedure's processing time (Procedure.processing_time, time_unit, same-day rule)."""

    unit: str
    amount: Decimal
    same_day: bool

    def span(self, day_length: int) -> int:
        """About how much working time the limit gives (for drawing open dossiers)."""
        if self.same_day:
            return day_length
        if self.unit == TimeUnit.CALENDAR_DAYS:
            return int(self.amount * day_length * 5 / 7)
        return _span(day_length if self.unit == TimeUnit.WORKING_DAYS else 3600, self.amount)

    def due(self, clock: WorkingClock, t: int, cutoff: int) -> int:
        """The due moment of a dossier received at `t` (hoso.services.intake.due_time)."""
        if self.same_day:
            index = clock.to_w(t) // clock.day_length
            if clock.days[index] == t // DAY and t % DAY > cutoff:
                index += 1
            return clock.to_t((index + 1) * clock.day_length, end=True)
        if self.unit == TimeUnit.CALENDAR_DAYS:
            return clock.add_calendar_days(t, int(self.amount))
        unit = clock.day_length if self.unit == TimeUnit.WORKING_DAYS else 3600
        return clock.to_t(clock.to_w(t) + _span(unit, self.amount), end=True)


# --- what the generator draws from ----------------------------------------------------------

@dataclass(eq=False)
class Place:
    """An agency as the generator uses it."""

    agency: Agency
    clock: WorkingClock
    area: str  # for addresses: "phường Quán Triều"
    pk: int = 0
    text: str = ""  # the primary key as CSV writes it
    desk_officers: list[int] = field(default_factory=list)
    processors: list[int] = field(default_factory=list)
    home: Place | None = None  # the desk that receives for it (itself, or its locality's centre)


@dataclass(eq=False)
class Kind:
    """A procedure as the generator uses it."""

    procedure: Procedure
    text: str  # the primary key as CSV writes it
    terms: dict
    terms_csv: dict[str, str]  # per deciding level: the JSON, quoted for CSV once
    limit: Limit
    carriers: list[Place]
    channels: frozenset[str]
    fees: dict[bool, int | None]
    business: bool


class Draft:
    """One generated dossier before it gets its id and code."""

    __slots__ = ("address", "business", "channel", "code", "delivery", "deciding", "due", "email",
                 "final", "finished", "id", "idue", "kind", "name", "owner_id", "phone",
                 "postal", "received", "receiving", "returned", "status", "step_id",
                 "submitted", "submitter", "unit", "paused", "apology", "step_due",
                 # the history around it (_history.History)
                 "eresult", "result_id", "result_wallet", "fee_paid")


class Generator:
    """Draws dossiers and loads them batch by batch (see the module docstring)."""

    def __init__(self, *, years: float, now: dt.datetime, open_only: bool = False):
        self.rng = random.Random()  # noqa: S311 — synthetic data, not secrets; see for_batch
        # Held while a job runs Python (drawing, writing CSV), so that with two jobs one draws
        # while the other's batch is in PostgreSQL instead of both waiting for the GIL.
        self.python = threading.Lock()
        local_now = now.astimezone(TZ)
        self.t_now = local_now.date().toordinal() * DAY + _seconds(local_now.time())
        self.first_day = (local_now - dt.timedelta(days=365.25 * years)).date()
        self.last_day = local_now.date() + dt.timedelta(days=400)
        offset = _utc_offset(self.first_day, self.last_day)
        self.clock_texts = [f" {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}{offset}"
                            for s in range(DAY)]  # one string per second of the day
        self.cutoff = _seconds(dt.time.fromisoformat(settings.PORTAL_SAME_DAY_CUTOFF))
        self.intake_span = settings.INTAKE_CHECK_WORKING_HOURS * 3600
        self.by_deciding = settings.DOSSIER_CODE_UNIT == "deciding"
        self.open_only = open_only
        self._clocks: dict[str, WorkingClock] = {}
        self._places: dict[int, Place] = {}
        self._iso: dict[int, str] = {}
        self._dates: dict[int, dt.date] = {}
        self.clock = self._clock("")
        self.w_start = self.clock.to_w(self.first_day.toordinal() * DAY + DAY)
        self.w_now = self.clock.to_w(self.t_now)
        if self.w_now <= self.w_start:
            raise CommandError(NO_WORKING_TIME % {"years": years})
        self._load_catalogue()
        self.families = [name for name, weight in FAMILY_NAMES for _i in range(weight)]

    def for_batch(self, seed: int | None, index: int) -> Generator:
        """A copy sharing the reference data, with the batch's own random numbers: a seed
        gives the same data whatever the number of jobs."""
        worker = copy.copy(self)
        worker.rng = random.Random(None if seed is None else f"{seed}:{index}")  # noqa: S311
        return worker

    # -- reference data, read once --

    def _clock(self, hours: str) -> WorkingClock:
        hours = hours or settings.PORTAL_WORKING_HOURS
        if hours not in self._clocks:
            days = get_calendar()
            calendar = WorkCalendar(hours=parse_working_hours(hours),
                                    extra_days_off=days.extra_days_off,
                                    extra_working_days=days.extra_working_days)
            self._clocks[hours] = WorkingClock(calendar, self.first_day - dt.timedelta(days=7),
                                               self.last_day)
        return self._clocks[hours]

    def _place(self, agency: Agency) -> Place:
        if agency.pk not in self._places:
            area = agency.name.removeprefix("Ủy ban nhân dân ")
            self._places[agency.pk] = Place(agency=agency, clock=self._clock(agency.working_hours),
                                            area=area, pk=agency.pk, text=str(agency.pk))
        return self._places[agency.pk]

    def _load_catalogue(self) -> None:
        procedures = list(Procedure.objects.published().filter(workflows__isnull=False)
                          .distinct().select_related("field").order_by("national_code"))
        kinds = [kind for kind in map(self._kind, procedures) if kind.carriers]
        if not kinds:
            raise CommandError(NEEDS_SEED)
        fields = Counter(kind.procedure.field_id for kind in kinds)
        weights = [_field_weight(kind.procedure.field.name) / fields[kind.procedure.field_id]
                   for kind in kinds]
        # The channel is drawn first, then a procedure among those that accept it, so that the
        # mix of channels is the target whatever each procedure accepts.
        self.channels = [c for c, _w in CHANNEL_WEIGHTS if any(c in k.channels for k in kinds)]
        self.channel_weights = list(accumulate(w for c, w in CHANNEL_WEIGHTS
                                               if c in self.channels))
        self.kinds_by_channel = {}
        for channel in self.channels:
            pairs = [(k, w) for k, w in zip(kinds, weights, strict=True) if channel in k.channels]
            self.kinds_by_channel[channel] = ([k for k, _w in pairs],
                                              list(accumulate(w for _k, w in pairs)))
        self._link_places()

    def _kind(self, procedure: Procedure) -> Kind:
        terms = procedure.terms_snapshot()
        terms.pop("eform_schema", None)
        return Kind(
            procedure=procedure, text=str(procedure.pk), terms=terms,
            terms_csv=_terms_csv(terms),
            limit=Limit(procedure.time_unit, procedure.processing_time,
                        procedure.same_day_cutoff and procedure.time_unit == TimeUnit.WORKING_DAYS
                        and procedure.processing_time <= 1),
            carriers=[self._place(a) for a in agencies_carrying_out(procedure)],
            channels=frozenset(c for c, _w in CHANNEL_WEIGHTS if _accepts(procedure, c)),
            fees={False: fee_preview(procedure, Channel.DIRECT),
                  True: fee_preview(procedure, Channel.ONLINE)},
            business=any(word in fold(procedure.field.name) for word in BUSINESS_FIELDS))

    def _link_places(self) -> None:
        """Receiving desks, and the officers named on the events."""
        centres = {}
        for centre in Agency.objects.filter(kind=AgencyKind.SERVICE_CENTRE, is_active=True):
            centres.setdefault(locality(centre).pk, self._place(centre))
        for place in list(self._places.values()):
            place.home = centres.get(locality(place.agency).pk, place)
        desks = [p for p in self._places.values() if p.agency.level == AgencyLevel.COMMUNE
                 or p.agency.kind == AgencyKind.SERVICE_CENTRE]
        self.desks = sorted(desks, key=lambda p: p.agency.code)
        memberships = AgencyMembership.objects.filter(agency__in=list(self._places)).order_by("pk")
        # who added a result where the generator knows no officer of the agency
        self.any_officer = memberships.values_list("user_id", flat=True).first()
        for agency_id, user_id, role in memberships.values_list("agency_id", "user_id", "role"):
            place = self._places[agency_id]
            if role == Role.DESK_OFFICER:
                place.desk_officers.append(user_id)
            elif role in (Role.PROCESSING_OFFICER, Role.LEADER):
                place.processors.append(user_id)

    # -- drawing --

    def draw(self, size: int, w_low: int, w_high: int) -> list[Draft]:
        with self.python:
            return self._draw(size, w_low, w_high)

    def _draw(self, size: int, w_low: int, w_high: int) -> list[Draft]:
        rng = self.rng
        channels = rng.choices(self.channels, cum_weights=self.channel_weights, k=size)
        drafts = []
        for channel in channels:
            kinds, weights = self.kinds_by_channel[channel]
            d = Draft()
            d.channel = channel
            d.kind = kind = kinds[bisect(weights, rng.random() * weights[-1])]
            d.deciding = kind.carriers[int(rng.random() * len(kind.carriers))]
            w = (self._open_receipt(kind) if self.open_only
                 else w_low + int(rng.random() * (w_high - w_low)))
            self._receiving(d, self.clock.to_t(w))
            self._owner(d)
            self._timeline(d)
            drafts.append(d)
        return drafts

    def _open_receipt(self, kind: Kind) -> int:
        """A receipt (province working time) that leaves a dossier of `kind` still open now:
        within its processing time, or for LATE_SHARE already past it."""
        rng, day = self.rng, self.clock.day_length
        back = int(rng.random() * kind.limit.span(day))
        if rng.random() < LATE_SHARE:
            back = kind.limit.span(day) + 1800 + int(rng.random() * LATE_BY_DAYS * day)
        return max(self.w_now - back, self.w_start)

    def _receiving(self, d: Draft, t: int) -> None:
        rng = self.rng
        home = d.deciding.home or d.deciding
        if home is not d.deciding and rng.random() > CENTRE_SHARE:
            home = d.deciding
        procedure = d.kind.procedure
        if (procedure.boundary_free and rng.random() < ELSEWHERE_SHARE
                and procedure.is_boundary_free_on(self._date(t // DAY))):
            home = self.desks[int(rng.random() * len(self.desks))]
        d.receiving = home
        clock = home.clock
        d.received = clock.to_t(clock.to_w(t))  # inside the receiving desk's hours
        d.unit = d.deciding if self.by_deciding else home

    def _owner(self, d: Draft) -> None:
        rng = self.rng
        person = self._person()
        d.phone = rng.choice(PHONE_PREFIXES) + f"{int(rng.random() * 10_000_000):07d}"
        d.address = (f"Số {1 + int(rng.random() * 200)}, tổ {1 + int(rng.random() * 30)}, "
                     f"{d.deciding.area}")
        d.email = ""
        if d.kind.business and rng.random() < 0.7:
            d.business = True
            d.name = (f"{rng.choice(BUSINESS_FORMS)} {rng.choice(BUSINESS_WORDS)} "
                      f"{rng.choice(BUSINESS_WORDS)}")
            d.owner_id = f"46{int(rng.random() * 100_000_000):08d}"
            d.submitter = (person[0], person[1], d.phone, "Người đại diện theo pháp luật")
            return
        d.business = False
        d.name, d.owner_id = person
        if rng.random() < EMAIL_SHARE:
            d.email = f"{fold(d.name).replace(' ', '.')}{int(rng.random() * 1000)}@example.vn"
        d.submitter = None
        if rng.random() < ON_BEHALF_SHARE:
            other = self._person()
            d.submitter = (other[0], other[1], d.phone, rng.choice(RELATIONS))

    def _person(self) -> tuple[str, str]:
        """A Vietnamese name and a CCCD of the province (sex and century in the 4th digit)."""
        rng = self.rng
        female = rng.random() < 0.5
        year = self.first_day.year + 2 - 18 - int(rng.random() * 62)
        name = (f"{self.families[int(rng.random() * len(self.families))]} "
                f"{rng.choice(MIDDLE_NAMES[female])} {rng.choice(GIVEN_NAMES[female])}")
        digit = (0 if year < 2000 else 2) + female
        return name, f"019{digit}{year % 100:02d}{int(rng.random() * 1_000_000):06d}"

    def _timeline(self, d: Draft) -> None:
        """Submission, receipt, due time, result and return, and the status they give now."""
        rng, kind = self.rng, d.kind
        d.submitted = d.idue = d.finished = d.returned = d.final = None
        d.paused = d.apology = d.step_due = d.fee_paid = None
        d.status = DossierStatus.RECEIVED
        d.delivery = ResultDelivery.DESK
        d.postal = None
        if d.channel in ONLINE:
            clock = d.receiving.clock
            d.submitted = d.received - 600 - int(rng.random() * MAX_SUBMIT_LAG)
            d.idue = clock.to_t(clock.to_w(d.submitted) + self.intake_span, end=True)
            d.delivery = ResultDelivery.ONLINE if rng.random() < 0.5 else ResultDelivery.DESK
            if (self.w_now - self.clock.to_w(d.received) < self.clock.day_length
                    and rng.random() < PENDING_SHARE):
                d.status, d.received, d.due = DossierStatus.SUBMITTED, None, None
                d.final = (Action.SUBMIT, DossierStatus.DRAFT, DossierStatus.SUBMITTED,
                           d.submitted, None)
                return
        elif d.channel == Channel.POSTAL:
            d.delivery = ResultDelivery.POST
            d.postal = f"EN{int(rng.random() * 1_000_000_000):09d}VN"
        elif rng.random() < 0.1:
            d.delivery = ResultDelivery.POST
        clock = d.deciding.clock
        d.due = kind.limit.due(clock, d.received, self.cutoff)
        self._outcome(d, clock)

    def _outcome(self, d: Draft, clock: WorkingClock) -> None:
        rng, day = self.rng, clock.day_length
        w_received, w_due = clock.to_w(d.received), clock.to_w(d.due)
        w_now = clock.to_w(self.t_now)
        if self.open_only:
            self._open(d, clock, w_received, w_now, _pick(rng, d.deciding.processors))
            return
        if rng.random() < LATE_SHARE:
            w_done = w_due + 1800 + int(rng.random() * LATE_BY_DAYS * day)
        else:
            w_done = w_received + int(max(w_due - w_received, 60) * (0.1 + 0.9 * rng.random()))
        w_back = w_done + int(rng.random() * RETURN_WITHIN_DAYS * day)
        processor = _pick(rng, d.deciding.processors)
        fate = rng.random()
        if fate < REFUSED_SHARE and w_done <= w_now:
            d.status, d.finished = DossierStatus.REFUSED, clock.to_t(w_done, end=True)
            d.final = (REFUSE, DossierStatus.IN_PROGRESS,
                       DossierStatus.REFUSED, d.finished, processor)
        elif fate < REFUSED_SHARE + WITHDRAWN_SHARE and w_done <= w_now:
            at = clock.to_t(w_received + int((w_done - w_received) * rng.random()), end=True)
            d.status, d.finished = DossierStatus.WITHDRAWN, at  # withdrawal ends the clock
            d.final = (Action.WITHDRAW, DossierStatus.IN_PROGRESS, DossierStatus.WITHDRAWN, at,
                       None)
        elif w_back <= w_now:
            d.status = DossierStatus.RETURNED
            d.finished, d.returned = clock.to_t(w_done, end=True), clock.to_t(w_back, end=True)
            d.final = (RETURN_RESULT, DossierStatus.RESOLVED, DossierStatus.RETURNED,
                       d.returned, _pick(rng, d.receiving.desk_officers))
        elif w_done <= w_now:
            d.status, d.finished = DossierStatus.RESOLVED, clock.to_t(w_done, end=True)
            d.final = (RESOLVE, DossierStatus.IN_PROGRESS, DossierStatus.RESOLVED, d.finished,
                       processor)
        else:
            self._open(d, clock, w_received, w_now, processor)

    def _open(self, d: Draft, clock: WorkingClock, w_received: int, w_now: int,
              processor: int | None) -> None:
        rng, day = self.rng, clock.day_length
        w_start = w_received + int(rng.random() * day / 2)
        if w_start > w_now:
            return  # received, not yet started
        # who asks for the supplement: the processing officer, else the desk that received
        asker = processor if processor is not None else _pick(rng, d.receiving.desk_officers)
        if w_now - w_received > day and asker is not None and rng.random() < SUPPLEMENT_SHARE:
            at = clock.to_t(w_start + int((w_now - w_start) * rng.random()))
            d.status, d.paused = DossierStatus.AWAITING_SUPPLEMENT, at
            d.final = (REQUEST_SUPPLEMENT, DossierStatus.IN_PROGRESS,
                       DossierStatus.AWAITING_SUPPLEMENT, at, asker)
            return
        d.status = DossierStatus.IN_PROGRESS
        d.final = (START, DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS,
                   clock.to_t(w_start), processor)
        w_due = clock.to_w(d.due)
        d.step_due = (clock.to_t(w_start + int((w_due - w_start) * STEP_SHARE), end=True)
                      if w_due > w_start else d.due)  # started late: the step is as late
        if processor is None or w_due - w_now >= day or rng.random() >= APOLOGY_SHARE:
            return
        # Late or due within a working day: the leader apologised before the due time with a
        # new appointment, or the apology check's draft waits for the leader.
        new_due = clock.to_t(w_due + (2 + int(rng.random() * 3)) * day, end=True)
        code, reason = APOLOGY_REASONS[int(rng.random() * len(APOLOGY_REASONS))]
        w_issued = w_due - int(day * (0.2 + 0.6 * rng.random()))
        if w_start < w_issued <= w_now:
            d.apology = ("sent", code, reason, new_due, None, processor,
                         clock.to_t(w_issued))
        else:
            d.apology = ("draft", "", "", new_due, self.t_now, None, None)

    # -- numbering and loading --

    def number(self, drafts: list[Draft], cursor) -> None:
        """Take the batch's numbers from the counters (locked until commit) and set the codes.

        The upsert locks the counter rows in (agency, day) order, as one real receipt locks its
        row: concurrent batches and receipts queue, never deadlock, and a rolled-back batch
        gives its numbers back."""
        received = sorted((d for d in drafts if d.received is not None),
                          key=attrgetter("received"))
        need = Counter((d.unit.pk, d.received // DAY) for d in received)
        rows = [(agency, self._date(ordinal), need[agency, ordinal])
                for agency, ordinal in sorted(need)]
        taken = execute_values(cursor, COUNTER_UPSERT, rows, page_size=max(len(rows), 1),
                               fetch=True) if rows else []
        last = {(agency, day.toordinal()): value - need[agency, day.toordinal()]
                for agency, day, value in taken}
        for d in received:
            key = (d.unit.pk, d.received // DAY)
            last[key] += 1
            d.code = format_code(d.unit.agency.code, self._date(key[1]), last[key])

    def load(self, drafts: list[Draft]) -> int:
        """Number and COPY one batch in one transaction; the number of events written."""
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor
            _fast_load_settings(cursor)
            self.number(drafts, cursor)
            cursor.execute("SELECT nextval(pg_get_serial_sequence('hoso_dossier', 'id')) "
                           "FROM generate_series(1, %s)", [len(drafts)])
            for d, (pk,) in zip(drafts, cursor.fetchall(), strict=True):
                d.id, d.step_id = pk, None
            history = History(self, drafts)
            with self.python:
                history.plan()
            history.take_ids(cursor)
            working = [d for d in drafts if d.status == DossierStatus.IN_PROGRESS and d.final]
            if working:
                cursor.execute("SELECT nextval(pg_get_serial_sequence('hoso_dossierstep', "
                               "'id')) FROM generate_series(1, %s)", [len(working)])
                for d, (pk,) in zip(working, cursor.fetchall(), strict=True):
                    d.step_id = pk
            with self.python:
                dossiers = io.StringIO("".join(map(self._dossier_line, drafts)))
                event_lines = [line for d in drafts for line in self._event_lines(d)]
            cursor.copy_expert(_copy_sql("hoso_dossier", DOSSIER_COLUMNS), dossiers)
            cursor.copy_expert(_copy_sql("hoso_dossierevent", EVENT_COLUMNS),
                               io.StringIO("".join(event_lines)))
            if working:
                cursor.copy_expert(_copy_sql("hoso_dossierstep", STEP_COLUMNS), io.StringIO(
                    "".join(map(self._step_line, working))))
            waiting = [d for d in drafts if d.paused is not None]
            if waiting:
                cursor.copy_expert(_copy_sql("hoso_supplementrequest", SUPPLEMENT_COLUMNS),
                                   io.StringIO("".join(map(self._supplement_line, waiting))))
            with self.python:
                history.copy(cursor, _copy_sql)
            sorry = [d for d in drafts if d.apology is not None]
            if sorry:
                cursor.copy_expert(_copy_sql("hoso_apology", APOLOGY_COLUMNS),
                                   io.StringIO("".join(map(self._apology_line, sorry))))
        return len(event_lines)

    def _dossier_line(self, d: Draft) -> str:
        """One CSV line of hoso_dossier, in DOSSIER_COLUMNS order."""
        kind, stamp, received = d.kind, self._stamp, d.received
        name, number, phone, relation = d.submitter or ("", "", "", "")
        fee = kind.fees[d.channel in ONLINE]
        sent = d.apology if d.apology is not None and d.apology[0] == "sent" else None
        return ",".join((
            str(d.id), str(uuid.uuid4()), NULL if received is None else d.code,
            kind.text, kind.terms_csv[d.deciding.agency.level],
            "" if received is None else self._slip(received), d.status, d.channel,
            d.receiving.text, d.deciding.text,
            OwnerType.BUSINESS if d.business else OwnerType.CITIZEN, _quote(d.name),
            IdType.TAX_CODE if d.business else IdType.CCCD, d.owner_id, d.phone, d.email,
            _quote(d.address), _quote(name), number, phone, _quote(relation), "{}", d.delivery,
            _quote(d.address) if d.delivery == ResultDelivery.POST else "",
            PostalService.PUBLIC_POST if d.postal else "", d.postal or "",
            NULL if fee is None else str(fee), "",
            REFUSAL_CSV if d.status == DossierStatus.REFUSED else "",
            SUPPLEMENT_TEXT_CSV if d.paused is not None else "",
            stamp(d.submitted), stamp(d.idue), stamp(received), stamp(received), stamp(d.due),
            stamp(d.finished), stamp(d.returned), stamp(d.submitted or received),
            stamp(d.final[3] if d.final else received), stamp(d.due),
            NULL if received is None else d.deciding.text,
            NULL if d.step_id is None else str(d.step_id),
            NULL if d.step_id is None or d.final[4] is None else str(d.final[4]),
            stamp(d.paused), "0" if d.paused is None else "1",
            NULL if sent is None else stamp(sent[3]), "0" if sent is None else "1",
            stamp(d.fee_paid))) + "\n"

    def _step_line(self, d: Draft) -> str:
        """The open processing step of a dossier in progress (STEP_COLUMNS)."""
        return ",".join((
            str(d.step_id), str(d.id), "2", "Xử lý hồ sơ", "processing_officer", d.deciding.text,
            NULL if d.final[4] is None else str(d.final[4]), self._stamp(d.final[3]),
            self._stamp(d.step_due), "open", "")) + "\n"

    def _supplement_line(self, d: Draft) -> str:
        """The supplement request of a dossier waiting for it (SUPPLEMENT_COLUMNS)."""
        rule = d.kind.terms["procedure"].get("supplement_clock", "restart")
        return ",".join((str(d.id), "1", SUPPLEMENT_ITEMS_CSV, "", str(d.final[4]),
                         self._stamp(d.paused), rule, self._stamp(d.due))) + "\n"

    def _apology_line(self, d: Draft) -> str:
        """The apology (sent or draft) of a late or nearly due dossier (APOLOGY_COLUMNS)."""
        status, code, reason, new_due, drafted, leader, issued = d.apology
        return ",".join((str(d.id), status, code, _quote(reason), self._stamp(new_due),
                         self._stamp(drafted), NULL if leader is None else str(leader),
                         self._stamp(issued))) + "\n"

    def _event_lines(self, d: Draft) -> list[str]:
        """CSV lines of hoso_dossierevent (EVENT_COLUMNS): the receipt, the last change."""
        lines = []
        if d.received is not None:
            desks = d.receiving.desk_officers
            actor = str(desks[d.id % len(desks)]) if desks else NULL
            lines.append(f"{d.id},{self._stamp(d.received)},{actor},{d.receiving.text},"
                         f"{Action.RECEIVE},{DossierStatus.SUBMITTED},{DossierStatus.RECEIVED},,"
                         f"{EVENT_DATA_CSV}\n")
        if d.final is not None:
            action, before, after, at, actor = d.final
            place = d.receiving if action in (RETURN_RESULT, Action.SUBMIT) else d.deciding
            lines.append(f"{d.id},{self._stamp(at)},{NULL if actor is None else actor},"
                         f"{place.text},{action},{before},{after},,{EVENT_DATA_CSV}\n")
        return lines

    def _slip(self, t: int) -> str:
        return slip_version_on(self._date(t // DAY))

    def _date(self, ordinal: int) -> dt.date:
        day = self._dates.get(ordinal)
        if day is None:
            day = self._dates[ordinal] = dt.date.fromordinal(ordinal)
        return day

    def _stamp(self, t: int | None) -> str:
        """`t` as a timestamptz literal ("2025-03-04 09:15:00+07:00")."""
        if t is None:
            return NULL
        ordinal, second = divmod(t, DAY)
        text = self._iso.get(ordinal)
        if text is None:
            text = self._iso[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return text + self.clock_texts[second]

    def moment(self, t: int) -> dt.datetime:
        ordinal, second = divmod(t, DAY)
        return dt.datetime.combine(dt.date.fromordinal(ordinal), dt.time(
            second // 3600, second % 3600 // 60, second % 60), tzinfo=TZ)

    def check_sample(self, drafts: list[Draft]) -> int:
        """Compare the precomputed due times with the calendar's own arithmetic."""
        checked = 0
        for d in [d for d in drafts if d.received is not None][:SAMPLE_CHECKS]:
            real = due_time(d.kind.procedure, d.kind.terms, self.moment(d.received),
                            d.deciding.agency)
            if real != self.moment(d.due):
                raise CommandError(SAMPLE_MISMATCH % {
                    "fast": self.moment(d.due).isoformat(), "real": real.isoformat(),
                    "procedure": d.kind.procedure.national_code})
            checked += 1
        return checked


def _utc_offset(first: dt.date, last: dt.date) -> str:
    offsets = {TZ.utcoffset(dt.datetime.combine(day, dt.time(12))) for day in (first, last)}
    if len(offsets) != 1:
        raise CommandError(TZ_CHANGES)
    minutes = int(offsets.pop().total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _fast_load_settings(cursor) -> None:
    """Session settings of one batch's transaction that make the load cheaper, never unsafe."""
    cursor.execute("SET LOCAL synchronous_commit = off")  # a crash loses whole batches only
    cursor.execute("SELECT current_setting('is_superuser'), 'lz4' = ANY(enumvals) FROM "
                   "pg_settings WHERE name = 'default_toast_compression'")
    superuser, lz4 = cursor.fetchone()
    if lz4:  # `terms` is compressed in every row: lz4 costs a third of pglz's time
        cursor.execute("SET LOCAL default_toast_compression = 'lz4'")
    if superuser == "on":
        cursor.execute("SET LOCAL wal_compression = on")  # full-page images after checkpoints
        # Every reference was read from the database at start and the ids come from its
        # sequence: skip the deferred foreign-key checks (one lookup per reference and row at
        # commit), as pg_restore --disable-triggers does.
        cursor.execute("SET LOCAL session_replication_role = replica")


def _terms_csv(terms: dict) -> dict[str, str]:
    """The snapshot as each deciding level stores it: with that level's workflow only."""
    by_level = {}
    for level in AgencyLevel.values:
        mine = {k: v for k, v in terms["workflows"].items() if k == level}
        text = json.dumps({**terms, "workflows": mine}, ensure_ascii=False, separators=(",", ":"))
        by_level[level] = _quote(text)
    return by_level


def _accepts(procedure: Procedure, channel: str) -> bool:
    if channel in Channel.online_channels():
        return procedure.accepts(ProcedureChannel.ONLINE)
    return not procedure.online_only and procedure.accepts(channel)


def _field_weight(name: str) -> float:
    folded = fold(name)
    return next((weight for word, weight in FIELD_WEIGHTS if word in folded), 1.0)


def _pick(rng: random.Random, ids: list[int]) -> int | None:
    return ids[int(rng.random() * len(ids))] if ids else None


@dataclass(frozen=True)
class Batch:
    """`size` receipts spread evenly over the working time [low, high)."""

    index: int
    size: int
    low: int
    high: int


def plan(count: int, batch_size: int, low: int, high: int, day_length: int) -> list[Batch]:
    """Batches of about `batch_size` over [low, high), cut at working-day boundaries when there
    are enough days: concurrent batches then never share a (unit, day) counter row, so they
    never wait for each other's commit."""
    parts = -(-count // batch_size)
    span = high - low
    edges = [low + span * k // parts for k in range(parts + 1)]
    if span // day_length >= parts:
        edges = [low, *(edge - edge % day_length for edge in edges[1:-1]), high]
    sizes = [count * (edge - low) // span for edge in edges]
    batches = [Batch(index=k, size=sizes[k + 1] - sizes[k], low=edges[k], high=edges[k + 1])
               for k in range(parts)]
    return [batch for batch in batches if batch.size]


def run_batch(generator: Generator, batch: Batch, seed: int | None) -> tuple[int, int]:
    """Draw and load one batch; (events written, due times checked against the calendar)."""
    worker = generator.for_batch(seed, batch.index)
    drafts = worker.draw(batch.size, batch.low, batch.high)
    checked = worker.check_sample(drafts) if batch.index == 0 else 0
    return worker.load(drafts), checked


def run_batch_in_thread(generator: Generator, batch: Batch, seed: int | None) -> tuple[int, int]:
    try:
        return run_batch(generator, batch, seed)
    finally:
        connection.close()  # this thread's own connection


class Command(BaseCommand):
    help = ("Sinh hồ sơ mẫu ở quy mô tỉnh (nạp bằng COPY vào PostgreSQL) cho các phép đo hiệu "
            "năng; chạy lại an toàn: mã hồ sơ tiếp nối bộ đếm hiện có.")

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=DEFAULT_COUNT,
                            help="Số hồ sơ cần sinh thêm (mặc định %(default)s).")
        parser.add_argument("--years", type=float, default=DEFAULT_YEARS,
                            help="Trải đều trong bao nhiêu năm gần đây (mặc định %(default)s).")
        parser.add_argument("--seed", type=int, default=None,
                            help="Hạt giống ngẫu nhiên, để sinh lại cùng dữ liệu.")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                            help="Số hồ sơ mỗi lần COPY (mặc định %(default)s).")
        parser.add_argument("--open-only", action="store_true",
                            help="Chỉ sinh hồ sơ đang giải quyết (trong thời hạn, một phần đã "
                                 "quá hạn), cho phép đo các tác vụ theo dõi thời hạn.")
        parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                            help="Số luồng nạp song song, mỗi luồng một kết nối "
                                 "(mặc định %(default)s; 1 = trong kết nối hiện tại).")

    def handle(self, *args, count: int, years: float, seed: int | None, batch_size: int,
               jobs: int, open_only: bool = False, **options):
        if connection.vendor != "postgresql":
            raise CommandError(NEEDS_POSTGRES % {"vendor": connection.vendor})
        if min(count, batch_size, jobs) < 1 or years <= 0:
            raise CommandError(BAD_ARGUMENT)
        verbose = options.get("verbosity", 1) >= 1
        started = time.perf_counter()
        generator = Generator(years=years, now=timezone.now(), open_only=open_only)
        batches = plan(count, batch_size, generator.w_start, generator.w_now,
                       generator.clock.day_length)
        done = events = checked = 0
        pool = ThreadPoolExecutor(max_workers=min(jobs, len(batches)))
        if jobs == 1:
            results = (run_batch(generator, batch, seed) for batch in batches)
        else:
            results = pool.map(run_batch_in_thread, repeat(generator), batches, repeat(seed))
        try:
            for batch, (written, sampled) in zip(batches, results, strict=True):
                done, events, checked = done + batch.size, events + written, checked + sampled
                if verbose:
                    rate = done / max(time.perf_counter() - started, 1e-9)
                    self.stdout.write(f"  {done}/{count} hồ sơ ({rate:.0f} hồ sơ/giây)")
        finally:
            pool.shutdown(cancel_futures=True)  # after a failure, load no further batch
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE hoso_dossier, hoso_dossierevent, hoso_dossiercounter, "
                           "hoso_dossierstep, hoso_supplementrequest, hoso_apology")
        elapsed = max(time.perf_counter() - started, 1e-9)
        if verbose:
            self.stdout.write(f"Đối chiếu hạn trả với lịch làm việc: {checked} hồ sơ khớp.")
            self.stdout.write(self.style.SUCCESS(
                f"Đã sinh {count} hồ sơ, {events} sự kiện trong {elapsed:.1f} giây "
                f"({count / elapsed:.0f} hồ sơ/giây)."))
