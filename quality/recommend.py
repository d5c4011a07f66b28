"""Rule recommendations, like Glue's recommendation runs: profile a table in one pass, then propose DQDL.

profile = profile_dataframe(df)          # Spark: one aggregate job (+ one for low-cardinality values)
text = recommend(profile)                # pure: a DQDL ruleset that the profiled data passes
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from quality.dqdl.ast import escape
from quality.engines.plan import NUMERIC_TYPES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

MAX_LISTED_VALUES = 10
UNIQUE_ENOUGH = 0.99


@dataclass(frozen=True)
class ColumnProfile:
    """What one column holds: its type, non-null count, approximate distinct count and range."""

    name: str
    spark_type: str
    nonnull: int
    distinct: int
    minimum: object = None
    maximum: object = None
    max_length: int | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A dataset's row count and column profiles."""

    rows: int
    columns: list[ColumnProfile] = field(default_factory=list)


def _number(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number == int(number) else repr(number)


def recommend(profile: Profile) -> str:
    """A DQDL ruleset the profiled data passes: row count band, completeness, uniqueness, ranges, value sets."""
    rules = [f"RowCount between {int(profile.rows * 0.8)} and {int(profile.rows * 1.2) + 1}"]
    for c in profile.columns:
        quoted = f'"{escape(c.name)}"'
        share = int(c.nonnull / profile.rows * 100) / 100 if profile.rows else 0.0
        # value rules fail null rows, so a column with nulls gets them with a threshold at its completeness
        tail = "" if c.nonnull == profile.rows else f" with threshold >= {share}"
        if profile.rows and c.nonnull == profile.rows:
            rules.append(f"IsComplete {quoted}")
        elif c.nonnull:
            rules.append(f"Completeness {quoted} >= {share}")
        if profile.rows > 1 and c.nonnull == profile.rows and c.distinct >= UNIQUE_ENOUGH * profile.rows:
            rules.append(f"Uniqueness {quoted} > 0.95")
        if not c.nonnull:
            continue
        family = c.spark_type.split("(", 1)[0]
        if c.values and c.distinct <= MAX_LISTED_VALUES:
            listed = ", ".join(f'"{escape(v)}"' for v in c.values)
            rules.append(f"ColumnValues {quoted} in [{listed}]{tail}")
        elif family in NUMERIC_TYPES and c.minimum is not None:
            low, high = float(c.minimum), float(c.maximum)  # type: ignore[arg-type]
            if low == high:
                rules.append(f"ColumnValues {quoted} = {_number(low)}{tail}")
            else:
                rules.append(f"ColumnValues {quoted} >= {_number(low)}{tail}")
                rules.append(f"ColumnValues {quoted} <= {_number(high)}{tail}")
        if family == "string" and c.max_length is not None and not tail:  # ColumnLength takes no threshold
            rules.append(f"ColumnLength {quoted} <= {c.max_length}")
    return "Rules = [\n" + ",\n".join(f"    {rule}" for rule in rules) + "\n]\n"


def profile_dataframe(df: DataFrame, columns: Sequence[str] | None = None) -> Profile:
    """Profile a Spark DataFrame: one aggregate job, plus one collecting the values of low-cardinality strings."""
    from pyspark.sql import functions as F

    from quality.engines.spark import col, spark_schema

    schema = spark_schema(df)
    names = list(columns or schema)
    exprs = [F.count(F.lit(1)).alias("rows")]
    for i, name in enumerate(names):
        c = col(name)
        exprs += [F.count(c).alias(f"n{i}"), F.approx_count_distinct(c, 0.01).alias(f"d{i}")]
        family = schema[name].split("(", 1)[0]
        if family in NUMERIC_TYPES:
            exprs += [F.min(c).alias(f"lo{i}"), F.max(c).alias(f"hi{i}")]
        if family == "string":
            exprs.append(F.max(F.length(c)).alias(f"len{i}"))
    row = df.agg(*exprs).collect()[0].asDict()
    listed = [
        name for i, name in enumerate(names) if schema[name] == "string" and 0 < row[f"d{i}"] <= MAX_LISTED_VALUES
    ]
    values: dict[str, tuple[str, ...]] = {}
    if listed:
        sets = df.agg(*[F.array_sort(F.collect_set(col(n))).alias(f"v{i}") for i, n in enumerate(listed)]).collect()[0]
        values = {n: tuple(sets[f"v{i}"]) for i, n in enumerate(listed)}
    profiles = [
        ColumnProfile(
            name,
            schema[name],
            int(row[f"n{i}"]),
            len(values[name]) if name in values else int(row[f"d{i}"]),
            row.get(f"lo{i}"),
            row.get(f"hi{i}"),
            row.get(f"len{i}"),
            values.get(name, ()),
        )
        for i, name in enumerate(names)
    ]
    return Profile(int(row["rows"]), profiles)
