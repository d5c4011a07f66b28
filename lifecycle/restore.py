"""Restore an archived object for N days (``RestoreObject``), on S3 or on local disk, journaled like apply.

The lake asks for the restore (:func:`sluice.lake.objects.restore`): on S3 the object stays in its class
and S3 serves a temporary copy; on local disk the bytes stay in the class's tier folder and the restore is
immediate. The object's row records until when it is readable (the S3 rule: N days after the restore,
rounded up to the next midnight UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lifecycle import journal
from lifecycle.journal import APPLIED, Outcome, PlanRecord, Step
from lifecycle.planner import DAY, Action, ceil_day
from lifecycle.prices import load_prices
from lifecycle.state import State, home_of, load_states, states_at
from sluice.clock import as_utc
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException
from sluice.lake import objects
from sluice.lake.guard import ARCHIVED
from sluice.lake.paths import resolve

RESTORE = "RESTORE"
TIERS = ("Expedited", "Standard", "Bulk")


def restore(
    key: str, *, days: int, tier: str = "Standard", now: datetime | None = None, ctx: SluiceContext | None = None
) -> dict[str, Any]:
    """Restore the archived object ``key`` (a lake path, relative to the lake root, or ``s3://`` URI)."""
    ctx = SluiceContext.resolve(ctx)
    if tier not in TIERS:
        raise InvalidInputException(f"--tier must be one of {', '.join(TIERS)}, not {tier!r}")
    if not 1 <= days <= 30_000:
        raise InvalidInputException(f"--days must be between 1 and 30000, not {days}")
    when = as_utc(now)
    until = datetime.fromtimestamp((ceil_day(when.timestamp()) + days) * DAY, UTC)
    uri = resolve(key, ctx=ctx)
    root, identity, state, size = _archived_object(uri, ctx)
    if state.storage_class == "DEEP_ARCHIVE" and tier == "Expedited":
        raise InvalidInputException(
            f"{uri}: DEEP_ARCHIVE objects cannot be restored with the Expedited tier", hint="Use --tier Standard."
        )
    objects.restore(state.location, days=days, tier=tier, ctx=ctx)
    cost = load_prices().retrieval_cost(size, state.storage_class, tier.lower())
    before = {"StorageClass": state.storage_class, "Location": state.location, "Size": size}
    after = {"StorageClass": state.storage_class, "RestoredUntil": until.isoformat(), "Tier": tier, "Days": days}
    action = Action(identity, RESTORE, state.storage_class, "", size, 0)
    plan_id = journal.record(PlanRecord(uri, RESTORE, "APPLY", None, {}, when), [Step(action, before)])
    row = {
        "root": root,
        "key": identity,
        **{name: getattr(state, name) for name in journal.STATE_COLUMNS},
        "restored_until": until,
    }
    journal.commit([(step, Outcome(APPLIED, after, row)) for step in journal.pending(plan_id)])
    journal.finish(plan_id, APPLIED, {"Applied": 1})
    return {
        "PlanId": plan_id,
        "Key": key,
        "Location": state.location,
        "StorageClass": state.storage_class,
        "Tier": tier,
        "Days": days,
        "RestoreExpiryDate": until.isoformat(),
        "RetrievalCost": round(cost, 6),
    }


def _not_archived(uri: str, storage_class: str) -> InvalidInputException:
    return InvalidInputException(
        f"{uri} is in {storage_class}: only GLACIER and DEEP_ARCHIVE objects are restored "
        "(S3: InvalidObjectState, restore is not allowed for the object's storage class)"
    )


def _archived_object(uri: str, ctx: SluiceContext) -> tuple[str, str, State, int]:
    """The identity, state and size of the archived object written at, or now at, ``uri``.

    The storage's class wins over the recorded one; local disk records none, so there the row's class holds.
    """
    root, key = objects.identity(home_of(uri, ctx=ctx))
    recorded = load_states(root, key, ctx=ctx).get(key)
    if recorded is None and (found := states_at([uri], ctx=ctx).get(uri)):
        root, key, recorded = found
    current = objects.head(recorded.location if recorded else uri, ctx=ctx)
    if current is None:
        raise InvalidInputException(
            f"{uri}: no such object in the lake", hint="Check the key: `sluice lifecycle report`."
        )
    storage_class = current.storage_class or (recorded.storage_class if recorded else "STANDARD")
    if storage_class not in ARCHIVED:
        raise _not_archived(uri, storage_class)
    state = State(
        storage_class,
        current.uri,
        current.mtime,
        recorded.created_on if recorded else current.last_modified,
        recorded.class_since if recorded else current.last_modified,
        None,
        recorded.last_access if recorded else None,
    )
    return root, key, state, current.size
