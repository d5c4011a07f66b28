"""``sluice dq …``: run DQDL rulesets, validate them, recommend rules, and read stored results (Glue's shapes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sluice.console import err_console, friendly_errors, print_json, print_table

app = typer.Typer(
    help="Data quality: DQDL rulesets on catalog tables or lake paths (mirrors `aws glue` data-quality verbs).",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print Glue's JSON response shape.")]
DbOpt = Annotated[str | None, typer.Option("--database-name", help="Catalog database.")]
TableOpt = Annotated[str | None, typer.Option("--table-name", help="Catalog table.")]
STYLE = {"PASS": "green", "FAIL": "red", "ERROR": "yellow"}


def _print_rules(result: dict[str, Any]) -> None:
    rows = [
        (r["Name"], f"[{STYLE[r['Result']]}]{r['Result']}[/]", r["Description"], r.get("EvaluationMessage", ""))
        for r in result["RuleResults"]
    ]
    print_table(
        f"{result.get('RulesetName') or 'Ruleset'}: score {result['Score']:.3f}",
        ["Rule", "Result", "Description", "Message"],
        rows,
    )


ENGINE_HELP = (
    "auto (default): DuckDB in process, no JVM, up to --max-rows rows and --max-bytes bytes (from the catalog's "
    "recordCount or the Parquet footers, and the files' sizes), Spark above; or spark, duckdb, pandas, gx."
)


@app.command("check")
@friendly_errors
def check(
    ruleset: Annotated[Path, typer.Option("--ruleset", help="A DQDL file.", exists=True, dir_okay=False)],
    database_name: DbOpt = None,
    table_name: TableOpt = None,
    path: Annotated[str | None, typer.Option("--path", help="Files to check (relative: under the lake root).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="File format for --path.")] = "parquet",
    engine: Annotated[str, typer.Option("--engine", help=ENGINE_HELP)] = "auto",
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows",
            help="auto: in process up to this many rows [default: SLUICE_DQ_INPROCESS_MAX_ROWS, 20000000].",
        ),
    ] = None,
    max_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-bytes",
            help="auto: in process up to this many bytes [default: SLUICE_DQ_INPROCESS_MAX_BYTES, 2 GiB].",
        ),
    ] = None,
    push_down_predicate: Annotated[str | None, typer.Option("--push-down-predicate", help="Partition filter.")] = None,
    no_fail: Annotated[bool, typer.Option("--no-fail", help="Report only: exit 0 even when rules fail.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Evaluate a ruleset, store the result, and exit 1 when a rule does not pass. The result's Engine member
    says which engine ran and why."""
    from quality.gate import run_gate
    from quality.results import failed_rules

    result = run_gate(
        ruleset=str(ruleset),
        database=database_name,
        table=table_name,
        path=path,
        format=fmt,
        engine=engine,
        action="warn",
        push_down_predicate=push_down_predicate,
        max_rows=max_rows,
        max_bytes=max_bytes,
    )
    if json_:
        print_json(result)
    else:
        _print_rules(result)
        chosen = result["Engine"]
        err_console.print(f"Engine: {chosen['Name']} ({chosen['Reason']})", highlight=False, markup=False)
        if chosen["Name"] == "gx":
            from quality.engines.gx import docs_dir

            err_console.print(f"GX Data Docs: {docs_dir() / 'index.html'}")
    if failed_rules(result) and not no_fail:
        raise typer.Exit(1)


@app.command("validate")
@friendly_errors
def validate(
    ruleset: Annotated[Path, typer.Argument(help="A DQDL file.", exists=True, dir_okay=False)],
    json_: JsonOpt = False,
) -> None:
    """Check a ruleset's syntax; errors point at the offending token with a caret."""
    from quality.dqdl import DQDLSyntaxError, parse_file

    try:
        parsed = parse_file(ruleset)
    except DQDLSyntaxError as exc:
        if json_:
            print_json({"Valid": False, "Line": exc.line, "Column": exc.column, "Message": exc.reason})
        else:
            err_console.print(f"[bold red]{exc.message}[/]", highlight=False, markup=True)
            err_console.print(exc.caret(), highlight=False, markup=False)
            if exc.hint:
                err_console.print(f"[yellow]Hint:[/] {exc.hint}", highlight=False)
        raise typer.Exit(2) from None
    if json_:
        print_json(
            {"Valid": True, "Rules": [r.text for r in parsed.rules], "Analyzers": list(map(str, parsed.analyzers))}
        )
    else:
        typer.echo(f"{ruleset}: valid ({len(parsed.rules)} rules, {len(parsed.analyzers)} analyzers).")


@app.command("recommend")
@friendly_errors
def recommend(
    database_name: Annotated[str, typer.Option("--database-name", help="Catalog database.")],
    table_name: Annotated[str, typer.Option("--table-name", help="Catalog table.")],
    json_: JsonOpt = False,
) -> None:
    """Profile a catalog table and print a DQDL ruleset it passes (Glue's recommendation run)."""
    from quality.gate import read_table
    from quality.recommend import profile_dataframe
    from quality.recommend import recommend as propose
    from sparkio.session import get_spark

    text = propose(profile_dataframe(read_table(get_spark("sluice-dq"), database_name, table_name)))
    if json_:
        print_json({"RecommendedRuleset": text})
    else:
        typer.echo(text, nl=False)


@app.command("get-results")
@friendly_errors
def get_results(
    database_name: DbOpt = None,
    table_name: TableOpt = None,
    max_results: Annotated[int, typer.Option("--max-results", help="At most this many, newest first.")] = 50,
    json_: JsonOpt = False,
) -> None:
    """List stored results, newest first (Glue ListDataQualityResults, with Score added)."""
    from service import quality as glue
    from sluice.context import SluiceContext

    table = {"DatabaseName": database_name, "TableName": table_name}
    where = {"DataSource": {"GlueTable": table}} if database_name and table_name else None
    response = glue.list_data_quality_results(SluiceContext.from_env(), Filter=where, MaxResults=max_results)
    if json_:
        print_json(response)
        return
    results = response["Results"]
    print_table(
        "Data quality results",
        ["ResultId", "Dataset", "Score", "Passed", "CompletedOn"],
        [
            (
                r["ResultId"],
                ".".join(r["DataSource"]["GlueTable"].values()) if "DataSource" in r else r.get("Dataset"),
                f"{r['Score']:.3f}",
                f"{r['RulesPassed']}/{r['RulesTotal']}",
                r["CompletedOn"],
            )
            for r in results
        ],
    )


@app.command("get-result")
@friendly_errors
def get_result(
    result_id: Annotated[str, typer.Option("--result-id", help="A ResultId from get-results or check.")],
    json_: JsonOpt = False,
) -> None:
    """One stored result (Glue GetDataQualityResult)."""
    from service import quality as glue
    from sluice.context import SluiceContext

    result = glue.get_data_quality_result(SluiceContext.from_env(), ResultId=result_id)
    if json_:
        print_json(result)
    else:
        _print_rules(result)
