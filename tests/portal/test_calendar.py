"""The working-day calendar (DOMAIN.md §6; DOMAIN-2025.md §3.4, N17, N28–N32).

Default working hours 07:30–11:30 and 13:30–17:00 (7 h 30 min a day). Every case has a fixed
expected timestamp in Asia/Ho_Chi_Minh.
"""

import datetime as dt
from decimal import Decimal

import pytest

from portal.calendar import (
    TZ,
    add_working_time,
    build_calendar,
    clear_calendar_cache,
    get_calendar,
    parse_working_hours,
    working_time_between,
)
from portal.choices import CalendarDayKind, TimeUnit
from portal.models import CalendarDay, CalendarYear
from tests.factories import AgencyFactory

DAYS, HOURS, CAL_DAYS = TimeUnit.WORKING_DAYS, TimeUnit.WORKING_HOURS, TimeUnit.CALENDAR_DAYS


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def cal():
    """The statutory calendar with the province's default hours and no administrator entries."""
    return build_calendar("07:30-11:30,13:30-17:00")


def test_three_working_days_span_a_weekend(cal):
    # Thursday 10:00 → Fri (1), Mon (2), Tue (3).
    assert cal.add(at(2026, 11, 12, 10, 0), 3, DAYS) == at(2026, 11, 17, 10, 0)


def test_three_working_days_span_lunar_tet_2027(cal):
    # Tết Đinh Mùi: mùng 1 = Sat 06/02/2027; days off Thu 04/02 … Wed 10/02 (holidays package).
    assert not cal.is_working_day(dt.date(2027, 2, 4))
    assert not cal.is_working_day(dt.date(2027, 2, 10))
    assert cal.add(at(2027, 2, 3, 10, 0), 3, DAYS) == at(2027, 2, 15, 10, 0)


def test_three_working_days_span_30_april_and_1_may(cal):
    # Wed 29/04/2026 14:00; Thu 30/4 and Fri 1/5 are holidays, then the weekend.
    assert cal.add(at(2026, 4, 29, 14, 0), 3, DAYS) == at(2026, 5, 6, 14, 0)


def test_working_hours_cross_lunch_and_end_of_day(cal):
    # Mon 09/11/2026 10:00 + 6 h: 1 h 30 to lunch, 3 h 30 afternoon, 1 h on Tuesday morning.
    assert cal.add(at(2026, 11, 9, 10, 0), 6, HOURS) == at(2026, 11, 10, 8, 30)


def test_dossier_received_on_saturday_counts_from_monday_opening(cal):
    saturday = at(2026, 11, 14, 9, 0)
    assert cal.next_working_moment(saturday) == at(2026, 11, 16, 7, 30)
    # Three full working days from Monday 07:30 end at Wednesday's closing time.
    assert cal.add(saturday, 3, DAYS) == at(2026, 11, 18, 17, 0)


@pytest.mark.django_db
def test_administrator_entered_makeup_saturday_counts_as_working_day():
    year = CalendarYear.objects.create(year=2026, decision="Thông báo thử nghiệm")
    CalendarDay.objects.create(calendar_year=year, date=dt.date(2026, 12, 5),
                               kind=CalendarDayKind.MAKEUP_WORKDAY, name="Làm bù")
    clear_calendar_cache()
    friday = at(2026, 12, 4, 10, 0)
    assert add_working_time(friday, 1, DAYS) == at(2026, 12, 5, 10, 0)
    assert build_calendar("07:30-11:30,13:30-17:00").add(friday, 1, DAYS) == at(2026, 12, 7, 10, 0)


@pytest.mark.django_db
def test_administrator_entered_day_off_is_skipped():
    year = CalendarYear.objects.create(year=2026)
    CalendarDay.objects.create(calendar_year=year, date=dt.date(2026, 12, 31),
                               kind=CalendarDayKind.DAY_OFF, name="Nghỉ hoán đổi")
    clear_calendar_cache()
    # Wed 30/12 10:00 + 1 day: Thu 31/12 off, Fri 01/01/2027 New Year → Mon 04/01/2027.
    assert add_working_time(at(2026, 12, 30, 10, 0), 1, DAYS) == at(2027, 1, 4, 10, 0)


@pytest.mark.django_db
def test_administrator_can_turn_a_statutory_holiday_into_a_working_day():
    # 24/11/2026 (Ngày Văn hóa Việt Nam) is a holiday in the holidays package [U]; an
    # administrator entry overrides it if the province's schedule says otherwise.
    assert not get_calendar().is_working_day(dt.date(2026, 11, 24))
    year = CalendarYear.objects.create(year=2026)
    CalendarDay.objects.create(calendar_year=year, date=dt.date(2026, 11, 24),
                               kind=CalendarDayKind.MAKEUP_WORKDAY, name="Làm việc")
    clear_calendar_cache()
    assert get_calendar().is_working_day(dt.date(2026, 11, 24))


def test_package_makeup_saturday_of_2026_is_a_working_day(cal):
    # Thông báo 9441/TB-BNV: Mon 31/8/2026 off, swapped with Sat 22/8/2026.
    assert cal.is_working_day(dt.date(2026, 8, 22))
    assert not cal.is_working_day(dt.date(2026, 8, 31))


def test_friday_1630_plus_8_working_hours(cal):
    # DOMAIN.md §10 item 32: 30 min on Friday, 7 h 30 on Monday → Monday's closing time.
    assert cal.add(at(2026, 11, 13, 16, 30), 8, HOURS) == at(2026, 11, 16, 17, 0)


def test_lunchtime_intake_starts_at_afternoon_opening(cal):
    assert cal.next_working_moment(at(2026, 11, 9, 12, 15)) == at(2026, 11, 9, 13, 30)
    assert cal.add(at(2026, 11, 9, 12, 15), 2, HOURS) == at(2026, 11, 9, 15, 30)


def test_intake_before_opening_and_after_closing(cal):
    assert cal.next_working_moment(at(2026, 11, 9, 6, 0)) == at(2026, 11, 9, 7, 30)
    assert cal.next_working_moment(at(2026, 11, 13, 17, 30)) == at(2026, 11, 16, 7, 30)


def test_utc_input_is_read_in_vietnam_time(cal):
    utc = dt.datetime(2026, 11, 12, 3, 0, tzinfo=dt.UTC)  # 10:00 in Hà Nội
    assert cal.add(utc, 3, DAYS) == at(2026, 11, 17, 10, 0)


def test_half_a_working_day(cal):
    assert cal.add(at(2026, 11, 9, 7, 30), Decimal("0.5"), DAYS) == at(2026, 11, 9, 11, 15)


def test_zero_amount_is_the_start_of_counting(cal):
    assert cal.add(at(2026, 11, 14, 9, 0), 0, DAYS) == at(2026, 11, 16, 7, 30)


def test_calendar_day_limit_never_falls_on_a_day_off(cal):
    # Mon 26/10/2026 + 5 days = Sat 31/10 → moved to Mon 02/11.
    assert cal.add(at(2026, 10, 26, 9, 0), 5, CAL_DAYS) == at(2026, 11, 2, 9, 0)
    assert cal.add(at(2026, 10, 26, 9, 0), 3, CAL_DAYS) == at(2026, 10, 29, 9, 0)


def test_working_time_between_skips_nights_weekends_and_lunch(cal):
    assert cal.between(at(2026, 11, 13, 16, 0), at(2026, 11, 16, 9, 0)) == dt.timedelta(
        hours=2, minutes=30)
    assert cal.between(at(2026, 11, 9, 11, 0), at(2026, 11, 9, 14, 0)) == dt.timedelta(hours=1)
    assert cal.between(at(2026, 11, 16, 9, 0), at(2026, 11, 13, 16, 0)) == -dt.timedelta(
        hours=2, minutes=30)


def test_between_inverts_add(cal):
    start = at(2026, 11, 12, 10, 0)
    due = cal.add(start, 3, DAYS)
    assert cal.between(start, due) == 3 * cal.day_length


@pytest.mark.django_db
def test_working_time_between_uses_the_database_calendar():
    assert working_time_between(at(2026, 11, 9, 7, 30), at(2026, 11, 9, 17, 0)) == dt.timedelta(
        hours=7, minutes=30)


def test_same_day_service_after_1500_is_due_next_working_day(cal):
    cutoff = dt.time(15, 0)
    assert cal.same_day_due(at(2026, 11, 9, 14, 59), cutoff) == at(2026, 11, 9, 17, 0)
    assert cal.same_day_due(at(2026, 11, 9, 15, 1), cutoff) == at(2026, 11, 10, 17, 0)
    assert cal.same_day_due(at(2026, 11, 13, 15, 30), cutoff) == at(2026, 11, 16, 17, 0)
    assert cal.same_day_due(at(2026, 11, 14, 9, 0), cutoff) == at(2026, 11, 16, 17, 0)


@pytest.mark.django_db
def test_agency_with_its_own_working_hours():
    agency = AgencyFactory(working_hours="07:00-11:30,13:30-17:00")
    cal = get_calendar(agency)
    assert cal.day_length == dt.timedelta(hours=8)
    assert cal.add(at(2026, 11, 9, 6, 0), 1, DAYS) == at(2026, 11, 9, 17, 0)
    assert get_calendar().day_length == dt.timedelta(hours=7, minutes=30)


def test_naive_datetimes_are_refused(cal):
    with pytest.raises(ValueError, match="naive"):
        cal.add(dt.datetime(2026, 11, 9, 10, 0), 1, DAYS)  # noqa: DTZ001


def test_negative_amounts_and_unknown_units_are_refused(cal):
    with pytest.raises(ValueError, match="negative"):
        cal.add(at(2026, 11, 9, 10, 0), -1, DAYS)
    with pytest.raises(ValueError, match="unit"):
        cal.add(at(2026, 11, 9, 10, 0), 1, "weeks")


@pytest.mark.parametrize("text", ["", "07:30", "11:30-07:30", "07:30-11:30,11:00-17:00", "x-y"])
def test_malformed_working_hours_are_refused(text):
    with pytest.raises(ValueError):  # noqa: PT011 — each malformed form has its own message
        parse_working_hours(text)


def test_a_calendar_without_working_time_fails_instead_of_looping():
    everything_off = build_calendar("07:30-11:30")
    object.__setattr__(everything_off, "extra_days_off", frozenset(
        dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(4000)))
    with pytest.raises(ValueError, match="no working"):
        everything_off.add(at(2026, 1, 1, 8, 0), 1, DAYS)
