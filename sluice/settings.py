"""The one settings object, read from ``SLUICE_*`` environment variables."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Sluice configuration. Every field maps to ``SLUICE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="SLUICE_", extra="ignore")

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
