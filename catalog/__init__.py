"""The Sluice data catalog and crawler, with AWS Glue's semantics and JSON shapes.

``Catalog`` imports lazily, so ``catalog.cli`` and the pure crawler modules do not load the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalog.store import Catalog

__all__ = ["Catalog"]


def __getattr__(name: str) -> Any:
    if name == "Catalog":
        from catalog.store import Catalog

        return Catalog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
