"""Triggers: ``NewObjectsTrigger`` polls a lake prefix (local or S3) in the triggerer until new objects arrive;
``ExecutionTrigger`` waits for a deferred state machine execution to have work again.

The lake and the metadata DB are reached with the ``SluiceContext`` of ``SluiceHook`` (the ``sluice_conn_id``
connection's keys, region and endpoint), so the triggerer needs no AWS environment of its own. Listing and
queries are blocking I/O, so each poll runs in a thread and the triggerer's event loop stays free; nothing
heavy is imported at module top.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from sluice_airflow.hooks import SluiceHook

if TYPE_CHECKING:
    from sluice.context import SluiceContext

MAX_REPORTED = 1000


def new_objects(uri: str, newer_than: float, ctx: SluiceContext | None = None) -> list[dict[str, Any]]:
    """Objects under ``uri`` (local or S3) modified after ``newer_than`` (epoch seconds), oldest first.

    Listed through the lake layer with ``ctx``'s S3 identity. Hidden objects (``_SUCCESS``, ``_staging/``,
    ``.tmp`` files, S3A folder markers) are not data and never count.
    """
    from sluice.lake.fs import list_visible

    fresh = sorted((o.mtime, o.uri) for o in list_visible(uri, ctx=ctx) if o.mtime > newer_than)
    return [{"uri": name, "modified": datetime.fromtimestamp(mtime, UTC).isoformat()} for mtime, name in fresh]


class NewObjectsTrigger(BaseTrigger):
    """Fire once at least ``min_objects`` objects under ``uri`` are newer than ``newer_than``.

    The lake is listed with ``SluiceHook(sluice_conn_id).aget_conn()``'s context; ``endpoint_url``, when set,
    overrides the connection's S3 endpoint.
    """

    def __init__(
        self,
        uri: str,
        newer_than: float,
        min_objects: int = 1,
        poke_interval: float = 60.0,
        endpoint_url: str | None = None,
        sluice_conn_id: str = SluiceHook.default_conn_name,
    ) -> None:
        super().__init__()
        self.uri = uri
        self.newer_than = newer_than
        self.min_objects = min_objects
        self.poke_interval = poke_interval
        self.endpoint_url = endpoint_url
        self.sluice_conn_id = sluice_conn_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "uri": self.uri,
                "newer_than": self.newer_than,
                "min_objects": self.min_objects,
                "poke_interval": self.poke_interval,
                "endpoint_url": self.endpoint_url,
                "sluice_conn_id": self.sluice_conn_id,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        ctx = None
        while True:
            try:
                if ctx is None:
                    ctx = await SluiceHook(self.sluice_conn_id).aget_conn()
                    if self.endpoint_url:
                        ctx = ctx.with_settings(s3_endpoint_url=self.endpoint_url)
                found = await asyncio.to_thread(new_objects, self.uri, self.newer_than, ctx)
            except Exception as exc:  # a missing bucket or bad credentials: report it to the task
                yield TriggerEvent({"status": "error", "message": f"Listing {self.uri} failed: {exc}"})
                return
            if len(found) >= self.min_objects:
                self.log.info("%s new object(s) under %s", len(found), self.uri)
                yield TriggerEvent({"status": "success", "count": len(found), "objects": found[:MAX_REPORTED]})
                return
            await asyncio.sleep(self.poke_interval)


class ExecutionTrigger(BaseTrigger):
    """Fire when the durable execution ``execution_arn`` must be resumed (``stepfunctions.durable.due``): at
    ``wake`` (epoch seconds: a Wait state's end, a ``.sync`` job's next poll, a timeout), when a callback Task's
    outcome arrives (SendTaskSuccess/SendTaskFailure), or once the execution is no longer RUNNING (stopped).
    The DB is read every ``poke_interval`` seconds, the time checked in between."""

    def __init__(
        self,
        execution_arn: str,
        wake: float,
        poke_interval: float = 1.0,
        sluice_conn_id: str = SluiceHook.default_conn_name,
    ) -> None:
        super().__init__()
        self.execution_arn = execution_arn
        self.wake = wake
        self.poke_interval = poke_interval
        self.sluice_conn_id = sluice_conn_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "execution_arn": self.execution_arn,
                "wake": self.wake,
                "poke_interval": self.poke_interval,
                "sluice_conn_id": self.sluice_conn_id,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from stepfunctions.durable import due

        try:
            ctx = await SluiceHook(self.sluice_conn_id).aget_conn()
            while not await asyncio.to_thread(due, ctx, self.execution_arn, self.wake):
                remaining = self.wake - datetime.now(UTC).timestamp()
                await asyncio.sleep(max(0.0, min(self.poke_interval, remaining)))
        except Exception as exc:  # the DB is unreachable: the task resumes and reports it
            yield TriggerEvent({"executionArn": self.execution_arn, "status": "error", "message": str(exc)})
            return
        yield TriggerEvent({"executionArn": self.execution_arn, "status": "due"})
