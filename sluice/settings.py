"""The one settings object, read from ``SLUICE_*`` environment variables.

A plain pydantic model reading the variables itself: pydantic-settings would do the same for these flat fields,
but its import (with asyncio and its cloud sources) costs about 40 ms of every command's start.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ENV_PREFIX = "SLUICE_"


class Settings(BaseModel):
    """Sluice configuration. Every field maps to ``SLUICE_<FIELD>`` (in any case); values given to the
    constructor or to ``model_validate`` win over the variables, which win over the defaults."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    home: Path = Field(default=Path(".sluice"), description="Working folder for embedded state.")
    metadata_url: str | None = Field(default=None, description="SQLAlchemy URL of the metadata DB.")
    warehouse_url: str | None = Field(default=None, description="SQLAlchemy URL of the warehouse.")
    lake_root: str | None = Field(default=None, description="Local path or s3://bucket/prefix.")
    s3_endpoint_url: str | None = Field(default=None, description="S3 API endpoint (MinIO, moto...).")
    spark_master: str = Field(default="local[*]", description="Spark master URL.")
    jars_dir: Path = Field(
        default=Path(__file__).resolve().parents[1] / ".cache" / "jars",
        description="Folder of the jars Spark gets (S3A connector, cloud committers, JDBC), filled by `make jars`.",
    )
    dq_inprocess_max_rows: int = Field(
        default=20_000_000, description="`sluice dq check --engine auto`: DuckDB up to this many rows, Spark above."
    )
    dq_inprocess_max_bytes: int = Field(
        default=2 * 1024**3, description="`sluice dq check --engine auto`: DuckDB up to this many bytes, Spark above."
    )
    tier_roots: dict[str, str] = Field(
        default_factory=dict, description='JSON map of storage class to folder, e.g. {"GLACIER": "/cold"}.'
    )
    state_machines: Path | None = Field(
        default=None,
        description="Folder of the state machine definitions (`*.asl.json`) that become Airflow DAGs; default: "
        "`state_machines` in the DAGs folder.",
    )
    lambda_registry: Path | None = Field(
        default=None,
        description="Lambda registry of state machine Tasks (function name -> `module:callable`, YAML or JSON); "
        "default: the `lambdas.yaml` of the state machines folder, when there is one.",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        names = {f"{ENV_PREFIX}{name}".upper(): name for name in cls.model_fields}
        found = {names[key.upper()]: value for key, value in os.environ.items() if key.upper() in names}
        return found | data

    @field_validator("state_machines", "lambda_registry", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("tier_roots", mode="before")
    @classmethod
    def _parse_tier_roots(cls, value: object) -> object:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @property
    def metadata_database_url(self) -> str:
        """The metadata DB URL, SQLite under ``home`` by default."""
        return self.metadata_url or f"sqlite:///{self.home / 'metadata.db'}"

    @property
    def warehouse_database_url(self) -> str:
        """The warehouse URL, SQLite under ``home`` by default."""
        return self.warehouse_url or f"sqlite:///{self.home / 'warehouse.db'}"

    def lambda_registry_file(self, dags: Path | None = None) -> Path | None:
        """The Lambda registry executions run with: ``lambda_registry``, else the ``lambdas.yaml`` of the state
        machines folder (``state_machines``, else ``state_machines`` in the DAGs folder ``dags``) if it exists."""
        if self.lambda_registry is not None:
            return self.lambda_registry
        folder = self.state_machines or (dags / "state_machines" if dags is not None else None)
        found = folder / "lambdas.yaml" if folder is not None else None
        return found if found is not None and found.is_file() else None

    @property
    def lake(self) -> str:
        """The lake root as a string URI or absolute path."""
        if self.lake_root:
            if "://" in self.lake_root:
                return self.lake_root.rstrip("/")
            return str(Path(self.lake_root).expanduser().resolve())
        return str(self.home / "lake")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
