"""``sluice catalog …``: the Data Catalog verbs of ``aws glue``, with Glue's JSON shapes under ``--json``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sluice.console import friendly_errors, print_json, print_record, print_table

if TYPE_CHECKING:
    from sluice.context import SluiceContext

app = typer.Typer(help="Browse and edit the data catalog (mirrors `aws glue` catalog verbs).", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print Glue's JSON response shape.")]
DbOpt = Annotated[str, typer.Option("--database-name", help="Database name.")]


def _context() -> SluiceContext:
    """The command's context, from the environment (imported when a command runs, as the service layer is)."""
    from sluice.context import SluiceContext

    return SluiceContext.from_env()


@app.command("get-databases")
@friendly_errors
def get_databases(json_: JsonOpt = False) -> None:
    """List databases."""
    from service import catalog as glue

    response = glue.get_databases(_context())
    if json_:
        print_json(response)
        return
    databases = response["DatabaseList"]
    print_table(
        "Databases",
        ["Name", "Description", "CreateTime"],
        [(d["Name"], d.get("Description"), d["CreateTime"]) for d in databases],
    )


@app.command("get-database")
@friendly_errors
def get_database(name: Annotated[str, typer.Option("--name")], json_: JsonOpt = False) -> None:
    """Show one database."""
    from service import catalog as glue

    print_record(glue.get_database(_context(), Name=name), "Database", f"Database {name}", json_)


@app.command("create-database")
@friendly_errors
def create_database(
    name: Annotated[str, typer.Option("--name")],
    description: Annotated[str | None, typer.Option("--description")] = None,
    location_uri: Annotated[str | None, typer.Option("--location-uri")] = None,
    json_: JsonOpt = False,
) -> None:
    """Create a database."""
    from service import catalog as glue

    ctx = _context()
    given = {"Description": description, "LocationUri": location_uri}
    glue.create_database(ctx, DatabaseInput={"Name": name, **{k: v for k, v in given.items() if v is not None}})
    if json_:
        print_json(glue.get_database(ctx, Name=name))
    else:
        typer.echo(f"Created database {name}.")


@app.command("get-tables")
@friendly_errors
def get_tables(database_name: DbOpt, json_: JsonOpt = False) -> None:
    """List a database's tables."""
    from service import catalog as glue

    response = glue.get_tables(_context(), DatabaseName=database_name)
    if json_:
        print_json(response)
        return
    tables = response["TableList"]
    print_table(
        f"Tables in {database_name}",
        ["Name", "Classification", "Columns", "Partition keys", "Location", "Version"],
        [
            (
                t["Name"],
                t["Parameters"].get("classification", ""),
                len(t["StorageDescriptor"].get("Columns", [])),
                ",".join(k["Name"] for k in t["PartitionKeys"]),
                t["StorageDescriptor"].get("Location", ""),
                t["VersionId"],
            )
            for t in tables
        ],
    )


@app.command("get-table")
@friendly_errors
def get_table(database_name: DbOpt, name: Annotated[str, typer.Option("--name")], json_: JsonOpt = False) -> None:
    """Show one table: its columns, partition keys and parameters."""
    from service import catalog as glue

    response = glue.get_table(_context(), DatabaseName=database_name, Name=name)
    if json_:
        print_json(response)
        return
    table = response["Table"]
    columns = table["StorageDescriptor"].get("Columns", [])
    keys = table["PartitionKeys"]
    print_table(
        f"{database_name}.{name} (version {table['VersionId']}) at {table['StorageDescriptor'].get('Location')}",
        ["Column", "Type", "Partition key"],
        [(c["Name"], c["Type"], "") for c in columns] + [(k["Name"], k["Type"], "yes") for k in keys],
    )
    print_table("Parameters", ["Key", "Value"], sorted(table["Parameters"].items()))


@app.command("get-table-versions")
@friendly_errors
def get_table_versions(
    database_name: DbOpt, table_name: Annotated[str, typer.Option("--table-name")], json_: JsonOpt = False
) -> None:
    """List a table's schema versions, newest first."""
    from service import catalog as glue

    response = glue.get_table_versions(_context(), DatabaseName=database_name, TableName=table_name)
    if json_:
        print_json(response)
        return
    versions = response["TableVersions"]
    print_table(
        f"Versions of {database_name}.{table_name}",
        ["VersionId", "UpdateTime", "Columns"],
        [
            (
                v["VersionId"],
                v["Table"]["UpdateTime"],
                ", ".join(f"{c['Name']} {c['Type']}" for c in v["Table"]["StorageDescriptor"].get("Columns", [])),
            )
            for v in versions
        ],
    )


@app.command("get-partitions")
@friendly_errors
def get_partitions(
    database_name: DbOpt,
    table_name: Annotated[str, typer.Option("--table-name")],
    expression: Annotated[
        str | None,
        typer.Option("--expression", help="Glue partition predicate, e.g. \"year='2013' AND month IN ('01','02')\"."),
    ] = None,
    max_results: Annotated[int | None, typer.Option("--max-results", help="One page of at most N (1-1000).")] = None,
    next_token: Annotated[str | None, typer.Option("--next-token", help="Continue after the page it ended.")] = None,
    segment: Annotated[
        str | None, typer.Option("--segment", help="SegmentNumber=N,TotalSegments=M: one of M disjoint parts.")
    ] = None,
    exclude_column_schema: Annotated[bool, typer.Option("--exclude-column-schema")] = False,
    json_: JsonOpt = False,
) -> None:
    """List a table's partitions, filtered by a predicate the catalog evaluates (in SQL where it can).

    Every page by default, as the AWS CLI does; with --max-results or --next-token, one page and its NextToken.
    """
    from service import catalog as glue
    from sluice.errors import InvalidInputException

    parts: dict[str, int] | None = None
    if segment:
        try:
            parts = {k.strip(): int(v) for k, v in (item.split("=", 1) for item in segment.split(","))}
        except ValueError:
            raise InvalidInputException(f"--segment {segment!r}: expected SegmentNumber=N,TotalSegments=M") from None
    ctx, token, partitions = _context(), next_token, []
    while True:
        page = glue.get_partitions(
            ctx, DatabaseName=database_name, TableName=table_name, Expression=expression, MaxResults=max_results,
            NextToken=token, Segment=parts, ExcludeColumnSchema=exclude_column_schema,
        )  # fmt: skip
        partitions += page["Partitions"]
        token = page.get("NextToken")
        if token is None or max_results is not None or next_token is not None:
            break
    if json_:
        print_json({"Partitions": partitions, **({"NextToken": token} if token else {})})
        return
    print_table(
        f"Partitions of {database_name}.{table_name}",
        ["Values", "Location", "CreationTime"],
        [("/".join(p["Values"]), p["StorageDescriptor"]["Location"], p["CreationTime"]) for p in partitions],
    )
    if token:
        typer.echo(f"NextToken: {token}")


@app.command("delete-table")
@friendly_errors
def delete_table(database_name: DbOpt, name: Annotated[str, typer.Option("--name")], json_: JsonOpt = False) -> None:
    """Delete a table with its versions and partitions."""
    from service import catalog as glue

    glue.delete_table(_context(), DatabaseName=database_name, Name=name)
    _done(json_, f"Deleted table {database_name}.{name}.")


@app.command("delete-partition")
@friendly_errors
def delete_partition(
    database_name: DbOpt,
    table_name: Annotated[str, typer.Option("--table-name")],
    partition_values: Annotated[list[str], typer.Option("--partition-values", help="One value per partition key.")],
    json_: JsonOpt = False,
) -> None:
    """Delete one partition."""
    from service import catalog as glue

    table = {"DatabaseName": database_name, "TableName": table_name}
    glue.delete_partition(_context(), **table, PartitionValues=partition_values)
    _done(json_, f"Deleted partition {partition_values} of {database_name}.{table_name}.")


def _done(json_: bool, message: str) -> None:
    """A write verb's answer: Glue's empty response under ``--json``, else a sentence."""
    if json_:
        print_json({})
    else:
        typer.echo(message)
