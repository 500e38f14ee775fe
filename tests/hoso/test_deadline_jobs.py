"""Deadline jobs with a fixed clock: near-due warnings and the overdue sweep happen once per
dossier and step however often they run, also two runs at once; runs are recorded."""

import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connections

from hoso.choices import Action, AlertKind
from hoso.models import DossierAlert, DossierEvent
from portal.jobs import last_runs, run_job
from portal.models import JobRun, Notification
from tests.hoso.test_processing import at, people, received, started  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_dossier_past_its_due_time_gets_exactly_one_overdue_event(province,
                                                                     people):  # noqa: F811
    dossier = started(province, people)  # due 07/12 09:00
    with time_machine.travel(at(2026, 12, 4, 9, 0), tick=False):
        assert run_job("overdue_sweep").counts == {"dossiers": 0, "steps": 1}  # step 2 late
    with time_machine.travel(at(2026, 12, 8, 9, 0), tick=False):
        first = run_job("overdue_sweep")
        again = run_job("overdue_sweep")
    assert first.counts == {"dossiers": 1, "steps": 0}
    assert again.counts == {"dossiers": 0, "steps": 0}
    assert DossierEvent.objects.filter(dossier=dossier, action=Action.OVERDUE).count() == 1
    assert DossierAlert.objects.filter(dossier=dossier, kind=AlertKind.OVERDUE).count() == 1


def test_near_due_warns_the_assigned_officer_and_the_leaders_once(province,
                                                                  people):  # noqa: F811
    dossier = started(province, people)  # step 2 due 03/12 14:45, dossier due 07/12 09:00
    with time_machine.travel(at(2026, 12, 3, 9, 0), tick=False):
        assert run_job("near_due_scan").counts == {"dossiers": 0, "steps": 1}
    with time_machine.travel(at(2026, 12, 4, 10, 0), tick=False):
        assert run_job("near_due_scan").counts == {"dossiers": 1, "steps": 0}
        assert run_job("near_due_scan").counts == {"dossiers": 0, "steps": 0}
    told = Notification.objects.filter(template_code="deadline_alert")
    # one e-mail per run to each: the step's run and the dossier's run
    assert sorted(told.values_list("recipient", flat=True)) == sorted(
        [people["specialist"].email, people["leader"].email] * 2)
    assert all(dossier.code in n.body for n in told)
    assert told.filter(body__contains="bước: ").count() == 2  # the step's warning names it


def test_one_run_sends_each_officer_one_digest_of_all_its_dossiers(province,
                                                                   people):  # noqa: F811
    first, second = started(province, people), started(province, people)
    with time_machine.travel(at(2026, 12, 8, 9, 0), tick=False):
        assert run_job("overdue_sweep").counts == {"dossiers": 2, "steps": 2}
    digest = Notification.objects.get(template_code="deadline_alert",
                                      recipient=people["specialist"].email)
    assert first.code in digest.body
    assert second.code in digest.body
    assert "Quá hạn — 4 mục" in digest.body  # two dossiers and their two late steps
    assert "/mot-cua/hop-thu/qua-han/" in digest.body


def test_a_paused_dossier_is_not_overdue(province, people):  # noqa: F811
    from hoso.services import processing
    from hoso.services.processing import SupplementItem

    dossier = started(province, people)
    processing.request_supplement(dossier_id=dossier.pk, officer=people["specialist"],
                                  items=[SupplementItem("Tờ khai", "Thiếu chữ ký")])
    with time_machine.travel(at(2026, 12, 10, 9, 0), tick=False):
        assert run_job("overdue_sweep").counts == {"dossiers": 0, "steps": 0}


def run_twice_at_once(job: str, moment) -> None:
    """Two runs of `job` at the same instant on two connections; both must succeed."""
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            with time_machine.travel(moment, tick=False):
                run_job(job)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_record_one_overdue_event(province, people):  # noqa: F811
    dossier = received(province, people)
    run_twice_at_once("overdue_sweep", at(2026, 12, 9, 9, 0))
    assert DossierEvent.objects.filter(dossier=dossier, action=Action.OVERDUE).count() == 1


def test_runs_are_recorded_and_the_command_runs_a_job_by_hand(
        province, people, capsys):  # noqa: F811
    started(province, people)
    with time_machine.travel(at(2026, 12, 8, 9, 0), tick=False):
        call_command("run_job", "overdue_sweep")
    assert "overdue_sweep: Hoàn thành (dossiers=1, steps=1)" in capsys.readouterr().out
    run = last_runs()["overdue_sweep"]
    assert (run.trigger, run.status) == ("command", "ok")
    assert JobRun.objects.count() == 1


def test_a_failing_job_is_recorded_with_its_error(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("hỏng")

    monkeypatch.setattr("hoso.jobs.overdue_sweep", broken)
    with pytest.raises(RuntimeError):
        run_job("overdue_sweep")
    run = JobRun.objects.get()
    assert run.status == "failed"
    assert "hỏng" in run.error


def test_healthz_shows_the_last_run_of_each_job(client, province, people):  # noqa: F811
    run_job("near_due_scan")
    jobs = client.get("/healthz").json()["jobs"]
    assert jobs["near_due_scan"]["status"] == "ok"
    assert jobs["overdue_sweep"] is None


def test_a_dossier_due_tomorrow_gets_exactly_one_apology_draft(province,
                                                               people):  # noqa: F811
    from hoso.models import Apology

    dossier = started(province, people)  # due 07/12 09:00 (Monday)
    with time_machine.travel(at(2026, 12, 3, 9, 0), tick=False):
        assert run_job("apology_check").counts == {"drafts": 0}  # not yet
    with time_machine.travel(at(2026, 12, 4, 10, 0), tick=False):
        assert run_job("apology_check").counts == {"drafts": 1}
        assert run_job("apology_check").counts == {"drafts": 0}
    draft = Apology.objects.get(dossier=dossier)
    assert draft.status == "draft"
    assert draft.new_due_at == at(2026, 12, 9, 9, 0)  # two working days after the due time
    assert Notification.objects.filter(template_code="deadline_alert",
                                       subject__contains="văn bản xin lỗi").exists()


def test_the_leader_sends_the_draft_and_the_citizen_is_told(province, people):  # noqa: F811
    from hoso.models import Apology
    from hoso.services import processing

    dossier = started(province, people)
    with time_machine.travel(at(2026, 12, 4, 10, 0), tick=False):
        run_job("apology_check")
        dossier = processing.apologize(
            dossier_id=dossier.pk, leader=people["leader"], reason_code="interagency",
            reason="Chờ kết quả xác minh của Công an xã", new_due_at=at(2026, 12, 9, 17, 0))
    sent = Apology.objects.get(dossier=dossier)  # the draft itself, now sent
    assert (sent.status, sent.reason_code, sent.issued_by) == ("sent", "interagency",
                                                               people["leader"])
    assert (dossier.due_at, dossier.extended_due_at) == (at(2026, 12, 7, 9, 0),
                                                         at(2026, 12, 9, 17, 0))
    assert Notification.objects.filter(template_code="dossier_apology").exists()
    with time_machine.travel(at(2026, 12, 8, 10, 0), tick=False):
        assert run_job("apology_check").counts == {"drafts": 0}  # one apology is enough


@pytest.mark.django_db(transaction=True)
def test_two_apology_checks_at_once_prepare_one_draft(province, people):  # noqa: F811
    from hoso.models import Apology

    dossier = received(province, people)
    run_twice_at_once("apology_check", at(2026, 12, 4, 10, 0))
    assert Apology.objects.filter(dossier=dossier, status="draft").count() == 1


def test_a_run_killed_mid_way_leaves_nothing_and_the_rerun_completes(province, people,
                                                                     monkeypatch):  # noqa: F811
    """A job writes its alerts, events and messages in one transaction: killed before the
    commit, none of it exists; the next run does it all, once."""
    from hoso import jobs

    dossier = received(province, people)
    real = jobs._tell_officers

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(jobs, "_tell_officers", killed)
    with time_machine.travel(at(2026, 12, 9, 9, 0), tick=False), pytest.raises(SystemExit):
        run_job("overdue_sweep")
    assert not DossierAlert.objects.exists()
    assert not DossierEvent.objects.filter(action=Action.OVERDUE).exists()
    monkeypatch.setattr(jobs, "_tell_officers", real)
    with time_machine.travel(at(2026, 12, 9, 9, 5), tick=False):
        assert run_job("overdue_sweep").counts["dossiers"] == 1
        assert run_job("overdue_sweep").counts["dossiers"] == 0
    assert DossierEvent.objects.filter(dossier=dossier, action=Action.OVERDUE).count() == 1


def test_a_backlog_is_worked_off_in_bounded_runs_that_chain(province, people, settings):  # noqa: F811
    """At most PORTAL_DEADLINE_BATCH new alerts a run; a full batch says `more` with the
    cursor of its last candidate, and the task runs the job again at once after it until the
    backlog is gone (each run its own transaction)."""
    from portal.tasks import run_job_task

    settings.PORTAL_DEADLINE_BATCH = 1
    first, second = received(province, people), received(province, people)
    with time_machine.travel(at(2026, 12, 9, 9, 0), tick=False):
        counts = run_job("overdue_sweep").counts
        assert (counts["dossiers"], counts["more"]) == (1, True)
        assert counts["cursor"]["dossiers"][1] == first.pk  # the older first
        run_job_task.delay("overdue_sweep")  # eager in tests: chains until done
    for dossier in (first, second):
        assert DossierEvent.objects.filter(dossier=dossier, action=Action.OVERDUE).count() == 1
    runs = list(JobRun.objects.order_by("pk"))
    assert [r.counts["dossiers"] for r in runs] == [1, 1, 0]
    assert runs[-1].counts == {"dossiers": 0, "steps": 0}


def test_a_continued_run_starts_after_the_cursor(province, people, settings):  # noqa: F811
    """A run given the previous run's cursor looks only further on; anything before it is
    for the next scheduled run, which starts from the beginning."""
    settings.PORTAL_DEADLINE_BATCH = 1
    first, second = received(province, people), received(province, people)
    with time_machine.travel(at(2026, 12, 9, 9, 0), tick=False):
        cursor = {"dossiers": [second.due_at.isoformat(), second.pk], "steps": None}
        assert run_job("overdue_sweep", params={"after": cursor}).counts["dossiers"] == 0
        assert run_job("overdue_sweep").counts["dossiers"] == 1  # from the start: the first
    assert DossierAlert.objects.get(kind=AlertKind.OVERDUE).dossier_id == first.pk
