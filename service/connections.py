"""Glue's connection operations over ``catalog.connections``: JDBC (and other) connections that Glue scripts
name in ``extract_jdbc_conf``, ``from_jdbc_conf`` and ``connectionName`` options.

Passwords are stored encrypted and returned unless ``HidePassword``, as Glue does; ``CatalogId`` is ignored.
"""

from __future__ import annotations

from typing import Any

from catalog import connections
from catalog.store import page
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException

__all__ = [
    "batch_delete_connection",
    "create_connection",
    "delete_connection",
    "get_connection",
    "get_connections",
    "update_connection",
]


def create_connection(
    ctx: SluiceContext | None,
    *,
    ConnectionInput: dict[str, Any],
    CatalogId: str | None = None,
    Tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Glue CreateConnection."""
    connections.create_connection(SluiceContext.resolve(ctx), ConnectionInput)
    return {"CreateConnectionStatus": "READY"}


def get_connection(
    ctx: SluiceContext | None,
    *,
    Name: str,
    HidePassword: bool = False,
    CatalogId: str | None = None,
    ApplyOverrideForComputeEnvironment: str | None = None,
) -> dict[str, Any]:
    """Glue GetConnection: the password in ``ConnectionProperties`` unless ``HidePassword``."""
    return {"Connection": connections.get_connection(SluiceContext.resolve(ctx), Name, hide_password=HidePassword)}


def get_connections(
    ctx: SluiceContext | None,
    *,
    Filter: dict[str, Any] | None = None,
    HidePassword: bool = False,
    NextToken: str | None = None,
    MaxResults: int | None = None,
    CatalogId: str | None = None,
) -> dict[str, Any]:
    """Glue GetConnections, one page, by name; ``Filter`` keeps a ``ConnectionType`` and ``MatchCriteria``."""
    found = connections.get_connections(
        SluiceContext.resolve(ctx),
        connection_type=(Filter or {}).get("ConnectionType"),
        match_criteria=(Filter or {}).get("MatchCriteria"),
        hide_password=HidePassword,
    )
    listed, token = page(found, lambda c: c["Name"], {"Filter": Filter}, max_results=MaxResults, next_token=NextToken)
    return {"ConnectionList": listed, **({"NextToken": token} if token else {})}


def update_connection(
    ctx: SluiceContext | None, *, Name: str, ConnectionInput: dict[str, Any], CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue UpdateConnection: the new input replaces the old, its password included."""
    connections.update_connection(SluiceContext.resolve(ctx), Name, ConnectionInput)
    return {}


def delete_connection(
    ctx: SluiceContext | None, *, ConnectionName: str, CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue DeleteConnection."""
    connections.delete_connection(SluiceContext.resolve(ctx), ConnectionName)
    return {}


def batch_delete_connection(
    ctx: SluiceContext | None, *, ConnectionNameList: list[str], CatalogId: str | None = None
) -> dict[str, Any]:
    """Glue BatchDeleteConnection: ``Succeeded`` names, and ``Errors`` by name for the missing ones."""
    ctx = SluiceContext.resolve(ctx)
    succeeded, errors = [], {}
    for name in ConnectionNameList:
        try:
            connections.delete_connection(ctx, name)
            succeeded.append(name)
        except EntityNotFoundException as exc:
            errors[name] = {"ErrorCode": "EntityNotFoundException", "ErrorMessage": exc.message}
    return {"Succeeded": succeeded, "Errors": errors}
