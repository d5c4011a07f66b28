"""The Intelligent-Tiering analog, driven by the access times readers record (``sluice.lake.guard.before_read``).

An object in INTELLIGENT_TIERING is in the Frequent Access tier for 30 days after it was last read (or
entered the class), then Infrequent Access, and Archive Instant Access after 90 days; a read brings it back.
"""

from __future__ import annotations

from datetime import datetime

from sluice.clock import as_utc

INTELLIGENT_TIERING = "INTELLIGENT_TIERING"
FREQUENT = "FREQUENT"
INFREQUENT = "INFREQUENT"
ARCHIVE_INSTANT = "ARCHIVE_INSTANT"
#: Days without access after which an Intelligent-Tiering object drops to each tier.
ACCESS_TIERS = ((90, ARCHIVE_INSTANT), (30, INFREQUENT))


def access_tier(last_access: datetime | None, class_since: datetime | None, now: datetime) -> str:
    """The Intelligent-Tiering access tier of an object last read at ``last_access`` (pure)."""
    since = last_access or class_since
    if since is None:
        return FREQUENT
    idle = (as_utc(now) - as_utc(since)).days
    return next((tier for days, tier in ACCESS_TIERS if idle >= days), FREQUENT)
