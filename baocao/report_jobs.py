"""Long reports in the background (issue 9 item 7).

A report kind is a callable registered in REPORT_KINDS under its kind name:

    def build(params: dict, progress: Progress) -> ReportExport

`params` is the job's JSON parameters plus "user_id" (the requesting user, the export's
`created_by`): at least "agency_id" (the reporting agency) and "period" (Period.as_params()),
and whatever the kind needs besides ("format": "xlsx"/"pdf", …). `progress(done, total)` may be
called as often as the builder likes (e.g. once per agency block or per section); each call is
one short UPDATE of the job row, committed at once when the job runs in the background, so the
page's progress bar moves. The builder raises portal.errors.DomainError (Vietnamese message)
for a refusal; anything else is recorded as a generic Vietnamese failure and logged.

HOOK for the official-reports module: register a kind with

    from baocao.report_jobs import register

    @register("handling")
    def build_handling(params, progress): ...

(or add it to REPORT_KINDS directly); kinds are registered when baocao.report_jobs is imported
(see `_register_official_reports` at the end of this file).

`start(kind, params, user)` always answers with a ReportJob: a small report (a period of at
most settings.REPORT_BACKGROUND_DAYS days, below the province) runs at once and the job comes
back done (or failed); a longer one, or one for a whole province, is queued for Celery and the
page polls /bao-cao/tac-vu/<public_id>/ (status, progress, download link).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from baocao.definitions import Period, period_from_params
from baocao.models import ReportExport, ReportJob
from portal.errors import DomainError, InvalidInput
from portal.models import Agency
from portal.permissions import agency_ids_with_perm

logger = logging.getLogger(__name__)

PERM = "portal.view_reports"
DEFAULT_BACKGROUND_DAYS = 92

UNKNOWN_KIND = "Loại báo cáo không hợp lệ."
AGENCY_NOT_YOURS = "Cơ quan, đơn vị báo cáo không thuộc phạm vi Ông/Bà được xem báo cáo."
FAILED = ("Không lập được báo cáo do lỗi hệ thống. Ông/Bà vui lòng thử lại sau hoặc liên hệ "
          "quản trị hệ thống.")
NO_EXPORT = "Báo cáo đã chạy xong nhưng không tạo được tệp kết quả."
STALE = ("Báo cáo chạy quá lâu hoặc bị gián đoạn nên đã dừng. Ông/Bà vui lòng tạo lại báo cáo "
         "(có thể chọn kỳ ngắn hơn).")


class Progress(Protocol):
    def __call__(self, done: int, total: int) -> None: ...


Builder = Callable[[dict, Progress], ReportExport]
REPORT_KINDS: dict[str, Builder] = {}


def register(kind: str) -> Callable[[Builder], Builder]:
    """Decorator: make `kind` runnable as a (background) report job."""

    def decorator(builder: Builder) -> Builder:
        REPORT_KINDS[kind] = builder
        return builder

    return decorator


def background_days() -> int:
    return int(getattr(settings, "REPORT_BACKGROUND_DAYS", DEFAULT_BACKGROUND_DAYS))


def runs_in_background(period: Period, agency: Agency) -> bool:
    """A range longer than REPORT_BACKGROUND_DAYS or a whole-province scope is a long report."""
    days = (period.last_day - period.first_day).days + 1
    return days > background_days() or agency.depth == 1


def _agency_for(user, params: dict) -> Agency:
    raw = params.get("agency_id")
    try:
        agency_id = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput("agency_not_yours", AGENCY_NOT_YOURS) from None
    if agency_id not in agency_ids_with_perm(user, PERM):
        raise InvalidInput("agency_not_yours", AGENCY_NOT_YOURS)
    return Agency.objects.get(pk=agency_id)


def start(kind: str, params: dict, user) -> ReportJob:
    """Record a report job for `user` and run it: at once if small, else in Celery (after the
    current transaction commits). Raises InvalidInput for an unknown kind, an agency outside
    the user's reports or a bad period."""
    if kind not in REPORT_KINDS:
        raise InvalidInput("unknown_report_kind", UNKNOWN_KIND)
    agency = _agency_for(user, params)
    period = period_from_params(params.get("period") or {})
    job = ReportJob.objects.create(
        public_id=uuid.uuid4(), kind=kind, params=params, requested_by=user,
        created_at=timezone.now())
    if runs_in_background(period, agency):
        from baocao.tasks import run_report_job_task

        transaction.on_commit(lambda: run_report_job_task.delay(job.pk))
        return job
    run(job.pk)
    job.refresh_from_db()
    return job


def _set_progress(job_id: int) -> Progress:
    def progress(done: int, total: int) -> None:
        total = max(int(total), 0)
        done = min(max(int(done), 0), total) if total else max(int(done), 0)
        ReportJob.objects.filter(pk=job_id).update(progress=done, total=total)

    return progress


def _fail(job_id: int, message: str) -> None:
    ReportJob.objects.filter(pk=job_id).update(
        status=ReportJob.Status.FAILED, error=message, finished_at=timezone.now())


def run(job_id: int) -> None:
    """Run a queued job once (a second call, e.g. a redelivered task, does nothing): claim it,
    call its builder, record the export or the failure."""
    claimed = ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.QUEUED).update(
        status=ReportJob.Status.RUNNING)
    if not claimed:
        return
    job = ReportJob.objects.get(pk=job_id)
    builder = REPORT_KINDS.get(job.kind)
    if builder is None:
        _fail(job_id, UNKNOWN_KIND)
        return
    params = {**job.params, "user_id": job.requested_by_id}
    try:
        if transaction.get_connection().in_atomic_block:
            # run inline inside a request's transaction: a failure rolls back to here only
            with transaction.atomic():
                export = builder(params, _set_progress(job_id))
        else:
            # in the worker: every progress update commits at once, the bar moves
            export = builder(params, _set_progress(job_id))
    except DomainError as exc:
        _fail(job_id, exc.message)
        return
    except Exception:
        logger.exception("report job %s (%s) failed", job.public_id, job.kind)
        _fail(job_id, FAILED)
        return
    if not isinstance(export, ReportExport) or export.pk is None:
        _fail(job_id, NO_EXPORT)
        return
    current = ReportJob.objects.only("total").get(pk=job_id)
    total = current.total or 1
    ReportJob.objects.filter(pk=job_id).update(
        status=ReportJob.Status.DONE, export=export, progress=total, total=total,
        finished_at=timezone.now())


def percent(job: ReportJob) -> int:
    if job.status == ReportJob.Status.DONE:
        return 100
    if not job.total:
        return 0
    return min(100, job.progress * 100 // job.total)


def job_for(user, public_id) -> ReportJob | None:
    """The job if `user` asked for it (None otherwise: missing and foreign look the same); a
    job left unfinished past REPORT_JOB_TIMEOUT_MINUTES is recorded as failed first, so the
    page never waits for a worker that died."""
    if user is None or not user.is_authenticated:
        return None
    found = ReportJob.objects.filter(public_id=public_id, requested_by=user)
    expire_stale(found)
    return found.select_related("export").first()


def expire_stale(jobs=None, *, now=None) -> int:
    """Record as failed, with a Vietnamese message, the jobs still queued or running
    REPORT_JOB_TIMEOUT_MINUTES after they were asked for (a lost task, a killed worker): one
    UPDATE. The requester can start the report again."""
    now = now or timezone.now()
    limit = now - dt.timedelta(minutes=settings.REPORT_JOB_TIMEOUT_MINUTES)
    jobs = ReportJob.objects.all() if jobs is None else jobs
    return jobs.filter(status__in=[ReportJob.Status.QUEUED, ReportJob.Status.RUNNING],
                       created_at__lt=limit).update(
        status=ReportJob.Status.FAILED, error=STALE, finished_at=now)


def _register_official_reports() -> None:
    """Register the kinds the official-reports module provides, if it is there. A module
    exposing `REPORT_JOB_BUILDERS: dict[str, Builder]` (or registering with @register on
    import) is picked up here."""
    import importlib

    for module_name in ("baocao.exports",):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for kind, builder in getattr(module, "REPORT_JOB_BUILDERS", {}).items():
            REPORT_KINDS.setdefault(kind, builder)


_register_official_reports()
