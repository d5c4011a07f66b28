"""``sluice access-key …``: the access keys that sign requests to the AWS-compatible endpoint (as ``aws iam``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from sluice.console import friendly_errors, print_json, print_table

if TYPE_CHECKING:
    from awsapi.keys import AccessKey
    from sluice.context import SluiceContext

app = typer.Typer(
    help="Access keys that sign requests to Sluice's AWS-compatible endpoint (mirrors `aws iam` access-key verbs).",
    no_args_is_help=True,
)

KeyIdOpt = Annotated[str, typer.Option("--access-key-id", help="The access key's id (AKIA...).")]


def _context() -> SluiceContext:
    from sluice.context import SluiceContext

    return SluiceContext.from_env()


def _metadata(key: AccessKey) -> dict[str, Any]:
    return {
        "UserName": key.user_name,
        "AccessKeyId": key.access_key_id,
        "Status": key.status,
        "CreateDate": key.created,
    }


@app.command("create")
@friendly_errors
def create(user: Annotated[str, typer.Option("--user", help="The user the key belongs to.")]) -> None:
    """Create an active key for USER and print it with its secret (shown only this once)."""
    from awsapi.keys import create_access_key

    key, secret = create_access_key(_context(), user)
    print_json(
        {
            "AccessKey": {
                "UserName": key.user_name,
                "AccessKeyId": key.access_key_id,
                "Status": key.status,
                "SecretAccessKey": secret,
                "CreateDate": key.created,
            }
        }
    )


@app.command("list")
@friendly_errors
def list_(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's keys.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """List access keys (without their secrets)."""
    from awsapi.keys import list_access_keys

    keys = list_access_keys(_context(), user)
    if json_:
        print_json({"AccessKeyMetadata": [_metadata(key) for key in keys]})
        return
    print_table(
        "Access keys",
        ["AccessKeyId", "UserName", "Status", "CreateDate"],
        [(key.access_key_id, key.user_name, key.status, key.created.isoformat()) for key in keys],
    )


@app.command("deactivate")
@friendly_errors
def deactivate(access_key_id: KeyIdOpt) -> None:
    """Make a key Inactive: requests it signs are refused."""
    from awsapi.keys import set_status

    set_status(_context(), access_key_id, "Inactive")
    typer.echo(f"Deactivated {access_key_id}.")


@app.command("delete")
@friendly_errors
def delete(access_key_id: KeyIdOpt) -> None:
    """Delete a key for good."""
    from awsapi.keys import delete_access_key

    delete_access_key(_context(), access_key_id)
    typer.echo(f"Deleted {access_key_id}.")
