"""``sluice lifecycle``: validate, plan, apply, report, restore and push S3 lifecycle configurations.

Plan is the default everywhere: only ``apply`` changes the lake. Reads take ``--json`` and print
AWS-style shapes; ``plan`` and ``apply`` show Rich progress bars on stderr.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from sluice.clock import as_utc
from sluice.console import console, friendly_errors, print_json, print_table, progress
from sluice.errors import InvalidInputException

app = typer.Typer(
    help="S3 lifecycle rules applied to the lake, local or on S3 (plan is the default).", no_args_is_help=True
)

ConfigOption = Annotated[str, typer.Option("--config", help="S3 LifecycleConfiguration JSON (or TableRules) file.")]
UriArgument = Annotated[str, typer.Argument(help="Lake URI: a path (relative ones are under the lake root) or s3://.")]
NowOption = Annotated[
    str | None, typer.Option("--now", help="Evaluate rules at this ISO 8601 time instead of now (UTC if naive).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the response document as JSON.")]
#: Actions shown in the Rich table; the totals always cover every action.
SHOWN = 50


def parse_now(value: str | None) -> datetime | None:
    """``--now`` as an aware UTC datetime; InvalidInputException names the bad value."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputException(f"--now {value!r} is not an ISO 8601 time such as 2027-01-01T00:00:00Z") from None
    return as_utc(parsed)


@app.command("validate")
@friendly_errors
def validate_command(config: ConfigOption, json_: JsonOption = False) -> None:
    """Check a configuration as PutBucketLifecycleConfiguration does; every error names its rule and field."""
    from lifecycle.rulesets import validate_any

    errors = validate_any(config)
    if json_:
        print_json(
            {
                "Valid": not errors,
                "Errors": [{"Code": e.code, "Message": e.message, "RuleId": e.rule, "Field": e.path} for e in errors],
            }
        )
    elif errors:
        print_table(
            f"{config}: {len(errors)} error(s)",
            ["Rule", "Field", "Code", "Message"],
            [(e.rule, e.path, e.code, e.message) for e in errors],
        )
    else:
        console.print(f"[green]{config} is a valid lifecycle configuration.[/]")
    if errors:
        raise typer.Exit(2)


@app.command("plan")
@friendly_errors
def plan_command(config: ConfigOption, uri: UriArgument, now: NowOption = None, json_: JsonOption = False) -> None:
    """Show what the rules would do to each object now (nothing is changed; the plan is journaled)."""
    _run(config, uri, now, json_, apply=False)


@app.command("apply")
@friendly_errors
def apply_command(config: ConfigOption, uri: UriArgument, now: NowOption = None, json_: JsonOption = False) -> None:
    """Carry out the plan (finishing first any apply on URI that was interrupted) and print the outcomes."""
    _run(config, uri, now, json_, apply=True)


def _run(config: str, uri: str, now: str | None, json_: bool, *, apply: bool) -> None:
    from lifecycle.run import plan_or_apply

    when = parse_now(now)
    with progress() as bar:
        result = plan_or_apply(config, uri, apply=apply, now=when, progress=bar)
    if json_:
        print_json(result)
        return
    actions, summary = result["Actions"], result["Summary"]
    columns = ["Key", "Action", "StorageClass", "RuleId", "Size", "AgeDays", "Warnings"]
    columns += ["Status"] if apply else []
    rows = [
        [a["Key"], a["Action"], a["StorageClass"], a["RuleId"], f"{a['Size']:,}", a["AgeDays"], len(a["Warnings"])]
        + ([a["Status"] + (f": {a['Error']}" if a.get("Error") else "")] if apply else [])
        for a in actions[:SHOWN]
    ]
    more = f" (first {SHOWN} of {len(actions)})" if len(actions) > SHOWN else ""
    print_table(f"{summary['Mode'].title()} {summary['PlanId']} on {summary['Uri']}{more}", columns, rows)
    print_table("Summary", ["Field", "Value"], [(k, v) for k, v in summary.items() if k not in {"Uri", "PlanId"}])


@app.command("report")
@friendly_errors
def report_command(
    uri: UriArgument,
    now: NowOption = None,
    prices: Annotated[str | None, typer.Option("--prices", help="Price table JSON (default: us-east-1).")] = None,
    json_: JsonOption = False,
) -> None:
    """Objects, bytes and monthly storage cost per storage class."""
    from lifecycle.prices import load_prices
    from lifecycle.report import report

    result = report(uri, now=parse_now(now), prices=load_prices(prices))
    if json_:
        print_json(result)
        return
    currency = result["Currency"]
    print_table(
        f"Storage of {result['Uri']} ({result['Region']} list prices)",
        ["StorageClass", "Objects", "Bytes", "BillableBytes", f"Monthly {currency}"],
        [_money_row(row, "StorageClass") for row in [*result["StorageClasses"], result["Total"]]],
    )
    if "IntelligentTieringAccessTiers" in result:
        print_table(
            "INTELLIGENT_TIERING access tiers",
            ["AccessTier", "Objects", "Bytes", "BillableBytes", f"Monthly {currency}"],
            [_money_row(row, "AccessTier") for row in result["IntelligentTieringAccessTiers"]],
        )


def _money_row(row: dict[str, Any], label: str) -> list[Any]:
    return [
        row[label],
        f"{row['Objects']:,}",
        f"{row['Bytes']:,}",
        f"{row['BillableBytes']:,}",
        f"{row['MonthlyCost']:.6f}",
    ]


@app.command("restore")
@friendly_errors
def restore_command(
    key: Annotated[str, typer.Argument(help="The archived object: a lake path or an s3:// URI.")],
    days: Annotated[int, typer.Option("--days", help="Days the restored copy stays readable.")],
    tier: Annotated[str, typer.Option("--tier", help="Expedited, Standard or Bulk.")] = "Standard",
    json_: JsonOption = False,
) -> None:
    """Restore a GLACIER or DEEP_ARCHIVE object for N days (RestoreObject)."""
    from lifecycle.restore import restore

    result = restore(key, days=days, tier=tier)
    if json_:
        print_json(result)
    else:
        print_table("Restore", ["Field", "Value"], list(result.items()))


@app.command("push")
@friendly_errors
def push_command(
    config: ConfigOption,
    uri: Annotated[str, typer.Argument(help="The bucket: s3://bucket.")],
    json_: JsonOption = False,
) -> None:
    """Put the configuration on a real bucket (put-bucket-lifecycle-configuration) so S3 applies it itself."""
    from lifecycle.push import push

    result = push(config, uri)
    if json_:
        print_json(result)
    else:
        console.print(f"[green]Put {len(result['Rules'])} rule(s) on s3://{result['Bucket']}.[/]")


@app.command("list-plans")
@friendly_errors
def list_plans_command(
    uri: Annotated[str | None, typer.Option("--uri", help="Only plans over this lake URI.")] = None,
    max_results: Annotated[int, typer.Option("--max-results", help="How many, newest first.")] = 20,
    json_: JsonOption = False,
) -> None:
    """The latest plans, applies and restores, with their status (an interrupted apply stays APPLYING)."""
    from lifecycle.journal import recent
    from sluice.lake.paths import resolve

    rows = recent(resolve(uri) if uri else None, max_results)
    plans = [_plan_head(row) for row in rows]
    if json_:
        print_json({"Plans": plans})
        return
    print_table(
        "Lifecycle plans",
        ["PlanId", "Mode", "Kind", "Status", "Uri", "CreatedOn"],
        [(p["PlanId"], p["Mode"], p["Kind"], p["Status"], p["Uri"], p["CreatedOn"]) for p in plans],
    )


def _plan_head(row: Any) -> dict[str, Any]:
    return {
        "PlanId": row.id,
        "Uri": row.uri,
        "Kind": row.kind,
        "Mode": row.mode,
        "Status": row.status,
        "PlannedFor": row.planned_for,
        "CreatedOn": row.created_on,
        "FinishedOn": row.finished_on,
    }


@app.command("get-plan")
@friendly_errors
def get_plan_command(
    plan_id: Annotated[str, typer.Argument(help="A plan id (lp_...), as printed by plan and apply.")],
    json_: JsonOption = False,
) -> None:
    """A journaled plan or apply: its status and every action with the object's state before and after."""
    from lifecycle.journal import actions_of, plan_row

    row = plan_row(plan_id)
    result = {
        **_plan_head(row),
        "Actions": [
            {
                "Key": a.key,
                "Action": a.action,
                "RuleId": a.rule_id,
                "Status": a.status,
                "Before": a.before,
                "After": a.after,
            }
            for a in actions_of(plan_id)
        ],
    }
    if json_:
        print_json(result)
        return
    print_table(
        f"{row.mode.title()} {row.id} on {row.uri}: {row.status}",
        ["Key", "Action", "RuleId", "Status", "After"],
        [(a["Key"], a["Action"], a["RuleId"], a["Status"], a["After"]) for a in result["Actions"][:SHOWN]],
    )
