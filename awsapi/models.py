"""The access-key table: AWS-style key pairs whose secrets are stored Fernet-encrypted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sluice.clock import utcnow
from sluice.db import Base


class AccessKeyRow(Base):
    """One access key of a user; ``secret`` is the Fernet token of the secret access key, never the secret."""

    __tablename__ = "access_keys"

    access_key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(8))
    secret: Mapped[str] = mapped_column(Text)
    created_on: Mapped[datetime] = mapped_column(default=utcnow)
