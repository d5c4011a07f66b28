"""``SluiceHook``: Sluice settings from an Airflow connection, environment variables as the fallback."""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException

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
