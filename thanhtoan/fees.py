"""The fee quote: what a dossier owes for a procedure, by channel, day and exemption group
(DOMAIN.md §7). One function for every place a fee is shown or charged: the procedure page,
the online wizard, the desk, the API and the payment order (`quote_terms` on the terms
snapshot the dossier was received under).

Rules, in order, for each fee item of the terms:
- an item not in force on the day (effective_from ≤ day ≤ effective_to, either end open) is
  left out;
- the base amount is the general amount; online channels (hoso.choices.Channel
  .online_channels()) pay the amount the regulation sets for online dossiers, or the base less
  the province's rate, rounded half up to whole đồng (tthc.models.online_price, the helper
  FeeItem.online_amount uses too);
- an item whose exemption group the applicant claims is waived: amount 0, with the group and
  the paper that proves it;
- an item whose amount is not published (None) and is not waived makes the total None and
  `published` False: the page says "Chưa công bố mức thu", never "free".

Mode: the procedure's fee timing (tthc.choices.FeeTiming) when something is owed or the amount
is not published; "exempt" when the total is 0 because the applicant's groups waived the
items; "none" when there is no item in force or every amount is 0. An empty fee list is
quoted as "none" with total 0 (the catalogue's empty list is taken at its word here; the
page shows it as "Không thu phí, lệ phí"). Money is int đồng, never float.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import InvalidInput
from tthc.models import online_price

MODE_EXEMPT = "exempt"
MODE_NONE = "none"
DEFAULT_TIMING = "at_intake"


def online_channels() -> frozenset[str]:
    from hoso.choices import Channel

    return Channel.online_channels()


def known_channels() -> frozenset[str]:
    from hoso.choices import Channel

    return frozenset(Channel.values)


@dataclass(frozen=True)
class QuoteLine:
    """One fee item as quoted. `discount` is the online reduction (base − channel amount);
    a waived item has amount 0 and `exempt_group`/`proof` set."""

    kind: str
    name: str
    base_amount: int | None
    amount: int | None
    discount: int
    exempt_group: str
    proof: str
    legal_basis: str
    unit: str
    # shown on pages and in the API, not part of the payment order's items
    discount_basis: str = ""
    discount_percent: str = ""  # the province's online rate, "" when the regulation sets it
    effective_from: str | None = None
    effective_to: str | None = None
    exemptions: tuple[tuple[str, str], ...] = field(default=())

    @property
    def starts(self) -> dt.date | None:
        return _day(self.effective_from)

    @property
    def ends(self) -> dt.date | None:
        return _day(self.effective_to)

    def as_json(self) -> dict:
        return {"kind": self.kind, "name": self.name, "base_amount": self.base_amount,
                "amount": self.amount, "discount": self.discount,
                "exempt_group": self.exempt_group, "proof": self.proof,
                "legal_basis": self.legal_basis, "unit": self.unit}

    def detail_json(self) -> dict:
        """as_json with the item's dates, discount basis and every exemption group."""
        return {**self.as_json(), "discount_basis": self.discount_basis,
                "discount_percent": self.discount_percent,
                "effective_from": self.effective_from, "effective_to": self.effective_to,
                "exemptions": [{"group": g, "proof": p} for g, p in self.exemptions]}


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    total: int | None
    published: bool
    mode: str
    timing: str

    @property
    def exempt(self) -> bool:
        return self.mode == MODE_EXEMPT

    @property
    def timing_label(self) -> str:
        from tthc.choices import FeeTiming

        return str(FeeTiming(self.timing).label) if self.timing in FeeTiming.values else ""

    def as_json(self) -> dict:
        """The API's answer: items with their dates and exemption groups."""
        return {"items": [line.detail_json() for line in self.lines], "total": self.total,
                "published": self.published, "mode": self.mode, "timing": self.timing}


def _day(value) -> dt.date | None:
    if not value:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def in_force(item: dict, on: dt.date) -> bool:
    start, end = _day(item.get("effective_from")), _day(item.get("effective_to"))
    return (start is None or start <= on) and (end is None or on <= end)


def _percent(item: dict) -> str:
    """The online rate as shown ("50", "12.5"), when the amount is not set by regulation."""
    if item.get("amount_online") is not None or not item.get("online_discount_percent"):
        return ""
    rate = Decimal(str(item["online_discount_percent"]))
    return "" if not rate else format(rate.normalize(), "f")


def _line(item: dict, *, online: bool, claimed: set[str]) -> QuoteLine:
    base = item.get("amount")
    base = None if base is None else int(base)
    price = (online_price(base, item.get("amount_online"),
                          item.get("online_discount_percent") or 0) if online else base)
    exemptions = tuple((e.get("group", ""), e.get("proof", ""))
                       for e in item.get("exemptions") or [])
    waived = next(((g, p) for g, p in exemptions if g.strip() in claimed), None)
    return QuoteLine(
        kind=item.get("kind", ""), name=item.get("name", ""), base_amount=base,
        amount=0 if waived else price,
        discount=(base - price) if base is not None and price is not None else 0,
        exempt_group=waived[0] if waived else "", proof=waived[1] if waived else "",
        legal_basis=item.get("legal_basis") or "", unit=item.get("unit") or "",
        discount_basis=item.get("discount_basis") or "",
        discount_percent=_percent(item),
        effective_from=item.get("effective_from"), effective_to=item.get("effective_to"),
        exemptions=exemptions)


def quote_terms(terms: dict, *, channel: str, on: dt.date | None = None,
                exemptions: Iterable[str] = ()) -> Quote:
    """The quote from a terms snapshot (tthc.snapshots): what a dossier's payment order uses,
    so later changes to the catalogue never alter what the dossier owes."""
    if channel not in known_channels():
        raise InvalidInput("bad_channel", _("Kênh nộp hồ sơ không hợp lệ."))
    on = on or timezone.localdate()
    claimed = {g.strip() for g in exemptions or () if g and g.strip()}
    online = channel in online_channels()
    timing = (terms or {}).get("procedure", {}).get("fee_timing") or DEFAULT_TIMING
    lines = tuple(_line(item, online=online, claimed=claimed)
                  for item in (terms or {}).get("fees") or [] if in_force(item, on))
    published = all(line.amount is not None for line in lines)
    total = sum(line.amount for line in lines) if published else None
    if total is None or total > 0:
        mode = timing
    elif any(line.exempt_group and line.base_amount != 0 for line in lines):
        mode = MODE_EXEMPT
    else:
        mode = MODE_NONE
    return Quote(lines=lines, total=total, published=published, mode=mode, timing=timing)


def quote(procedure, channel: str, *, exemptions: Iterable[str] = (),
          on: dt.date | None = None) -> Quote:
    """The quote from the live catalogue (the procedure's current terms, cached)."""
    return quote_terms(procedure.terms_snapshot(), channel=channel, on=on,
                       exemptions=exemptions)


def exemption_groups(terms: dict) -> list[tuple[str, str]]:
    """The exemption groups of a procedure's terms, each once, with the proof asked for."""
    seen: dict[str, str] = {}
    for item in (terms or {}).get("fees") or []:
        for e in item.get("exemptions") or []:
            seen.setdefault(e.get("group", ""), e.get("proof", ""))
    return [(g, p) for g, p in seen.items() if g]
