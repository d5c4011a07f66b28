"""The Step Functions API's store: state machines, executions and history events in the metadata DB, and the
API's errors (named as botocore's ``stepfunctions`` error shapes).

Each function takes an open session; callers own the transaction (``ctx.session()``). History events go in and
out in the interpreter's form (``{"timestamp", "type", "id", "previousEventId", "<kind>EventDetails"}``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, Connection, CursorResult, Table, bindparam, exists, insert, select, text, update
from sqlalchemy.orm import Session

from sluice.clock import as_utc
from sluice.errors import SluiceError
from stepfunctions.interpreter import RUNNING, SUCCEEDED, Execution
from stepfunctions.models import ExecutionRow, HistoryEventRow, StateMachineRow, TaskTokenRow
from stepfunctions.payload import dumps
from stepfunctions.runtime import is_task_token

ABORTED = "ABORTED"
_EVENT_KEYS = ("timestamp", "type", "id", "previousEventId")


class StateMachineDoesNotExist(SluiceError):
    """No state machine has the ARN."""


class StateMachineAlreadyExists(SluiceError):
    """A state machine of the name exists with another configuration."""


class StateMachineTypeNotSupported(SluiceError):
    """The operation does not serve the state machine's type (StartSyncExecution on a STANDARD one)."""


class ExecutionDoesNotExist(SluiceError):
    """No execution has the ARN."""


class ExecutionAlreadyExists(SluiceError):
    """An execution of the name exists with another input, or has ended."""


class InvalidDefinition(SluiceError):
    """The definition does not validate (ValidateStateMachineDefinition's ERROR diagnostics)."""


class InvalidArn(SluiceError):
    """An ARN that is not one of the kind the member takes."""


class InvalidName(SluiceError):
    """A state machine or execution name Step Functions does not allow."""


class InvalidExecutionInput(SluiceError):
    """Execution input that is not JSON, or too large."""


class InvalidToken(SluiceError):
    """A nextToken or task token this API did not hand out."""


class TaskDoesNotExist(SluiceError):
    """No Task waits with the task token."""


class TaskTimedOut(SluiceError):
    """The task token's Task has ended (it timed out, had its outcome, or its execution ended)."""


class InvalidOutput(SluiceError):
    """SendTaskSuccess output that is not JSON."""


class MissingRequiredParameter(SluiceError):
    """UpdateStateMachine with nothing to update."""


class ValidationException(SluiceError):
    """A request that does not satisfy the operation's constraints."""


# ---- paging -----------------------------------------------------------------------------------------------


def next_token(offset: int) -> str:
    """The opaque token of the page starting at ``offset``."""
    return base64.urlsafe_b64encode(f"sluice:{offset}".encode()).decode()


def token_offset(token: str | None) -> int:
    """The offset a :func:`next_token` names (0 for none); InvalidToken for any other text."""
    if not token:
        return 0
    try:
        prefix, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if prefix == "sluice" and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidToken(f"Invalid Token: '{token}'")


# ---- state machines ---------------------------------------------------------------------------------------


def get_state_machine(s: Session, arn: str) -> StateMachineRow:
    row = s.get(StateMachineRow, arn)
    if row is None:
        raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
    return row


def state_machine_named(s: Session, name: str) -> StateMachineRow | None:
    return s.scalars(select(StateMachineRow).where(StateMachineRow.name == name)).first()


def definition_named(s: Session, name: str) -> str | None:
    """The definition of the state machine called ``name`` (for nested executions), or None."""
    return s.scalars(select(StateMachineRow.definition).where(StateMachineRow.name == name)).first()


def state_machine_names(s: Session) -> list[str]:
    return list(s.scalars(select(StateMachineRow.name).order_by(StateMachineRow.name)))


def list_state_machines(s: Session, offset: int, limit: int) -> list[StateMachineRow]:
    """One page (``limit + 1`` rows tell whether another follows) in name order."""
    query = select(StateMachineRow).order_by(StateMachineRow.name).offset(offset).limit(limit + 1)
    return list(s.scalars(query))


# ---- executions -------------------------------------------------------------------------------------------


def get_execution(s: Session, arn: str) -> ExecutionRow:
    row = s.get(ExecutionRow, arn)
    if row is None:
        raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
    return row


def list_executions(
    s: Session, state_machine_arn: str, status: str | None, offset: int, limit: int
) -> list[ExecutionRow]:
    """One page (``limit + 1`` rows) of a state machine's executions, newest first."""
    query = select(ExecutionRow).where(ExecutionRow.state_machine_arn == state_machine_arn)
    if status is not None:
        query = query.where(ExecutionRow.status == status)
    query = query.order_by(ExecutionRow.start_date.desc(), ExecutionRow.arn.desc()).offset(offset).limit(limit + 1)
    return list(s.scalars(query))


def execution_state(ex: Execution) -> dict[str, Any]:
    """What the row keeps of the interpreter's state: ``Execution.to_dict`` less the definition (the row has
    it) and the events (the history table has them), so a transition writes only what changed in size."""
    fields = {k: v for k, v in vars(ex).items() if k not in ("definition", "events", "root")}
    return fields | {"root": asdict(ex.root)}


def record_execution(s: Session, ex: Execution, definition: str) -> ExecutionRow:
    """Insert a started execution (RUNNING) with its state and its first events."""
    row = ExecutionRow(
        arn=ex.execution_arn,
        name=ex.name,
        state_machine_arn=ex.state_machine_arn,
        status=RUNNING,
        input=dumps(ex.input),
        definition=definition,
        role_arn=ex.role_arn,
        state=execution_state(ex),
        event_count=len(ex.events),
        start_date=datetime.fromtimestamp(ex.start, UTC),
    )
    s.add(row)
    s.flush()
    add_events(s, ex.execution_arn, ex.events)
    return row


def _progress(ex: Execution) -> dict[str, Any]:
    """The execution row's values after a transition: its state, and its end once it has ended."""
    ended = ex.status != RUNNING
    return {
        "state": execution_state(ex),
        "event_count": len(ex.events),
        "status": ex.status,
        "output": dumps(ex.output) if ex.status == SUCCEEDED else None,
        "error": ex.error if ended else None,
        "cause": ex.cause if ended else None,
        "stop_date": datetime.fromtimestamp(ex.stop or ex.start, UTC) if ended else None,
    }


_EXECUTIONS = cast(Table, ExecutionRow.__table__)
_HISTORY = cast(Table, HistoryEventRow.__table__)
_SAVE = update(_EXECUTIONS).where((_EXECUTIONS.c.arn == bindparam("saved_arn")) & (_EXECUTIONS.c.status == RUNNING))
"""A transition's update of the execution row (its SET from the parameters), made once: it compiles once."""


def save_progress(s: Session, ex: Execution, persisted: int) -> bool:
    """Persist ``ex`` after a transition: its state, its events from index ``persisted`` on, and its end when
    it has ended; False (nothing written) when the execution is no longer RUNNING (StopExecution)."""
    result = s.execute(_SAVE, _progress(ex) | {"saved_arn": ex.execution_arn})
    if cast(CursorResult[Any], result).rowcount != 1:
        return False
    add_events(s, ex.execution_arn, ex.events[persisted:])
    return True


REPLAYABLE = frozenset(
    f"{kind}State{edge}"
    for kind in ("Pass", "Choice", "Wait", "Succeed", "Parallel", "Map", "Task")
    for edge in ("Entered", "Exited")
) - {"TaskStateExited"}
"""Events of transitions with no effect outside the execution: replaying them after a lost commit repeats nothing
(a Task's entry comes before its call is scheduled; its scheduling, result and exit are effects)."""


def _replayable(ex: Execution, persisted: int) -> bool:
    """Whether the transition holds only :data:`REPLAYABLE` events of a running execution."""
    new = ex.events[persisted:]
    return ex.status == RUNNING and bool(new) and all(e["type"] in REPLAYABLE for e in new)


def relax_commit(s: Session, ex: Execution, persisted: int) -> None:
    """On PostgreSQL, commit this transition without waiting for its WAL flush when it is :func:`_replayable`:
    a database crash can lose it, and the execution then replays those states from the last flushed one, which
    changes nothing outside it. A killed worker loses nothing either way (the server holds the commit). SQLite
    runs with ``synchronous=NORMAL`` already."""
    if _replayable(ex, persisted) and s.get_bind().dialect.name == "postgresql":
        s.execute(text("SET LOCAL synchronous_commit TO OFF"))


_SAVE_AT_ONCE = text(
    f"""
WITH saved AS (
    UPDATE {ExecutionRow.__tablename__}
    SET state = :state, event_count = :event_count, status = :status, output = :output,
        error = :error, cause = :cause, stop_date = :stop_date
    WHERE arn = :arn AND status = '{RUNNING}'
        AND (NOT :relaxed OR set_config('synchronous_commit', 'off', true) = 'off')
    RETURNING arn
), added AS (
    INSERT INTO {HistoryEventRow.__tablename__} (execution_arn, id, previous_event_id, timestamp, type, details)
    SELECT saved.arn, e.id, e.previous_event_id, e."timestamp", e.type, e.details
    FROM saved CROSS JOIN json_to_recordset(:events)
        AS e(id integer, previous_event_id integer, "timestamp" timestamp, type text, details json)
)
SELECT count(*) FROM saved
"""
).bindparams(
    bindparam("state", type_=JSON()),
    bindparam("stop_date", type_=_EXECUTIONS.c.stop_date.type),
    bindparam("events", type_=JSON()),
)


def save_progress_at_once(conn: Connection, ex: Execution, persisted: int) -> bool:
    """:func:`save_progress` and :func:`relax_commit` on PostgreSQL as one statement, for a connection in
    autocommit mode: the row's update, the new events and the commit in a single round trip (the statement is
    its own transaction: the events go in only with the update, which a stopped execution's row does not take)."""
    rows = [
        {
            "id": e["id"],
            "previous_event_id": e["previousEventId"],
            "timestamp": as_utc(e["timestamp"]).replace(tzinfo=None).isoformat(),
            "type": e["type"],
            "details": _details(e),
        }
        for e in ex.events[persisted:]
    ]
    params = _progress(ex) | {"arn": ex.execution_arn, "relaxed": _replayable(ex, persisted), "events": rows}
    return conn.execute(_SAVE_AT_ONCE, params).scalar() == 1


def status_of(s: Session, arn: str) -> str | None:
    return s.scalar(select(ExecutionRow.status).where(ExecutionRow.arn == arn))


def abort(s: Session, arn: str, error: str | None, cause: str | None, when: datetime) -> bool:
    """End a RUNNING execution ABORTED with its ExecutionAborted event; False when it was not running."""
    where = (ExecutionRow.arn == arn) & (ExecutionRow.status == RUNNING)
    values = {"status": ABORTED, "error": error, "cause": cause, "stop_date": when}
    statement = update(ExecutionRow).where(where).values(**values, event_count=ExecutionRow.event_count + 1)
    event_id = s.scalar(statement.returning(ExecutionRow.event_count))
    if event_id is None:
        return False
    details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
    event = {"timestamp": when, "type": "ExecutionAborted", "id": event_id, "previousEventId": event_id - 1}
    add_events(s, arn, [event | {"executionAbortedEventDetails": details}])
    return True


# ---- history ----------------------------------------------------------------------------------------------


def add_events(s: Session, execution_arn: str, events: list[dict[str, Any]]) -> None:
    if not events:
        return
    rows = [
        {
            "execution_arn": execution_arn,
            "id": e["id"],
            "previous_event_id": e["previousEventId"],
            "timestamp": e["timestamp"],
            "type": e["type"],
            "details": _details(e),
        }
        for e in events
    ]
    s.execute(insert(_HISTORY), rows)


def _details(event: dict[str, Any]) -> dict[str, Any] | None:
    """A history event's ``...EventDetails`` member by name (None for none): its ``details`` column."""
    return {k: v for k, v in event.items() if k not in _EVENT_KEYS} or None


def events(
    s: Session, execution_arn: str, *, offset: int = 0, limit: int | None = None, reverse: bool = False
) -> list[dict[str, Any]]:
    """An execution's events in the interpreter's form, by id (or reversed), from ``offset``."""
    order = HistoryEventRow.id.desc() if reverse else HistoryEventRow.id
    query = select(HistoryEventRow).where(HistoryEventRow.execution_arn == execution_arn).order_by(order)
    query = query.offset(offset).limit(limit) if limit is not None else query.offset(offset)
    return [
        {"timestamp": r.timestamp, "type": r.type, "id": r.id, "previousEventId": r.previous_event_id}
        | (r.details or {})
        for r in s.scalars(query)
    ]


# ---- task tokens ------------------------------------------------------------------------------------------

WAITING, CLOSED = "WAITING", "CLOSED"
_OUTCOMES = (SUCCEEDED, "FAILED")


def register_token(s: Session, token: str, execution_arn: str, state_name: str, when: datetime) -> None:
    """A ``.waitForTaskToken`` Task's token, WAITING (before its call is made, so a callback sent during the call
    finds it); registering it again (a resumed execution) changes nothing."""
    if s.get(TaskTokenRow, token) is None:
        s.add(
            TaskTokenRow(token=token, execution_arn=execution_arn, state_name=state_name, status=WAITING, created=when)
        )


def _open_token(s: Session, token: str) -> TaskTokenRow:
    """The WAITING row of ``token`` in a RUNNING execution, locked; InvalidToken, TaskDoesNotExist or
    TaskTimedOut as SendTask* raise them."""
    if not is_task_token(token):
        raise InvalidToken("Invalid Token: 'Invalid token'")
    row = s.get(TaskTokenRow, token, with_for_update=True)
    if row is None:
        raise TaskDoesNotExist("Task Does Not Exist: 'Provided task does not exist'")
    if row.status != WAITING or status_of(s, row.execution_arn) != RUNNING:
        raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
    return row


def send_outcome(
    s: Session, token: str, status: str, output: str | None = None, error: str | None = None, cause: str | None = None
) -> None:
    """SendTaskSuccess (``status`` SUCCEEDED, with ``output``) or SendTaskFailure (FAILED, ``error``, ``cause``)."""
    row = _open_token(s, token)
    row.status, row.output, row.error, row.cause = status, output, error, cause


def send_heartbeat(s: Session, token: str, when: datetime) -> None:
    """SendTaskHeartbeat: the Task's heartbeat timer starts again at ``when``."""
    _open_token(s, token).heartbeat = when


def has_tokens(s: Session, execution_arn: str) -> bool:
    return bool(s.scalar(select(exists().where(TaskTokenRow.execution_arn == execution_arn))))


def has_outcome(s: Session, execution_arn: str) -> bool:
    """Whether a callback Task of the execution has an outcome it has not taken yet."""
    where = (TaskTokenRow.execution_arn == execution_arn) & TaskTokenRow.status.in_(_OUTCOMES)
    return bool(s.scalar(select(exists().where(where))))


def callbacks(s: Session, execution_arn: str) -> list[tuple[str, dict[str, Any]]]:
    """``(token, outcome)`` for the interpreter's ``deliver``: each outcome not taken yet, and each heartbeat."""
    where = (TaskTokenRow.execution_arn == execution_arn) & (
        TaskTokenRow.status.in_(_OUTCOMES) | ((TaskTokenRow.status == WAITING) & TaskTokenRow.heartbeat.is_not(None))
    )
    out: list[tuple[str, dict[str, Any]]] = []
    for row in s.scalars(select(TaskTokenRow).where(where)):
        if row.status == WAITING:
            assert row.heartbeat is not None
            out.append((row.token, {"heartbeat": as_utc(row.heartbeat).timestamp()}))
        elif row.status == SUCCEEDED:
            out.append((row.token, {"status": SUCCEEDED, "output": json.loads(row.output or "null")}))
        else:
            out.append((row.token, {"status": row.status, "error": row.error, "cause": row.cause}))
    return out


def close_tokens(s: Session, execution_arn: str, awaited: list[str] | None) -> None:
    """Close the execution's tokens but those its Tasks still wait with (``awaited``; None closes every one):
    a Task that has taken its outcome, timed out or been left is done with its token."""
    where = (TaskTokenRow.execution_arn == execution_arn) & (TaskTokenRow.status != CLOSED)
    if awaited:
        where &= TaskTokenRow.token.not_in(awaited)
    s.execute(update(TaskTokenRow).where(where).values(status=CLOSED))


# ---- dispatched Tasks -------------------------------------------------------------------------------------


def dispatch(
    s: Session, key: str, execution_arn: str, state_name: str, request: dict[str, Any], when: datetime
) -> None:
    """Record a dispatched Task's call, WAITING for its outcome and for a batch (a runner DAG run) to make it."""
    s.add(
        TaskTokenRow(
            token=key,
            execution_arn=execution_arn,
            state_name=state_name,
            status=WAITING,
            created=when,
            request=request,
        )
    )


def batch_dispatched(s: Session, execution_arn: str, new_batch: Callable[[], str], size: int) -> list[str]:
    """Put the execution's dispatched calls that have no batch yet into new batches of at most ``size``; their ids."""
    where = (
        (TaskTokenRow.execution_arn == execution_arn)
        & (TaskTokenRow.status == WAITING)
        & TaskTokenRow.request.is_not(None)
        & TaskTokenRow.batch.is_(None)
    )
    keys = list(s.scalars(select(TaskTokenRow.token).where(where).order_by(TaskTokenRow.created)))
    batches = []
    for start in range(0, len(keys), size):
        batches.append(batch := new_batch())
        chunk = keys[start : start + size]
        s.execute(update(TaskTokenRow).where(TaskTokenRow.token.in_(chunk)).values(batch=batch))
    return batches


def open_batches(s: Session, execution_arn: str) -> list[str]:
    """The batches of the execution with a call still WAITING for its outcome."""
    where = (TaskTokenRow.execution_arn == execution_arn) & (TaskTokenRow.status == WAITING)
    return list(s.scalars(select(TaskTokenRow.batch).where(where & TaskTokenRow.batch.is_not(None)).distinct()))


def batch_keys(s: Session, batch: str) -> list[str]:
    """The dispatch keys of a batch's calls, in the order they were dispatched."""
    where = TaskTokenRow.batch == batch
    return list(s.scalars(select(TaskTokenRow.token).where(where).order_by(TaskTokenRow.created, TaskTokenRow.token)))


def dispatched(s: Session, key: str) -> dict[str, Any] | None:
    """The recorded request of a dispatched call still WAITING for its outcome; None once it has one or is closed."""
    row = s.get(TaskTokenRow, key)
    return row.request if row is not None and row.status == WAITING else None


def record_outcome(s: Session, key: str, outcome: dict[str, Any]) -> bool:
    """A dispatched call's outcome (``task_outcome``'s form), unless it has one already or is closed."""
    row = s.get(TaskTokenRow, key, with_for_update=True)
    if row is None or row.status != WAITING:
        return False
    row.status = outcome["status"]
    if outcome["status"] == SUCCEEDED:
        row.output = dumps(outcome["output"])
    else:
        row.error, row.cause = outcome.get("error"), outcome.get("cause")
    return True


def fail_batch(s: Session, batch: str, error: str, cause: str) -> int:
    """Fail every call of ``batch`` still WAITING (its runner died, or it could not be launched); how many."""
    where = (TaskTokenRow.batch == batch) & (TaskTokenRow.status == WAITING)
    result = s.execute(update(TaskTokenRow).where(where).values(status="FAILED", error=error, cause=cause))
    return cast(CursorResult[Any], result).rowcount
