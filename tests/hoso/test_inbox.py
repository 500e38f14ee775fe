"""The officer inbox: queues, keyset pages with a constant number of queries, capped counts,
time left in colour, the online-intake overdue flag."""

import datetime as dt

import pytest
import time_machine

from hoso import selectors
from hoso.models import Dossier
from portal.calendar import TZ
from tests.hoso.conftest import desk_receive, online_submit

pytestmark = pytest.mark.django_db


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def test_queues_sort_by_deadline_and_page_by_keyset(province, birth_procedure, desk_a1,
                                                    django_assert_max_num_queries):
    for day in (16, 17, 18, 19, 20):
        with time_machine.travel(at(2026, 11, day, 9, 0), tick=False):
            desk_receive(desk_a1, birth_procedure, province.commune_a1)
    now = at(2026, 11, 23, 9, 0)
    first = selectors.inbox_page(desk_a1, "da-tiep-nhan", size=2, now=now)
    assert [d.due_at for d in first.rows] == sorted(d.due_at for d in first.rows)
    second = selectors.inbox_page(desk_a1, "da-tiep-nhan", size=2, cursor=first.next_cursor,
                                  now=now)
    third = selectors.inbox_page(desk_a1, "da-tiep-nhan", size=2, cursor=second.next_cursor,
                                 now=now)
    seen = [d.pk for page in (first, second, third) for d in page.rows]
    assert len(seen) == len(set(seen)) == 5
    assert third.next_cursor is None
    with django_assert_max_num_queries(3):
        page = selectors.inbox_page(desk_a1, "da-tiep-nhan", size=50, now=now)
        [(d.procedure.name, d.receiving_agency.name) for d in page.rows]


def test_overdue_and_due_soon_queues(province, birth_procedure, desk_a1):
    with time_machine.travel(at(2026, 11, 16, 9, 0), tick=False):
        late = desk_receive(desk_a1, birth_procedure, province.commune_a1)  # due 16/11 17:00
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):
        soon = desk_receive(desk_a1, birth_procedure, province.commune_a1)  # due 23/11 17:00
        now = at(2026, 11, 23, 10, 0)
        assert [d.pk for d in selectors.inbox_page(desk_a1, "qua-han", now=now).rows] == [
            late.pk]
        assert [d.pk for d in selectors.inbox_page(desk_a1, "sap-den-han", now=now).rows] == [
            soon.pk]
        assert selectors.time_left(late, now).colour == "red"
        assert selectors.time_left(soon, now).colour == "amber"
        assert selectors.time_left(soon, now).text == "Còn 5 giờ 0 phút làm việc"


def test_online_submissions_past_the_check_limit_show_as_late(province, birth_procedure,
                                                              citizen, desk_a1):
    with time_machine.travel(at(2026, 11, 16, 9, 0), tick=False):
        dossier = online_submit(citizen, birth_procedure, province.commune_a1)
    later = at(2026, 11, 18, 9, 0)
    assert dossier.intake_overdue(later)
    left = selectors.time_left(dossier, later)
    assert left.colour == "red"
    assert left.text.startswith("Quá hạn")


def test_counts_are_capped(province, birth_procedure, desk_a1, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        desk_receive(desk_a1, birth_procedure, province.commune_a1)
    assert selectors.queue_counts(desk_a1)["da-tiep-nhan"] == "2+"


def test_filters_by_procedure_and_channel(province, birth_procedure, desk_a1):
    desk_receive(desk_a1, birth_procedure, province.commune_a1)
    flt = selectors.InboxFilter(channel="postal")
    assert selectors.inbox_page(desk_a1, "da-tiep-nhan", flt).rows == []
    flt = selectors.InboxFilter(procedure=birth_procedure.national_code, channel="direct")
    assert len(selectors.inbox_page(desk_a1, "da-tiep-nhan", flt).rows) == 1
    assert Dossier.objects.count() == 1
