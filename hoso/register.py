"""The dossier register (Sổ theo dõi hồ sơ, Mẫu 06 TT 01/2018 / Mẫu 07 TT 03/2025): the
dossiers an agency received over a period, one line each, read in one query, as rows for the
page and as an XLSX workbook (DOMAIN.md §2 forms)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import Aggregate, CharField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hoso.choices import Channel, DossierStatus, ReturnMethod
from hoso.models import Dossier, Result
from portal.calendar import TZ
from portal.models import Agency

RESULT_SEPARATOR = "; "
PAGE_LIMIT = 1000  # the page lists at most this many rows; the workbook has them all
CHUNK_SIZE = 2000  # rows fetched at a time while the workbook is written
OVERDUE = "Quá hạn"
DATE_FORMAT = "%d/%m/%Y"
MOMENT_FORMAT = "%d/%m/%Y %H:%M"
EXCEL_MOMENT_FORMAT = "dd/mm/yyyy hh:mm"

# (header, width in characters) of the official register's columns, in order.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("STT", 6),
    ("Mã hồ sơ", 24),
    ("Tên thủ tục hành chính", 40),
    ("Tên tổ chức, cá nhân", 26),
    ("Địa chỉ", 32),
    ("Ngày, giờ nhận hồ sơ", 17),
    ("Ngày, giờ hẹn trả kết quả", 17),
    ("Cơ quan giải quyết", 26),
    ("Ngày chuyển / giải quyết xong", 17),
    ("Ngày trả kết quả", 17),
    ("Kết quả (số, ký hiệu)", 22),
    ("Tình trạng", 22),
    ("Kênh nộp", 20),
    ("Ghi chú", 34),
)


class _GroupConcat(Aggregate):
    """SQLite's group_concat for the demo database (`make run`); PostgreSQL uses string_agg."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, '" + RESULT_SEPARATOR + "')"
    output_field = CharField()


def _result_numbers() -> Subquery:
    """The numbers of a dossier's results, in the order they were added, as one text."""
    if connection.vendor == "postgresql":
        joined: Aggregate = StringAgg("number", delimiter=RESULT_SEPARATOR,
                                      order_by=("added_at", "pk"))
    else:
        joined = _GroupConcat("number")
    numbers = (Result.objects.filter(dossier=OuterRef("pk")).order_by().values("dossier")
               .annotate(numbers=joined).values("numbers"))
    return Subquery(numbers, output_field=CharField())


def period_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `date_from`, start of the day after `date_to`) in Asia/Ho_Chi_Minh."""
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=TZ)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=TZ)
    return start, end


VIEW_PERMS = ("portal.view_dossier", "portal.view_reports")


def register_agency_ids(user) -> frozenset[int]:
    """The agencies whose register the user may read: where they may view dossiers or view
    reports (a report viewer over a subtree reads the register of that subtree). Both sets
    are already expanded to subtrees and cached (portal.permissions)."""
    from portal.permissions import agency_ids_with_perm

    return frozenset().union(*(agency_ids_with_perm(user, perm) for perm in VIEW_PERMS))


def _visible(user) -> QuerySet[Dossier]:
    """Dossier.objects.visible_to(user) widened to the agencies of register_agency_ids."""
    agencies = sorted(register_agency_ids(user))
    return Dossier.objects.filter(Q(receiving_agency__in=agencies)
                                  | Q(deciding_agency__in=agencies)
                                  | Q(handling_agency__in=agencies))


def register_queryset(user, agency: Agency, date_from: dt.date,
                      date_to: dt.date) -> QuerySet[Dossier]:
    """The dossiers received by `agency` or an agency under it in the period, as far as the
    user may see them, oldest receipt first; results' numbers annotated (one query)."""
    start, end = period_bounds(date_from, date_to)
    return (_visible(user)
            .filter(receiving_agency__path__startswith=agency.path,
                    received_at__gte=start, received_at__lt=end)
            .select_related("procedure", "deciding_agency")
            .only("code", "procedure__name", "owner_name", "owner_address", "channel",
                  "deciding_agency__name", "status", "received_at", "due_at",
                  "extended_due_at", "finished_at", "returned_at", "return_method",
                  "returned_to", "supplement_count", "apology_count")
            .annotate(result_numbers=_result_numbers())
            .order_by("received_at", "code"))


@dataclass(frozen=True)
class RegisterRow:
    """One line of the register. Moments are aware datetimes; the rest is text to print."""

    number: int
    dossier_id: int
    code: str
    procedure: str
    owner_name: str
    owner_address: str
    received_at: dt.datetime | None
    appointment: dt.datetime | None
    deciding_agency: str
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    results: str
    status: str
    overdue: bool
    channel: str
    note: str

    def values(self) -> list:
        """The cells of the row in column order, moments as naive local datetimes."""
        return [self.number, self.code, self.procedure, self.owner_name, self.owner_address,
                _local(self.received_at), _local(self.appointment), self.deciding_agency,
                _local(self.finished_at), _local(self.returned_at), self.results, self.status,
                self.channel, self.note]


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment, TZ).replace(tzinfo=None) if moment else None


def moment_text(moment: dt.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh, or nothing."""
    return timezone.localtime(moment, TZ).strftime(MOMENT_FORMAT) if moment else ""


def is_overdue(dossier: Dossier, now: dt.datetime) -> bool:
    """Finished after its due time, or still open past it (computed, never stored — DESIGN
    §4). The due time is the legal one: an apology's new appointment does not make a late
    dossier on time. A refused, stopped or withdrawn dossier is not counted late."""
    if dossier.due_at is None:
        return False
    if dossier.status in DossierStatus.open_states():
        return now > dossier.due_at
    if dossier.status in (DossierStatus.RESOLVED, DossierStatus.RETURNED):
        return dossier.finished_at is not None and dossier.finished_at > dossier.due_at
    return False


def _note(dossier: Dossier) -> str:
    parts = []
    if dossier.return_method:
        method = ReturnMethod(dossier.return_method).label
        if dossier.returned_to:
            parts.append(_("%(method)s, người nhận: %(name)s") % {
                "method": method, "name": dossier.returned_to})
        else:
            parts.append(str(method))
    if dossier.supplement_count:
        parts.append(_("Yêu cầu bổ sung %(n)s lần") % {"n": dossier.supplement_count})
    if dossier.apology_count:
        parts.append(_("Xin lỗi, hẹn lại %(n)s lần") % {"n": dossier.apology_count})
    return "; ".join(parts)


def _row(number: int, dossier: Dossier, now: dt.datetime) -> RegisterRow:
    overdue = is_overdue(dossier, now)
    status = str(DossierStatus(dossier.status).label)
    if overdue:
        status = _("%(status)s, %(late)s") % {"status": status, "late": _(OVERDUE)}
    return RegisterRow(
        number=number, dossier_id=dossier.pk, code=dossier.code or "",
        procedure=dossier.procedure.name, owner_name=dossier.owner_name,
        owner_address=dossier.owner_address, received_at=dossier.received_at,
        appointment=dossier.appointment, deciding_agency=dossier.deciding_agency.name,
        finished_at=dossier.finished_at, returned_at=dossier.returned_at,
        results=dossier.result_numbers or "", status=status, overdue=overdue,
        channel=str(Channel(dossier.channel).label), note=_note(dossier))


def iter_register_rows(user, agency: Agency, date_from: dt.date, date_to: dt.date,
                       limit: int | None = None,
                       now: dt.datetime | None = None) -> Iterator[RegisterRow]:
    """The register's rows one by one, from one query (fetched in chunks, never all in
    memory): for the workbook."""
    now = now or timezone.now()
    qs = register_queryset(user, agency, date_from, date_to)
    if limit is not None:
        qs = qs[:limit]
    for number, dossier in enumerate(qs.iterator(chunk_size=CHUNK_SIZE), start=1):
        yield _row(number, dossier, now)


def register_rows(user, agency: Agency, date_from: dt.date, date_to: dt.date,
                  limit: int | None = None, now: dt.datetime | None = None) -> list[RegisterRow]:
    """The register of `agency` (and the agencies under it) for the dossiers received from
    `date_from` to `date_to` inclusive (local dates), what the user may see only, ordered by
    receipt time then code; at most `limit` rows. One query whatever the number of rows."""
    return list(iter_register_rows(user, agency, date_from, date_to, limit=limit, now=now))


# --- the workbook --------------------------------------------------------------------------------

def period_text(date_from: dt.date, date_to: dt.date) -> str:
    return _("Từ ngày %(start)s đến ngày %(end)s") % {
        "start": date_from.strftime(DATE_FORMAT), "end": date_to.strftime(DATE_FORMAT)}


def excel_filename(agency: Agency, date_from: dt.date, date_to: dt.date) -> str:
    return f"so-theo-doi-ho-so-{agency.code}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx"


HEADER_ROW = 4  # title, agency, period, then the header; data from the row below
STATUS_COLUMN = 11  # "Tình trạng", 0-based: printed red when overdue


def write_workbook(out: IO[bytes], agency: Agency, date_from: dt.date, date_to: dt.date,
                   rows: Iterable[RegisterRow], *, label: str = "") -> None:
    """Write the register as an XLSX workbook to `out`, row by row (openpyxl's write-only
    mode: memory stays flat however many dossiers): title, agency, period, a frozen header
    repeated on every printed page, wrapped text, widths fitted to the columns. `label`
    names the period when it was chosen as a reporting period (GRIS, calendar)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Sổ theo dõi hồ sơ"))
    for index, (_header, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    def cell(value, **style):
        c = WriteOnlyCell(ws, value=value)
        for name, item in style.items():
            setattr(c, name, item)
        return c

    ws.append([cell(_("SỔ THEO DÕI HỒ SƠ"), font=Font(bold=True, size=14))])
    ws.append([cell(agency.name, font=Font(bold=True))])
    ws.append([cell(label or period_text(date_from, date_to), font=Font(italic=True))])
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append([cell(header, font=Font(bold=True), border=border,
                    fill=PatternFill("solid", fgColor="E3EAF2"),
                    alignment=Alignment(wrap_text=True, vertical="center",
                                        horizontal="center"))
               for header, _width in COLUMNS])
    late_font = Font(color="C62828", bold=True)
    for row in rows:
        cells = []
        for value in row.values():
            c = cell(value, border=border, alignment=wrap)
            if isinstance(value, dt.datetime):
                c.number_format = EXCEL_MOMENT_FORMAT
            cells.append(c)
        if row.overdue:
            cells[STATUS_COLUMN].font = late_font
        ws.append(cells)
    wb.save(out)
