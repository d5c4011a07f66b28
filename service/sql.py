"""Athena's query operation over Sluice's catalog: StartQueryExecution, run to completion in the call.

Sluice runs a statement synchronously, so one response carries what Athena spreads over StartQueryExecution
(``QueryExecutionId``), GetQueryExecution (``QueryExecution``: status, statement type, statistics) and
GetQueryResults (``ResultSet``, and ``UpdateCount`` for a CTAS). As in GetQueryResults, a query's first row
holds the column names. ``Statistics`` adds Sluice's ``FilesRead`` and ``PartitionsRead`` to Athena's
members; ``DataScannedInBytes`` is the size of the files the query's tables resolved to.

The catalog is read and written through :mod:`service.catalog`; the statement runs in ``athena.engine``.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from athena.engine import Outcome, execute
from athena.results import column_info, rows
from athena.statements import READ_ONLY, SUPPORTED, CreateTableAs, Select, parse_statement, statement_type
from service import catalog as glue
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException

__all__ = ["start_query_execution"]

WORKGROUP = "primary"
MAX_ROWS = 1000
"""Rows a result holds unless the caller asks for another number (GetQueryResults' page size)."""


class ServiceCatalog:
    """The catalog operations ``athena.engine`` needs, answered by the service layer's Glue operations."""

    def __init__(self, ctx: SluiceContext) -> None:
        self.ctx = ctx

    def get_database(self, database: str) -> dict[str, Any]:
        return glue.get_database(self.ctx, Name=database)["Database"]

    def get_table(self, database: str, name: str) -> dict[str, Any]:
        return glue.get_table(self.ctx, DatabaseName=database, Name=name)["Table"]

    def get_tables(self, database: str) -> list[dict[str, Any]]:
        glue.get_database(self.ctx, Name=database)
        out, token = [], None
        while True:
            page = glue.get_tables(self.ctx, DatabaseName=database, NextToken=token)
            out += page["TableList"]
            token = page.get("NextToken")
            if not token:
                return out

    def get_partitions(self, database: str, name: str, expression: str | None = None) -> list[dict[str, Any]]:
        found = glue.get_partitions(self.ctx, DatabaseName=database, TableName=name, Expression=expression)
        return list(found["Partitions"])

    def create_table(self, database: str, table_input: dict[str, Any]) -> None:
        glue.create_table(self.ctx, DatabaseName=database, TableInput=table_input)

    def delete_table(self, database: str, name: str) -> None:
        glue.delete_table(self.ctx, DatabaseName=database, Name=name)

    def batch_create_partition(self, database: str, name: str, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = glue.batch_create_partition(self.ctx, DatabaseName=database, TableName=name, PartitionInputList=inputs)
        return list(answer["Errors"])


def start_query_execution(
    ctx: SluiceContext | None,
    *,
    QueryString: str,
    QueryExecutionContext: dict[str, str] | None = None,
    WorkGroup: str | None = None,
    ResultConfiguration: dict[str, Any] | None = None,
    ClientRequestToken: str | None = None,
    max_rows: int = MAX_ROWS,
    read_only: bool = False,
    engine: str = "duckdb",
    output: str | None = None,
) -> dict[str, Any]:
    """Athena StartQueryExecution, run to completion: the execution, its result rows and statistics.

    ``QueryExecutionContext.Database`` is the database of bare table names. Sluice's own arguments:
    ``max_rows`` (rows kept in ``ResultSet``), ``read_only`` (refuse CTAS and MSCK REPAIR, for the UI),
    ``engine`` (``duckdb`` or ``spark``) and ``output`` (a Parquet file, local or S3, that receives every
    row of a query). ``ResultConfiguration`` and ``WorkGroup`` are echoed, not acted on.
    """
    ctx = SluiceContext.resolve(ctx)
    if max_rows < 0:
        raise InvalidInputException(f"max_rows must be 0 or more, got {max_rows}.")
    execution_context = dict(QueryExecutionContext or {})
    statement = parse_statement(QueryString, execution_context.get("Database"))
    if read_only and not isinstance(statement, READ_ONLY):
        raise InvalidInputException(
            f"This caller runs read-only statements: SELECT, SHOW TABLES, SHOW PARTITIONS and DESCRIBE, "
            f"not {type(statement).__name__}.",
            hint=f"Run it with `sluice sql` instead (Sluice runs {SUPPORTED}).",
        )
    if output and not isinstance(statement, Select):
        raise InvalidInputException("output is for queries: a CTAS writes its table, SHOW and DESCRIBE print.")
    query_id = ClientRequestToken or str(uuid.uuid4())
    submitted, started = datetime.now(UTC), time.perf_counter()
    outcome = execute(
        statement, ServiceCatalog(ctx), ctx=ctx, query_id=query_id, engine=engine, max_rows=max_rows, output=output
    )
    elapsed = int((time.perf_counter() - started) * 1000)
    execution = {
        "QueryExecutionId": query_id,
        "Query": QueryString,
        "StatementType": statement_type(statement),
        "QueryExecutionContext": {"Catalog": "AwsDataCatalog", "Database": "default"} | execution_context,
        "ResultConfiguration": dict(ResultConfiguration or {})
        | ({"OutputLocation": outcome.output} if outcome.output else {}),
        "Status": {"State": "SUCCEEDED", "SubmissionDateTime": submitted, "CompletionDateTime": datetime.now(UTC)},
        "Statistics": _statistics(outcome, elapsed),
        "WorkGroup": WorkGroup or WORKGROUP,
        "EngineVersion": {"SelectedEngineVersion": engine, "EffectiveEngineVersion": engine},
    }
    names = outcome.table.schema.names
    result_set = {
        "Rows": rows(names, _records(outcome), header=isinstance(statement, Select)),
        "ResultSetMetadata": {"ColumnInfo": column_info(outcome.table.schema)},
    }
    response: dict[str, Any] = {"QueryExecutionId": query_id, "QueryExecution": execution, "ResultSet": result_set}
    if isinstance(statement, CreateTableAs):
        response["UpdateCount"] = outcome.update_count
    if outcome.truncated:
        response["Truncated"] = True
    return response


def _records(outcome: Outcome) -> list[tuple[Any, ...]]:
    columns = [c.to_pylist() for c in outcome.table.columns]
    return list(zip(*columns, strict=True)) if columns else []


def _statistics(outcome: Outcome, elapsed: int) -> dict[str, int]:
    stats = {
        "EngineExecutionTimeInMillis": elapsed,
        "TotalExecutionTimeInMillis": elapsed,
        "QueryQueueTimeInMillis": 0,
    }
    if outcome.bytes_read is not None:
        stats["DataScannedInBytes"] = outcome.bytes_read
    if outcome.files_read is not None:
        stats["FilesRead"] = outcome.files_read
    if outcome.partitions_read is not None:
        stats["PartitionsRead"] = outcome.partitions_read
    return stats
