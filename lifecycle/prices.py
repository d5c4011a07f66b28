"""S3 list prices per storage class, and the monthly storage cost of a lake.

The table ships as ``prices_us_east_1.json``; pass another file of the same shape to price
another region. Per object, S3 bills at least ``min_billable_bytes`` (128 KiB in the IA classes
and Glacier Instant Retrieval) and adds an archive overhead of 32 KiB at the class's rate plus
8 KiB at the STANDARD rate in Glacier Flexible Retrieval and Deep Archive.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sluice.errors import InvalidInputException

DEFAULT_PRICES = Path(__file__).with_name("prices_us_east_1.json")


@dataclass(frozen=True, slots=True)
class ClassPrice:
    """What one storage class costs and the minimums S3 bills it with."""

    storage_class: str
    storage_gb_month: float
    min_storage_days: int
    min_billable_bytes: int
    overhead_bytes: int
    standard_overhead_bytes: int
    monitoring_per_1000_objects: float
    monitoring_min_bytes: int
    retrieval_gb: Mapping[str, float]
    access_tiers_gb_month: Mapping[str, float] = field(default_factory=dict)

    def billable_bytes(self, size: int) -> int:
        """Bytes billed at this class's rate for one object of ``size`` bytes."""
        return max(size, self.min_billable_bytes) + self.overhead_bytes


@dataclass(frozen=True, slots=True)
class PriceTable:
    """The prices of one region, keyed by storage class."""

    region: str
    currency: str
    bytes_per_gb: int
    classes: Mapping[str, ClassPrice]

    def price(self, storage_class: str) -> ClassPrice:
        """The prices of ``storage_class``; InvalidInputException when the table has none."""
        try:
            return self.classes[storage_class]
        except KeyError:
            known = ", ".join(self.classes)
            raise InvalidInputException(
                f"no {self.region} price for storage class {storage_class!r}; priced classes: {known}"
            ) from None

    def monthly_cost(self, bytes_by_class: Mapping[str, int]) -> dict[str, float]:
        """Monthly storage cost per class of already-billable bytes (see :meth:`object_bytes`)."""
        return {
            storage_class: size / self.bytes_per_gb * self.price(storage_class).storage_gb_month
            for storage_class, size in bytes_by_class.items()
        }

    def object_bytes(self, size: int, storage_class: str) -> dict[str, int]:
        """Billable bytes per class of one object: its minimum size, plus any archive overhead."""
        price = self.price(storage_class)
        billed = {storage_class: price.billable_bytes(size)}
        if price.standard_overhead_bytes:
            billed["STANDARD"] = billed.get("STANDARD", 0) + price.standard_overhead_bytes
        return billed

    def object_monthly_cost(self, size: int, storage_class: str) -> float:
        """Monthly cost of one object, with minimum billable size, overhead and monitoring fee."""
        price = self.price(storage_class)
        monitoring = price.monitoring_per_1000_objects / 1000 if size > price.monitoring_min_bytes else 0.0
        return sum(self.monthly_cost(self.object_bytes(size, storage_class)).values()) + monitoring

    def retrieval_cost(self, size: int, storage_class: str, tier: str = "standard") -> float:
        """Per-GB retrieval (restore or read) fee for ``size`` bytes; 0 for classes without one."""
        rates = self.price(storage_class).retrieval_gb
        if rates and tier not in rates:
            raise InvalidInputException(f"{storage_class} has no {tier!r} retrieval tier; tiers: {', '.join(rates)}")
        return size / self.bytes_per_gb * rates.get(tier, 0.0)


def load_prices(path: str | os.PathLike[str] | None = None) -> PriceTable:
    """Read a price table from ``path``, or the bundled us-east-1 table (read once)."""
    return _read(Path(path)) if path is not None else _bundled()


@cache
def _bundled() -> PriceTable:
    return _read(DEFAULT_PRICES)


def _read(path: Path) -> PriceTable:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputException(f"cannot read price table {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInputException(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON in price table: {exc.msg}") from exc
    try:
        return PriceTable(
            region=str(data["region"]),
            currency=str(data["currency"]),
            bytes_per_gb=int(data["bytes_per_gb"]),
            classes={name: _class_price(name, spec) for name, spec in data["storage_classes"].items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInputException(f"{path}: malformed price table: {exc!r}") from exc


def _class_price(name: str, spec: Mapping[str, Any]) -> ClassPrice:
    return ClassPrice(
        storage_class=name,
        storage_gb_month=float(spec["storage_gb_month"]),
        min_storage_days=int(spec["min_storage_days"]),
        min_billable_bytes=int(spec["min_billable_bytes"]),
        overhead_bytes=int(spec.get("overhead_bytes", 0)),
        standard_overhead_bytes=int(spec.get("standard_overhead_bytes", 0)),
        monitoring_per_1000_objects=float(spec.get("monitoring_per_1000_objects", 0.0)),
        monitoring_min_bytes=int(spec.get("monitoring_min_bytes", 0)),
        retrieval_gb={tier: float(rate) for tier, rate in spec.get("retrieval_gb", {}).items()},
        access_tiers_gb_month={tier: float(rate) for tier, rate in spec.get("access_tiers_gb_month", {}).items()},
    )
