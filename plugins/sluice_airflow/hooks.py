"""``SluiceHook``: Sluice settings from an Airflow connection, environment variables as the fallback."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

if TYPE_CHECKING:
    from airflow.sdk import Connection

SETTING_KEYS = ("home", "metadata_url", "warehouse_url", "lake_root", "s3_endpoint_url", "spark_master", "tier_roots")
AWS_KEYS = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "region_name": "AWS_DEFAULT_REGION",
}


def overrides_from(extra: dict[str, Any], host: str | None = None) -> dict[str, str]:
    """Environment variables a connection's extra (and a URL in its host) stands for."""
    out = {f"SLUICE_{k.upper()}": str(extra[k]) for k in SETTING_KEYS if extra.get(k) not in (None, "")}
    out |= {var: str(extra[k]) for k, var in AWS_KEYS.items() if extra.get(k) not in (None, "")}
    if host and "://" in host:
        out.setdefault("SLUICE_METADATA_URL", host)
    return out


def s3_client_params(extra: dict[str, Any], login: str | None = None, password: str | None = None) -> dict[str, str]:
    """Explicit ``boto3`` S3 client parameters a connection defines (keys, session token, region, endpoint).

    Keys come from the extra's ``aws_access_key_id``/``aws_secret_access_key`` pair, else from login/password;
    an incomplete pair is no keys, and boto3's own chain applies.
    """
    params: dict[str, str] = {}
    if extra.get("aws_access_key_id") and extra.get("aws_secret_access_key"):
        params["aws_access_key_id"] = str(extra["aws_access_key_id"])
        params["aws_secret_access_key"] = str(extra["aws_secret_access_key"])
    elif login and password:
        params["aws_access_key_id"], params["aws_secret_access_key"] = login, password
    if params and extra.get("aws_session_token"):
        params["aws_session_token"] = str(extra["aws_session_token"])
    for key, param in (("region_name", "region_name"), ("s3_endpoint_url", "endpoint_url")):
        if extra.get(key) not in (None, ""):
            params[param] = str(extra[key])
    return params


def make_s3_client(params: dict[str, str], endpoint_url: str | None = None) -> Any:
    """A boto3 S3 client from ``params`` in its own boto3 session; the endpoint falls back to Sluice's setting.

    ``endpoint_url``, when given, wins over ``params``. Blocking (boto3 loads its service models).
    """
    import boto3
    from botocore.config import Config

    from sluice.settings import get_settings

    kwargs = {**params}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    kwargs.setdefault("endpoint_url", get_settings().s3_endpoint_url)  # type: ignore[arg-type]
    config = Config(max_pool_connections=32, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.session.Session().client("s3", config=config, **kwargs)


class SluiceHook(BaseHook):
    """Resolve Sluice settings from the ``sluice_default`` connection.

    The connection's extra holds any of ``metadata_url``, ``warehouse_url``, ``lake_root``,
    ``s3_endpoint_url``, ``spark_master``, ``home`` and ``tier_roots``, and S3 credentials as
    ``aws_access_key_id``, ``aws_secret_access_key`` and ``region_name``. Keys it lacks keep their
    environment values, so a deployment without the connection still works.
    """

    conn_name_attr = "sluice_conn_id"
    default_conn_name = "sluice_default"
    conn_type = "sluice"
    hook_name = "Sluice"

    def __init__(self, sluice_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.sluice_conn_id = sluice_conn_id

    def settings_overrides(self) -> dict[str, str]:
        """Environment variables the connection defines (none when the connection does not exist)."""
        try:
            conn = self.get_connection(self.sluice_conn_id)
        except AirflowNotFoundException:
            self.log.debug("No %s connection: Sluice settings come from the environment", self.sluice_conn_id)
            return {}
        return overrides_from(conn.extra_dejson or {}, conn.host)

    def _connection(self) -> Connection | None:
        try:
            return self.get_connection(self.sluice_conn_id)
        except AirflowNotFoundException:
            return None

    def s3_client(self, endpoint_url: str | None = None) -> Any:
        """A boto3 S3 client from the connection (keys, region, ``s3_endpoint_url``).

        Whatever the connection lacks falls back to Sluice's settings (the endpoint) and boto3's own
        credential chain; ``endpoint_url`` overrides the connection's endpoint.
        """
        conn = self._connection()
        params = s3_client_params(conn.extra_dejson or {}, conn.login, conn.password) if conn else {}
        self._log_s3_source(conn, params)
        return make_s3_client(params, endpoint_url)

    async def async_s3_client(self, endpoint_url: str | None = None) -> Any:
        """``s3_client()`` for a trigger: the connection is read through the async Task SDK API, and the
        client is built in a thread, so the triggerer's event loop never blocks."""
        try:
            conn: Connection | None = await self.aget_connection(self.sluice_conn_id)
        except AirflowNotFoundException:
            conn = None
        params: dict[str, str] = {}
        if conn is not None:
            aextra = getattr(conn, "aextra_dejson", None)  # the Task SDK's Connection masks secrets without blocking
            extra = await aextra() if aextra else conn.extra_dejson
            params = s3_client_params(extra or {}, conn.login, conn.password)
        self._log_s3_source(conn, params)
        return await asyncio.to_thread(make_s3_client, params, endpoint_url)

    def _log_s3_source(self, conn: Connection | None, params: dict[str, str]) -> None:
        keys = "its keys" if "aws_access_key_id" in params else "boto3's credential chain"
        if conn is None:
            self.log.debug("No %s connection: S3 client from the environment", self.sluice_conn_id)
        else:
            self.log.debug("S3 client from connection %s with %s", self.sluice_conn_id, keys)

    def configure(self) -> dict[str, str]:
        """Apply the connection's settings to this task process; returns what was applied."""
        overrides = self.settings_overrides()
        if overrides:
            self.log.info("Sluice settings from connection %s: %s", self.sluice_conn_id, ", ".join(sorted(overrides)))
        os.environ.update(overrides)
        from sluice.db import reset_engines
        from sluice.settings import get_settings

        get_settings.cache_clear()
        reset_engines()
        return overrides
