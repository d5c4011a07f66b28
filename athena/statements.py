"""Athena statements, parsed (pure): what a statement is, the catalog tables it reads, and the partition
predicates of its WHERE clauses as Glue GetPartitions ``Expression`` text.

Statements are Athena's (Trino) SQL, parsed by sqlglot: ``SELECT`` (with ``WITH``, set operations,
``VALUES``), ``CREATE TABLE … WITH (…) AS SELECT``, ``MSCK REPAIR TABLE``, ``SHOW TABLES [IN db] ['pattern']``,
``SHOW PARTITIONS`` and ``DESCRIBE``. A table is ``db.table`` (or ``awsdatacatalog.db.table``, or a bare
name in the default database); a name outside Athena's rule (letters, digits, ``_``, ``-``) is refused, as
is a table function in ``FROM``. Errors carry the line and column with a caret under the offending text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.scope import traverse_scope

from sluice.errors import InvalidInputException

DIALECT = "trino"
DEFAULT_DATABASE = "default"
CATALOG = "awsdatacatalog"
"""The one catalog a three-part name may name (Athena's name for the Glue Data Catalog)."""
_NAME = re.compile(r"[a-z0-9_][a-z0-9_-]{0,254}")
CODECS = {
    "PARQUET": ("GZIP", "SNAPPY", "ZSTD", "LZ4", "NONE"),
    "ORC": ("ZLIB", "SNAPPY", "LZ4", "ZSTD", "NONE"),
    "JSON": ("GZIP", "NONE"),
    "TEXTFILE": ("GZIP", "NONE"),
}
"""The formats a CTAS writes, each with the ``write_compression`` values Sluice writes it with."""
FORMATS = tuple(CODECS)
UNWRITABLE = {
    "AVRO": "Sluice has no Avro writer in process (pyarrow and DuckDB write none, and fastavro is not installed)",
    "ION": "Sluice has no Amazon Ion writer",
}
"""Athena's other CTAS formats, refused with the reason."""
CTAS_PROPERTIES = ("format", "partitioned_by", "external_location", "field_delimiter", "write_compression")


class SqlSyntaxError(InvalidInputException):
    """A statement Sluice cannot run: bad syntax, a refused name or an unsupported statement.

    ``line`` and ``column`` are 1-based; ``width`` is the length of the offending text, underlined by
    :meth:`caret`.
    """

    def __init__(
        self, message: str, *, text: str, line: int = 1, column: int = 1, width: int = 1, hint: str | None = None
    ) -> None:
        self.reason, self.line, self.column, self.width, self.text = message, line, column, max(width, 1), text
        super().__init__(f"line {line}:{column}: {message}\n{self.caret()}", hint=hint)

    def caret(self) -> str:
        """The statement's offending line, and ``^`` under the offending text."""
        lines = self.text.splitlines() or [""]
        source = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        pad = "".join("\t" if ch == "\t" else " " for ch in source[: self.column - 1])
        return f"{source}\n{pad}{'^' * self.width}"


def _error_at(text: str, offset: int, width: int, message: str, hint: str | None = None) -> SqlSyntaxError:
    """A :class:`SqlSyntaxError` at character ``offset`` of ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return SqlSyntaxError(message, text=text, line=line, column=column, width=width, hint=hint)


def _error_on(text: str, node: exp.Expression, message: str, hint: str | None = None) -> SqlSyntaxError:
    """A :class:`SqlSyntaxError` under ``node`` (located by the position sqlglot records on identifiers)."""
    for ident in [node, *node.find_all(exp.Identifier)]:
        meta = ident.meta
        if "start" in meta:
            return _error_at(text, meta["start"], meta["end"] - meta["start"] + 1, message, hint)
    word = re.match(r"\w+", node.sql(dialect=DIALECT))
    found = re.search(rf"\b{re.escape(word.group())}\b", text, re.IGNORECASE) if word else None
    return _error_at(text, found.start() if found else 0, len(word.group()) if found and word else 1, message, hint)


@dataclass(frozen=True, order=True)
class TableName:
    """A catalog table, lower case as Glue stores names."""

    database: str
    name: str

    def __str__(self) -> str:
        return f"{self.database}.{self.name}"


@dataclass(frozen=True)
class Select:
    """A query; ``tree`` has every catalog table qualified with its database."""

    tree: exp.Query
    tables: tuple[TableName, ...]
    text: str = ""

    def sql(self, dialect: str) -> str:
        """The query in another engine's SQL (``duckdb``, ``spark``)."""
        return self.tree.sql(dialect=dialect)


@dataclass(frozen=True)
class CreateTableAs:
    """``CREATE TABLE … WITH (…) AS SELECT``: the table, its query and Athena's table properties."""

    table: TableName
    query: Select
    format: str = "PARQUET"
    partitioned_by: tuple[str, ...] = ()
    location: str | None = None
    field_delimiter: str | None = None
    compression: str | None = None


@dataclass(frozen=True)
class TableStatement:
    """A statement about one catalog table."""

    table: TableName


class RepairTable(TableStatement):
    """``MSCK REPAIR TABLE``."""


@dataclass(frozen=True)
class ShowTables:
    """``SHOW TABLES [IN db] ['pattern']``: Athena's pattern takes ``*`` (any characters) and ``|`` (or)."""

    database: str
    pattern: str | None = None

    def matches(self, name: str) -> bool:
        if self.pattern is None:
            return True
        options = (re.escape(part.strip()).replace(r"\*", ".*") for part in self.pattern.lower().split("|"))
        return re.fullmatch("|".join(options), name) is not None


class ShowPartitions(TableStatement):
    """``SHOW PARTITIONS``."""


class Describe(TableStatement):
    """``DESCRIBE``."""


Statement = Select | CreateTableAs | RepairTable | ShowTables | ShowPartitions | Describe
READ_ONLY = (Select, ShowTables, ShowPartitions, Describe)
"""The statements that change nothing (what a read-only caller may run)."""
SUPPORTED = "SELECT, CREATE TABLE AS SELECT, MSCK REPAIR TABLE, SHOW TABLES, SHOW PARTITIONS and DESCRIBE"


def statement_type(statement: Statement) -> str:
    """Athena's StatementType: DML for queries, DDL for CTAS, MSCK and SHOW, UTILITY for DESCRIBE."""
    if isinstance(statement, Select):
        return "DML"
    return "UTILITY" if isinstance(statement, Describe) else "DDL"


def parse_statement(text: str, database: str | None = None) -> Statement:
    """Parse one statement; bare table names are in ``database`` (Athena's default: ``default``)."""
    database = _check_name(text, database or DEFAULT_DATABASE, "database")
    body = text.strip().rstrip(";").rstrip()
    if not body:
        raise SqlSyntaxError("The statement is empty.", text=text, hint=f"Sluice runs {SUPPORTED}.")
    words = _Words(text)
    first = words.peek_word()
    if first in ("MSCK", "SHOW"):
        return _command(words, database)
    try:
        trees = sqlglot.parse(text, read=DIALECT)
    except ParseError as error:
        raise _parse_error(text, error) from None
    except TokenError as error:
        raise SqlSyntaxError(str(error), text=text) from None
    found = [t for t in trees if t is not None]
    if len(found) != 1:
        raise SqlSyntaxError(f"{len(found)} statements given; Sluice runs one at a time.", text=text)
    return _classify(text, found[0], database)


def _parse_error(text: str, error: ParseError) -> SqlSyntaxError:
    """sqlglot's first error, with its caret (sqlglot's column is the end of the highlighted token)."""
    first = error.errors[0] if error.errors else {}
    highlight = first.get("highlight") or " "
    line, end = first.get("line") or 1, first.get("col") or 1
    column = max(end - len(highlight) + 1, 1)
    message = str(first.get("description") or error).strip()
    if message.startswith("Required keyword"):  # sqlglot names its own classes here
        message = "The expression is incomplete"
    return SqlSyntaxError(
        f"{message} near {highlight.strip()!r}", text=text, line=line, column=column, width=len(highlight)
    )


def _classify(text: str, tree: exp.Expr, database: str) -> Statement:
    if isinstance(tree, exp.Query):
        return _select(text, tree, database)
    if isinstance(tree, exp.Describe) and isinstance(tree.this, exp.Table):
        return Describe(_table_name(text, tree.this, database))
    if isinstance(tree, exp.Create) and tree.kind == "TABLE" and isinstance(tree.expression, exp.Query):
        return _create_table_as(text, tree, database)
    kind = tree.key.upper() if not isinstance(tree, exp.Command) else str(tree.this).upper()
    start = len(text) - len(text.lstrip())
    width = len(text[start:].split(maxsplit=1)[0])
    raise _error_at(text, start, width, f"Sluice does not run {kind} statements.", hint=f"Sluice runs {SUPPORTED}.")


def _select(text: str, tree: exp.Query, database: str) -> Select:
    """The query with its catalog tables qualified; table functions (``read_csv(…)``) refused."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    tables: list[TableName] = []
    for node in tree.find_all(exp.Table):
        if not isinstance(node.this, exp.Identifier):
            raise _error_on(
                text, node, "A table function cannot be read here: name a catalog table (db.table).", hint=None
            )
        if not node.args.get("db") and node.name.lower() in ctes:
            continue
        name = _table_name(text, node, database)
        node.set("catalog", None)
        for part, value in (("db", name.database), ("this", name.name)):
            ident = exp.to_identifier(value, quoted=True)
            ident.meta.update(node.args[part].meta if node.args.get(part) else {})
            node.set(part, ident)
        tables.append(name)
    _name_columns(tree)
    return Select(tree, tuple(dict.fromkeys(tables)), text)


def _name_columns(tree: exp.Query) -> None:
    """Name the result's unnamed columns as Athena does: ``_col0``, ``_col1``, … by position."""
    first = tree
    while isinstance(first, exp.SetOperation):
        first = first.this
    if not isinstance(first, exp.Select):
        return
    for i, projection in enumerate(first.expressions):
        if not isinstance(projection, exp.Alias | exp.Column | exp.Star):
            projection.replace(exp.alias_(projection, f"_col{i}", quoted=True))


def error_at_table(query: Select, name: TableName, message: str, hint: str | None = None) -> SqlSyntaxError:
    """An error with its caret under the first reference to ``name`` in the query."""
    for node in query.tree.find_all(exp.Table):
        if (node.db, node.name) == (name.database, name.name):
            return _error_on(query.text, node, message, hint)
    return SqlSyntaxError(message, text=query.text, hint=hint)


def error_at_word(query: Select, word: str, message: str, hint: str | None = None) -> SqlSyntaxError:
    """An error with its caret under the first whole-word occurrence of ``word`` (a column, a function) in the
    query's text, outside string literals."""
    for match in re.finditer(rf"(?<!\w)\"?{re.escape(word)}\"?(?!\w)", query.text, re.IGNORECASE):
        if query.text.count("'", 0, match.start()) % 2 == 0:
            return _error_at(query.text, match.start(), len(match.group()), message, hint)
    return SqlSyntaxError(message, text=query.text, hint=hint)


def _table_name(text: str, node: exp.Table, database: str) -> TableName:
    catalog = node.catalog
    if catalog and catalog.lower() != CATALOG:
        message = f"Catalog {catalog!r} is not Sluice's: name {CATALOG}, or leave it out."
        raise _error_on(text, node.args["catalog"], message)
    db = _check_name(text, node.db or database, "database", node.args.get("db") or node)
    return TableName(db, _check_name(text, node.name, "table", node.this))


def _check_name(text: str, name: str, what: str, node: exp.Expression | None = None) -> str:
    """``name`` in lower case, refused unless it follows Athena's rule for names."""
    lowered = name.lower()
    if _NAME.fullmatch(lowered):
        return lowered
    message = f"The {what} name {name!r} is not allowed: names hold letters, digits, '_' and '-' (at most 255)."
    if node is None:
        raise SqlSyntaxError(message, text=text)
    raise _error_on(text, node, message)


def _create_table_as(text: str, tree: exp.Create, database: str) -> CreateTableAs:
    table = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(table, exp.Table) or isinstance(tree.this, exp.Schema):
        raise _error_on(text, tree, "CREATE TABLE AS SELECT takes no column list: the query gives the columns.")
    name = _table_name(text, table, database)
    props: dict[str, object] = {}
    for prop in tree.args["properties"].expressions if tree.args.get("properties") else []:
        key, value = _property(text, prop)
        props[key] = value
    fmt = str(props.get("format", "PARQUET")).upper()
    if fmt not in FORMATS:
        why = f"{UNWRITABLE[fmt]}; " if fmt in UNWRITABLE else ""
        raise _error_on(text, tree, f"format {fmt!r} is not one Sluice writes: {why}it writes {', '.join(FORMATS)}.")
    query = _select(text, tree.expression, database)
    partitioned = props.get("partitioned_by", ())
    keys = tuple(str(k).lower() for k in partitioned) if isinstance(partitioned, list | tuple) else ()
    location, delimiter, compression = (
        props.get(k) for k in ("external_location", "field_delimiter", "write_compression")
    )
    codec = str(compression).upper() if compression else None
    if codec is not None and {"UNCOMPRESSED": "NONE"}.get(codec, codec) not in CODECS[fmt]:
        raise _error_on(
            text, tree, f"write_compression {codec!r} is not one Sluice writes {fmt} with: {', '.join(CODECS[fmt])}."
        )
    return CreateTableAs(
        name,
        query,
        fmt,
        keys,
        str(location) if location else None,
        str(delimiter) if delimiter is not None else None,
        codec,
    )


def _property(text: str, prop: exp.Expression) -> tuple[str, object]:
    """One CTAS table property as (name, value)."""
    if isinstance(prop, exp.FileFormatProperty):
        return "format", prop.name or prop.this.sql()
    if isinstance(prop, exp.PartitionedByProperty):
        value = prop.this
        items = value.expressions if isinstance(value, exp.Array | exp.Tuple | exp.Schema) else [value]
        return "partitioned_by", [i.name for i in items]
    name = prop.name.lower() if isinstance(prop, exp.Property) else prop.key
    if name not in CTAS_PROPERTIES:
        raise _error_on(
            text, prop, f"Table property {name!r} is not supported: Sluice takes {', '.join(CTAS_PROPERTIES)}."
        )
    value = prop.args.get("value")
    return name, value.name if isinstance(value, exp.Literal) else (value.sql() if value is not None else None)


# MSCK REPAIR TABLE and SHOW: sqlglot keeps them as opaque commands, so they are scanned here. ---------------------

_WORD = re.compile(
    r"""\s*(?:(?P<word>[A-Za-z0-9_-]+)|(?P<quoted>`[^`]*`|"(?:[^"]|"")*")|(?P<string>'(?:[^']|'')*')|(?P<other>[^\s;]))"""
)


class _Words:
    """The tokens of a short command: words, quoted names, strings and punctuation, with their offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[str, str, int]] = []
        body = text.rstrip().rstrip(";")
        pos = 0
        while (match := _WORD.match(body, pos)) and match.lastgroup:
            self.items.append((match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup)))
            pos = match.end()
        self.pos = 0

    def peek_word(self) -> str | None:
        item = self.items[self.pos] if self.pos < len(self.items) else None
        return item[1].upper() if item and item[0] == "word" else None

    def error(self, message: str) -> SqlSyntaxError:
        if self.pos < len(self.items):
            _, token, offset = self.items[self.pos]
            return _error_at(self.text, offset, len(token), message, hint=f"Sluice runs {SUPPORTED}.")
        return _error_at(self.text, len(self.text.rstrip()), 1, message, hint=f"Sluice runs {SUPPORTED}.")

    def keyword(self, *options: str) -> str:
        word = self.peek_word()
        if word not in options:
            raise self.error(f"Expected {' or '.join(options)}.")
        self.pos += 1
        return word

    def name(self, what: str) -> str:
        if self.pos >= len(self.items) or self.items[self.pos][0] not in ("word", "quoted"):
            raise self.error(f"Expected a {what} name.")
        kind, token, offset = self.items[self.pos]
        value = token[1:-1] if kind == "quoted" else token
        if not _NAME.fullmatch(value.lower()):
            raise _error_at(
                self.text,
                offset,
                len(token),
                f"The {what} name {value!r} is not allowed: names hold letters, digits, '_' and '-' (at most 255).",
            )
        self.pos += 1
        return value.lower()

    def table(self, database: str) -> TableName:
        parts = [self.name("table")]
        while self.pos < len(self.items) and self.items[self.pos][1] == "." and len(parts) < 3:
            self.pos += 1
            parts.append(self.name("table"))
        if len(parts) == 3 and parts[0] != CATALOG:
            raise self.error(f"Catalog {parts[0]!r} is not Sluice's: name {CATALOG}, or leave it out.")
        return TableName(parts[-2] if len(parts) > 1 else database, parts[-1])

    def string(self) -> str | None:
        if self.pos < len(self.items) and self.items[self.pos][0] == "string":
            self.pos += 1
            return self.items[self.pos - 1][1][1:-1].replace("''", "'")
        return None

    def end(self) -> None:
        if self.pos < len(self.items):
            raise self.error("Unexpected text at the end of the statement.")


def _command(words: _Words, database: str) -> Statement:
    statement: Statement
    if words.keyword("MSCK", "SHOW") == "MSCK":
        words.keyword("REPAIR")
        words.keyword("TABLE")
        statement = RepairTable(words.table(database))
    elif words.keyword("TABLES", "PARTITIONS") == "PARTITIONS":
        statement = ShowPartitions(words.table(database))
    else:
        if words.peek_word() in ("IN", "FROM"):
            words.pos += 1
            database = words.name("database")
        statement = ShowTables(database, words.string())
    words.end()
    return statement


# Partition predicates ------------------------------------------------------------------------------------------

_COMPARE: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}
_FLIPPED = {"=": "=", "<>": "<>", ">": "<", ">=": "<=", "<": ">", "<=": ">="}


def partition_predicates(query: Select, keys: Mapping[TableName, Sequence[str]]) -> dict[TableName, str | None]:
    """For each partitioned table, the Glue ``Expression`` selecting the partitions the query can read.

    Per reference to a table: the WHERE conjuncts that test only its partition ``keys`` against literals
    (``=``, ``<>``, ``<``, ``BETWEEN``, ``IN``, ``LIKE``, ``IS NULL``, ``NOT``, ``AND``, ``OR``); a reference on
    the null side of an outer join, or with no such conjunct, reads every partition (None). A table
    referenced twice reads the union. The engine still applies the whole WHERE: this only prunes.
    """
    found: dict[TableName, list[str | None]] = {}
    for scope in traverse_scope(query.tree):
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        sources = scope.selected_sources
        nullable = _nullable(select)
        where = select.args.get("where")
        conjuncts = list(_conjuncts(where.this)) if where is not None else []
        for alias, (node, source) in sources.items():
            if not isinstance(source, exp.Table) or not isinstance(node, exp.Table):
                continue
            name = TableName(node.db, node.name)
            table_keys = {k.lower() for k in keys.get(name, ())}
            if not table_keys:
                continue
            sole = len(sources) == 1
            tests = [] if alias in nullable else [_glue(c, alias, table_keys, sole) for c in conjuncts]
            kept = [t for t in tests if t is not None]
            found.setdefault(name, []).append(" AND ".join(kept) if kept else None)
    out: dict[TableName, str | None] = {}
    for name, each in found.items():
        if any(e is None for e in each):
            out[name] = None
        else:
            unique = list(dict.fromkeys(e for e in each if e is not None))
            out[name] = unique[0] if len(unique) == 1 else " OR ".join(f"({e})" for e in unique)
    return out


def _conjuncts(node: exp.Expression) -> Iterator[exp.Expression]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        yield from _conjuncts(node.this)
        yield from _conjuncts(node.expression)
    else:
        yield node


def _nullable(select: exp.Select) -> set[str]:
    """The aliases on the null-supplying side of the select's outer joins."""
    out: set[str] = set()
    seen: list[str] = [select.args["from_"].this.alias_or_name] if select.args.get("from_") else []
    for join in select.args.get("joins") or []:
        side, alias = (join.side or "").upper(), join.this.alias_or_name
        if side in ("LEFT", "FULL"):
            out.add(alias)
        if side in ("RIGHT", "FULL"):
            out.update(seen)
        seen.append(alias)
    return out


def _glue(node: exp.Expression, alias: str, keys: set[str], sole: bool) -> str | None:
    """``node`` as Glue predicate text when it tests only ``alias``'s partition keys against literals."""
    match node:
        case exp.Paren():
            inner = _glue(node.this, alias, keys, sole)
            return f"({inner})" if inner else None
        case exp.And() | exp.Or():
            left, right = (_glue(n, alias, keys, sole) for n in (node.this, node.expression))
            return f"({left}) {node.key.upper()} ({right})" if left and right else None
        case exp.Not():
            inner = _glue(node.this, alias, keys, sole)
            return f"NOT ({inner})" if inner else None
        case exp.Is() if isinstance(node.expression, exp.Null):
            column = _key(node.this, alias, keys, sole)
            return f"{column} IS NULL" if column else None
        case exp.Between():
            column, low, high = _key(node.this, alias, keys, sole), _value(node.args["low"]), _value(node.args["high"])
            return f"{column} BETWEEN {low} AND {high}" if column and low and high else None
        case exp.In() if not node.args.get("query") and not node.args.get("unnest"):
            column, values = _key(node.this, alias, keys, sole), [_value(v) for v in node.expressions]
            return f"{column} IN ({', '.join(values)})" if column and values and all(values) else None  # type: ignore[arg-type]
        case exp.Like() if isinstance(node.expression, exp.Literal):
            column, pattern = _key(node.this, alias, keys, sole), _value(node.expression)
            return f"{column} LIKE {pattern}" if column and pattern else None
    op = _COMPARE.get(type(node))
    if op is None:
        return None
    left, right = node.this, node.expression
    column, value = _key(left, alias, keys, sole), _value(right)
    if column is None:
        column, value, op = _key(right, alias, keys, sole), _value(left), _FLIPPED[op]
    return f"{column} {op} {value}" if column and value else None


def _key(node: exp.Expression, alias: str, keys: set[str], sole: bool) -> str | None:
    """A partition key column of ``alias``, back-quoted; unqualified only when ``alias`` is the only source."""
    if not isinstance(node, exp.Column) or node.args.get("db"):
        return None
    table = node.table.lower()
    if (table == alias.lower() or (not table and sole)) and node.name.lower() in keys:
        return f"`{node.name.lower()}`"
    return None


def _value(node: exp.Expression) -> str | None:
    """A literal as Glue predicate text: a quoted string (a ``DATE``/``TIMESTAMP`` literal's text), a number."""
    dated = (exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP)
    if (
        isinstance(node, exp.Cast)
        and isinstance(node.this, exp.Literal)
        and node.this.is_string
        and node.to.this in dated
    ):
        node = node.this
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return f"-{node.this.name}"
    if isinstance(node, exp.Literal):
        return "'" + node.name.replace("'", "''") + "'" if node.is_string else node.name
    return None
