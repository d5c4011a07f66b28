"""``sluice lifecycle report``: objects, bytes and monthly storage cost per storage class under a lake URI.

Costs come from the price table (us-east-1 list prices unless another file is given), with S3's minimum
billable size and archive overheads. INTELLIGENT_TIERING objects are priced at their access tier
(Frequent, Infrequent, Archive Instant), which reads through Sluice keep current.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lifecycle.access import INTELLIGENT_TIERING, access_tier
from lifecycle.listing import Found, open_listing
from lifecycle.prices import PriceTable, load_prices
from sluice.context import SluiceContext
from sluice.lake.paths import resolve


@dataclass(slots=True)
class _Tally:
    objects: int = 0
    size: int = 0
    billable: int = 0
    cost: float = 0.0

    def add(self, size: int, billable: int, cost: float) -> None:
        self.objects += 1
        self.size += size
        self.billable += billable
        self.cost += cost


def report(
    uri: str, *, now: datetime | None = None, prices: PriceTable | None = None, ctx: SluiceContext | None = None
) -> dict[str, Any]:
    """List ``uri`` (every version, in a versioned bucket) and total it per storage class."""
    target = resolve(uri, ctx=ctx)
    listing = open_listing(target, ctx=ctx)
    body = summarize(listing.found(), now or datetime.now(UTC), prices or load_prices())
    return {"Uri": target, **body}


def summarize(found: Iterable[Found], now: datetime, prices: PriceTable) -> dict[str, Any]:
    """The report of listed objects (pure: no I/O beyond iterating ``found``)."""
    classes: dict[str, _Tally] = {}
    tiers: dict[str, _Tally] = {}
    unpriced: set[str] = set()
    for item in found:
        obj = item.obj
        if obj.is_delete_marker:
            continue
        if obj.storage_class not in prices.classes:
            unpriced.add(obj.storage_class)
            classes.setdefault(obj.storage_class, _Tally()).add(obj.size, obj.size, 0.0)
            continue
        price = prices.price(obj.storage_class)
        billable = prices.object_bytes(obj.size, obj.storage_class)
        cost = prices.object_monthly_cost(obj.size, obj.storage_class)
        if obj.storage_class == INTELLIGENT_TIERING and price.access_tiers_gb_month:
            state = item.state
            tier = access_tier(state.last_access if state else None, obj.storage_class_since, now)
            cost += obj.size / prices.bytes_per_gb * (price.access_tiers_gb_month[tier] - price.storage_gb_month)
            tiers.setdefault(tier, _Tally()).add(obj.size, obj.size, cost)
        classes.setdefault(obj.storage_class, _Tally()).add(obj.size, sum(billable.values()), cost)
    total = _Tally()
    for tally in classes.values():
        total.objects += tally.objects
        total.size += tally.size
        total.billable += tally.billable
        total.cost += tally.cost
    body: dict[str, Any] = {
        "Now": now.isoformat(),
        "Region": prices.region,
        "Currency": prices.currency,
        "StorageClasses": [_row("StorageClass", name, classes[name]) for name in sorted(classes)],
        "Total": _row("StorageClass", "TOTAL", total),
    }
    if unpriced:
        body["UnpricedStorageClasses"] = sorted(unpriced)
    if tiers:
        body["IntelligentTieringAccessTiers"] = [_row("AccessTier", name, tiers[name]) for name in sorted(tiers)]
    return body


def _row(label: str, name: str, tally: _Tally) -> dict[str, Any]:
    return {
        label: name,
        "Objects": tally.objects,
        "Bytes": tally.size,
        "BillableBytes": tally.billable,
        "MonthlyCost": round(tally.cost, 6),
    }
