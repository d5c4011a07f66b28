"""Glue Studio's visual transforms, as its generated scripts call them: ``import gs_derived`` and the like add a
``gs_*`` method to DynamicFrame (and to Spark's DataFrame), e.g. ``frame.gs_derived(colName="total",
expr="quantity * price")``.

Glue ships these as top-level modules; here :class:`StudioModules` (on ``sys.meta_path`` once ``awsglue`` is
imported, which a generated script always does first) makes each ``gs_<name>`` module on import, and importing
it attaches the method. Written from the Glue Studio user guide's description of each transform and the argument
names its generated scripts pass:

- ``gs_derived(colName, expr)``: a column computed by a Spark SQL expression (replaced if it exists);
- ``gs_concat(colName, colList, spacer="", nullString=None)``: the columns' text joined by ``spacer`` (a null is
  ``nullString``, or left out without one);
- ``gs_now(colName, dateFormat=None)``: the current timestamp, or its text in ``dateFormat``;
- ``gs_to_timestamp(colName, colType, newColName=None)``: numbers of ``seconds``, ``milliseconds`` or
  ``microseconds`` since the epoch, ``iso`` text, or ``autodetect`` (numbers by magnitude, text as ISO);
- ``gs_format_timestamp(colName, dateFormat, newColName=None)``: a timestamp as text;
- ``gs_flatten(maxLevels=0, separator=".")``: nested struct fields as top-level fields named by their path
  (``maxLevels`` 0: every level);
- ``gs_explode(colName, newCol=None, outer=False)``: one row per element of an array (or entry of a map, as a
  ``key``/``value`` struct) in ``newCol``; ``outer`` keeps rows whose collection is empty or null;
- ``gs_uuid(colName="uuid")``: a random UUID per row.

``dateFormat`` takes Python's ``%`` directives (``%Y-%m-%d``) or Spark's pattern letters (``yyyy-MM-dd``).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import re
import sys
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_STRFTIME = {
    "%Y": "yyyy", "%y": "yy", "%m": "MM", "%d": "dd", "%H": "HH", "%I": "hh", "%M": "mm", "%S": "ss",
    "%f": "SSSSSS", "%p": "a", "%b": "MMM", "%B": "MMMM", "%a": "EEE", "%A": "EEEE", "%j": "DDD", "%z": "Z",
    "%Z": "z", "%%": "%",
}  # fmt: skip


def spark_pattern(date_format: str) -> str:
    """A Spark datetime pattern for ``date_format``: Python ``%`` directives translated (literal text quoted),
    anything else taken as Spark's pattern already."""
    if "%" not in date_format:
        return date_format
    out: list[str] = []
    for part in re.split(r"(%.)", date_format):
        if re.fullmatch(r"%.", part):
            if part not in _STRFTIME:
                raise ValueError(f"dateFormat {date_format!r}: {part} has no Spark equivalent.")
            out.append(_STRFTIME[part])
        elif part:
            out.append("'" + part.replace("'", "''") + "'" if re.search(r"[A-Za-z]", part) else part)
    return "".join(out)


def _column(name: str) -> Column:
    """The top-level column ``name`` (Studio may pass it backticked)."""
    from etl.transforms._paths import column

    return column([name.strip("`")])


def derived(df: DataFrame, colName: str, expr: str) -> DataFrame:
    from pyspark.sql import functions as F

    return df.withColumn(colName, F.expr(expr))


def concat(
    df: DataFrame, colName: str, colList: Sequence[str], spacer: str = "", nullString: str | None = None
) -> DataFrame:
    from pyspark.sql import functions as F

    parts = [_column(c).cast("string") for c in colList]
    if nullString is not None:
        parts = [F.coalesce(p, F.lit(nullString)) for p in parts]
    return df.withColumn(colName, F.concat_ws(spacer, *parts))


def now(df: DataFrame, colName: str, dateFormat: str | None = None) -> DataFrame:
    from pyspark.sql import functions as F

    stamp = F.current_timestamp()
    return df.withColumn(colName, F.date_format(stamp, spark_pattern(dateFormat)) if dateFormat else stamp)


def to_timestamp(df: DataFrame, colName: str, colType: str = "autodetect", newColName: str | None = None) -> DataFrame:
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType

    source = _column(colName)
    numeric = isinstance(df.schema[colName.strip("`")].dataType, NumericType)
    number = source.try_cast("double")  # ANSI mode: text that is no number is null, not an error
    epoch = {
        "seconds": F.timestamp_seconds(number),
        "milliseconds": F.timestamp_millis(number.cast("long")),
        "microseconds": F.timestamp_micros(number.cast("long")),
    }
    kind = colType.lower()
    if kind in epoch:
        stamp = epoch[kind]
    elif kind == "iso":
        stamp = F.try_to_timestamp(source.cast("string"))
    elif kind == "autodetect":  # numbers by magnitude (now is ~1.7e9 s, 1.7e12 ms, 1.7e15 µs); text as ISO 8601
        by_size = (
            F.when(F.abs(number) >= 1e14, epoch["microseconds"])
            .when(F.abs(number) >= 1e11, epoch["milliseconds"])
            .otherwise(epoch["seconds"])
        )
        stamp = by_size if numeric else F.coalesce(F.try_to_timestamp(source.cast("string")), by_size)
    else:
        raise ValueError(f"colType {colType!r}: use autodetect, iso, seconds, milliseconds or microseconds.")
    return df.withColumn(newColName or colName.strip("`"), stamp)


def format_timestamp(df: DataFrame, colName: str, dateFormat: str, newColName: str | None = None) -> DataFrame:
    from pyspark.sql import functions as F

    stamp = _column(colName).cast("timestamp")
    return df.withColumn(newColName or colName.strip("`"), F.date_format(stamp, spark_pattern(dateFormat)))


def flatten(df: DataFrame, maxLevels: int = 0, separator: str = ".") -> DataFrame:
    from pyspark.sql.types import StructType

    from etl.transforms._paths import column

    def fields(dtype: StructType, path: list[str], depth: int) -> list[Column]:
        out = []
        for field in dtype.fields:
            here = [*path, field.name]
            if isinstance(field.dataType, StructType) and (maxLevels <= 0 or depth < maxLevels):
                out += fields(field.dataType, here, depth + 1)
            else:
                out.append(column(here).alias(separator.join(here)))
        return out

    return df.select(*fields(df.schema, [], 0))


def explode(df: DataFrame, colName: str, newCol: str | None = None, outer: bool = False) -> DataFrame:
    from pyspark.sql import functions as F
    from pyspark.sql.types import MapType

    name = colName.strip("`")
    source = _column(name)
    if isinstance(df.schema[name].dataType, MapType):
        source = F.map_entries(source)  # each entry as a struct of key and value
    return df.withColumn(newCol or name, (F.explode_outer if outer else F.explode)(source))


def uuid(df: DataFrame, colName: str = "uuid") -> DataFrame:
    from pyspark.sql import functions as F

    return df.withColumn(colName, F.expr("uuid()"))


TRANSFORMS: dict[str, Callable[..., DataFrame]] = {
    "gs_derived": derived,
    "gs_concat": concat,
    "gs_now": now,
    "gs_to_timestamp": to_timestamp,
    "gs_format_timestamp": format_timestamp,
    "gs_flatten": flatten,
    "gs_explode": explode,
    "gs_uuid": uuid,
}
"""Each Glue Studio module by name, with the DataFrame function its method applies."""


def attach(name: str) -> None:
    """Give DynamicFrame and DataFrame the ``name`` method (``frame.gs_derived(...)``)."""
    from pyspark.sql import DataFrame

    from awsglue.dynamicframe import DynamicFrame

    function = TRANSFORMS[name]

    def on_frame(self: DynamicFrame, *args: Any, **kwargs: Any) -> DynamicFrame:
        return self._next(function(self.toDF(), *args, **kwargs))

    def on_dataframe(self: DataFrame, *args: Any, **kwargs: Any) -> DataFrame:
        return function(self, *args, **kwargs)

    setattr(DynamicFrame, name, on_frame)
    setattr(DataFrame, name, on_dataframe)


class StudioModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes ``import gs_<name>`` work: the module is empty, and importing it attaches its method."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.machinery.ModuleSpec(fullname, self) if fullname in TRANSFORMS else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        attach(module.__name__)


def install() -> None:
    """Put :class:`StudioModules` on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, StudioModules) for finder in sys.meta_path):
        sys.meta_path.append(StudioModules())
