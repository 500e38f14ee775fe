"""20 concurrent receipts on PostgreSQL get 20 distinct, gap-free codes — also when some of
them roll back after taking a number (SECURITY.md B5 "gapless numbers")."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections, transaction

from hoso.models import Dossier
from hoso.services import intake
from portal.calendar import TZ
from tests.hoso.conftest import intake_request

THREADS = 20
ROLLED_BACK = {3, 7, 11, 15, 19}  # these take a number, then their transaction fails


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_get_distinct_gap_free_codes(province, birth_procedure, desk_a1):
    assert connection.vendor == "postgresql"
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def receipt(i: int) -> None:
        try:
            start.wait()
            with transaction.atomic():
                dossier = intake.intake_at_desk(officer=desk_a1, request=intake_request(
                    birth_procedure, province.commune_a1, papers=[
                        intake.PaperIn(position=1, originals=1),
                        intake.PaperIn(position=2, originals=1)]))
                assert dossier.code
                if i in ROLLED_BACK:
                    raise Rollback
        except Rollback:
            pass
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ), tick=False):
        threads = [threading.Thread(target=receipt, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    codes = sorted(Dossier.objects.values_list("code", flat=True))
    committed = THREADS - len(ROLLED_BACK)
    prefix = f"{province.commune_a1.code}-261123-"
    assert codes == [f"{prefix}{n:04d}" for n in range(1, committed + 1)]
