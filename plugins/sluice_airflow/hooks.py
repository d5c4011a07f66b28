"""``SluiceHook``: a SluiceContext from an Airflow connection, environment variables as the fallback."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from sluice.context import AwsIdentity, SluiceContext

SETTING_KEYS = (
    "home",
    "metadata_url",
    "warehouse_url",
    "lake_root",
    "s3_endpoint_url",
    "spark_master",
    "tier_roots",
    "state_machines",
    "lambda_registry",
)


def settings_from(extra: dict[str, Any], host: str | None = None) -> dict[str, Any]:
    """The ``Settings`` fields a connection's extra (and a SQLAlchemy URL in its host) defines."""
    out = {key: extra[key] for key in SETTING_KEYS if extra.get(key) not in (None, "")}
    if host and "://" in host:
        out.setdefault("metadata_url", host)
    return out


def identity_from(extra: dict[str, Any], login: str | None = None, password: str | None = None) -> AwsIdentity:
    """The AWS identity a connection defines: the extra's key pair, else login/password, and its region.

    An incomplete pair is no keys, so boto3's own chain applies.
    """
    from sluice.context import AwsIdentity

    key_id, secret = extra.get("aws_access_key_id"), extra.get("aws_secret_access_key")
    if not (key_id and secret):
        key_id, secret = (login, password) if login and password else (None, None)
    return AwsIdentity(
        access_key_id=str(key_id) if key_id else None,
        secret_access_key=str(secret) if secret else None,
        session_token=str(extra["aws_session_token"]) if key_id and extra.get("aws_session_token") else None,
        region=str(extra["region_name"]) if extra.get("region_name") else None,
    )


def context_from(conn: Connection | None, extra: dict[str, Any] | None = None) -> SluiceContext:
    """The ``SluiceContext`` of a connection (``None``: the environment's). Settings the connection lacks
    keep their ``SLUICE_*`` environment values; nothing is written to the environment."""
    from sluice.context import SluiceContext
    from sluice.settings import Settings

    if conn is None:
        return SluiceContext.from_env()
    extra = conn.extra_dejson if extra is None else extra
    return SluiceContext(
        Settings(**settings_from(extra or {}, conn.host)), identity_from(extra or {}, conn.login, conn.password)
    )


class SluiceHook(BaseHook):
    """The ``SluiceContext`` of the ``sluice_default`` connection (``get_conn()``), for Sluice's library calls.

    The connection's extra holds any of ``metadata_url``, ``warehouse_url``, ``lake_root``,
    ``s3_endpoint_url``, ``spark_master``, ``home`` and ``tier_roots``, and S3 credentials as
    ``aws_access_key_id``, ``aws_secret_access_key`` (else the login and password), ``aws_session_token``
    and ``region_name``. Keys it lacks keep their environment values, so a deployment without the
    connection still works. Nothing is written to the process's environment.
    """

    conn_name_attr = "sluice_conn_id"
    default_conn_name = "sluice_default"
    conn_type = "sluice"
    hook_name = "Sluice"

    def __init__(self, sluice_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.sluice_conn_id = sluice_conn_id

    def _connection(self) -> Connection | None:
        try:
            return self.get_connection(self.sluice_conn_id)
        except AirflowNotFoundException:
            self.log.debug("No %s connection: Sluice settings come from the environment", self.sluice_conn_id)
            return None

    def get_conn(self) -> SluiceContext:
        """The ``SluiceContext`` this connection describes, to pass into Sluice's library calls."""
        ctx = context_from(self._connection())
        self.log.debug("Sluice context from %s (AWS keys: %s)", self.sluice_conn_id, ctx.aws.has_keys)
        return ctx

    async def aget_conn(self) -> SluiceContext:
        """``get_conn()`` without blocking an event loop."""
        try:
            conn: Connection | None = await self.aget_connection(self.sluice_conn_id)
        except AirflowNotFoundException:
            conn = None
        extra = None
        if conn is not None:
            aextra = getattr(conn, "aextra_dejson", None)  # the Task SDK's Connection masks secrets without blocking
            extra = await aextra() if aextra else conn.extra_dejson
        return await asyncio.to_thread(context_from, conn, extra)
