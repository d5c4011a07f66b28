"""``NewObjectsTrigger``: poll a lake prefix (local or S3) in the triggerer until new objects arrive.

The S3 client comes from ``SluiceHook`` (the ``sluice_conn_id`` connection's keys, region and endpoint), so the
triggerer needs no AWS environment of its own. Listing is blocking I/O, so each poll runs in a thread and the
triggerer's event loop stays free; boto3 is imported when a client is built, never at module top.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from sluice_airflow.hooks import SluiceHook

MAX_REPORTED = 1000


def _s3_objects(uri: str, client: Any) -> list[tuple[str, str, float]]:
    """``(key below uri, object uri, mtime)`` of each S3 object."""
    from sluice.storage import split_s3

    bucket, prefix = split_s3(uri)
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    scheme = uri.split("://", 1)[0]
    pages = client.get_paginator("list_objects_v2")
    return [
        (item["Key"][len(prefix) :], f"{scheme}://{bucket}/{item['Key']}", item["LastModified"].timestamp())
        for page in pages.paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
        if not item["Key"].endswith("/")
    ]


def new_objects(
    uri: str, newer_than: float, endpoint_url: str | None = None, *, client: Any = None
) -> list[dict[str, Any]]:
    """Objects under ``uri`` (local or S3) modified after ``newer_than`` (epoch seconds), oldest first.

    S3 is listed with ``client``; without one, with a boto3 client from this process's environment (a task
    that applied its connection with ``SluiceHook.configure``) on ``endpoint_url``. Hidden objects
    (``_SUCCESS``, ``_staging/``, ``.tmp`` files) are not data and never count.
    """
    from sluice.lake import is_hidden
    from sluice.storage import is_s3, list_objects

    if is_s3(uri):
        if client is None:
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint_url)
        listed = _s3_objects(uri, client)
    else:
        listed = [(o.key, o.uri, o.mtime) for o in list_objects(uri)]
    fresh = sorted((mtime, name) for key, name, mtime in listed if mtime > newer_than and not is_hidden(key))
    return [{"uri": name, "modified": datetime.fromtimestamp(mtime, UTC).isoformat()} for mtime, name in fresh]


class NewObjectsTrigger(BaseTrigger):
    """Fire once at least ``min_objects`` objects under ``uri`` are newer than ``newer_than``.

    S3 is listed with ``SluiceHook(sluice_conn_id).async_s3_client()``; ``endpoint_url``, when set, overrides
    the connection's endpoint.
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
        from sluice.storage import is_s3

        client = None
        while True:
            try:
                if client is None and is_s3(self.uri):
                    client = await SluiceHook(self.sluice_conn_id).async_s3_client(self.endpoint_url)
                found = await asyncio.to_thread(new_objects, self.uri, self.newer_than, client=client)
            except Exception as exc:  # a missing bucket or bad credentials: report it to the task
                yield TriggerEvent({"status": "error", "message": f"Listing {self.uri} failed: {exc}"})
                return
            if len(found) >= self.min_objects:
                self.log.info("%s new object(s) under %s", len(found), self.uri)
                yield TriggerEvent({"status": "success", "count": len(found), "objects": found[:MAX_REPORTED]})
                return
            await asyncio.sleep(self.poke_interval)
