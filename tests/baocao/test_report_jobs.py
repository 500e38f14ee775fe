"""Long reports in the background: a small range renders at once, a long range or a whole
province goes to Celery with its progress on the job row; a failure is recorded in
Vietnamese; only the requesting user sees the job and its file."""

import datetime as dt
import hashlib
import json

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from baocao import definitions as defs
from baocao import report_jobs
from baocao.models import ReportExport, ReportJob
from baocao.tasks import run_report_job_task
from portal.choices import Role
from portal.errors import DomainError, InvalidInput
from tests.conftest import make_officer

pytestmark = pytest.mark.django_db

MONTH = defs.custom_period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
HALF_YEAR = defs.custom_period(dt.date(2026, 4, 1), dt.date(2026, 9, 30))


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    """The exported files of each test in its own folder."""
    from django.utils.functional import empty

    from hoso.models import private_storage

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    private_storage._wrapped = empty
    yield
    private_storage._wrapped = empty


@pytest.fixture
def seen(monkeypatch):
    """A fake report kind: three steps of progress, each seen as stored on the job row."""
    steps: list[tuple[int, int, int, str]] = []

    def build(params, progress):
        job = ReportJob.objects.order_by("-pk").first()  # the job being run
        for done in (1, 2, 3):
            progress(done, 3)
            job.refresh_from_db()
            steps.append((job.progress, job.total, report_jobs.percent(job), job.status))
        from portal.models import Agency, User

        content = b"bao cao thu"
        export = ReportExport(
            kind="test", title="Báo cáo thử", agency=Agency.objects.get(pk=params["agency_id"]),
            period_start=MONTH.start, period_end=MONTH.end, params=params, format="xlsx",
            sha256=hashlib.sha256(content).hexdigest(),
            created_by=User.objects.get(pk=params["user_id"]), created_at=timezone.now())
        export.file.save("bao-cao-thu.xlsx", ContentFile(content), save=False)
        export.save()
        return export

    monkeypatch.setitem(report_jobs.REPORT_KINDS, "test", build)
    return steps


@pytest.fixture
def district_a_viewer(province):
    return make_officer(province.district_a, Role.REPORT_VIEWER, username="theo_doi_huyen_a")


def params(agency, period, marker="m1", **extra):
    return {"agency_id": agency.pk, "period": period.as_params(), "marker": marker, **extra}


def status(client, user, job):
    client.force_login(user)
    return client.get(reverse("baocao:job_status", args=[job.public_id]))


def test_a_small_report_renders_at_once(client, province, district_a_viewer, seen):
    job = report_jobs.start("test", params(province.district_a, MONTH), district_a_viewer)
    assert job.status == ReportJob.Status.DONE
    assert seen == [(1, 3, 33, "running"), (2, 3, 66, "running"), (3, 3, 100, "running")]
    assert job.export is not None
    assert job.finished_at is not None
    state = status(client, district_a_viewer, job).json()
    assert state["status"] == "done"
    assert state["progress"] == 100
    assert state["status_label"] == "Hoàn thành"
    assert state["download_url"] == reverse("baocao:job_download", args=[job.public_id])
    download = client.get(state["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"bao cao thu"


def test_a_long_range_runs_in_celery_with_progress(
        client, province, district_a_viewer, seen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = report_jobs.start("test", params(province.district_a, HALF_YEAR),
                                district_a_viewer)
    assert (HALF_YEAR.last_day - HALF_YEAR.first_day).days + 1 > 92
    assert job.status == ReportJob.Status.QUEUED
    assert len(queued) == 1  # the task is sent after the commit
    assert seen == []
    page = client.get(reverse("baocao:job_page", args=[job.public_id]))  # not logged in yet
    assert page.status_code == 302
    state = status(client, district_a_viewer, job).json()
    assert state == {"id": str(job.public_id), "status": "queued", "status_label": "Đang chờ",
                     "progress": 0, "done": 0, "total": 0, "finished": False,
                     "download_url": None, "error": ""}
    queued[0]()  # CELERY_TASK_ALWAYS_EAGER in the tests: the worker runs it here
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE
    assert [s[:3] for s in seen] == [(1, 3, 33), (2, 3, 66), (3, 3, 100)]
    assert status(client, district_a_viewer, job).json()["download_url"]


def test_a_job_lost_by_its_worker_fails_with_a_message_instead_of_waiting_forever(
        client, province, district_a_viewer, seen, settings,
        django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    settings.REPORT_JOB_TIMEOUT_MINUTES = 60
    with django_capture_on_commit_callbacks(execute=False):  # the task never runs
        lost = report_jobs.start("test", params(province.district_a, HALF_YEAR),
                                 district_a_viewer)
        fresh = report_jobs.start("test", params(province.district_a, HALF_YEAR),
                                  district_a_viewer)
    ReportJob.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=61))

    assert status(client, district_a_viewer, lost).json()["status"] == "failed"
    assert status(client, district_a_viewer, fresh).json()["status"] == "queued"
    lost.refresh_from_db()
    assert lost.error == report_jobs.STALE
    assert lost.finished_at is not None
    assert report_jobs.expire_stale() == 0  # already recorded; the fresh one still waits


def test_a_whole_province_report_runs_in_the_background_even_for_a_month(
        province, province_viewer, seen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = report_jobs.start("test", params(province.root, MONTH), province_viewer)
    assert report_jobs.runs_in_background(MONTH, province.root)
    assert not report_jobs.runs_in_background(MONTH, province.district_a)
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE


def test_the_threshold_is_a_setting(province, settings):
    settings.REPORT_BACKGROUND_DAYS = 20
    assert report_jobs.runs_in_background(MONTH, province.district_a)
    settings.REPORT_BACKGROUND_DAYS = 92
    assert not report_jobs.runs_in_background(MONTH, province.district_a)


def test_a_failing_job_records_failed_with_a_vietnamese_error(
        client, province, district_a_viewer, monkeypatch):
    def crash(params, progress):
        progress(1, 4)
        raise RuntimeError("division by zero")

    def refuse(params, progress):
        raise DomainError("report_inconsistent", "Số liệu không khớp: (3) ≠ (7) + (11).")

    monkeypatch.setitem(report_jobs.REPORT_KINDS, "crash", crash)
    monkeypatch.setitem(report_jobs.REPORT_KINDS, "refuse", refuse)
    crashed = report_jobs.start("crash", params(province.district_a, MONTH), district_a_viewer)
    assert crashed.status == ReportJob.Status.FAILED
    assert crashed.error == report_jobs.FAILED
    assert "Không lập được báo cáo" in crashed.error
    assert crashed.export is None
    state = status(client, district_a_viewer, crashed).json()
    assert state["status"] == "failed"
    assert state["status_label"] == "Lỗi"
    assert state["error"] == report_jobs.FAILED
    assert state["download_url"] is None
    refused = report_jobs.start("refuse", params(province.district_a, MONTH),
                                district_a_viewer)
    assert refused.status == ReportJob.Status.FAILED
    assert refused.error == "Số liệu không khớp: (3) ≠ (7) + (11)."


def test_a_failing_background_job_is_recorded_by_the_task(province, province_viewer,
                                                          monkeypatch):
    def crash(params, progress):
        raise ValueError("boom")

    monkeypatch.setitem(report_jobs.REPORT_KINDS, "crash", crash)
    job = report_jobs.start("crash", params(province.root, MONTH), province_viewer)
    assert job.status == ReportJob.Status.QUEUED
    run_report_job_task(job.pk)
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED
    assert job.error == report_jobs.FAILED


def test_only_the_requester_sees_the_job_and_its_file(client, province, district_a_viewer,
                                                      province_viewer, seen):
    job = report_jobs.start("test", params(province.district_a, MONTH), district_a_viewer)
    for url in (reverse("baocao:job_status", args=[job.public_id]),
                reverse("baocao:job_page", args=[job.public_id]),
                reverse("baocao:job_download", args=[job.public_id])):
        client.force_login(province_viewer)  # sees every report, but did not ask for this one
        assert client.get(url).status_code == 404
        client.force_login(district_a_viewer)
        assert client.get(url).status_code == 200
    client.logout()
    anonymous = client.get(reverse("baocao:job_status", args=[job.public_id]))
    assert anonymous.status_code == 403
    assert json.loads(anonymous.content)["code"] == "not_authenticated"


def test_start_refuses_an_agency_outside_the_users_reports_and_an_unknown_kind(
        province, district_a_viewer, seen):
    with pytest.raises(InvalidInput) as refused:
        report_jobs.start("test", params(province.district_b, MONTH), district_a_viewer)
    assert refused.value.message == report_jobs.AGENCY_NOT_YOURS
    with pytest.raises(InvalidInput) as unknown:
        report_jobs.start("no_such_report", params(province.district_a, MONTH),
                          district_a_viewer)
    assert unknown.value.message == report_jobs.UNKNOWN_KIND
    assert not ReportJob.objects.exists()


def test_a_redelivered_task_does_not_run_the_report_twice(province, province_viewer, seen):
    job = report_jobs.start("test", params(province.root, MONTH), province_viewer)
    run_report_job_task(job.pk)
    run_report_job_task(job.pk)
    assert len(seen) == 3
    assert ReportExport.objects.count() == 1


def test_the_job_page_shows_the_progress_bar(client, province, district_a_viewer, seen):
    job = report_jobs.start("test", params(province.district_a, MONTH), district_a_viewer)
    client.force_login(district_a_viewer)
    page = client.get(reverse("baocao:job_page", args=[job.public_id])).content.decode()
    assert f'data-report-job="{reverse("baocao:job_status", args=[job.public_id])}"' in page
    assert "<progress" in page
    assert "/static/baocao/report_job.js" in page
    assert "Tải báo cáo" in page


def test_the_official_handling_report_is_registered():
    assert "handling" in report_jobs.REPORT_KINDS


def test_a_form_starts_a_job_and_shows_its_page(client, province, district_a_viewer, seen):
    client.force_login(district_a_viewer)
    url = reverse("baocao:start_job")
    form = {"loai_bao_cao": "test", "co_quan": province.district_a.pk, "from": "01/10/2026",
            "to": "31/10/2026", "format": "xlsx"}
    response = client.post(url, form)
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("baocao:job_page", args=[job.public_id])
    assert job.status == ReportJob.Status.DONE
    assert job.params["period"] == {"from": "01/10/2026", "to": "31/10/2026"}
    refused = client.post(url, {**form, "co_quan": province.district_b.pk})
    assert refused.status_code == 400
    assert report_jobs.AGENCY_NOT_YOURS in refused.content.decode()
    assert client.get(url).status_code == 405
