"""Named reads of the catalogue: search, filters, statistics, who carries out what."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from portal.choices import AgencyKind, AgencyLevel
from portal.models import Agency
from tthc.choices import LEGACY_LEVEL, ImplementerRelation, ServiceMode
from tthc.models import FeeItem, Field, Procedure, ProcedureAgency, Workflow
from tthc.search import query_words


@dataclass(frozen=True)
class CatalogueFilter:
    query: str = ""
    field: str = ""  # Field.code
    level: str = ""  # AgencyLevel
    agency: str = ""  # Agency.code
    service_mode: str = ""


# Columns a result list never shows: left out so a page of results stays cheap.
LIST_DEFERRED = ("eform_schema", "legal_basis", "source", "notes", "search_text",
                 "illustrative", "competent_authority", "announcing_decision")


def search_procedures(flt: CatalogueFilter, on=None) -> QuerySet[Procedure]:
    """Published procedures matching a diacritic-free query and the filters (list columns)."""
    qs = Procedure.objects.published(on).select_related("field").defer(*LIST_DEFERRED)
    for word in query_words(flt.query):
        qs = qs.filter(search_text__contains=word)
    if flt.field:
        qs = qs.filter(field__code=flt.field)
    if flt.level:
        qs = qs.filter(levels__level=flt.level)
    if flt.service_mode:
        qs = qs.filter(service_mode=flt.service_mode)
    if flt.agency:
        agency = Agency.objects.filter(code=flt.agency).first()
        qs = qs.filter(pk__in=procedures_of(agency).values("pk")) if agency else qs.none()
    return qs.order_by("field__name", "name").distinct() if flt.level else qs.order_by(
        "field__name", "name")


def procedure_detail(national_code: str, on=None) -> Procedure | None:
    """A published procedure with everything its page shows, in a fixed number of queries."""
    return (
        Procedure.objects.published(on)
        .select_related("field")
        .prefetch_related(
            "levels", "documents", "attachments",
            Prefetch("fees", queryset=FeeItem.objects.prefetch_related("exemptions")),
            Prefetch("workflows", queryset=Workflow.objects.prefetch_related("steps")),
        )
        .filter(national_code=national_code)
        .first()
    )


def fields_with_counts(on=None) -> QuerySet[Field]:
    published = Procedure.objects.published(on).values("pk")
    return (Field.objects.annotate(n=Count("procedures", filter=Q(procedures__in=published)))
            .filter(n__gt=0).order_by("name"))


@dataclass(frozen=True)
class CatalogueStats:
    total: int
    by_level: list[tuple[str, int]]
    by_mode: list[tuple[str, int]]
    by_legacy_level: list[tuple[int, int]]
    online: int  # partial + full


def catalogue_stats(on=None) -> CatalogueStats:
    """Counts as provinces publish them: by level, by service mode, by legacy level 2/3/4.
    A procedure carried out at several levels counts once per level (as the official
    statistics do); the mode counts are over distinct procedures."""
    published = Procedure.objects.published(on)
    level_rows = dict(published.values_list("levels__level").annotate(n=Count("pk"))
                      .order_by())
    mode_rows = dict(published.values_list("service_mode").annotate(n=Count("pk")).order_by())
    by_mode = [(label, mode_rows.get(value, 0)) for value, label in ServiceMode.choices]
    legacy: dict[int, int] = {}
    for mode, n in mode_rows.items():
        legacy[LEGACY_LEVEL[ServiceMode(mode)]] = legacy.get(LEGACY_LEVEL[ServiceMode(mode)],
                                                              0) + n
    return CatalogueStats(
        total=sum(mode_rows.values()),
        by_level=[(label, level_rows.get(value, 0)) for value, label in AgencyLevel.choices
                  if level_rows.get(value)],
        by_mode=by_mode,
        by_legacy_level=sorted(legacy.items()),
        online=mode_rows.get(ServiceMode.PARTIAL, 0) + mode_rows.get(ServiceMode.FULL, 0),
    )


def procedures_of(agency: Agency) -> QuerySet[Procedure]:
    """Procedures an agency carries out: named for it, or of its level by default (a
    people's committee carries out its level's procedures unless excluded)."""
    named = ProcedureAgency.objects.filter(agency=agency,
                                           relation=ImplementerRelation.IMPLEMENTS)
    excluded = ProcedureAgency.objects.filter(agency=agency,
                                              relation=ImplementerRelation.EXCLUDED)
    named_for_level = ProcedureAgency.objects.filter(
        relation=ImplementerRelation.IMPLEMENTS, agency__level=agency.level)
    by_default = Q(levels__level=agency.level) & ~Q(pk__in=named_for_level.values("procedure"))
    if agency.kind != AgencyKind.PEOPLES_COMMITTEE:
        by_default = Q(pk__in=[])
    return (Procedure.objects.filter(Q(pk__in=named.values("procedure")) | by_default)
            .exclude(pk__in=excluded.values("procedure")).distinct())


def agencies_carrying_out(procedure: Procedure) -> QuerySet[Agency]:
    """Agencies that carry out a procedure (the inverse of `procedures_of`)."""
    rows = ProcedureAgency.objects.filter(procedure=procedure)
    named = rows.filter(relation=ImplementerRelation.IMPLEMENTS)
    levels = procedure.levels.values("level")
    named_levels = named.values("agency__level")
    default = Agency.objects.filter(level__in=levels, kind=AgencyKind.PEOPLES_COMMITTEE,
                                    is_active=True).exclude(level__in=named_levels)
    return (Agency.objects.filter(Q(pk__in=named.values("agency")) | Q(pk__in=default))
            .exclude(pk__in=rows.filter(relation=ImplementerRelation.EXCLUDED)
                     .values("agency")).order_by("path"))
