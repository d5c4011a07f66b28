"""``sluice sql``: Athena's SQL over the catalog, printed as a table, JSON, CSV, or written to Parquet.

Light at import: the service layer (and DuckDB, pyarrow, the metadata DB) load when the command runs, and
pyspark only with ``--engine spark``.
"""

from __future__ import annotations

import csv
import sys
from typing import Annotated

import typer

from sluice.console import err_console, print_json, print_table

ENGINES = ("duckdb", "spark")


def sql(
    query: Annotated[str, typer.Argument(help="One statement: SELECT, CTAS, MSCK REPAIR TABLE, SHOW or DESCRIBE.")],
    database: Annotated[str, typer.Option("--database", "-d", help="Database of bare table names.")] = "default",
    engine: Annotated[str, typer.Option("--engine", help="duckdb (in process) or spark (Spark SQL).")] = "duckdb",
    max_rows: Annotated[int, typer.Option("--max-rows", help="Rows to print (the query computes all).")] = 1000,
    json_: Annotated[bool, typer.Option("--json", help="Print the result in Athena's GetQueryResults shape.")] = False,
    csv_: Annotated[bool, typer.Option("--csv", help="Print the rows as CSV, with a header.")] = False,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write every row of a query to this Parquet file.")
    ] = None,
) -> None:
    """Athena SQL on catalog tables, in process (DuckDB) or on Spark.

    SELECT prunes partitions in the catalog from the WHERE clause; CREATE TABLE AS SELECT writes the lake and
    registers the table; MSCK REPAIR TABLE, SHOW TABLES, SHOW PARTITIONS and DESCRIBE answer from the catalog.
    """
    if engine not in ENGINES:
        raise typer.BadParameter(f"{engine!r} is not one of {', '.join(ENGINES)}", param_hint="--engine")
    from athena.results import response_values
    from service.sql import start_query_execution
    from sluice.context import SluiceContext

    response = start_query_execution(
        SluiceContext.from_env(),
        QueryString=query,
        QueryExecutionContext={"Database": database},
        max_rows=max_rows,
        engine=engine,
        output=output,
    )
    if json_:
        print_json(response)
        return
    names, rows = response_values(response)
    if csv_:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        return
    print_table("", names, rows)
    stats = response["QueryExecution"]["Statistics"]
    more = " (more not shown: raise --max-rows, or use --output)" if response.get("Truncated") else ""
    read = f", {stats['FilesRead']} files read" if "FilesRead" in stats else ""
    written = f", {response['UpdateCount']} rows written" if "UpdateCount" in response else ""
    target = response["QueryExecution"]["ResultConfiguration"].get("OutputLocation")
    to = f", every row in {target}" if target else ""
    err_console.print(
        f"{len(rows)} rows{more}{written}{read}{to} in {stats['TotalExecutionTimeInMillis']} ms", highlight=False
    )
