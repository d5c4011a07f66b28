"""Read a lifecycle configuration file in either format: S3's ``Rules`` or Sluice's ``TableRules``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lifecycle.config import LifecycleConfiguration, LifecycleError, read_json
from lifecycle.listing import Found, Listing
from lifecycle.tiering import compile_tables, is_table_rules, validate_tables
from lifecycle.validate import ensure_valid, validate

RULES = "RULES"
TABLES = "TABLES"

ConfigSource = Mapping[str, Any] | str | os.PathLike[str]


@dataclass(slots=True)
class Rules:
    """What a plan runs: the S3 configuration (table rules compiled to one) and how objects are seen."""

    kind: str
    config: LifecycleConfiguration
    document: dict[str, Any]
    source: str
    adjust: Callable[[Found], Found | None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tag_prefixes(self) -> tuple[str, ...]:
        """Prefixes of enabled rules that filter on tags: only their objects' tags are fetched."""
        return tuple(rule.prefix for rule in self.config.rules if rule.enabled and rule.filter and rule.filter.tags)


def config_document(source: ConfigSource) -> tuple[str, Any]:
    """The name and JSON document of a configuration given as a dict or a file."""
    if isinstance(source, Mapping):
        return "<dict>", source
    return read_json(source)


def validate_any(source: ConfigSource) -> list[LifecycleError]:
    """Every fault of a configuration in either format (table rules are checked without the catalog)."""
    _, document = config_document(source)
    return validate_tables(document) if is_table_rules(document) else validate(source)


def load_rules(source: ConfigSource, listing: Listing) -> Rules:
    """Validate a configuration and, for table rules, resolve their tables in the catalog."""
    name, document = config_document(source)
    if is_table_rules(document):
        compiled = compile_tables(document, listing, name)
        return Rules(
            TABLES,
            ensure_valid(compiled.document),
            compiled.document,
            name,
            compiled.adjust(listing),
            {"Tables": compiled.tables},
        )
    return Rules(RULES, ensure_valid(source), dict(document), name)
