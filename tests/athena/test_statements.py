"""Athena statements parsed (pure, milliseconds): classification, table names, partition predicates, refusals."""

from __future__ import annotations

import pytest

from athena.statements import (
    CreateTableAs,
    Describe,
    RepairTable,
    Select,
    ShowPartitions,
    ShowTables,
    SqlSyntaxError,
    TableName,
    parse_statement,
    partition_predicates,
    statement_type,
)

FLIGHTS, DAILY = TableName("raw", "flights"), TableName("raw", "daily")
KEYS = {FLIGHTS: ["dt"], DAILY: ["dt", "carrier"]}


def select(text: str, database: str | None = "raw") -> Select:
    statement = parse_statement(text, database)
    assert isinstance(statement, Select)
    return statement


def pushed(text: str) -> dict[TableName, str | None]:
    return partition_predicates(select(text), KEYS)


def test_a_query_qualifies_bare_names_and_leaves_ctes() -> None:
    query = select(
        "with recent as (select * from flights) select * from recent join awsdatacatalog.raw.daily d on true"
    )
    assert set(query.tables) == {FLIGHTS, DAILY}
    assert '"raw"."flights"' in query.sql("duckdb") and "FROM recent" in query.sql("duckdb")
    assert statement_type(query) == "DML"
    assert select("select 1").tables == ()


def test_unnamed_columns_are_named_by_position_as_athena_names_them() -> None:
    sql = select("select count(*), dt, max(x) as top, f.* from flights f").sql("duckdb")
    assert 'COUNT(*) AS "_col0"' in sql and "AS top" in sql and "_col1" not in sql


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("select * from flights where dt = '2013-01-05' and carrier = 'AA'", "`dt` = '2013-01-05'"),
        ("select * from flights where '2013-01-05' < dt", "`dt` > '2013-01-05'"),
        (
            "select * from flights f where f.dt between date '2013-01-01' and date '2013-01-05'",
            "`dt` BETWEEN '2013-01-01' AND '2013-01-05'",
        ),
        (
            "select * from flights where dt in ('a', 'b') or dt like '2013%'",
            "(`dt` IN ('a', 'b')) OR (`dt` LIKE '2013%')",
        ),
        ("select * from flights where not (dt <> 'x') and dt is null", "NOT ((`dt` <> 'x')) AND `dt` IS NULL"),
        ("select * from flights where dt = '1' or carrier = 'AA'", None),
        ("select * from flights where upper(dt) = 'X'", None),
        ("select * from flights where dt = (select max(dt) from flights)", None),
    ],
)
def test_partition_predicates_of_one_table(text: str, expected: str | None) -> None:
    assert pushed(text)[FLIGHTS] == expected


def test_a_table_read_twice_reads_the_union_and_an_unfiltered_read_reads_all() -> None:
    union = "select * from flights where dt = '1' union all select * from flights where dt = '2'"
    assert pushed(union)[FLIGHTS] == "(`dt` = '1') OR (`dt` = '2')"
    assert pushed("select * from flights where dt = '1' union all select * from flights")[FLIGHTS] is None


def test_joins_push_per_alias_and_never_into_the_null_side_of_an_outer_join() -> None:
    inner = pushed("select * from flights f join daily d on f.dt = d.dt where f.dt = '1' and d.carrier = 'AA'")
    assert inner == {FLIGHTS: "`dt` = '1'", DAILY: "`carrier` = 'AA'"}
    outer = pushed("select * from flights f left join daily d on true where f.dt = '1' and d.dt = '1'")
    assert outer == {FLIGHTS: "`dt` = '1'", DAILY: None}
    ambiguous = pushed("select * from flights f join daily d on true where dt = '1'")  # whose dt? neither
    assert ambiguous == {FLIGHTS: None, DAILY: None}


def test_ddl_statements() -> None:
    ctas = parse_statement(
        "CREATE TABLE out.daily WITH (format = 'TEXTFILE', partitioned_by = ARRAY['dt'], external_location = 's3://b/x/',"
        " write_compression = 'gzip') AS SELECT carrier, dt FROM flights",
        "raw",
    )
    assert isinstance(ctas, CreateTableAs) and statement_type(ctas) == "DDL"
    assert (ctas.table, ctas.format, ctas.partitioned_by, ctas.location, ctas.compression) == (
        TableName("out", "daily"),
        "TEXTFILE",
        ("dt",),
        "s3://b/x/",
        "GZIP",
    )
    assert ctas.query.tables == (FLIGHTS,)
    assert parse_statement("msck repair table `Raw`.Flights;") == RepairTable(FLIGHTS)
    assert parse_statement("SHOW PARTITIONS flights", "raw") == ShowPartitions(FLIGHTS)
    assert parse_statement("SHOW TABLES", "raw") == ShowTables("raw")
    shown = parse_statement("SHOW TABLES IN raw 'fl*|dai*'")
    assert shown == ShowTables("raw", "fl*|dai*")
    assert isinstance(shown, ShowTables) and shown.matches("flights") and not shown.matches("other")
    described = parse_statement("DESCRIBE raw.flights")
    assert described == Describe(FLIGHTS) and statement_type(described) == "UTILITY"


@pytest.mark.parametrize(
    ("text", "caret"),
    [
        ('select * from "a;b".c', "              ^^^^^"),
        ('select * from raw."x\'y"', "                  ^^^^^"),
        ('select * from "../etc".passwd', "              ^^^^^^^^"),
        ("select * from read_csv('/etc/passwd')", "              ^^^^^^^^"),
        ("select * from read_parquet('s3://other/x.parquet')", "              ^^^^^^^^^^^^"),
        ("select * from hive.raw.flights", "              ^^^^"),
        ('SHOW TABLES IN "x; drop"', "               ^^^^^^^^^"),
        ('MSCK REPAIR TABLE raw."a b"', "                      ^^^^^"),
    ],
)
def test_hostile_identifiers_and_table_functions_are_refused(text: str, caret: str) -> None:
    with pytest.raises(SqlSyntaxError) as error:
        parse_statement(text)
    assert error.value.caret().splitlines()[1] == caret


def test_syntax_errors_carry_line_column_and_caret() -> None:
    with pytest.raises(SqlSyntaxError) as error:
        parse_statement("select carrier,\n  from raw.flights wher dt = '1'")
    assert (error.value.line, error.value.column) == (2, 25)
    assert error.value.message.startswith("line 2:25: ")
    assert error.value.caret() == "  from raw.flights wher dt = '1'\n                        ^^"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("drop table raw.flights", "Sluice does not run DROP statements."),
        ("insert into raw.flights select 1", "Sluice does not run INSERT statements."),
        ("select 1; select 2", "2 statements given"),
        ("  ", "The statement is empty."),
        ("MSCK REPAIR flights", "Expected TABLE."),
        ("SHOW TABLES IN raw extra", "Unexpected text at the end"),
        ("CREATE TABLE t WITH (bucketed_by = ARRAY['a']) AS SELECT 1 a", "Table property 'bucketed_by'"),
        ("CREATE TABLE t WITH (format = 'AVRO') AS SELECT 1 a", "format 'AVRO'"),
    ],
)
def test_unsupported_statements_say_what_runs(text: str, message: str) -> None:
    with pytest.raises(SqlSyntaxError, match=message):
        parse_statement(text)
