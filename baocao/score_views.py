"""The 766-style score pages: the score of the viewer's agencies for a calendar period (groups,
indicators with their formulas, "no data" rows, the ranking of the child agencies) and the list
of dossiers behind an indicator's numerator or denominator — always within the agencies the
viewer may see reports of (portal.view_reports, already expanded to the subtree)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from baocao import score766
from baocao.definitions import Period, calendar_period
from portal.choices import Role
from portal.errors import InvalidInput
from portal.models import Agency
from portal.permissions import agency_ids_with_perm
from portal.views import role_required

VIEW_REPORTS = "portal.view_reports"
PAGE_SIZE = 50
# The 766 portal scores calendar periods (DOMAIN.md §4), not the GRIS 15th–14th cut-off.
PERIOD_KINDS = {"month": ("Tháng", 12), "quarter": ("Quý", 4), "year": ("Năm", 1)}
BAD_PERIOD = "Kỳ đánh giá không hợp lệ: chọn tháng 1–12, quý 1–4 hoặc năm, từ năm 2000 đến 2100."
AGENCY_NOT_YOURS = ("Cơ quan đã chọn không thuộc phạm vi Ông/Bà được xem báo cáo; "
                    "trang hiển thị toàn bộ phạm vi của Ông/Bà.")
PART_LABELS = {"numerator": "Tử số", "denominator": "Mẫu số",
               "tdgq_overdue": "Hồ sơ quá hạn (cách tính 766)",
               "low_rating": "Hồ sơ bị đánh giá không hài lòng"}


def _int(raw: str | None, default: int) -> int:
    raw = (raw or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput("bad_period", BAD_PERIOD) from None


def period_from_request(params) -> Period:
    """A calendar month, quarter or year from `kind`, `year`, `number` (default: the current
    month)."""
    today = timezone.localdate()
    kind = (params.get("kind") or "month").strip()
    if kind not in PERIOD_KINDS:
        raise InvalidInput("bad_period", BAD_PERIOD)
    default = {"month": today.month, "quarter": (today.month - 1) // 3 + 1, "year": 1}[kind]
    year, number = _int(params.get("year"), today.year), _int(params.get("number"), default)
    if not (2000 <= year <= 2100 and 1 <= number <= PERIOD_KINDS[kind][1]):
        raise InvalidInput("bad_period", BAD_PERIOD)
    return calendar_period(kind, year, number)


class Scope:
    """The viewer's agencies, the one the page is about (`agency`, None for several trees),
    the dossiers' agencies (`ids`: its subtree) and the agencies ranked (its children)."""

    def __init__(self, user, raw: str | None):
        mine = agency_ids_with_perm(user, VIEW_REPORTS)
        rows = list(Agency.objects.filter(pk__in=sorted(mine))
                    .only("pk", "path", "depth", "name", "code").order_by("path"))
        paths = {a.path for a in rows}
        tops = [a for a in rows if a.path[:-Agency.steplen] not in paths]
        self.notice, chosen = "", None
        if raw:
            try:
                chosen = next((a for a in rows if a.pk == int(raw)), None)
            except ValueError:
                chosen = None
            if chosen is None:
                self.notice = AGENCY_NOT_YOURS
        self.agency = chosen or (tops[0] if len(tops) == 1 else None)
        if self.agency is None:
            self.ids, self.ranked = [a.pk for a in rows], tops
        else:
            under = [a for a in rows if a.path.startswith(self.agency.path)]
            self.ids = [a.pk for a in under]
            self.ranked = [a for a in under if a.depth == self.agency.depth + 1]

    @property
    def query(self) -> dict[str, str]:
        return {"co_quan": str(self.agency.pk)} if self.agency else {}


def _period_query(period: Period) -> dict[str, str]:
    return {"kind": period.kind, "year": str(period.year), "number": str(period.number)}


def _error(request: HttpRequest, error: InvalidInput) -> HttpResponse:
    return render(request, "baocao/score_error.html", {"message": error.message},
                  status=error.status_code)


@role_required(Role.REPORT_VIEWER, Role.LEADER, Role.ADMINISTRATOR)
def score_page(request: HttpRequest) -> HttpResponse:
    """The score of the viewer's agencies (or one of them) for a calendar period, with the
    ranking of its child agencies."""
    try:
        period = period_from_request(request.GET)
    except InvalidInput as error:
        return _error(request, error)
    scope = Scope(request.user, request.GET.get("co_quan"))
    config = score766.load_config()
    result = score766.score(scope.ids, period, config=config)
    ranking = score766.score_by_agency(scope.ranked, period, config=config)
    query = urlencode({**_period_query(period), **scope.query})
    return render(request, "baocao/score_page.html", {
        "result": result, "period": period, "scope": scope, "agency": scope.agency,
        "notice": scope.notice, "ranking": ranking, "query": query, "config": config,
        "kinds": [(k, label) for k, (label, _n) in PERIOD_KINDS.items()],
        "years": range(timezone.localdate().year, 2019, -1),
        "part_labels": PART_LABELS,
    })


@role_required(Role.REPORT_VIEWER, Role.LEADER, Role.ADMINISTRATOR)
def score_dossiers(request: HttpRequest) -> HttpResponse:
    """The dossiers behind one part of an indicator, 50 a page (a count and a page query)."""
    try:
        period = period_from_request(request.GET)
        code = request.GET.get("chi_tieu", "")
        part = request.GET.get("phan", "")
        scope = Scope(request.user, request.GET.get("co_quan"))
        spec = score766.indicator_config(code)
        dossiers = score766.dossiers_behind(code, part, scope.ids, period)
    except InvalidInput as error:
        return _error(request, error)
    dossiers = (dossiers.select_related("procedure", "deciding_agency")
                .only("code", "status", "channel", "owner_name", "received_at", "kpi_due_at",
                      "finished_at", "counted_overdue", "procedure__name",
                      "deciding_agency__name")
                .order_by("received_at", "pk"))
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("trang"))
    query = urlencode({**_period_query(period), **scope.query, "chi_tieu": code, "phan": part})
    return render(request, "baocao/score_dossiers.html", {
        "indicator": spec, "part": part, "part_label": PART_LABELS.get(part, part),
        "period": period, "scope": scope, "notice": scope.notice, "page": page,
        "query": query, "back": urlencode({**_period_query(period), **scope.query}),
    })
