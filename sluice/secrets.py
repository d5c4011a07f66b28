"""Secrets at rest in the metadata DB (access-key secrets, Glue connection passwords): Fernet tokens under the
key in ``<home>/aws/keys.fernet`` (mode 0600, created atomically on first use)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sluice.context import SluiceContext

if TYPE_CHECKING:
    from cryptography.fernet import Fernet


def fernet_of(home: Path) -> Fernet:
    """The Fernet of ``home``: its key file, written 0600 (atomically, once) if missing."""
    from cryptography.fernet import Fernet

    path = home / "aws" / "keys.fernet"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return Fernet(path.read_bytes())
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return Fernet(key)


def encrypt(ctx: SluiceContext, secret: str) -> str:
    """``secret`` as a token to store."""
    return fernet_of(ctx.settings.home).encrypt(secret.encode()).decode()


@lru_cache(maxsize=1024)
def decrypted(home: Path, token: str) -> str:
    """A stored token, decrypted (once per process: signature checks need it on every request)."""
    return fernet_of(home).decrypt(token.encode()).decode()


def decrypt(ctx: SluiceContext, token: str) -> str:
    """The secret of a stored token."""
    return decrypted(ctx.settings.home, token)
