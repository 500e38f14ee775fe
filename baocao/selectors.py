"""Named reads of the reports: the provincial overdue board ("Bảng theo dõi hồ sơ quá hạn").

A dossier is on the board while it is open and the overdue sweep (hoso.jobs) has recorded its
overdue alert (one per dossier, kind "overdue", no step). Each read is one set-based query;
the agency set comes from portal.permissions, already expanded to the subtree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from hoso.choices import AlertKind, DossierStatus
from hoso.models import Dossier, DossierAlert

PAGE_SIZE = 50


@dataclass(frozen=True)
class AgencyOverdue:
    """One line of the summary: the agency holding the dossiers (handling, else deciding)."""

    agency_id: int
    agency_name: str
    count: int
    oldest_due_at: dt.datetime


def _overdue_alert() -> QuerySet[DossierAlert]:
    return DossierAlert.objects.filter(dossier=OuterRef("pk"), kind=AlertKind.OVERDUE,
                                       step__isnull=True)


def _overdue(agency_ids: Iterable[int]) -> QuerySet[Dossier]:
    """Open dossiers with an overdue alert, received, decided or handled in these agencies,
    annotated with the agency the board files them under (`board_agency_id`)."""
    # A sorted list rather than a subquery, as Dossier.objects.visible_to does: PostgreSQL
    # then combines the agency indexes instead of scanning the table.
    ids = sorted(agency_ids)
    return (Dossier.objects
            .filter(Q(receiving_agency__in=ids) | Q(deciding_agency__in=ids)
                    | Q(handling_agency__in=ids),
                    Exists(_overdue_alert()),
                    status__in=sorted(DossierStatus.open_states()))
            .annotate(board_agency_id=Coalesce("handling_agency", "deciding_agency")))


def overdue_by_agency(agency_ids: Iterable[int]) -> list[AgencyOverdue]:
    """Per agency: how many overdue open dossiers it holds and the oldest due time among
    them. One query (GROUP BY with COUNT(*) and MIN(due_at)), ordered by agency name."""
    rows = (_overdue(agency_ids)
            .annotate(agency_name=Coalesce("handling_agency__name", "deciding_agency__name"))
            .values("board_agency_id", "agency_name")
            .annotate(n=Count("*"), oldest=Min("due_at"))
            .order_by("agency_name", "board_agency_id"))
    return [AgencyOverdue(agency_id=r["board_agency_id"], agency_name=r["agency_name"],
                          count=r["n"], oldest_due_at=r["oldest"]) for r in rows]


def overdue_dossiers(agency_ids: Iterable[int],
                     agency_id: int | None = None) -> QuerySet[Dossier]:
    """The board's list, oldest due time first (then id), each row with `overdue_at`, when
    the sweep found it overdue; only those held by `agency_id` if given. A lazy queryset for
    the Paginator: a page is one query whatever the number of dossiers."""
    qs = _overdue(agency_ids)
    if agency_id is not None:
        qs = qs.filter(board_agency_id=agency_id)
    return (qs.annotate(overdue_at=Subquery(_overdue_alert().values("at")[:1]))
            .select_related("procedure", "handling_agency", "deciding_agency", "assignee")
            .only("code", "status", "owner_name", "due_at", "procedure__name",
                  "handling_agency__name", "deciding_agency__name", "assignee__full_name",
                  "assignee__username")
            .order_by("due_at", "id"))
