"""A receipt is cheap and its caches are never stale: the procedure's terms, the route facts
and the message template are cached, and every change that can alter them is seen at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hoso.choices import Action
from hoso.models import Dossier
from hoso.services import intake
from hoso.workflow import apply_to_new
from portal.errors import InvalidInput
from portal.models import MessageTemplate, Notification
from portal.notifications import DEFAULT_TEMPLATES
from tests.hoso.conftest import desk_receive, pdf_upload
from tthc.admin import bump_version
from tthc.choices import ImplementerRelation
from tthc.models import ProcedureAgency

pytestmark = pytest.mark.django_db


def receipt_queries(officer, procedure, agency, papers) -> list[str]:
    """The statements of one receipt, then of what runs after its commit."""
    desk_receive(officer, procedure, agency)  # warm the caches
    with CaptureQueriesContext(connection) as captured:
        from django.db import transaction

        earlier = len(connection.run_on_commit)  # hooks of earlier receipts in this test
        with transaction.atomic():
            desk_receive(officer, procedure, agency, papers=papers)
            after_commit = connection.run_on_commit[earlier:]
            del connection.run_on_commit[earlier:]
        in_transaction = len(captured.captured_queries)
        for _sids, hook, _robust in after_commit:
            hook()
    queries = [q["sql"] for q in captured.captured_queries]
    return queries[:in_transaction] + ["-- commit --"] + queries[in_transaction:]


def test_a_desk_receipt_writes_each_table_once_whatever_the_number_of_papers(
        province, birth_procedure, desk_a1):
    two = receipt_queries(desk_a1, birth_procedure, province.commune_a1, [
        intake.PaperIn(position=1, originals=1, file=pdf_upload()),
        intake.PaperIn(position=2, originals=1)])
    three = receipt_queries(desk_a1, birth_procedure, province.commune_a1, [
        intake.PaperIn(position=1, originals=1, file=pdf_upload()),
        intake.PaperIn(position=2, originals=1, copies=2, file=pdf_upload("chung-sinh.pdf"))])
    def split(queries):
        statements = [q for q in queries if "SAVEPOINT" not in q]  # the test's transactions
        cut = statements.index("-- commit --")
        return statements[:cut], statements[cut + 1:]

    assert len(split(two)[0]) == len(split(three)[0])
    receipt, after = split(three)
    inserts = [q.split()[2].strip('"') for q in receipt if q.startswith("INSERT")]
    # the dossier is inserted once, as received, with its event and papers; the birth
    # registration charges a fee, so its payment order too (thanhtoan.services.ensure_order)
    assert sorted(inserts) == sorted(["hoso_dossier", "hoso_dossierevent",
                                      "hoso_dossierdocument", "thanhtoan_paymentorder"])
    # the number is taken and written in one statement, the last of the receipt (after the
    # payment order's single insert), so the day's counter row is locked only for it and the
    # commit
    numbering = receipt[-1]
    assert numbering.startswith("WITH")
    assert "hoso_dossiercounter" in numbering
    assert "UPDATE hoso_dossier SET code" in numbering
    assert receipt[-2].startswith('INSERT INTO "thanhtoan_paymentorder"')
    assert not [q for q in receipt if q.startswith("UPDATE")]
    assert len(receipt) <= 7
    # the messages (e-mail and SMS in one statement per dossier) are written after the
    # commit, by the task the commit kicks (eager here)
    assert {q.split()[2] for q in after if q.startswith("INSERT")} == {"portal_notification"}


def test_a_procedure_amendment_is_seen_by_the_next_receipt(province, birth_procedure,
                                                           desk_a1):
    desk_receive(desk_a1, birth_procedure, province.commune_a1)
    ProcedureAgency.objects.create(procedure=birth_procedure, agency=province.commune_a1,
                                   relation=ImplementerRelation.EXCLUDED)
    bump_version(birth_procedure.pk)  # what the admin site does on any amendment
    birth_procedure.refresh_from_db()
    with pytest.raises(InvalidInput) as refused:
        desk_receive(desk_a1, birth_procedure, province.commune_a1)
    assert refused.value.code == "not_carried_out"


def test_an_agency_change_is_seen_by_the_next_receipt(province, birth_procedure, desk_a1):
    desk_receive(desk_a1, birth_procedure, province.commune_a1,
                 deciding=province.commune_b1)
    province.commune_b1.is_active = False
    province.commune_b1.save()
    with pytest.raises(InvalidInput) as refused:
        desk_receive(desk_a1, birth_procedure, province.commune_a1,
                     deciding=province.commune_b1)
    assert refused.value.code == "not_carried_out"


def test_an_edited_message_is_used_by_the_next_receipt(province, birth_procedure, desk_a1,
                                                       django_capture_on_commit_callbacks):
    desk_receive(desk_a1, birth_procedure, province.commune_a1)
    # get_or_create: a transactional test elsewhere may have flushed the migration's rows
    template, _new = MessageTemplate.objects.get_or_create(
        code="dossier_received", defaults=DEFAULT_TEMPLATES["dossier_received"])
    template.sms_body = "Đã nhận hồ sơ {{ dossier_code }}."
    template.save()
    with django_capture_on_commit_callbacks(execute=True):
        dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    sms = Notification.objects.get(object_ref=f"dossier:{dossier.pk}", channel="sms")
    assert sms.body == f"Đã nhận hồ sơ {dossier.code}."


def test_an_amended_procedure_gives_new_terms_to_new_dossiers_only(province, birth_procedure,
                                                                   desk_a1):
    old = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    bump_version(birth_procedure.pk)
    birth_procedure.refresh_from_db()
    new = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    assert (old.terms["procedure"]["version"], new.terms["procedure"]["version"]) == (1, 2)
    new.terms["documents"].clear()  # each dossier holds its own copy
    assert Dossier.objects.get(pk=old.pk).terms["documents"]


def test_apply_to_new_takes_only_an_unsaved_dossier(province, birth_procedure, desk_a1):
    dossier = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    with pytest.raises(ValueError, match="unsaved"):
        apply_to_new(dossier, action=Action.RECEIVE, actor=desk_a1)


@pytest.mark.parametrize(("fmt", "parts"), [
    ("{unit}-{date:%y%m%d}-{seq:04d}", ("U1-261123-", 4, "")),
    ("{unit}/{seq}/{date:%Y}", ("U1/", 0, "/2026")),
    ("{seq:06d}.{unit}", ("", 6, ".U1")),
    ("{unit}-{seq:>5}", None),  # another shape: numbered in Python, written after
    ("{unit}-{date:%y%m%d}", None),
])
def test_the_code_format_splits_around_the_number(settings, fmt, parts):
    import datetime as dt

    from hoso.codes import _split_format

    settings.DOSSIER_CODE_FORMAT = fmt
    assert _split_format("U1", dt.date(2026, 11, 23)) == parts


def test_a_code_format_sql_cannot_build_is_still_gap_free(settings, province,
                                                           birth_procedure, desk_a1):
    settings.DOSSIER_CODE_FORMAT = "{unit}~{seq:>5}"
    first = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    second = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    assert (first.code.split("~")[1], second.code.split("~")[1]) == ("    1", "    2")
    assert Dossier.objects.get(pk=second.pk).code == second.code



def test_receipt_messages_are_written_after_commit_and_a_lost_kick_is_caught(
        province, birth_procedure, desk_a1, django_capture_on_commit_callbacks):
    from hoso.notify import write_receipt_messages

    lost = desk_receive(desk_a1, birth_procedure, province.commune_a1)  # its kick is lost
    assert not Notification.objects.filter(object_ref=f"dossier:{lost.pk}").exists()
    assert write_receipt_messages() == 1  # what beat runs every minute
    assert lost.code in Notification.objects.get(object_ref=f"dossier:{lost.pk}",
                                                 channel="sms").body
    assert write_receipt_messages() == 0  # written once
    with django_capture_on_commit_callbacks(execute=True):
        kicked = desk_receive(desk_a1, birth_procedure, province.commune_a1)
    assert Notification.objects.filter(object_ref=f"dossier:{kicked.pk}").count() == 2


def test_no_receipt_message_when_the_administrator_turned_it_off(
        province, birth_procedure, desk_a1):
    from hoso.notify import write_receipt_messages

    MessageTemplate.objects.update_or_create(
        code="dossier_received", defaults={**DEFAULT_TEMPLATES["dossier_received"],
                                           "is_active": False})
    desk_receive(desk_a1, birth_procedure, province.commune_a1)
    assert write_receipt_messages() == 0
    assert not Notification.objects.exists()
