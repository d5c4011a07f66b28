"""``sluice warehouse …``: load lake tables into the warehouse, unload query results to the lake."""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.console import friendly_errors, print_json, print_table

app = typer.Typer(
    help="Load cataloged lake tables into the warehouse and unload query results (Redshift COPY/MERGE/UNLOAD).",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
UrlOpt = Annotated[
    str | None, typer.Option("--warehouse-url", help="SQLAlchemy URL of the warehouse (default: SLUICE_WAREHOUSE_URL).")
]


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


@app.command("load")
@friendly_errors
def load(
    database_name: Annotated[str, typer.Option("--database-name", help="Catalog database of the source table.")],
    table_name: Annotated[str, typer.Option("--table-name", help="Cataloged Parquet table to load.")],
    target: Annotated[str, typer.Option("--target", help="Warehouse table, SCHEMA.TABLE.")],
    mode: Annotated[str, typer.Option("--mode", help="append, overwrite or merge.")] = "append",
    merge_keys: Annotated[str | None, typer.Option("--merge-keys", help="Comma-separated key columns.")] = None,
    partition_expression: Annotated[
        str | None, typer.Option("--partition-expression", help="Glue predicate on partition keys.")
    ] = None,
    warehouse_url: UrlOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Reload files the ledger says are loaded.")] = False,
    on_schema_change: Annotated[
        str, typer.Option("--on-schema-change", help="add_columns or fail, for source columns the target lacks.")
    ] = "add_columns",
    json_: JsonOpt = False,
) -> None:
    """Load the files of a lake table not yet loaded into TARGET, in one transaction."""
    from warehouse.loader import load_table

    result = load_table(
        database_name,
        table_name,
        target,
        mode=mode,
        merge_keys=_names(merge_keys),
        partition_expression=partition_expression,
        warehouse_url=warehouse_url,
        force=force,
        on_schema_change=on_schema_change,
    )
    if json_:
        print_json(result.to_dict())
        return
    if result.files:
        print_table(f"Loaded into {result.target}", ["File", "Rows"], [(f.path, f"{f.rows:,}") for f in result.files])
    typer.echo(
        f"{result.mode}: {result.rows:,} rows from {len(result.files)} files into {result.target} "
        f"in {result.seconds:.1f} s."
    )
    if result.created:
        typer.echo(f"Created table {result.target}.")
    if result.columns_added:
        typer.echo(f"Added columns: {', '.join(result.columns_added)}.")
    if result.skipped:
        typer.echo(f"Skipped {len(result.skipped)} files already loaded (--force reloads them).")


@app.command("unload")
@friendly_errors
def unload(
    query: Annotated[str, typer.Option("--query", help="SELECT whose rows to unload.")],
    path: Annotated[str, typer.Option("--path", help="Lake folder (local or s3://) to write.")],
    format: Annotated[str, typer.Option("--format", help="Output format: parquet.")] = "parquet",
    partition_keys: Annotated[
        str | None, typer.Option("--partition-keys", help="Comma-separated columns to partition by.")
    ] = None,
    warehouse_url: UrlOpt = None,
    database_name: Annotated[str | None, typer.Option("--database-name", help="Catalog the output here.")] = None,
    table_name: Annotated[str | None, typer.Option("--table-name", help="Catalog table name.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Write a query's rows to the lake as Parquet, streaming; optionally catalog them."""
    from warehouse.unloader import unload as run_unload

    result = run_unload(
        query,
        path,
        format=format,
        partition_keys=_names(partition_keys),
        warehouse_url=warehouse_url,
        database_name=database_name,
        table_name=table_name,
    )
    if json_:
        print_json(result.to_dict())
        return
    typer.echo(f"Unloaded {result.rows:,} rows to {len(result.files)} files under {result.path}.")
    if result.table:
        typer.echo(f"Cataloged as {result.table} with {len(result.partitions)} partitions.")
