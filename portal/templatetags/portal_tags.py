"""Template filters: money as 1.250.000 đ."""

from django import template

register = template.Library()


@register.filter
def vnd(amount) -> str:
    """Format integer đồng: 1250000 → "1.250.000 đ"."""
    if amount is None or amount == "":
        return ""
    return f"{int(amount):,} đ".replace(",", ".")


@register.filter
def get_item(mapping, key):
    """`{{ counts|get_item:key }}` — look a key up in a dict."""
    return mapping.get(key, "")
