"""Periods, deadlines and reminders of periodic reports on the working-day calendar
(baocao/periodic/deadlines.py, reminders.send_due_reminders / remind): a weekend or a holiday
after the cut-off pushes the deadline; reminders go out before and after the deadline on
working days, at most once per report, kind and day, and never for a sent report."""

import datetime as dt

import pytest
import time_machine

from baocao.definitions import gris_period
from baocao.models import AgencyReport, ReportReminder
from baocao.periodic import deadlines, jobs, reminders, services
from baocao.periodic.deadlines import AFTER, BEFORE, deadline_for, reminder_days, reminder_kind
from portal.calendar import TZ, build_calendar, clear_calendar_cache
from portal.choices import CalendarDayKind, Role
from portal.jobs import JOBS, run_job
from portal.models import CalendarDay, CalendarYear, Notification
from tests.baocao.periodic.conftest import DEADLINE, OPEN_AT, indicator_values, send_report
from tests.conftest import make_officer

CAL = build_calendar("07:30-11:30,13:30-17:00")


def local(year, month, day, hour=0, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def day_off(date, kind=CalendarDayKind.HOLIDAY, name="Nghỉ theo thông báo của tỉnh"):
    year, _created = CalendarYear.objects.get_or_create(year=date.year)
    CalendarDay.objects.create(calendar_year=year, date=date, kind=kind, name=name)
    clear_calendar_cache()


# --- periods ------------------------------------------------------------------------------------

def test_periods_open_when_they_start_from_the_first_period_on():
    found = list(deadlines.periods_between("gris", "quarter", dt.date(2026, 9, 15), OPEN_AT))
    # at 15/12/2026 06:00 Quý IV/2026 is running out and Quý I/2027 has just started
    assert [(p.year, p.number) for p in found] == [(2026, 4), (2027, 1)]
    assert found[0].label == "Quý IV/2026 (15/09/2026 – 14/12/2026)"
    assert found[1].start == local(2026, 12, 15)


def test_a_first_day_inside_a_period_starts_with_that_period():
    found = list(deadlines.periods_between("gris", "month", dt.date(2026, 10, 20),
                                           local(2026, 12, 1)))
    assert [p.label for p in found] == ["Tháng 11/2026 (15/10/2026 – 14/11/2026)",
                                        "Tháng 12/2026 (15/11/2026 – 14/12/2026)"]


def test_calendar_forms_use_calendar_months():
    found = list(deadlines.periods_between("calendar", "month", dt.date(2026, 11, 1),
                                           local(2026, 12, 1, 0, 0)))
    assert [p.label for p in found] == ["Tháng 11/2026 (01/11/2026 – 30/11/2026)",
                                        "Tháng 12/2026 (01/12/2026 – 31/12/2026)"]


# --- deadlines ----------------------------------------------------------------------------------

def test_the_deadline_is_the_close_of_the_second_working_day_after_the_cut_off():
    quarter = gris_period("quarter", 2026, 4)  # cut-off Mon 14/12
    assert deadline_for(quarter.end, 2, calendar=CAL) == local(2026, 12, 16, 17, 0)
    assert deadline_for(quarter.end, 1, calendar=CAL) == local(2026, 12, 15, 17, 0)
    assert deadline_for(quarter.end, 0, calendar=CAL) == quarter.end
    assert deadline_for(quarter.end, 2, calendar=CAL).tzinfo == dt.UTC


def test_a_weekend_after_the_cut_off_pushes_the_deadline():
    january = gris_period("month", 2027, 1)  # 15/12/2026 – Thu 14/01/2027
    # Fri 15/01 is the first working day, Sat and Sun are not: the second is Mon 18/01
    assert deadline_for(january.end, 2, calendar=CAL) == local(2027, 1, 18, 17, 0)
    november = gris_period("month", 2026, 11)  # cut-off Sat 14/11/2026
    assert deadline_for(november.end, 2, calendar=CAL) == local(2026, 11, 17, 17, 0)


def test_a_statutory_holiday_after_the_cut_off_pushes_the_deadline():
    april = gris_period("month", 2027, 4)  # cut-off Wed 14/04/2027
    # Thu 15/04 works, Fri 16/04/2027 is Giỗ Tổ Hùng Vương: the second working day is Mon 19/04
    assert deadline_for(april.end, 2, calendar=CAL) == local(2027, 4, 19, 17, 0)


@pytest.mark.django_db
def test_a_day_off_entered_by_the_administrator_pushes_the_deadline():
    quarter = gris_period("quarter", 2026, 4)
    day_off(dt.date(2026, 12, 15))
    assert deadline_for(quarter.end, 2) == local(2026, 12, 17, 17, 0)


@pytest.mark.django_db
def test_a_make_up_working_saturday_counts():
    january = gris_period("month", 2027, 1)
    day_off(dt.date(2027, 1, 16), CalendarDayKind.MAKEUP_WORKDAY, "Làm bù")
    assert deadline_for(january.end, 2) == local(2027, 1, 16, 17, 0)


@pytest.mark.django_db
def test_an_opened_period_stores_its_calendar_deadline(indicator_setup):
    assert indicator_setup.period.deadline_at == DEADLINE
    assert indicator_setup.period.label == "Quý IV/2026 (15/09/2026 – 14/12/2026)"


# --- reminder days ------------------------------------------------------------------------------

def test_reminders_before_the_deadline_then_every_working_day_after_it():
    days = reminder_days(DEADLINE, before_days=1, after_every=1, until=dt.date(2026, 12, 24),
                         calendar=CAL)
    assert days == [
        (dt.date(2026, 12, 15), BEFORE), (dt.date(2026, 12, 16), BEFORE),  # the deadline day
        (dt.date(2026, 12, 17), AFTER), (dt.date(2026, 12, 18), AFTER),
        # Sat 19 and Sun 20: nothing
        (dt.date(2026, 12, 21), AFTER), (dt.date(2026, 12, 22), AFTER),
        (dt.date(2026, 12, 23), AFTER), (dt.date(2026, 12, 24), AFTER),
    ]


def test_reminders_after_the_deadline_every_second_working_day():
    days = reminder_days(DEADLINE, before_days=2, after_every=2, until=dt.date(2026, 12, 24),
                         calendar=CAL)
    assert days == [
        (dt.date(2026, 12, 14), BEFORE), (dt.date(2026, 12, 15), BEFORE),
        (dt.date(2026, 12, 16), BEFORE),
        (dt.date(2026, 12, 17), AFTER), (dt.date(2026, 12, 21), AFTER),
        (dt.date(2026, 12, 23), AFTER),
    ]


def test_the_before_window_counts_working_days_back_over_a_weekend():
    monday_deadline = local(2027, 1, 18, 17, 0)
    days = reminder_days(monday_deadline, before_days=1, after_every=0,
                         until=dt.date(2027, 1, 25), calendar=CAL)
    # one working day before Mon 18/01 is Fri 15/01; no reminder on the weekend
    assert days == [(dt.date(2027, 1, 15), BEFORE), (dt.date(2027, 1, 18), BEFORE)]


def test_no_reminder_on_a_day_off_nor_after_the_window():
    assert reminder_kind(deadline=DEADLINE, now=local(2026, 12, 19, 8, 0), before_days=1,
                         after_every=1, calendar=CAL) is None  # Saturday
    late = local(2027, 3, 1, 8, 0)  # far more than AFTER_WINDOW working days later
    assert reminder_kind(deadline=DEADLINE, now=late, before_days=1, after_every=1,
                         calendar=CAL) is None
    assert reminder_kind(deadline=DEADLINE, now=local(2026, 12, 16, 17, 30), before_days=1,
                         after_every=1, calendar=CAL) is None  # past it, same day
    assert reminder_kind(deadline=DEADLINE, now=local(2026, 12, 16, 16, 59), before_days=0,
                         after_every=1, calendar=CAL) is None  # "before" switched off


# --- the reminder job ---------------------------------------------------------------------------

def reminder_rows(kind=None):
    rows = ReportReminder.objects.all()
    return rows.filter(kind=kind) if kind else rows


def reminded_agencies(setup, kind, day):
    return {setup.reports_by_id[r.report_id].agency.name
            for r in ReportReminder.objects.filter(kind=kind, day=day)}


@pytest.fixture
def setup(indicator_setup, people):
    indicator_setup.reports_by_id = {r.pk: r for r in indicator_setup.reports.values()}
    return indicator_setup


def test_the_job_reminds_every_agency_before_the_deadline_once_a_day(setup, people):
    assert reminders.send_due_reminders(now=local(2026, 12, 14, 8, 0)) == {"before": 0,
                                                                          "after": 0}
    first = reminders.send_due_reminders(now=local(2026, 12, 15, 8, 0))
    again = reminders.send_due_reminders(now=local(2026, 12, 15, 14, 0))
    assert first == {"before": 3, "after": 0}
    assert again == {"before": 0, "after": 0}  # at most one per report, kind and day
    assert reminder_rows().count() == 3
    assert reminded_agencies(setup, "before", dt.date(2026, 12, 15)) == {
        "UBND xã A1", "UBND xã A2", "UBND xã A3"}
    assert reminders.send_due_reminders(now=local(2026, 12, 16, 8, 0)) == {"before": 3,
                                                                          "after": 0}


def test_reminders_go_to_the_agencys_reporters_and_leaders(setup, people):
    reminders.send_due_reminders(now=local(2026, 12, 15, 8, 0))
    a1 = setup.reports[setup.assignment.agencies.get(name="UBND xã A1")]
    reminder = ReportReminder.objects.get(report=a1)
    assert reminder.recipients == ["reporter_a1@example.vn", "leader_a1@example.vn"]
    mails = Notification.objects.filter(template_code="periodic_report_reminder",
                                        object_ref=f"agency_report:{a1.pk}")
    assert sorted(m.recipient for m in mails) == ["leader_a1@example.vn",
                                                  "reporter_a1@example.vn"]
    mail = mails.get(recipient="reporter_a1@example.vn")
    assert mail.subject == ("[Cổng Một Cửa] Nhắc gửi báo cáo sắp đến hạn: báo cáo "
                            "TEST.KTXH.01 Quý IV/2026")
    assert "Kính gửi: Trần Thị Lan" in mail.body
    assert "Hạn gửi: 17:00 16/12/2026. Đơn vị nhận báo cáo: UBND tỉnh thử nghiệm." in mail.body
    assert f"/bao-cao-dinh-ky/{a1.pk}/" in mail.body
    # the provincial office and the other communes' officers get nothing about A1
    assert not mails.filter(recipient__in=["vp_ubnd_tinh@example.vn",
                                           "reporter_a2@example.vn"]).exists()
    assert AgencyReport.objects.get(pk=a1.pk).last_reminded_at == local(2026, 12, 15, 8, 0)


def test_after_the_deadline_only_agencies_that_have_not_sent_are_reminded(setup, people):
    a1, a2, a3 = setup.reports
    send_report(setup.report(a1), indicator_values(0), reporter=people.reporter,
                leader=people.leader)
    # a2 submitted but the leader has not approved yet: not sent
    send_report(setup.report(a2), indicator_values(1), reporter=people.other_reporter,
                approve=False)
    assert reminders.send_due_reminders(now=local(2026, 12, 17, 8, 0)) == {"before": 0,
                                                                          "after": 2}
    assert reminded_agencies(setup, "after", dt.date(2026, 12, 17)) == {"UBND xã A2",
                                                                        "UBND xã A3"}
    assert not ReportReminder.objects.filter(report=setup.reports[a1]).exists()
    # Saturday: nothing; Monday: again
    assert reminders.send_due_reminders(now=local(2026, 12, 19, 8, 0)) == {"before": 0,
                                                                          "after": 0}
    assert reminders.send_due_reminders(now=local(2026, 12, 21, 8, 0)) == {"before": 0,
                                                                          "after": 2}


def test_the_reminder_job_runs_through_the_job_registry(setup):
    assert JOBS["periodic_remind"] == "baocao.periodic.jobs.send_report_reminders"
    run = run_job("periodic_remind", now=local(2026, 12, 15, 8, 0))
    assert run.counts == {"before": 3, "after": 0}
    assert jobs.send_report_reminders(now=local(2026, 12, 15, 9, 0)) == {"before": 0,
                                                                         "after": 0}


def test_reminder_jobs_are_scheduled_daily_in_local_time(settings):
    remind = settings.CELERY_BEAT_SCHEDULE["job-periodic-remind"]
    assert remind["args"] == ["periodic_remind"]
    assert remind["schedule"].hour == {8}
    assert remind["schedule"].minute == {0}
    opening = settings.CELERY_BEAT_SCHEDULE["job-periodic-open"]
    assert opening["args"] == ["periodic_open"]
    assert opening["schedule"].hour == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Ho_Chi_Minh"


# --- reminders at one click -----------------------------------------------------------------

def test_the_provincial_office_reminds_at_one_click_any_day(setup, people):
    a1, a2, a3 = setup.reports
    send_report(setup.report(a1), indicator_values(0))
    with time_machine.travel(local(2026, 12, 19, 10, 0), tick=False):  # a Saturday
        count = reminders.remind(reports=list(setup.reports.values()), by=people.province_office)
        again = reminders.remind(reports=[setup.reports[a2]], by=people.province_office)
    assert (count, again) == (2, 1)  # the sent report is skipped; manual ones are not capped
    manual = reminder_rows("manual")
    assert manual.count() == 3
    assert {r.sent_by for r in manual} == {people.province_office}
    assert Notification.objects.filter(recipient="reporter_a2@example.vn").count() == 2


def test_a_reporter_cannot_remind_and_an_office_only_in_its_subtree(setup, people, province):
    a1 = next(iter(setup.reports))
    district_b_office = make_officer(province.district_b, Role.REPORT_VIEWER)
    for outsider in (people.reporter, district_b_office):
        with pytest.raises(services.ReportForbidden):
            reminders.remind(reports=[setup.reports[a1]], by=outsider)
    assert reminders.remind(reports=[setup.reports[a1]], by=people.district_office) == 1
    assert ReportReminder.objects.get().sent_by == people.district_office
