"""``SluiceContext``: the settings, metadata database and AWS identity one process or task works with.

Built once (by the CLI from the environment, by ``SluiceHook.get_conn()`` from an Airflow connection) and
passed into library calls as ``ctx``. A call given no context falls back to ``SluiceContext.from_env()``.
Nothing here writes ``os.environ``: a child process (spark-submit) gets the context as ``child_env()``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sluice.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from sluice.launch import Caller, Launcher

log = logging.getLogger(__name__)
_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


@dataclass(frozen=True)
class S3Access:
    """Where S3 is and who Sluice is there: what the S3A connector needs besides the jars."""

    endpoint_url: str | None
    region: str
    access_key: str | None
    secret_key: str | None
    session_token: str | None


def chain_access(endpoint_url: str | None) -> S3Access:
    """``endpoint_url`` with credentials and region from the standard AWS chain (env, profile, role)."""
    import boto3
    from botocore.exceptions import BotoCoreError

    session = boto3.Session()
    try:
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except BotoCoreError as exc:  # e.g. a key id without its secret: S3 access fails later, with this reason
        log.warning("No usable AWS credentials for S3 (%s); S3A falls back to its own provider chain.", exc)
        frozen = None
    return S3Access(
        endpoint_url=endpoint_url,
        region=session.region_name or "us-east-1",
        access_key=frozen.access_key if frozen else None,
        secret_key=frozen.secret_key if frozen else None,
        session_token=frozen.token if frozen else None,
    )


IDENTITY_VARIABLES = ("ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SESSION_TOKEN", "REGION")
"""``SLUICE_AWS_<name>``: Sluice's own S3 identity in a child process, apart from the ``AWS_*`` variables a
job script's clients use (those may carry the key of the user who started the run)."""


@dataclass(frozen=True)
class AwsIdentity:
    """Explicit AWS credentials and region; fields left ``None`` fall back to boto3's own chain."""

    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    region: str | None = None

    @property
    def has_keys(self) -> bool:
        return bool(self.access_key_id and self.secret_access_key)

    def client_kwargs(self) -> dict[str, str]:
        """``boto3`` client keyword arguments: the key pair (with its token) only when both halves are set."""
        kwargs: dict[str, str] = {}
        if self.has_keys:
            kwargs["aws_access_key_id"] = self.access_key_id  # type: ignore[assignment]
            kwargs["aws_secret_access_key"] = self.secret_access_key  # type: ignore[assignment]
            if self.session_token:
                kwargs["aws_session_token"] = self.session_token
        if self.region:
            kwargs["region_name"] = self.region
        return kwargs

    def env(self) -> dict[str, str]:
        """The standard AWS variables for a child process."""
        kwargs = self.client_kwargs()
        names = {
            "aws_access_key_id": "AWS_ACCESS_KEY_ID",
            "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
            "aws_session_token": "AWS_SESSION_TOKEN",
            "region_name": "AWS_DEFAULT_REGION",
        }
        return {names[key]: value for key, value in kwargs.items()}


@dataclass(frozen=True)
class SluiceContext:
    """What a library call needs to reach Sluice's state: ``settings``, ``aws`` (the identity for S3), and for
    starting runs, the ``launcher`` and the ``caller``."""

    settings: Settings
    aws: AwsIdentity = field(default_factory=AwsIdentity)
    launcher: Launcher | None = field(default=None, compare=False)
    """Where started runs go (``sluice.launch``); None: ``service.runner.LocalLauncher``, on this host."""
    caller: Caller | None = None
    """Who this call is made for, when the AWS endpoint made it (``sluice.launch.Caller``)."""

    @classmethod
    def from_env(cls) -> SluiceContext:
        """The fallback: ``SLUICE_*`` variables (``get_settings()``), and for S3 the ``SLUICE_AWS_*`` identity a
        parent's :meth:`child_env` passed, else boto3's credential chain."""
        import os

        identity = AwsIdentity(*(os.environ.get(f"SLUICE_AWS_{name}") for name in IDENTITY_VARIABLES))
        return cls(get_settings(), identity if identity.has_keys or identity.region else AwsIdentity())

    @classmethod
    def resolve(cls, ctx: SluiceContext | None) -> SluiceContext:
        """``ctx``, or the environment's context when a caller passed none."""
        return ctx if ctx is not None else cls.from_env()

    def with_settings(self, **changes: Any) -> SluiceContext:
        """A copy with some settings replaced (validated as ``Settings`` fields)."""
        data = self.settings.model_dump() | changes
        return replace(self, settings=Settings.model_validate(data))

    def for_caller(self, caller: Caller | None, launcher: Launcher | None = None) -> SluiceContext:
        """A copy making calls for ``caller``, starting runs with ``launcher`` (this one's when None)."""
        return replace(self, caller=caller, launcher=launcher or self.launcher)

    # metadata database -----------------------------------------------------------------------------

    @property
    def metadata_url(self) -> str:
        return self.settings.metadata_database_url

    def engine(self) -> Engine:
        """The metadata engine, migrated to the newest schema on first use."""
        from sluice.db import get_engine

        return get_engine(self.metadata_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A metadata session in one transaction: committed on success, rolled back on any error."""
        from sluice.db import session_scope

        with session_scope(self.metadata_url) as session:
            yield session

    # S3 -------------------------------------------------------------------------------------------

    def s3_client(self, endpoint_url: str | None = None) -> Any:
        """A boto3 S3 client for this identity and endpoint (one per process and identity, thread-safe)."""
        endpoint = endpoint_url or self.settings.s3_endpoint_url
        key = (endpoint, self.aws)
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                import boto3
                from botocore.config import Config

                config = Config(max_pool_connections=32, retries={"max_attempts": 3, "mode": "standard"})
                session = boto3.session.Session()
                client = _clients[key] = session.client(
                    "s3", endpoint_url=endpoint, config=config, **self.aws.client_kwargs()
                )
        return client

    def s3_access(self) -> S3Access:
        """Endpoint, region and credentials for the S3A connector: this identity's keys, else boto3's chain."""
        if not self.aws.has_keys:
            access = chain_access(self.settings.s3_endpoint_url)
            return access if self.aws.region is None else replace(access, region=self.aws.region)
        return S3Access(
            endpoint_url=self.settings.s3_endpoint_url,
            region=self.aws.region or chain_access(None).region,
            access_key=self.aws.access_key_id,
            secret_key=self.aws.secret_access_key,
            session_token=self.aws.session_token,
        )

    # child processes ------------------------------------------------------------------------------

    def child_env(self) -> dict[str, str]:
        """The variables that rebuild this context in a child process: every ``SLUICE_*`` setting, and the AWS
        identity, as ``AWS_*`` and as ``SLUICE_AWS_*`` (which :meth:`from_env` prefers).

        Meant for ``subprocess``'s ``env=`` of a process Sluice starts itself, never for ``os.environ``.
        """
        import json

        out: dict[str, str] = {}
        for name, value in self.settings.model_dump().items():
            if value is not None:
                out[f"SLUICE_{name.upper()}"] = json.dumps(value) if isinstance(value, dict) else str(value)
        values = (self.aws.access_key_id, self.aws.secret_access_key, self.aws.session_token, self.aws.region)
        identity = {f"SLUICE_AWS_{n}": v for n, v in zip(IDENTITY_VARIABLES, values, strict=True) if v}
        return out | self.aws.env() | (identity if self.aws.has_keys or self.aws.region else {})
