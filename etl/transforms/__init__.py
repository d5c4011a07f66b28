"""Glue's built-in transforms as plain PySpark DataFrame functions, with Glue's names and meaning."""

from __future__ import annotations

from etl.transforms.choice import resolve_choice
from etl.transforms.fields import drop_fields, drop_null_fields, rename_field, select_fields
from etl.transforms.mapping import apply_mapping
from etl.transforms.relationalize import relationalize
from etl.transforms.rows import deduplicate, filter_rows, join
from etl.transforms.rows import filter as filter  # Glue's name; left out of __all__ not to shadow the builtin

__all__ = [
    "apply_mapping",
    "deduplicate",
    "drop_fields",
    "drop_null_fields",
    "filter_rows",
    "join",
    "relationalize",
    "rename_field",
    "resolve_choice",
    "select_fields",
]
