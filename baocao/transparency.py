"""The public transparency page (issue 9 item 6): per agency of the province, the on-time
resolution rate and the online submission rate of the current GRIS quarter.

Only counts and rates, never a dossier, a code or a person: the numbers come from the same KPI
functions as the dashboards (baocao.kpis.compute_by_agency, one set-based query per KPI) and
are cached for CACHE_SECONDS, so a crowd of visitors costs one computation per ten minutes. No
login; rate-limited per client address like the other public pages.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

from baocao import kpis
from baocao.dashboard_views import current_gris_quarter, kpi_text, vi_number
from baocao.definitions import Period
from portal.models import Agency

CACHE_SECONDS = 10 * 60
PUBLIC_KPIS = ("on_time", "online_dossiers")
DEFAULT_RATE = "60/m"


def _rate(group, request) -> str:
    return getattr(settings, "TRANSPARENCY_RATE", DEFAULT_RATE)


def cache_key(period: Period) -> str:
    return (f"baocao:transparency:v1:{connection.settings_dict['NAME']}:"
            f"{period.start.isoformat()}")


def public_rates(period: Period) -> list[dict]:
    """One row per active agency in tree order: name, level and, over its subtree, the two
    public rates with their counts — plain data, safe to cache. Three queries."""
    agencies = list(Agency.objects.filter(is_active=True).order_by("path")
                    .only("id", "name", "path", "depth", "level"))
    values = {kpi_id: kpis.compute_by_agency(kpi_id, period, agencies) for kpi_id in PUBLIC_KPIS}
    rows = []
    for agency in agencies:
        row = {"name": agency.name, "level": agency.get_level_display(),
               "indent": max(agency.depth - 1, 0)}
        for kpi_id in PUBLIC_KPIS:
            kpi = kpis.KPIS[kpi_id]
            value = values[kpi_id].get(agency.pk)
            row[kpi_id] = {
                "text": kpi_text(kpi, value.value if value else None),
                "numerator": vi_number(value.numerator if value else 0),
                "denominator": vi_number(value.denominator if value else 0),
                "met": kpi.meets_target(value.value if value else None),
            }
        rows.append(row)
    return rows


@ratelimit(key="ip", rate=_rate, method=ratelimit.ALL, block=False)
@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    """Công khai chỉ số: on-time and online rates per agency, current GRIS quarter."""
    if getattr(request, "limited", False):
        return render(request, "baocao/transparency.html", {"limited": True}, status=429)
    period = current_gris_quarter()
    data = cache.get(cache_key(period))
    if data is None:
        data = {"rows": public_rates(period), "computed_at": timezone.now()}
        cache.set(cache_key(period), data, CACHE_SECONDS)
    response = render(request, "baocao/transparency.html", {
        "period": period, "rows": data["rows"], "computed_at": data["computed_at"],
        "kpis": [kpis.KPIS[k] for k in PUBLIC_KPIS],
    })
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response
