"""The Sluice data catalog and crawler, with AWS Glue's semantics and JSON shapes."""

from catalog.store import Catalog

__all__ = ["Catalog"]
