"""Airflow authentication and authorization for the Sluice pages.

Airflow mounts plugin apps without its own auth, so every Sluice route depends on one of these. The caller is
identified the way Airflow's REST API does it (``Authorization: Bearer <JWT from POST /auth/token>``, else the
UI's ``_token`` cookie), and the auth manager decides: reading Sluice records needs read access to DAGs
(``GET``), changing them (resetting a bookmark) needs edit access to DAGs (``PUT``), the permissions that
read and operate the pipelines producing those records.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.core_api.security import bearer_scheme, get_user
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials

Method = Literal["GET", "PUT"]
READ: Method = "GET"
EDIT: Method = "PUT"


class LoginRequired(Exception):
    """A page was requested without a valid token: the browser goes to Airflow's login page."""


def can(user: BaseUser, method: Method) -> bool:
    """Whether the auth manager lets ``user`` read (``GET``) or change (``PUT``) Sluice records."""
    return get_auth_manager().is_authorized_dag(method=method, user=user)


def _authorize(user: BaseUser, method: Method) -> BaseUser:
    if not can(user, method):
        action = "read" if method == READ else "change"
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"User {user.get_name()!r} may not {action} Sluice records: it needs {method} access to DAGs.",
        )
    return user


def api_access(method: Method) -> Callable[..., Awaitable[BaseUser]]:
    """Dependency for JSON routes: 401 without a token, 403 for an invalid token or a missing permission."""

    async def dependency(user: Annotated[BaseUser, Depends(get_user)]) -> BaseUser:
        return _authorize(user, method)

    return dependency


def page_access(method: Method) -> Callable[..., Awaitable[BaseUser]]:
    """Dependency for HTML routes: like :func:`api_access`, but a missing or invalid token means log in."""

    async def dependency(
        request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
    ) -> BaseUser:
        try:
            user = await get_user(request, _oauth_token=None, bearer_credentials=bearer)
        except HTTPException as exc:
            raise LoginRequired from exc
        return _authorize(user, method)

    return dependency


def login_url(request: Request) -> str:
    """Airflow's login page, coming back to ``request``'s URL afterwards."""
    return get_auth_manager().get_url_login(next_url=str(request.url))
