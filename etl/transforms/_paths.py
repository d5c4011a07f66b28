"""Dotted field paths into nested structs, and Glue type names, shared by the transforms."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import CharType, DataType, StringType, StructField, StructType, VarcharType

from sluice.errors import InvalidInputException

PATH_HINT = "Nested fields use dots, as in `address.city`; wrap a name that contains dots in backticks."
TYPE_HINT = "Use a Glue/Hive type name: string, int, bigint (long), double, decimal(10,2), boolean, date, timestamp."

LeafFn = Callable[[Column], list[tuple[str, Column]]]


def split_path(path: str) -> list[str]:
    """Split ``a.b.c`` into names; backticks quote a name that has dots, and two backticks escape one."""
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == "`" and quoted and path[i + 1 : i + 2] == "`":
            buf.append("`")
            i += 1
        elif ch == "`":
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    if quoted or not all(parts):
        raise InvalidInputException(f"Invalid field path `{path}`.", hint=PATH_HINT)
    return parts


def quote(name: str) -> str:
    """Quote one name for Spark's column parser."""
    return "`" + name.replace("`", "``") + "`"


def show(parts: Sequence[str]) -> str:
    """Render resolved names back as a dotted path, quoting names that need it."""
    return ".".join(quote(p) if "." in p or "`" in p else p for p in parts)


def column(parts: Sequence[str]) -> Column:
    """The Column at resolved ``parts``."""
    col = F.col(quote(parts[0]))
    for name in parts[1:]:
        col = col.getField(name)
    return col


def case_sensitive(df: DataFrame) -> bool:
    """Whether name resolution is case sensitive (``spark.sql.caseSensitive``; Glue is not)."""
    return df.sparkSession.conf.get("spark.sql.caseSensitive", "false") == "true"


def _field(struct: StructType, name: str, sensitive: bool) -> StructField | None:
    exact = [f for f in struct.fields if f.name == name]
    loose = exact or ([] if sensitive else [f for f in struct.fields if f.name.lower() == name.lower()])
    if len(loose) > 1:
        raise InvalidInputException(
            f"Field name `{name}` is ambiguous: it matches {', '.join(quote(f.name) for f in loose)}.",
            hint="Spell the name with its exact case, or set spark.sql.caseSensitive=true.",
        )
    return loose[0] if loose else None


def _walk(df: DataFrame, parts: Sequence[str]) -> tuple[list[str], DataType] | str:
    """Resolve ``parts`` to exact names and the leaf type, or return why they do not resolve."""
    sensitive = case_sensitive(df)
    dtype: DataType = df.schema
    resolved: list[str] = []
    for name in parts:
        if not isinstance(dtype, StructType):
            return f"`{show(resolved)}` is {dtype.simpleString()}, not a struct."
        field = _field(dtype, name, sensitive)
        if field is None:
            where = f" in `{show(resolved)}`" if resolved else ""
            return f"Available fields{where}: [{', '.join(quote(n) for n in dtype.names)}]."
        resolved.append(field.name)
        dtype = field.dataType
    return resolved, dtype


def find(df: DataFrame, parts: Sequence[str]) -> tuple[list[str], DataType] | None:
    """Exact names and type of the field at ``parts``, or None when there is no such field."""
    found = _walk(df, parts)
    return None if isinstance(found, str) else found


def resolve(df: DataFrame, path: str) -> tuple[list[str], DataType]:
    """Exact names and type of the field at dotted ``path``; raise naming what is available."""
    found = _walk(df, split_path(path))
    if isinstance(found, str):
        raise InvalidInputException(f"Field `{path}` cannot be resolved. {found}", hint=PATH_HINT)
    return found


def resolve_columns(df: DataFrame, names: Sequence[str], role: str) -> list[str]:
    """Exact names of top-level columns ``names`` (no dotted paths); ``role`` names them in errors."""
    if not names:
        raise InvalidInputException(f"At least one {role} column is required.")
    resolved = []
    for name in names:
        found = find(df, [name])
        if found is None:
            raise InvalidInputException(
                f"The {role} column `{name}` cannot be resolved. "
                f"Available columns: [{', '.join(quote(c) for c in df.columns)}].",
                hint="Use top-level column names.",
            )
        resolved.append(found[0][0])
    return resolved


def map_leaf(df: DataFrame, parts: Sequence[str], fn: LeafFn) -> DataFrame:
    """Replace the field at resolved ``parts`` with the ``(name, column)`` pairs ``fn`` returns, in place.

    An empty list drops the field; parent structs are rebuilt in field order and stay null where null.
    """

    def rebuild(parent: Column | None, struct: StructType, rest: Sequence[str]) -> list[Column]:
        out: list[Column] = []
        for f in struct.fields:
            col = F.col(quote(f.name)) if parent is None else parent.getField(f.name)
            if f.name != rest[0]:
                out.append(col.alias(f.name))
            elif len(rest) == 1:
                out.extend(value.alias(name) for name, value in fn(col))
            else:
                inner = F.struct(*rebuild(col, f.dataType, rest[1:]))
                out.append(F.when(col.isNull(), F.lit(None)).otherwise(inner).alias(f.name))
        return out

    return df.select(*rebuild(None, df.schema, parts))


def nest(tree: dict[str, Column | dict]) -> list[Column]:
    """Columns for a tree of names whose leaves are Columns and inner nodes become structs."""
    return [
        value.alias(name) if isinstance(value, Column) else F.struct(*nest(value)).alias(name)
        for name, value in tree.items()
    ]


def parse_type(name: str) -> DataType:
    """The Spark type for a Glue/Hive type name (``long``/``bigint``, ``decimal(10,2)``, ``varchar(5)``…)."""
    try:
        dtype = DataType.fromDDL(name)
    except AnalysisException:
        raise InvalidInputException(f"Unsupported data type `{name}`.", hint=TYPE_HINT) from None
    return StringType() if isinstance(dtype, CharType | VarcharType) else dtype
