"""Digitisation and reuse figures for the reports (issue 8 item 5): set-based selectors, one
aggregate query each (COUNT(*) FILTER (WHERE …)), for a period and a set of agencies.

The period is half-open, `start <= t < end`, on the moment each figure is about: a dossier's
receipt (`received_at`) for its papers and for "fully digitised", the signature
(`signed_at`) for e-results and their revocation (`revoked_at`), the use (`used_at`) for
reuse. A dossier belongs to an agency that received it or decides it (`agency_ids` None: the
whole province). The `…_by_agency` forms group by one of the two (`by`: "receiving" or
"deciding"), so no dossier is counted twice.

A "paper" is one DossierDocument row of the dossier (what was handed in or reused, a
supplement's papers included); it is digital in any state of DigitisationState.
digital_states(). A received dossier is fully digitised when none of its papers is left in
another state (a dossier with no paper at all, only its e-form, counts as fully digitised).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from hoso.choices import Channel, DigitisationState
from hoso.models import Dossier, DossierDocument, Result, WalletUse

BY = {"receiving": "receiving_agency", "deciding": "deciding_agency"}
DIGITAL = sorted(DigitisationState.digital_states())
NOT_DIGITAL = sorted(set(DigitisationState.values) - DigitisationState.digital_states())
REUSED = sorted({DigitisationState.REUSED_DOCUMENT, DigitisationState.REUSED_RESULT})


def _in_period(field: str, start: dt.datetime, end: dt.datetime) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _of_agencies(prefix: str, agency_ids: Iterable[int] | QuerySet | None) -> Q:
    """Rows whose dossier (reached through `prefix`) was received or is decided by one of
    the agencies; no condition for None."""
    if agency_ids is None:
        return Q()
    ids = agency_ids if isinstance(agency_ids, QuerySet) else sorted(set(agency_ids))
    return (Q(**{f"{prefix}receiving_agency__in": ids})
            | Q(**{f"{prefix}deciding_agency__in": ids}))


def _group_filter(prefix: str, by: str, agency_ids) -> tuple[str, Q]:
    if by not in BY:
        raise ValueError(f"by must be one of {sorted(BY)}")
    field = f"{prefix}{BY[by]}"
    if agency_ids is None:
        return field, Q()
    ids = agency_ids if isinstance(agency_ids, QuerySet) else sorted(set(agency_ids))
    return field, Q(**{f"{field}__in": ids})


# --- the aggregates (shared by the totals and the per-agency forms) ---------------------------

def _document_counts() -> dict:
    return {
        "documents_total": Count("pk"),
        "documents_digitised": Count("pk", filter=Q(digitisation__in=DIGITAL)),
        "documents_scanned": Count("pk", filter=Q(digitisation=DigitisationState.DIGITISED)),
        "documents_reused": Count("pk", filter=Q(digitisation__in=REUSED)),
        "documents_national_source": Count(
            "pk", filter=Q(digitisation=DigitisationState.NATIONAL_SOURCE)),
        "documents_paper_only": Count("pk", filter=Q(digitisation__in=NOT_DIGITAL, file="")),
    }


def _dossier_counts() -> dict:
    not_digital = DossierDocument.objects.filter(dossier=OuterRef("pk")).exclude(
        digitisation__in=DIGITAL)
    return {
        "dossiers_received": Count("pk"),
        "dossiers_fully_digitised": Count("pk", filter=~Exists(not_digital)),
    }


def _result_counts(start: dt.datetime, end: dt.datetime) -> dict:
    signed = _in_period("signed_at", start, end)
    return {
        "eresults_issued": Count("pk", filter=signed),
        "eresults_issued_now_revoked": Count("pk", filter=signed & Q(revoked_at__isnull=False)),
        "eresults_revoked": Count("pk", filter=_in_period("revoked_at", start, end)),
    }


def _reuse_counts() -> dict:
    return {
        "reuse_count": Count("pk"),
        "reuse_online": Count("pk", filter=Q(channel__in=sorted(Channel.online_channels()))),
        "reuse_dossiers": Count("dossier", distinct=True),
    }


def _documents(start, end) -> QuerySet:
    return DossierDocument.objects.filter(_in_period("dossier__received_at", start, end))


def _dossiers(start, end) -> QuerySet:
    return Dossier.objects.filter(_in_period("received_at", start, end))


def _results(start, end) -> QuerySet:
    return Result.objects.filter(Q(electronic=True)
                                 & (_in_period("signed_at", start, end)
                                    | _in_period("revoked_at", start, end)))


def _uses(start, end) -> QuerySet:
    return WalletUse.objects.filter(_in_period("used_at", start, end))


# --- totals ---------------------------------------------------------------------------------

def documents_digitised(agency_ids, start: dt.datetime, end: dt.datetime) -> dict:
    """Papers of the dossiers received in the period: total, digital (and how: scanned or
    confirmed, reused, national source) and paper only (no file, no digital state)."""
    return _documents(start, end).filter(_of_agencies("dossier__", agency_ids)).aggregate(
        **_document_counts())


def dossiers_fully_digitised(agency_ids, start: dt.datetime, end: dt.datetime) -> dict:
    """Dossiers received in the period (the denominator) and those whose every paper is
    digital."""
    return _dossiers(start, end).filter(_of_agencies("", agency_ids)).aggregate(
        **_dossier_counts())


def eresults_issued(agency_ids, start: dt.datetime, end: dt.datetime) -> dict:
    """E-results signed in the period (and how many of them are revoked by now), and
    e-results revoked in the period whenever they were signed."""
    return _results(start, end).filter(_of_agencies("dossier__", agency_ids)).aggregate(
        **_result_counts(start, end))


def reuse_count(agency_ids, start: dt.datetime, end: dt.datetime) -> dict:
    """Wallet papers used instead of a new upload in the period (one row per dossier paper),
    those on online dossiers, and the dossiers that reused at least one."""
    return _uses(start, end).filter(_of_agencies("dossier__", agency_ids)).aggregate(
        **_reuse_counts())


def digitisation_figures(agency_ids, start: dt.datetime, end: dt.datetime) -> dict:
    """Every figure above in one flat dict (four queries)."""
    return {**documents_digitised(agency_ids, start, end),
            **dossiers_fully_digitised(agency_ids, start, end),
            **eresults_issued(agency_ids, start, end),
            **reuse_count(agency_ids, start, end)}


# --- per agency -----------------------------------------------------------------------------

def _grouped(qs: QuerySet, field: str, counts: dict) -> dict[int, dict]:
    return {row.pop(field): row for row in qs.values(field).annotate(**counts).order_by()}


def documents_digitised_by_agency(agency_ids, start, end, *, by: str = "receiving"
                                  ) -> dict[int, dict]:
    field, condition = _group_filter("dossier__", by, agency_ids)
    return _grouped(_documents(start, end).filter(condition), field, _document_counts())


def dossiers_fully_digitised_by_agency(agency_ids, start, end, *, by: str = "receiving"
                                       ) -> dict[int, dict]:
    field, condition = _group_filter("", by, agency_ids)
    return _grouped(_dossiers(start, end).filter(condition), field, _dossier_counts())


def eresults_issued_by_agency(agency_ids, start, end, *, by: str = "receiving"
                              ) -> dict[int, dict]:
    field, condition = _group_filter("dossier__", by, agency_ids)
    return _grouped(_results(start, end).filter(condition), field, _result_counts(start, end))


def reuse_count_by_agency(agency_ids, start, end, *, by: str = "receiving") -> dict[int, dict]:
    field, condition = _group_filter("dossier__", by, agency_ids)
    return _grouped(_uses(start, end).filter(condition), field, _reuse_counts())


def digitisation_figures_by_agency(agency_ids, start: dt.datetime, end: dt.datetime, *,
                                   by: str = "receiving") -> dict[int, dict]:
    """Every figure per agency (the dossier's receiving or deciding agency, `by`), four
    grouped queries; every agency of `agency_ids` is in the answer, with zeros if need be."""
    blank = {**dict.fromkeys(_document_counts(), 0), **dict.fromkeys(_dossier_counts(), 0),
             **dict.fromkeys(_result_counts(start, end), 0),
             **dict.fromkeys(_reuse_counts(), 0)}
    answer: dict[int, dict] = {}
    if agency_ids is not None and not isinstance(agency_ids, QuerySet):
        answer = {agency_id: dict(blank) for agency_id in set(agency_ids)}
    for selector in (documents_digitised_by_agency, dossiers_fully_digitised_by_agency,
                     eresults_issued_by_agency, reuse_count_by_agency):
        for agency_id, row in selector(agency_ids, start, end, by=by).items():
            answer.setdefault(agency_id, dict(blank)).update(row)
    return answer


# --- the desk's work list: what is still on paper only ---------------------------------------


def _digitisable_dossiers(user) -> QuerySet[Dossier]:
    """The dossiers the user may digitise (hoso.services.digitisation.may_digitise), in a
    state that allows it."""
    from hoso.services.digitisation import DIGITISABLE_STATUSES, PROCESS, RECEIVE
    from portal.permissions import agency_ids_with_perm

    receiving = sorted(agency_ids_with_perm(user, RECEIVE))
    processing = sorted(agency_ids_with_perm(user, PROCESS))
    return Dossier.objects.filter(
        Q(status__in=sorted(DIGITISABLE_STATUSES), code__isnull=False)
        & (Q(receiving_agency__in=receiving) | Q(handling_agency__in=processing)
           | Q(handling_agency__isnull=True, deciding_agency__in=processing)))


def paper_only_dossiers(user, *, counts: bool = True) -> QuerySet[Dossier]:
    """The user's dossiers with at least one paper not yet digital, oldest receipt first,
    each with its counts of papers: all, digital, paper only (no file), and with a file not
    yet confirmed as digitised (an upload, a scan at intake). One query per page; `counts`
    False: the bare rows, for the paginator's COUNT."""
    pending = DossierDocument.objects.filter(dossier=OuterRef("pk"),
                                             digitisation__in=NOT_DIGITAL)
    dossiers = _digitisable_dossiers(user).filter(Exists(pending))
    if not counts:
        return dossiers
    not_digital = Q(documents__digitisation__in=NOT_DIGITAL)
    return (dossiers.select_related("procedure", "receiving_agency")
            .defer("terms", "form_data", "procedure__eform_schema",
                   "procedure__result_template")
            .annotate(papers=Count("documents"),
                      papers_digital=Count("documents",
                                           filter=Q(documents__digitisation__in=DIGITAL)),
                      papers_paper_only=Count("documents", filter=not_digital
                                              & Q(documents__file="")),
                      papers_unconfirmed=Count("documents", filter=not_digital
                                               & Q(documents__file__gt="")))
            .order_by("received_at", "pk"))


def paper_only_summary(user) -> list[dict]:
    """Per receiving agency, over the user's dossiers that may still be digitised: papers in
    all, digital, paper only, with a file not yet confirmed, and the dossiers with a paper
    left. One query."""
    not_digital = Q(digitisation__in=NOT_DIGITAL)
    rows = (DossierDocument.objects.filter(dossier__in=_digitisable_dossiers(user))
            .values("dossier__receiving_agency", "dossier__receiving_agency__name")
            .annotate(total=Count("pk"), digital=Count("pk", filter=Q(digitisation__in=DIGITAL)),
                      paper_only=Count("pk", filter=not_digital & Q(file="")),
                      unconfirmed=Count("pk", filter=not_digital & Q(file__gt="")),
                      dossiers_left=Count("dossier", distinct=True, filter=not_digital))
            .order_by("dossier__receiving_agency__name"))
    return [{"agency_id": row.pop("dossier__receiving_agency"),
             "agency": row.pop("dossier__receiving_agency__name"), **row} for row in rows]
