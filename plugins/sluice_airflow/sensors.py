"""Deferrable waits: for new objects under a lake prefix, and for a while (a workflow's ``wait`` step)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowException

from sluice_airflow.hooks import SluiceHook
from sluice_airflow.triggers import NewObjectsTrigger, new_objects

if TYPE_CHECKING:
    from sluice.context import SluiceContext


def epoch(value: str | float | datetime | None) -> float:
    """A rendered timestamp (ISO text, epoch seconds or datetime; empty or None is the epoch) → epoch seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    text = str(value or "").strip()
    if text in ("", "None"):
        return 0.0
    try:
        return float(text)
    except ValueError:
        parsed = datetime.fromisoformat(text)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


class SluiceNewObjectsSensor(BaseSensorOperator):
    """Wait for new objects under a lake prefix (local or S3); XCom: the new objects, oldest first.

    ``prefix`` goes through ``sluice.lake.paths.resolve``: relative to the lake root unless absolute or a URI, and
    ``s3a://`` reads as ``s3://``. An object is new when it was modified after ``newer_than`` (default: the
    start of the last successful run, so the first run sees every object). Deferrable by default: the
    triggerer polls, no worker slot is held.
    """

    template_fields: Sequence[str] = ("prefix", "newer_than")
    ui_color = "#e0f0f8"

    def __init__(
        self,
        *,
        prefix: str,
        newer_than: str | float | datetime | None = "{{ prev_start_date_success or '' }}",
        min_objects: int = 1,
        deferrable: bool = True,
        sluice_conn_id: str = SluiceHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", 60)
        super().__init__(**kwargs)
        self.prefix = prefix
        self.newer_than = newer_than
        self.min_objects = min_objects
        self.deferrable = deferrable
        self.sluice_conn_id = sluice_conn_id

    def _target(self) -> tuple[str, float, SluiceContext]:
        from sluice.lake.paths import resolve

        ctx = SluiceHook(self.sluice_conn_id).get_conn()
        return resolve(self.prefix, ctx=ctx), epoch(self.newer_than), ctx

    def poke(self, context: Any) -> PokeReturnValue:
        found = new_objects(*self._target())
        self.log.info("%s new object(s) under %s (%s needed)", len(found), self.prefix, self.min_objects)
        return PokeReturnValue(is_done=len(found) >= self.min_objects, xcom_value=found)

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        uri, newer_than, ctx = self._target()
        found = new_objects(uri, newer_than, ctx)
        if len(found) >= self.min_objects:
            return found
        trigger = NewObjectsTrigger(
            uri, newer_than, self.min_objects, float(self.poke_interval), sluice_conn_id=self.sluice_conn_id
        )
        self.defer(trigger=trigger, method_name="execute_complete", timeout=timedelta(seconds=self.timeout))

    def execute_complete(self, context: Any, event: dict[str, Any]) -> list[dict[str, Any]]:
        if event.get("status") != "success":
            raise AirflowException(event.get("message", f"waiting for objects under {self.prefix} failed"))
        return event["objects"]


class DeferrableWaitOperator(BaseOperator):
    """Wait ``seconds`` from when the task starts, or ``until`` a timestamp, deferred (Step Functions Wait)."""

    template_fields: Sequence[str] = ("seconds", "until")
    ui_color = "#eeeeee"

    def __init__(self, *, seconds: float | str | None = None, until: str | datetime | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if (seconds is None) == (until is None):
            raise ValueError("DeferrableWaitOperator needs exactly one of seconds or until")
        self.seconds = seconds
        self.until = until

    def execute(self, context: Any) -> None:
        from airflow.providers.standard.triggers.temporal import DateTimeTrigger

        now = datetime.now(UTC)
        moment = now + timedelta(seconds=float(self.seconds)) if self.seconds is not None else None
        moment = moment or datetime.fromtimestamp(epoch(self.until), UTC)
        if moment <= now:
            return
        self.log.info("Waiting until %s", moment.isoformat())
        self.defer(trigger=DateTimeTrigger(moment=moment), method_name="execute_complete")

    def execute_complete(self, context: Any, event: Any = None) -> None:
        return None
