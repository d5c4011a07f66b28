"""The AWS-compatible endpoint as Airflow serves it: each call authorized by Airflow's auth manager.

An access key is bound to an Airflow user. Reading (Get*, List*, Search*, BatchGet*) needs read access to
DAGs, everything else (creating, changing, deleting, starting) needs edit access to DAGs: the permissions
the Sluice pages ask for too (``sluice_airflow.ui.auth``).
"""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser

from awsapi.app import create_app, is_read
from awsapi.keys import AccessKey
from awsapi.sigv4 import AwsError
from sluice_airflow.launcher import AirflowLauncher
from sluice_airflow.ui.auth import EDIT, READ, can
from sluice_airflow.ui.data import context


def airflow_user(name: str) -> BaseUser | None:
    """The auth manager's user called ``name`` (None when it has none)."""
    manager = get_auth_manager()
    users = getattr(manager, "get_users", None)  # SimpleAuthManager lists its configured users
    if users is not None:
        return next((user for user in users() if user.get_name() == name), None)
    try:
        return manager.deserialize_user({"sub": name})
    except Exception:  # an auth manager that cannot find the user: the key's user is gone
        return None


def action_prefix(operation: str) -> str:
    """The IAM service prefix of an operation: ``glue`` for Glue's, ``states`` for Step Functions'."""
    from service import operations

    return "glue" if operation in operations() else "states"


def authorize(key: AccessKey, operation: str) -> None:
    """Let the key's Airflow user call ``operation`` only with read (or, to change anything, edit) access."""
    user = airflow_user(key.user_name)
    if user is None or not can(user, READ if is_read(operation) else EDIT):
        raise AwsError(
            "AccessDeniedException",
            f"User: {key.user_name} is not authorized to perform: {action_prefix(operation)}:{operation} "
            f"(it needs {'read' if is_read(operation) else 'edit'} access to DAGs in Airflow).",
        )


def create_aws_app() -> Any:
    """The endpoint's app over the pages' context (the ``sluice_default`` connection's); started runs become
    DAG runs of the runner DAGs (:class:`~sluice_airflow.launcher.AirflowLauncher`)."""
    return create_app(context, authorize, AirflowLauncher())
