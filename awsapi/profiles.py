"""The ``sluice`` profile for the AWS CLI and boto3: ``<home>/aws/config`` and ``<home>/aws/credentials``.

``config`` names the endpoint (``endpoint_url``, read by botocore since 1.31) and the region; ``credentials``
holds an access key of the admin user, mode 0600. The key is created once: a later call reuses the key the
credentials file names while it is still an active key of that user.
"""

from __future__ import annotations

import configparser
import io
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from awsapi.keys import create_access_key, secret_of
from sluice.context import SluiceContext
from sluice.launch import Caller

PROFILE = "sluice"
USER = "admin"
REGION = "us-east-1"


@dataclass(frozen=True)
class ProfilePaths:
    """The two files of the profile."""

    config: Path
    credentials: Path

    def exports(self) -> list[str]:
        """The shell lines that select the profile (paths only, never the secret)."""
        return [
            f"export AWS_CONFIG_FILE={shlex.quote(str(self.config))}",
            f"export AWS_SHARED_CREDENTIALS_FILE={shlex.quote(str(self.credentials))}",
            f"export AWS_PROFILE={PROFILE}",
        ]


def _ini(sections: dict[str, dict[str, str]]) -> str:
    """``sections`` in the INI format the AWS CLI and botocore read (``key = value`` under ``[section]``)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_dict(sections)
    text = io.StringIO()
    parser.write(text)
    return text.getvalue()


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from its first byte, replacing the file atomically."""
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(partial, path)


def _reusable_key(ctx: SluiceContext, credentials: Path, user: str) -> tuple[str, str] | None:
    """The id and secret of the key ``credentials`` names, if it is still an active key of ``user``."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(credentials)
    except configparser.Error:
        return None
    access_key_id = parser.get(PROFILE, "aws_access_key_id", fallback=None)
    found = secret_of(ctx, access_key_id) if access_key_id else None
    if found is None or found[0].status != "Active" or found[0].user_name != user:
        return None
    return found[0].access_key_id, found[1]


def profile_caller(ctx: SluiceContext | None = None) -> Caller | None:
    """The endpoint and active key of the ``sluice`` profile in ``ctx``'s home, as the caller a script started by
    ``sluice job run`` acts as (its ``boto3.client("glue")`` reaches Sluice); None without a usable profile."""
    ctx = SluiceContext.resolve(ctx)
    directory = ctx.settings.home / "aws"
    config, credentials = (configparser.ConfigParser(interpolation=None) for _ in range(2))
    try:
        config.read(directory / "config")
        credentials.read(directory / "credentials")
    except configparser.Error:
        return None
    endpoint = config.get(f"profile {PROFILE}", "endpoint_url", fallback=None)
    access_key_id = credentials.get(PROFILE, "aws_access_key_id", fallback=None)
    found = secret_of(ctx, access_key_id) if endpoint and access_key_id else None
    if endpoint is None or found is None or found[0].status != "Active":
        return None
    return Caller(found[0].access_key_id, found[0].user_name, endpoint)


def write_profile(ctx: SluiceContext | None, port: int, user: str = USER) -> ProfilePaths:
    """Write the ``sluice`` profile for the endpoint at ``http://127.0.0.1:PORT/aws/``, signing as ``user``."""
    ctx = SluiceContext.resolve(ctx)
    directory = ctx.settings.home / "aws"
    directory.mkdir(parents=True, exist_ok=True)
    paths = ProfilePaths(directory / "config", directory / "credentials")
    found = _reusable_key(ctx, paths.credentials, user)
    if found is None:
        key, secret = create_access_key(ctx, user)
        found = key.access_key_id, secret
    access_key_id, secret = found
    credentials = {PROFILE: {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret}}
    _write_private(paths.credentials, _ini(credentials))
    config = {f"profile {PROFILE}": {"region": REGION, "endpoint_url": f"http://127.0.0.1:{port}/aws/"}}
    paths.config.write_text(_ini(config))
    return paths
