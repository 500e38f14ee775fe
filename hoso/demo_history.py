"""Demo history (seed_demo, issue 9): about six months of dossiers of the demo province and the
KPI snapshots of the last weeks, so that on a fresh `make run` the report dashboards
(/bao-cao/tong-quan/) have rates, rankings and trend charts to draw.

Portable (SQLite for `make run`, PostgreSQL for the tests): rows are written with the ORM's
bulk_create, never COPY (that is `generate_dossiers`, for the benchmarks). The proportions follow
`generate_dossiers` and its `_history.py`: real catalogue procedures that an agency carries out
(`tthc.selectors.agencies_carrying_out`), received at the locality's service centre where there
is one; due times from the deciding agency's working calendar (`hoso.services.intake.due_time`);
about 88 % resolved on time; online share rising from about 40 % to 60 % over the months (the
trend shows progress); codes `format_code` per (unit, day) with the `DossierCounter` rows
updated so that a later real receipt continues the numbering; papers in their digitisation
states, results (most of them signed e-results: history, no file behind them), ratings and the
fee payments. Then one scheduled snapshot run per "every 2 days" date of the last weeks (year to
date as of that day, 16:30 local time), as the beat job would have taken them.

Two things the reports rebuild from history are written as the real services write them:
- supplements (hoso.services.processing `request_supplement` / `supplement`): about 6 % of
  the dossiers were asked for one by their processing officer (or the desk), the clock paused
  from the request; once answered, the due time counts again from the answer ("restart") or
  moves by the working time the applicant took ("pause"), by the procedure's terms, and the
  766 due time moves by the pause either way. Recent requests may still be waiting; about
  0.5 % of the dossiers got a second, approved request, which counts them overdue (N22). The
  reports judge "overdue at the end of a period" from these rows (baocao.definitions), so a
  dossier's `supplement_count` is always the number of its requests;
- reuse from the wallet (hoso.services.wallet): as `generate_dossiers` draws it (its
  `_history.py`), a paper whose type an earlier dossier already has digitised (or issued as an
  e-result) is taken from the wallet in 10 % of the cases (its REUSE), and the later dossier
  then belongs to the same owner (a repeat applicant): the wallet entry, the paper pointing at
  it and one `WalletUse`. Like the rest of the history, no file is behind the entries.

Idempotent: the history is written once (its receipt events carry {"demo_history": true});
the snapshot dates already taken are skipped.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hoso.choices import (
    Action,
    Channel,
    DigitisationState,
    DocumentSource,
    DossierStatus,
    WalletKind,
)
from hoso.codes import format_code
from hoso.management.commands._history import RATING_KEYS, REUSE, SCORES
from hoso.management.commands.generate_dossiers import (
    FAMILY_NAMES,
    GIVEN_NAMES,
    MIDDLE_NAMES,
    PHONE_PREFIXES,
    REFUSAL_REASON,
    SUPPLEMENT_ITEMS,
    _accepts,
    _field_weight,
)
from hoso.models import (
    Dossier,
    DossierCounter,
    DossierDocument,
    DossierEvent,
    DossierStep,
    Rating,
    Result,
    SupplementRequest,
    WalletDocument,
    WalletUse,
)
from hoso.routing import localities
from hoso.services import steps
from hoso.services.eresults import valid_until
from hoso.services.intake import due_time, fee_preview, slip_version_on
from hoso.services.processing import _clock_rule
from hoso.workflow import APPROVE, PROCESS
from portal.calendar import TZ, WorkCalendar, get_calendar
from portal.choices import AgencyKind, Role, TimeUnit
from portal.models import Agency, AgencyMembership
from portal.permissions import users_with_perm
from thanhtoan.models import PaymentAttempt, PaymentOrder
from tthc.choices import ClockRule
from tthc.models import Procedure
from tthc.selectors import agencies_carrying_out

MARK = "demo_history"
HISTORY_DAYS = 183
PER_WORKING_DAY = 24  # receipts a working day over the province: ≈ 3,000 in six months
ONLINE_FIRST, ONLINE_LAST = 0.40, 0.60  # share of online receipts, first and last month
ONLINE_CHANNELS = ((Channel.ONLINE, 5), (Channel.NATIONAL_PORTAL, 4), (Channel.VNEID, 1))
OFFLINE_CHANNELS = ((Channel.DIRECT, 8), (Channel.POSTAL, 1))
LATE_SHARE = 0.12
REFUSED_SHARE = 0.03
WITHDRAWN_SHARE = 0.02
STARTED_SHARE = 0.8  # of the open dossiers older than half a day: in progress
CENTRE_SHARE = 0.9
NATIONAL_SOURCE = 0.08
DIGITISED = {False: (0.70, 0.95), True: (0.85, 0.98)}  # by online: first → last month
ERESULT = (0.55, 0.85)  # signed e-results among the results: first → last month
RATED = 0.3
PAID = 0.97
PAID_ONLINE = {True: 0.75, False: 0.05}
ONLINE_PROVIDERS = ("vnpay", "paygov")
SUPPLEMENT_SHARE = 0.06  # received dossiers asked for a supplement while being processed
SECOND_SUPPLEMENT = 0.08  # of those, asked again with approval (N22): ≈ 0.5 % of the dossiers
SUPPLEMENT_WAIT = (0.5, 8.0)  # working days the applicant takes to hand the papers in
SECOND_SUPPLEMENT_ITEMS = [{"name": "Giấy tờ chứng minh nơi cư trú",
                            "reason": "Bản bổ sung vẫn là bản chụp, cần bản sao có chứng thực"}]
SECOND_SUPPLEMENT_REASON = ("Giấy tờ bổ sung lần trước chưa hợp lệ; lãnh đạo đã phê duyệt yêu "
                            "cầu bổ sung lần hai.")
SNAPSHOT_RUNS = 12
SNAPSHOT_AT = dt.time(16, 30)
SEED = 20260315
# The fields that have only a database default, given explicitly: left unset, each is a DEFAULT
# expression per row, which bulk_create resolves one by one and which keeps PostgreSQL off its
# array (UNNEST) insert.
DOSSIER_BLANKS = dict.fromkeys(("stop_reason", "withdraw_reason", "return_method", "returned_to",
                                "return_tracking_number"), "")
PAPER_BLANKS = dict.fromkeys(("digital_code", "doc_number", "issuer"), "")


def seed_history(now: dt.datetime | None = None) -> dict[str, int]:
    """The demo history and its snapshots (see the module docstring); the counts written."""
    now = now or timezone.now()
    created = 0
    if not DossierEvent.objects.filter(action=Action.RECEIVE, data__demo_history=True).exists():
        created = _History(now).write()
    return {"history_dossiers": created, "snapshots": _snapshots(now)}


def snapshot_days(now: dt.datetime, runs: int = SNAPSHOT_RUNS) -> list[dt.date]:
    """The last `runs` dates on which the beat job runs (day of month */2, at 16:30) up to
    `now`, oldest first."""
    local = timezone.localtime(now, TZ)
    day = local.date() if local.time() >= SNAPSHOT_AT else local.date() - dt.timedelta(days=1)
    days = []
    while len(days) < runs:
        if day.day % 2 == 1:  # crontab */2 on days of month 1, 3, 5, …
            days.append(day)
        day -= dt.timedelta(days=1)
    return days[::-1]


def _snapshots(now: dt.datetime) -> int:
    from baocao.models import SnapshotRun
    from baocao.snapshots import take_snapshot, year_to_date

    if not Dossier.objects.filter(received_at__isnull=False).exists():
        return 0
    days = snapshot_days(now)
    taken = set(SnapshotRun.objects.filter(day__in=days, trigger=SnapshotRun.Trigger.SCHEDULE)
                .values_list("day", flat=True))
    count = 0
    for day in days:
        if day in taken:
            continue
        at = dt.datetime.combine(day, SNAPSHOT_AT, tzinfo=TZ)
        count += take_snapshot(trigger=SnapshotRun.Trigger.SCHEDULE, day=day, now=at,
                               period=year_to_date(at)).created
    return count


def _mix(first: float, last: float, progress: float) -> float:
    return first + (last - first) * progress


def _later(calendar: WorkCalendar, moment: dt.datetime, seconds: float) -> dt.datetime:
    """`moment` plus `seconds` of working time on `calendar`."""
    return calendar.add(moment, Decimal(int(seconds)) / 3600, TimeUnit.WORKING_HOURS)


S = DossierStatus


class _History:
    def __init__(self, now: dt.datetime):
        self.now = now
        self.rng = random.Random(SEED)  # noqa: S311 — demo data, not secrets
        self.calendar = get_calendar()
        self.cutoff = dt.time.fromisoformat(settings.PORTAL_SAME_DAY_CUTOFF)
        self.by_deciding = settings.DOSSIER_CODE_UNIT == "deciding"
        self.families = [name for name, weight in FAMILY_NAMES for _i in range(weight)]
        self.calendars: dict[str, object] = {}
        self.allowed: dict[tuple[int, str], list[int]] = {}
        # the wallet: entries by the id() of their source paper or source dossier's plan, the
        # plans of the e-results among them, and the papers taken from them, with their plan
        self.entries: dict[int, WalletDocument] = {}
        self.result_entries: list[tuple[WalletDocument, dict]] = []
        self.reused: list[tuple[DossierDocument, WalletDocument, dict]] = []

    # -- reference data --

    def _load(self) -> bool:
        procedures = list(Procedure.objects.published().filter(workflows__isnull=False)
                          .distinct().select_related("field").order_by("national_code"))
        self.kinds = []
        agencies: dict[int, Agency] = {}
        for procedure in procedures:
            carriers = list(agencies_carrying_out(procedure))
            if not carriers:
                continue
            for agency in carriers:
                agencies[agency.pk] = agency
            terms = procedure.terms_snapshot()
            terms.pop("eform_schema", None)
            self.kinds.append({
                "procedure": procedure, "terms": terms, "carriers": carriers,
                "weight": _field_weight(procedure.field.name),
                "online": _accepts(procedure, Channel.ONLINE),
                "offline": {c: _accepts(procedure, c) for c, _w in OFFLINE_CHANNELS},
                "fees": {}, "papers": [p for p in terms.get("documents", [])
                                       if p.get("required", True)]})
        if not self.kinds:
            return False
        centres = list(Agency.objects.filter(kind=AgencyKind.SERVICE_CENTRE, is_active=True))
        places = localities(*agencies.values(), *centres)
        by_locality = {}
        for centre in centres:
            by_locality.setdefault(places[centre.pk].pk, centre)
        self.home = {pk: by_locality.get(places[pk].pk, agency) for pk, agency in
                     agencies.items()}
        self.desk: dict[int, list[int]] = {}
        self.processors: dict[int, list[int]] = {}
        self.leaders: dict[int, list[int]] = {}  # who may approve a second supplement request
        for agency_id, user_id, role in (AgencyMembership.objects.order_by("pk")
                                         .values_list("agency_id", "user_id", "role")):
            if role == Role.DESK_OFFICER:
                self.desk.setdefault(agency_id, []).append(user_id)
            elif role in (Role.PROCESSING_OFFICER, Role.LEADER):
                self.processors.setdefault(agency_id, []).append(user_id)
                if role == Role.LEADER:
                    self.leaders.setdefault(agency_id, []).append(user_id)
        self.any_officer = AgencyMembership.objects.order_by("pk").values_list(
            "user_id", flat=True).first()
        return self.any_officer is not None

    def _calendar(self, agency: Agency):
        key = agency.working_hours or ""
        if key not in self.calendars:
            self.calendars[key] = get_calendar(agency)
        return self.calendars[key]

    def _allowed(self, agency: Agency, perm: str) -> list[int]:
        """Who may exercise `perm` in the agency, granted there or on an ancestor (in the
        demo most agencies have no officers of their own: the province's administrator)."""
        key = (agency.pk, perm)
        if key not in self.allowed:
            self.allowed[key] = list(users_with_perm(agency, perm).values_list("pk", flat=True))
        return self.allowed[key]

    def _fee(self, kind: dict, online: bool) -> int | None:
        if online not in kind["fees"]:
            kind["fees"][online] = fee_preview(kind["procedure"],
                                               Channel.ONLINE if online else Channel.DIRECT,
                                               terms=kind["terms"])
        return kind["fees"][online]

    # -- drawing --

    def _receipts(self) -> list[dt.datetime]:
        rng, local_now = self.rng, timezone.localtime(self.now, TZ)
        first = local_now.date() - dt.timedelta(days=HISTORY_DAYS)
        moments = []
        day = first
        while day <= local_now.date():
            if self.calendar.is_working_day(day):
                count = int(PER_WORKING_DAY * (0.7 + 0.6 * rng.random()))
                for _i in range(count):
                    start, end = self.calendar.hours[int(rng.random() * len(self.calendar.hours))]
                    begin = dt.datetime.combine(day, start, tzinfo=TZ)
                    span = (dt.datetime.combine(day, end, tzinfo=TZ) - begin).total_seconds()
                    at = begin + dt.timedelta(seconds=int(rng.random() * span))
                    if at < local_now - dt.timedelta(minutes=5):
                        moments.append(at)
            day += dt.timedelta(days=1)
        return sorted(moments)

    def _pick_kind(self, online: bool) -> tuple[dict, str]:
        rng = self.rng
        if online:
            pool = [k for k in self.kinds if k["online"]]
            channels = ONLINE_CHANNELS
        else:
            channel = rng.choices([c for c, _w in OFFLINE_CHANNELS],
                                  [w for _c, w in OFFLINE_CHANNELS])[0]
            pool = [k for k in self.kinds if k["offline"][channel]]
            channels = ((channel, 1),)
        if not pool:
            pool, channels = self.kinds, ((Channel.DIRECT, 1),)
        kind = rng.choices(pool, [k["weight"] for k in pool])[0]
        channel = rng.choices([c for c, _w in channels], [w for _c, w in channels])[0]
        return kind, channel

    def _person(self) -> tuple[str, str]:
        rng = self.rng
        female = rng.random() < 0.5
        year = 1950 + int(rng.random() * 55)
        name = (f"{rng.choice(self.families)} {rng.choice(MIDDLE_NAMES[female])} "
                f"{rng.choice(GIVEN_NAMES[female])}")
        digit = (0 if year < 2000 else 2) + female
        return name, f"019{digit}{year % 100:02d}{int(rng.random() * 1_000_000):06d}"

    def _pick(self, ids: list[int] | None) -> int | None:
        return ids[int(self.rng.random() * len(ids))] if ids else None

    def _dossier(self, at: dt.datetime, progress: float) -> tuple[Dossier, dict]:
        rng = self.rng
        kind, channel = self._pick_kind(rng.random() < _mix(ONLINE_FIRST, ONLINE_LAST,
                                                             progress))
        procedure = kind["procedure"]
        deciding = kind["carriers"][int(rng.random() * len(kind["carriers"]))]
        receiving = self.home[deciding.pk]
        if receiving.pk != deciding.pk and rng.random() > CENTRE_SHARE:
            receiving = deciding
        online = channel in Channel.online_channels()
        calendar = self._calendar(deciding)
        due = due_time(procedure, kind["terms"], at, deciding, calendar)
        fee = self._fee(kind, online)
        name, cccd = self._person()
        dossier = Dossier(
            procedure=procedure, terms=kind["terms"], slip_version=slip_version_on(at.date()),
            channel=channel, receiving_agency=receiving, deciding_agency=deciding,
            handling_agency=deciding, owner_name=name, owner_id_number=cccd,
            owner_phone=rng.choice(PHONE_PREFIXES) + f"{int(rng.random() * 10_000_000):07d}",
            owner_address=f"Số {1 + int(rng.random() * 200)}, {deciding.name}",
            fee_total=fee, received_at=at, clock_start_at=at, due_at=due, kpi_due_at=due,
            status=DossierStatus.RECEIVED, created_at=at, **DOSSIER_BLANKS)
        if online:
            dossier.submitted_at = at - dt.timedelta(minutes=10 + int(rng.random() * 600))
            dossier.created_at = dossier.submitted_at
        plan = {"kind": kind, "calendar": calendar, "online": online, "final": None,
                "progress": progress, "events": [], "supplements": [],
                "processor": self._pick(self.processors.get(deciding.pk))}
        resumed = self._supplements(dossier, plan)
        if dossier.status != S.AWAITING_SUPPLEMENT:
            self._outcome(dossier, plan, resumed)
        return dossier, plan

    def _supplements(self, dossier: Dossier, plan: dict) -> dt.datetime:
        """Mẫu 02 after receipt, for a few dossiers, with the clock kept as the real services
        keep it (hoso.services.processing `request_supplement`, `supplement`): paused from
        the request; once the papers are back, under the procedure's rule the due time counts
        again from then ("restart") or moves by the working time the applicant took ("pause"),
        and the 766 due time moves by the pause either way. A request not answered by now
        leaves the dossier waiting. Returns when processing resumed (without a request: the
        receipt)."""
        rng, calendar, now = self.rng, plan["calendar"], self.now
        resumed = dossier.received_at
        if rng.random() >= SUPPLEMENT_SHARE:
            return resumed
        # who asks: the processing officer, else the desk that received it (as generate_dossiers),
        # else someone who may process there; a second request is approved by a leader
        asker = (plan["processor"] or self._pick(self.desk.get(dossier.receiving_agency_id))
                 or self._pick(self._allowed(dossier.deciding_agency, PROCESS)))
        if asker is None:
            return resumed
        times = 2 if rng.random() < SECOND_SUPPLEMENT else 1
        rule, deciding, approver = _clock_rule(dossier), dossier.deciding_agency_id, None
        for number in range(1, times + 1):
            if number > 1:
                approver = (self._pick(self.leaders.get(deciding))
                            or self._pick(self._allowed(dossier.deciding_agency, APPROVE)))
                if approver is None:
                    break
            left = max(calendar.between(resumed, dossier.due_at).total_seconds(), 0)
            asked = _later(calendar, resumed, max(600, left * (0.1 + 0.5 * rng.random())))
            if asked >= now:
                break
            if number == 1:  # in progress before it could be asked
                plan["started"] = resumed + (asked - resumed) * rng.random()
                plan["events"].append((Action.START, S.RECEIVED, S.IN_PROGRESS,
                                       plan["started"], plan["processor"] or asker, deciding,
                                       "", {}))
            items = SUPPLEMENT_ITEMS if number == 1 else SECOND_SUPPLEMENT_ITEMS
            reason = "" if number == 1 else SECOND_SUPPLEMENT_REASON
            request = SupplementRequest(
                dossier=dossier, number=number, items=items, reason=reason,
                requested_by_id=asker, approved_by_id=approver if number > 1 else None,
                requested_at=asked, due_at_before=dossier.due_at, clock_rule=rule)
            plan["supplements"].append(request)
            dossier.supplement_count = number
            dossier.counted_overdue = number > 1
            dossier.completion_request = "\n".join(f"{i['name']}: {i['reason']}"
                                                   for i in items)
            plan["events"].append((Action.REQUEST_SUPPLEMENT, S.IN_PROGRESS,
                                   S.AWAITING_SUPPLEMENT, asked, asker, deciding, reason,
                                   {"items": items}))
            low, high = SUPPLEMENT_WAIT
            answered = _later(calendar, asked, calendar.day_length.total_seconds()
                              * (low + (high - low) * rng.random()))
            if answered >= now:
                dossier.status, dossier.paused_at = S.AWAITING_SUPPLEMENT, asked
                dossier.assignee_id, plan["step"] = plan["processor"], plan["started"]
                break
            paused = int(calendar.between(asked, answered).total_seconds())
            dossier.kpi_due_at = steps.shift(dossier, dossier.kpi_due_at, paused)
            if rule == ClockRule.RESTART:
                dossier.clock_start_at = calendar.next_working_moment(answered)
                dossier.due_at = due_time(dossier.procedure, dossier.terms, answered,
                                          dossier.deciding_agency, calendar)
                dossier.paused_seconds = 0
            else:
                dossier.due_at = steps.shift(dossier, dossier.due_at, paused)
                dossier.paused_seconds += paused
            request.received_at, request.due_at_after = answered, dossier.due_at
            # the applicant online (no account in the demo) or the desk hands the papers in
            desk = None if plan["online"] else self._pick(self.desk.get(
                dossier.receiving_agency_id))
            plan["events"].append((Action.SUPPLEMENT, S.AWAITING_SUPPLEMENT, S.IN_PROGRESS,
                                   answered, desk, dossier.receiving_agency_id, "", {}))
            resumed = answered
        return resumed

    def _outcome(self, dossier: Dossier, plan: dict, resumed: dt.datetime) -> None:
        rng, calendar, now = self.rng, plan["calendar"], self.now
        received, due = dossier.received_at, dossier.due_at
        if rng.random() < LATE_SHARE:
            done = calendar.add(due, Decimal(1 + int(rng.random() * 6)), TimeUnit.WORKING_DAYS)
        else:
            done = resumed + (due - resumed) * (0.15 + 0.85 * rng.random())
            done = min(done, due)
        back = done + dt.timedelta(hours=int(rng.random() * 40))
        processor = plan["processor"]
        fate = rng.random()
        if fate < REFUSED_SHARE and done <= now:
            dossier.status, dossier.finished_at = DossierStatus.REFUSED, done
            dossier.refusal_reason = REFUSAL_REASON
            plan["final"] = ("refuse", DossierStatus.IN_PROGRESS, done, processor)
        elif fate < REFUSED_SHARE + WITHDRAWN_SHARE and done <= now:
            at = resumed + (done - resumed) * rng.random()
            dossier.status, dossier.finished_at = DossierStatus.WITHDRAWN, at
            dossier.withdraw_reason = "Người nộp xin rút hồ sơ."
            plan["final"] = (Action.WITHDRAW, DossierStatus.IN_PROGRESS, at, None)
        elif back <= now:
            dossier.status, dossier.finished_at, dossier.returned_at = (
                DossierStatus.RETURNED, done, back)
            plan["final"] = ("return_result", DossierStatus.RESOLVED, back,
                             self._pick(self.desk.get(dossier.receiving_agency_id)))
        elif done <= now:
            dossier.status, dossier.finished_at = DossierStatus.RESOLVED, done
            plan["final"] = ("resolve", DossierStatus.IN_PROGRESS, done, processor)
        elif plan["supplements"]:  # started before the request: its step goes on
            dossier.status, dossier.assignee_id = DossierStatus.IN_PROGRESS, processor
            plan["step"] = plan["started"]
        elif now - received > dt.timedelta(hours=4) and rng.random() < STARTED_SHARE:
            start = received + min(now - received, dt.timedelta(hours=20)) * rng.random()
            dossier.status, dossier.assignee_id = DossierStatus.IN_PROGRESS, processor
            plan["final"] = ("start", DossierStatus.RECEIVED, start, processor)
            plan["step"] = start

    # -- papers and the wallet (drawn in receipt order, before the dossiers are written:
    # a reuse makes the later dossier's owner the earlier one's) --

    def _plan_papers(self, drafts: list) -> None:
        """Each paper's digitisation state, and the reuses from the wallet as
        `generate_dossiers` draws them (_history.py `_paper`): a paper whose type an earlier
        dossier has digitised, or issued as a signed e-result, is taken from the wallet in
        REUSE of the cases; once a dossier took one, its owner is that earlier owner (a repeat
        applicant) and only their own entries are offered."""
        rng = self.rng
        papers: dict = {}  # digitised papers by type code, and by (owner, type code)
        results: dict = {}  # (dossier, plan) with a signed e-result, by the type it becomes
        for dossier, plan in drafts:
            plan["bound"], plan["papers"], digitised = False, [], []
            for spec in plan["kind"]["papers"]:
                paper = self._paper(dossier, plan, spec, papers, results)
                plan["papers"].append(paper)
                if paper.digitisation == DigitisationState.DIGITISED and paper.doc_type_code:
                    digitised.append(paper)
            for paper in digitised:  # the owner is settled now
                for key in (paper.doc_type_code, (dossier.owner_id_number, paper.doc_type_code)):
                    papers.setdefault(key, []).append(paper)
            procedure = plan["kind"]["procedure"]
            plan["signed"] = (dossier.status in (S.RESOLVED, S.RETURNED)
                              and rng.random() < _mix(*ERESULT, plan["progress"]))
            plan["valid_until"] = valid_until(
                timezone.localtime(dossier.finished_at, TZ).date(),
                procedure.result_validity_months) if plan["signed"] else None
            if plan["signed"] and procedure.result_doc_type_code:
                code = procedure.result_doc_type_code
                for key in (code, (dossier.owner_id_number, code)):
                    results.setdefault(key, []).append((dossier, plan))

    def _paper(self, dossier: Dossier, plan: dict, spec: dict, papers: dict,
               results: dict) -> DossierDocument:
        rng, online = self.rng, plan["online"]
        type_code = spec.get("doc_type_code", "")
        paper = DossierDocument(
            dossier=dossier, position=spec.get("position", 0), name=spec.get("name", "")[:1000],
            doc_type_code=type_code, originals_received=0 if online else 1,
            source=DocumentSource.UPLOAD if online else DocumentSource.DESK_SCAN,
            created_at=dossier.submitted_at or dossier.received_at, **PAPER_BLANKS)
        key = (dossier.owner_id_number, type_code) if plan["bound"] else type_code
        earlier, sources = papers.get(key, ()), results.get(key, ())
        if type_code and (earlier or sources) and rng.random() < REUSE:
            source = sources[int(rng.random() * len(sources))] if sources else None
            if (source is not None and source[0].finished_at < dossier.received_at
                    and (source[1]["valid_until"] is None or source[1]["valid_until"]
                         >= timezone.localtime(dossier.received_at, TZ).date())
                    and (not earlier or rng.random() < 0.5)):
                self._take(dossier, plan, paper, self._result_entry(*source, type_code))
                return paper
            if earlier:
                self._take(dossier, plan, paper,
                           self._paper_entry(earlier[int(rng.random() * len(earlier))]))
                return paper
        draw = rng.random()
        if draw < NATIONAL_SOURCE:
            paper.digitisation, paper.source = (DigitisationState.NATIONAL_SOURCE,
                                                DocumentSource.NATIONAL_DB)
            paper.doc_number = f"{int(rng.random() * 100_000):05d}/CSDL"
            paper.issuer = "Cơ sở dữ liệu quốc gia về dân cư"
        elif draw < NATIONAL_SOURCE + _mix(*DIGITISED[online], plan["progress"]):
            paper.digitisation = DigitisationState.DIGITISED
            paper.page_count = 1
        return paper

    def _paper_entry(self, source: DossierDocument) -> WalletDocument:
        """The wallet entry of a digitised paper (hoso.services.wallet.deposit_document)."""
        if id(source) not in self.entries:
            owner = source.dossier
            self.entries[id(source)] = WalletDocument(
                owner_id_type=owner.owner_id_type, owner_id_number=owner.owner_id_number,
                owner_name=owner.owner_name, kind=WalletKind.DOCUMENT,
                doc_type_code=source.doc_type_code, name=source.name, source_dossier=owner,
                source_document=source, created_at=owner.received_at)
        return self.entries[id(source)]

    def _result_entry(self, owner: Dossier, plan: dict, type_code: str) -> WalletDocument:
        """The wallet entry of a signed e-result (hoso.services.wallet.deposit_result); the
        result's own fields are filled in once it is written."""
        if id(plan) not in self.entries:
            self.entries[id(plan)] = WalletDocument(
                owner_id_type=owner.owner_id_type, owner_id_number=owner.owner_id_number,
                owner_name=owner.owner_name, kind=WalletKind.RESULT, doc_type_code=type_code,
                source_dossier=owner, valid_until=plan["valid_until"],
                issuer=owner.deciding_agency.name, created_at=owner.finished_at)
            self.result_entries.append((self.entries[id(plan)], plan))
        return self.entries[id(plan)]

    def _take(self, dossier: Dossier, plan: dict, paper: DossierDocument,
              entry: WalletDocument) -> None:
        """The paper taken from the wallet (hoso.services.wallet.take_from_wallet) by the same
        person as the earlier dossier: a repeat applicant."""
        earlier = entry.source_dossier
        plan["bound"] = True
        dossier.owner_name, dossier.owner_id_number = earlier.owner_name, earlier.owner_id_number
        dossier.owner_phone, dossier.owner_address = earlier.owner_phone, earlier.owner_address
        paper.source, paper.digitisation = DocumentSource.WALLET, (
            DigitisationState.REUSED_RESULT if entry.kind == WalletKind.RESULT
            else DigitisationState.REUSED_DOCUMENT)
        self.reused.append((paper, entry, plan))

    # -- writing --

    def write(self) -> int:
        if not self._load():
            return 0
        moments = self._receipts()
        if not moments:
            return 0
        first, span = moments[0], max((moments[-1] - moments[0]).total_seconds(), 1)
        drafts = [self._dossier(at, (at - first).total_seconds() / span) for at in moments]
        self._plan_papers(drafts)
        with transaction.atomic():
            self._number(drafts)
            dossiers = Dossier.objects.bulk_create([d for d, _p in drafts], batch_size=500)
            for dossier, (_d, plan) in zip(dossiers, drafts, strict=True):
                plan["dossier"] = dossier
            self._steps(drafts)
            self._events(drafts)
            SupplementRequest.objects.bulk_create(
                [r for _d, plan in drafts for r in plan["supplements"]], batch_size=1000)
            self._papers(drafts)
            self._results(drafts)
            self._wallet()
            self._payments(drafts)
        return len(drafts)

    def _number(self, drafts: list) -> None:
        """Codes per (unit, local day) after the existing counters, which are then raised."""
        need: Counter = Counter()
        for dossier, _plan in drafts:
            unit = dossier.deciding_agency if self.by_deciding else dossier.receiving_agency
            need[unit.pk, timezone.localtime(dossier.received_at, TZ).date()] += 1
        days = {day for _unit, day in need}
        existing = {(c.agency_id, c.day): c for c in DossierCounter.objects.filter(
            day__in=days, agency_id__in={unit for unit, _day in need})}
        last = {key: existing[key].value if key in existing else 0 for key in need}
        for dossier, _plan in drafts:
            unit = dossier.deciding_agency if self.by_deciding else dossier.receiving_agency
            key = (unit.pk, timezone.localtime(dossier.received_at, TZ).date())
            last[key] += 1
            dossier.code = format_code(unit.code, key[1], last[key])
        updated = []
        for key, value in last.items():
            if key in existing:
                existing[key].value = value
                updated.append(existing[key])
        DossierCounter.objects.bulk_update(updated, ["value"], batch_size=500)
        DossierCounter.objects.bulk_create(
            [DossierCounter(agency_id=unit, day=day, value=value)
             for (unit, day), value in last.items() if (unit, day) not in existing],
            batch_size=500)

    def _steps(self, drafts: list) -> None:
        working = [plan for _d, plan in drafts if "step" in plan]
        rows = DossierStep.objects.bulk_create([DossierStep(
            dossier=plan["dossier"], position=1, name="Thụ lý, thẩm định hồ sơ",
            role=Role.PROCESSING_OFFICER, agency_id=plan["dossier"].deciding_agency_id,
            assignee_id=plan["dossier"].assignee_id, started_at=plan["step"],
            due_at=plan["dossier"].due_at) for plan in working], batch_size=500)
        for plan, step in zip(working, rows, strict=True):
            plan["dossier"].current_step = step
        Dossier.objects.bulk_update([plan["dossier"] for plan in working], ["current_step"],
                                    batch_size=500)

    def _events(self, drafts: list) -> None:
        events = []
        for _d, plan in drafts:
            dossier = plan["dossier"]
            events.append(DossierEvent(
                dossier=dossier, at=dossier.received_at,
                actor_id=self._pick(self.desk.get(dossier.receiving_agency_id)),
                agency_id=dossier.receiving_agency_id, action=Action.RECEIVE,
                status_before=DossierStatus.SUBMITTED if plan["online"] else "",
                status_after=DossierStatus.RECEIVED, data={MARK: True}))
            # start, supplement requests and answers (as hoso.workflow.apply_transition)
            events.extend(DossierEvent(
                dossier=dossier, at=at, actor_id=actor, agency_id=agency, action=action,
                status_before=before, status_after=after, note=note, data={**data, MARK: True})
                for action, before, after, at, actor, agency, note, data in plan["events"])
            if plan["final"] is not None:
                action, before, at, actor = plan["final"]
                # the result is handed back at the desk that received the dossier
                agency = (dossier.receiving_agency_id if action == "return_result"
                          else dossier.deciding_agency_id)
                events.append(DossierEvent(
                    dossier=dossier, at=at, actor_id=actor, agency_id=agency, action=action,
                    status_before=before, status_after=dossier.status, data={MARK: True}))
        DossierEvent.objects.bulk_create(events, batch_size=1000)

    def _papers(self, drafts: list) -> None:
        """The papers drawn by `_plan_papers`, but those taken from the wallet (`_wallet`,
        once the entries exist)."""
        taken = {id(paper) for paper, _entry, _plan in self.reused}
        papers = []
        for _d, plan in drafts:
            dossier = plan["dossier"]
            number = 0
            officer = self._pick(self.desk.get(dossier.receiving_agency_id))
            plan["officer"] = officer
            for paper in plan["papers"]:
                if paper.digitisation == DigitisationState.DIGITISED:
                    number += 1
                    paper.digital_code = f"{dossier.code}.{number:02d}"
                if paper.digitisation != DigitisationState.NOT_DIGITISED:
                    paper.digitised = True
                    paper.digitised_by_id = officer
                    paper.digitised_at = dossier.received_at
                if id(paper) not in taken:
                    papers.append(paper)
        DossierDocument.objects.bulk_create(papers, batch_size=1000)

    def _results(self, drafts: list) -> None:
        rng, results, ratings = self.rng, [], []
        for _d, plan in drafts:
            dossier = plan["dossier"]
            if dossier.status not in (DossierStatus.RESOLVED, DossierStatus.RETURNED):
                continue
            procedure = plan["kind"]["procedure"]
            officer = (self._pick(self.processors.get(dossier.deciding_agency_id))
                       or self.any_officer)
            signed = plan["signed"]
            plan["result"] = Result(
                dossier=dossier, code=f"{dossier.code}-KQ1",
                name=(procedure.result_name or "Kết quả giải quyết")[:500],
                number=f"{dossier.pk % 100_000}/KQ",
                issued_on=timezone.localtime(dossier.finished_at, TZ).date(),
                electronic=signed, added_by_id=officer, added_at=dossier.finished_at,
                type_code=procedure.result_code, doc_type_code=procedure.result_doc_type_code,
                issuing_agency_id=dossier.deciding_agency_id, valid_until=plan["valid_until"],
                signed_by_id=officer if signed else None,
                signed_at=dossier.finished_at if signed else None, revoke_reason="")
            results.append(plan["result"])
            if dossier.status == DossierStatus.RETURNED and rng.random() < RATED:
                ratings.append(Rating(
                    dossier=dossier, rated_at=dossier.returned_at + dt.timedelta(hours=1),
                    scores={key: rng.choice(SCORES) for key in RATING_KEYS}))
        Result.objects.bulk_create(results, batch_size=1000)
        Rating.objects.bulk_create(ratings, batch_size=1000)

    def _wallet(self) -> None:
        """The wallet entries the later dossiers took papers from, those papers (as
        hoso.services.wallet.take_from_wallet leaves them) and one WalletUse each (as
        `record_uses` at receipt: by the desk officer, or by the applicant online)."""
        for entry in self.entries.values():
            if entry.kind == WalletKind.DOCUMENT:
                source = entry.source_document
                entry.code, entry.number, entry.issuer = (source.digital_code, source.doc_number,
                                                          source.issuer)
        for entry, plan in self.result_entries:
            result = entry.source_result = plan["result"]
            entry.code, entry.name, entry.number = result.code, result.name, result.number
            entry.issued_on = result.issued_on
        WalletDocument.objects.bulk_create(list(self.entries.values()), batch_size=1000)
        papers = []
        for paper, entry, _plan in self.reused:
            paper.wallet_document = entry
            paper.doc_number, paper.issued_on = entry.number, entry.issued_on
            paper.issuer, paper.valid_until = entry.issuer, entry.valid_until
            papers.append(paper)
        DossierDocument.objects.bulk_create(papers, batch_size=1000)
        WalletUse.objects.bulk_create([WalletUse(
            wallet_document=entry, dossier=plan["dossier"], document=paper,
            used_by_id=None if plan["online"] else plan["officer"],
            agency_id=plan["dossier"].receiving_agency_id, channel=plan["dossier"].channel,
            used_at=plan["dossier"].submitted_at or plan["dossier"].received_at)
            for paper, entry, plan in self.reused], batch_size=1000)

    def _payments(self, drafts: list) -> None:
        rng, orders, paid = self.rng, [], []
        for _d, plan in drafts:
            dossier = plan["dossier"]
            if not dossier.fee_total:
                continue
            created = dossier.submitted_at or dossier.received_at
            order = PaymentOrder(
                dossier=dossier, agency_id=dossier.receiving_agency_id,
                reference=f"HS{dossier.pk}-{timezone.localtime(created, TZ):%Y%m%d%H%M%S}",
                items=[{"name": "Phí, lệ phí", "amount": dossier.fee_total}],
                amount=dossier.fee_total, charge_amount=dossier.fee_total, timing="at_intake",
                status="unpaid", created_at=created)
            if rng.random() < PAID:
                online = rng.random() < PAID_ONLINE[plan["online"]]
                order.status, order.method, order.paid_at = (
                    "paid", "online" if online else "cash", created)
                provider = rng.choice(ONLINE_PROVIDERS) if online else "cash"
                paid.append((order, provider))
                dossier.fee_paid_at = created
            orders.append(order)
        PaymentOrder.objects.bulk_create(orders, batch_size=1000)
        attempts = PaymentAttempt.objects.bulk_create([PaymentAttempt(
            order=order, provider=provider, txn_ref=f"LS{order.pk:08d}",
            amount=order.amount, status="paid", created_at=order.paid_at, paid_at=order.paid_at,
            provider_txn_id=str(order.pk) if provider != "cash" else "",
            bank_code="NCB" if provider != "cash" else "",
            response_code="00" if provider != "cash" else "") for order, provider in paid],
            batch_size=1000)
        for (order, _provider), attempt in zip(paid, attempts, strict=True):
            order.paid_attempt = attempt
        PaymentOrder.objects.bulk_update([o for o, _p in paid], ["paid_attempt"],
                                         batch_size=1000)
        Dossier.objects.bulk_update([o.dossier for o, _p in paid], ["fee_paid_at"],
                                    batch_size=1000)
