"""Catalogue pieces other pages show (the home page's featured procedures)."""

from django import template

from tthc.models import Procedure

register = template.Library()


@register.inclusion_tag("tthc/_featured.html")
def featured_procedures(limit: int = 8) -> dict:
    procedures = (Procedure.objects.published().filter(featured=True)
                  .select_related("field").order_by("name")[:limit])
    return {"procedures": procedures}
