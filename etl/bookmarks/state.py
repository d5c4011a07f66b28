"""Pure job-bookmark state: which input a run reads, and how the bookmark advances.

Follows AWS Glue's "Tracking processed data using job bookmarks". A job bookmark
(:data:`JobBookmark`) maps each source's ``transformation_ctx`` to that source's state dict.

File sources, ``mtime`` mode (Glue's behaviour). A run listing at ``now`` with mark ``H`` and band
width ``dt`` (``maxBand``, 900 s) treats as new every file with ``mtime <= now`` that is either past
the mark (``mtime > H``) or inside the previous band (``H - dt < mtime <= H``) and not recorded
there with that mtime. Files at or below ``H - dt`` count as processed, so a file copied in with an
old mtime is missed by design, while a file rewritten after processing has a new mtime and is read
again. The next state has ``H = now`` and records every processed file with ``now - dt < mtime <=
now``: files modified within the last ``maxBand`` seconds are read now *and* remembered, so a late
listing of the same range neither loses nor repeats them. At most ``maxFilesInBand`` files are kept
in the band; extra new files that would land there are deferred to the next run.

File sources, ``manifest`` mode (Sluice's exact mode): every processed path is kept with its
``(size, mtime)``; a file is new when absent or when either value changed.

Bounded execution (``boundedFiles`` / ``boundedSize``) takes new files in ``(mtime, path)`` order;
when it stops early, the mark stops at the last file taken so the rest is read by the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    field_serializer,
    field_validator,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass

from sluice.errors import EntityNotFoundException, InvalidInputException

BookmarkOption = Literal["job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"]
BookmarkMode = Literal["mtime", "manifest"]
SortOrder = Literal["asc", "desc"]
JobBookmark = dict[str, Any]
"""A whole job bookmark: ``transformation_ctx`` -> that source's state dict (Glue's ``JobBookmark``)."""

BOOKMARK_OPTIONS: tuple[BookmarkOption, ...] = (
    "job-bookmark-enable",
    "job-bookmark-pause",
    "job-bookmark-disable",
)
BOOKMARK_MODES: tuple[BookmarkMode, ...] = ("mtime", "manifest")
MAX_BAND_SECONDS = 900.0
MAX_FILES_IN_BAND = 1000
#: The format :meth:`_SourceState.to_dict` writes.
STATE_VERSION: Literal[1] = 1

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)*\Z")
_TAGGED: dict[type[dt.date | Decimal], str] = {dt.datetime: "datetime", dt.date: "date", Decimal: "decimal"}
_UNTAG: dict[str, Callable[[str], dt.date | Decimal]] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "decimal": Decimal,
}


@dataclass(frozen=True)
class FileEntry:
    """One listed input file; ``mtime`` is its modification time in epoch seconds."""

    path: str
    size: int
    mtime: float


class _SourceState:
    """The JSON form shared by the source states: ``kind`` names the state, ``version`` its format.

    Version 1 is the first format; states written before ``version`` was stored have none and read
    as version 1. A new format bumps :data:`STATE_VERSION` and migrates older states while loading.
    """

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict :func:`load_state` reads back."""
        dumped: dict[str, Any] = _SOURCE_STATE.dump_python(cast("SourceState", self), mode="json")
        return dumped


@pydantic_dataclass(frozen=True)
class FileBookmark(_SourceState):
    """``mtime`` mode: the high-water mark and the files processed within the band below it.

    JSON: ``{"kind": "mtime", "version": 1, "high": float | null, "band_seconds": float, "band": {path: mtime}}``.
    """

    high: float | None = None
    band_seconds: float = MAX_BAND_SECONDS
    band: dict[str, float] = field(default_factory=dict)
    kind: Literal["mtime"] = field(default="mtime", kw_only=True)
    version: Literal[1] = field(default=STATE_VERSION, kw_only=True)

    def covers(self, entry: FileEntry) -> bool:
        """Whether ``entry`` was processed by the runs this state records."""
        if self.high is None or entry.mtime > self.high:
            return False
        return entry.mtime <= self.high - self.band_seconds or self.band.get(entry.path) == entry.mtime

    @field_serializer("band")
    def _sorted_band(self, band: dict[str, float]) -> dict[str, float]:
        return dict(sorted(band.items()))


@pydantic_dataclass(frozen=True)
class ManifestBookmark(_SourceState):
    """``manifest`` mode: every processed path with its ``(size, mtime)``.

    JSON: ``{"kind": "manifest", "version": 1, "files": {path: [size, mtime]}}``.
    """

    files: dict[str, tuple[int, float]] = field(default_factory=dict)
    kind: Literal["manifest"] = field(default="manifest", kw_only=True)
    version: Literal[1] = field(default=STATE_VERSION, kw_only=True)

    def covers(self, entry: FileEntry) -> bool:
        """Whether ``entry`` was processed with its current size and mtime."""
        return self.files.get(entry.path) == (entry.size, entry.mtime)

    @field_serializer("files")
    def _sorted_files(self, files: dict[str, tuple[int, float]]) -> dict[str, tuple[int, float]]:
        return dict(sorted(files.items()))


def _tag(value: Any) -> Any:
    """A key value as JSON: datetimes, dates and decimals as ``{"datetime"|"date"|"decimal": text}``."""
    for kind, tag in _TAGGED.items():
        if isinstance(value, kind):
            return {tag: str(value) if isinstance(value, Decimal) else value.isoformat()}
    return value


def _untag(value: Any) -> Any:
    """A key value read back from :func:`_tag`'s form."""
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in _UNTAG:
            raise ValueError(f"a tagged key value holds one of {', '.join(_UNTAG)}, not {value!r}")
        ((tag, text),) = value.items()
        return _UNTAG[tag](text)
    return value


KeyValue = Annotated[Any, BeforeValidator(_untag), PlainSerializer(_tag, when_used="json")]
"""A JDBC bookmark key value, tagged in JSON when JSON has no type for it."""


@pydantic_dataclass(frozen=True)
class JdbcBookmark(_SourceState):
    """JDBC source: Glue's ``jobBookmarkKeys`` / ``jobBookmarkKeysSortOrder`` and the last key read.

    Keys must be non-null and strictly monotonic (increasing for ``asc``, decreasing for ``desc``);
    rows updated in place below the mark are not read again. ``last_values`` is ``None`` until a
    run reads a row. JSON: ``{"kind": "jdbc", "version": 1, "keys": [...], "sort_order": "asc" | "desc",
    "last_values": [...] | null}``, where datetimes, dates and decimals are written as
    ``{"datetime": iso}``, ``{"date": iso}`` and ``{"decimal": text}``.
    """

    keys: list[str]
    sort_order: SortOrder = "asc"
    last_values: list[KeyValue] | None = None
    kind: Literal["jdbc"] = field(default="jdbc", kw_only=True)
    version: Literal[1] = field(default=STATE_VERSION, kw_only=True)

    @field_validator("keys")
    @classmethod
    def _plain_identifiers(cls, keys: list[str]) -> list[str]:
        if not keys:
            raise InvalidInputException("jobBookmarkKeys needs at least one column")
        for key in keys:
            if not _IDENTIFIER.match(key):
                raise InvalidInputException(f"jobBookmarkKeys column {key!r} is not a plain SQL identifier")
        return keys

    @field_validator("sort_order", mode="before")
    @classmethod
    def _known_order(cls, order: Any) -> Any:
        if order not in ("asc", "desc"):
            raise InvalidInputException(f"jobBookmarkKeysSortOrder must be 'asc' or 'desc', got {order!r}")
        return order

    def __post_init__(self) -> None:
        if self.last_values is not None:
            _check_key_values(self.keys, self.last_values)


SourceState = FileBookmark | ManifestBookmark | JdbcBookmark
_SOURCE_STATE: TypeAdapter[SourceState] = TypeAdapter(Annotated[SourceState, Field(discriminator="kind")])


def load_state(data: Mapping[str, Any] | None) -> SourceState | None:
    """Rebuild a source state from its ``to_dict()`` form (``None`` stays ``None``)."""
    if data is None:
        return None
    try:
        return _SOURCE_STATE.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'state'}: {e['msg']}" for e in exc.errors())
        raise InvalidInputException(f"Unreadable bookmark state: {problems}") from exc


@dataclass(frozen=True)
class Selection:
    """Files a run reads, the state to commit once it succeeds, and how many new files wait."""

    files: list[FileEntry]
    next_state: FileBookmark | ManifestBookmark
    deferred: int


def select_new_files(
    state: FileBookmark | ManifestBookmark | None,
    listing: Sequence[FileEntry],
    *,
    now: float,
    mode: BookmarkMode,
    bounded_files: int | None = None,
    bounded_size: int | None = None,
    max_band: float = MAX_BAND_SECONDS,
    max_files_in_band: int = MAX_FILES_IN_BAND,
    until: FileBookmark | ManifestBookmark | None = None,
) -> Selection:
    """Choose the files of ``listing`` a run reads (see the module docstring for the rules).

    ``state`` is the bookmark read from (``None``: read everything); ``until``, for a paused
    ``job-bookmark-from``/``job-bookmark-to`` range, keeps only files that state had processed.
    ``now`` (the listing time) only matters in ``mtime`` mode.
    """
    if mode not in BOOKMARK_MODES:
        raise InvalidInputException(f"--bookmark-mode must be one of {', '.join(BOOKMARK_MODES)}, got {mode!r}")
    expected = FileBookmark if mode == "mtime" else ManifestBookmark
    for name, given in (("bookmark", state), ("job-bookmark-to", until)):
        if given is not None and not isinstance(given, expected):
            raise InvalidInputException(
                f"The {name} state was written in another bookmark mode than --bookmark-mode {mode}",
                hint="reset the job bookmark before changing --bookmark-mode",
            )
    if bounded_files is not None and bounded_size is not None:
        raise InvalidInputException("Set only one of boundedFiles or boundedSize: Glue supports a single boundary")
    for name, bound in (("boundedFiles", bounded_files), ("boundedSize", bounded_size)):
        if bound is not None and bound < 1:
            raise InvalidInputException(f"{name} must be a positive integer, got {bound}")
    if max_band < 0 or max_files_in_band < 0:
        raise InvalidInputException(f"maxBand and maxFilesInBand must be >= 0, got {max_band} and {max_files_in_band}")
    candidates = sorted(
        (
            f
            for f in listing
            if (state is None or not state.covers(f))
            and (until is None or until.covers(f))
            and (mode == "manifest" or f.mtime <= now)
        ),
        key=lambda f: (f.mtime, f.path),
    )
    taken = _take_bounded(candidates, bounded_files, bounded_size)
    # The mode check above leaves ``state`` a FileBookmark in mtime mode and a ManifestBookmark in
    # manifest mode (or None): the isinstance tests only narrow its type.
    if mode == "mtime":
        mtime_state = state if isinstance(state, FileBookmark) else None
        return _advance_mtime(mtime_state, listing, candidates, taken, now, max_band, max_files_in_band)
    files = dict(state.files) if isinstance(state, ManifestBookmark) else {}
    files.update((f.path, (f.size, f.mtime)) for f in taken)
    return Selection(taken, ManifestBookmark(files), len(candidates) - len(taken))


def _take_bounded(candidates: list[FileEntry], files: int | None, size: int | None) -> list[FileEntry]:
    """The leading candidates within the bound; ``boundedSize`` always takes at least one file."""
    if files is not None:
        return candidates[:files]
    if size is None:
        return candidates
    taken: list[FileEntry] = []
    total = 0
    for entry in candidates:
        if taken and total + entry.size > size:
            break
        taken.append(entry)
        total += entry.size
    return taken


def _advance_mtime(
    state: FileBookmark | None,
    listing: Sequence[FileEntry],
    candidates: list[FileEntry],
    taken: list[FileEntry],
    now: float,
    max_band: float,
    max_files_in_band: int,
) -> Selection:
    high = now if len(taken) == len(candidates) else taken[-1].mtime
    known: dict[str, float] = {}
    if state is not None and state.high is not None:
        high = max(high, state.high)
        known.update(state.band)
        known.update((f.path, f.mtime) for f in listing if state.covers(f))
    low = high - max_band
    band = {path: mtime for path, mtime in known.items() if low < mtime <= high}
    files: list[FileEntry] = []
    deferred = len(candidates) - len(taken)
    for entry in taken:
        in_band = entry.mtime > low
        if in_band and entry.path not in band and len(band) >= max_files_in_band:
            deferred += 1
            continue
        files.append(entry)
        if in_band:
            band[entry.path] = entry.mtime
    return Selection(files, FileBookmark(high, max_band, band), deferred)


def jdbc_filter(
    state: JdbcBookmark, until: JdbcBookmark | None = None, *, row_values: bool = False
) -> tuple[str, dict[str, Any]]:
    """SQL predicate (without ``WHERE``) and named parameters selecting rows past the bookmark.

    ``asc`` keys read ``(k1, k2) > (:v1, :v2)``, ``desc`` keys ``<``; with ``until`` (a paused range)
    rows are also bounded by that state's keys, inclusive, as ``:u1, :u2``. The portable form spells
    the lexicographic order out (``k1 > :v1 OR (k1 = :v1 AND k2 > :v2)``); ``row_values=True`` uses
    row-value comparison instead. Reads everything (``1 = 1``) when nothing was read yet.
    """
    past = ">" if state.sort_order == "asc" else "<"
    parts: list[str] = []
    params: dict[str, Any] = {}
    if state.last_values is not None:
        parts.append(_lexicographic(state.keys, past, "v", inclusive=False, row_values=row_values))
        params.update((f"v{i}", v) for i, v in enumerate(state.last_values, 1))
    if until is not None:
        if (until.keys, until.sort_order) != (state.keys, state.sort_order):
            raise InvalidInputException("job-bookmark-from and job-bookmark-to use different jobBookmarkKeys")
        if until.last_values is None:
            return "1 = 0", {}
        before = "<" if past == ">" else ">"
        parts.append(_lexicographic(state.keys, before, "u", inclusive=True, row_values=row_values))
        params.update((f"u{i}", v) for i, v in enumerate(until.last_values, 1))
    if not parts:
        return "1 = 1", {}
    if len(parts) == 1:
        return parts[0], params
    return " AND ".join(f"({part})" for part in parts), params


def _lexicographic(keys: list[str], op: str, prefix: str, *, inclusive: bool, row_values: bool) -> str:
    names = [f":{prefix}{i}" for i in range(1, len(keys) + 1)]
    full_op = op + "=" if inclusive else op
    if len(keys) == 1:
        return f"{keys[0]} {full_op} {names[0]}"
    if row_values:
        return f"({', '.join(keys)}) {full_op} ({', '.join(names)})"
    terms = []
    for i in range(len(keys)):
        equal = [f"{keys[j]} = {names[j]}" for j in range(i)]
        terms.append(" AND ".join([*equal, f"{keys[i]} {op} {names[i]}"]))
    if inclusive:
        terms.append(" AND ".join(f"{key} = {name}" for key, name in zip(keys, names, strict=True)))
    return " OR ".join(term if " AND " not in term else f"({term})" for term in terms)


def sql_literal(value: Any) -> str:
    """``value`` as a SQL literal, for JDBC readers (Spark's among them) that cannot bind parameters.

    Integers, finite floats and decimals print as numbers, booleans as ``TRUE``/``FALSE``, dates as
    ``DATE '…'``, naive datetimes as ``TIMESTAMP '…'`` and aware ones as ``TIMESTAMP WITH TIME ZONE
    '…+00:00'`` (in UTC). Strings are quoted with ``'`` doubled; a backslash or NUL is refused, since
    MySQL reads backslashes as escapes and no database stores NUL in text.
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        if not (math.isfinite(value) if isinstance(value, float) else value.is_finite()):
            raise InvalidInputException(f"Bookmark key value {value} is not a finite number")
        return repr(value) if isinstance(value, float) else format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
        return f"TIMESTAMP WITH TIME ZONE '{value.astimezone(dt.UTC).isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        if "\\" in value or "\x00" in value:
            raise InvalidInputException(
                f"Bookmark key value {value!r} holds a backslash or NUL, which has no portable SQL literal",
                hint="use a numeric or timestamp column as jobBookmarkKeys",
            )
        return "'" + value.replace("'", "''") + "'"
    raise InvalidInputException(f"Bookmark key value {value!r} of type {type(value).__name__} has no SQL literal")


_PLACEHOLDER = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


def render_sql(sql: str, params: Mapping[str, Any]) -> str:
    """Substitute ``:name`` placeholders (as :func:`jdbc_filter` writes them) with :func:`sql_literal`."""
    return _PLACEHOLDER.sub(lambda m: sql_literal(params[m.group(1)]), sql)


def jdbc_bound_query(table: str, state: JdbcBookmark, until: JdbcBookmark | None, prefix: Sequence[Any]) -> str:
    """Portable SQL for the furthest value of key ``len(prefix) + 1`` among the rows past ``state`` (and
    within ``until``) whose earlier keys equal ``prefix``: run once per key, it finds the furthest key tuple.

    A run fixes this bound before it reads, reads up to it inclusive and commits it, so rows inserted
    while it reads wait for the next run instead of being skipped.
    """
    if not _IDENTIFIER.match(table):
        raise InvalidInputException(f"JDBC table {table!r} is not a plain (optionally schema-qualified) identifier")
    predicate = render_sql(*jdbc_filter(state, until))
    equal = [f"{key} = {sql_literal(value)}" for key, value in zip(state.keys, prefix, strict=False)]
    where = " AND ".join(f"({part})" for part in [predicate, *equal])
    furthest = "MAX" if state.sort_order == "asc" else "MIN"
    return f"SELECT {furthest}({state.keys[len(prefix)]}) AS v FROM {table} WHERE {where}"


def advance_jdbc(state: JdbcBookmark, max_values: Sequence[Any] | None) -> JdbcBookmark:
    """State after a run whose furthest key read (max for ``asc``, min for ``desc``) is ``max_values``.

    ``None`` (no rows read) keeps the state; the mark never moves backwards.
    """
    if max_values is None:
        return state
    values = list(max_values)
    _check_key_values(state.keys, values)
    if state.last_values is not None:
        furthest = max if state.sort_order == "asc" else min
        values = list(furthest(tuple(state.last_values), tuple(values)))
    return replace(state, last_values=values)


def _check_key_values(keys: list[str], values: Sequence[Any]) -> None:
    if len(values) != len(keys):
        raise InvalidInputException(f"Expected {len(keys)} bookmark key values for {keys}, got {len(values)}")
    for key, value in zip(keys, values, strict=True):
        if value is None:
            raise InvalidInputException(f"Bookmark key {key} is NULL; jobBookmarkKeys must be non-null")


@dataclass(frozen=True)
class BookmarkEntry:
    """Glue's ``JobBookmarkEntry``. A new entry has Version 1 and Run 1, as Glue reports it."""

    job_name: str
    version: int = 1
    run: int = 1
    attempt: int = 0
    run_id: str | None = None
    previous_run_id: str | None = None
    job_bookmark: JobBookmark = field(default_factory=dict)

    def to_glue_dict(self) -> dict[str, Any]:
        """The ``JobBookmarkEntry`` of GetJobBookmark; unset run ids are omitted as Glue omits them."""
        entry: dict[str, Any] = {
            "JobName": self.job_name,
            "Version": self.version,
            "Run": self.run,
            "Attempt": self.attempt,
            "PreviousRunId": self.previous_run_id,
            "RunId": self.run_id,
            "JobBookmark": json.dumps(self.job_bookmark, separators=(",", ":")),
        }
        return {key: value for key, value in entry.items() if value is not None}


def on_success(entry: BookmarkEntry, run_id: str, new_state: JobBookmark) -> BookmarkEntry:
    """A committed run: Run and Version +1, Attempt back to 0, ``run_id`` becomes the latest."""
    return replace(
        entry,
        version=entry.version + 1,
        run=entry.run + 1,
        attempt=0,
        previous_run_id=entry.run_id,
        run_id=run_id,
        job_bookmark=new_state,
    )


def on_failure(entry: BookmarkEntry) -> BookmarkEntry:
    """A failed attempt: Version and Attempt +1; the state and run ids stay, so a retry rereads it."""
    return replace(entry, version=entry.version + 1, attempt=entry.attempt + 1)


History = Sequence[tuple[str, JobBookmark]]
"""Every committed ``(run_id, job bookmark)``, oldest first."""


@dataclass(frozen=True)
class ReadPlan:
    """What a run reads: from ``start`` (``None``: everything), up to ``until`` (``None``: no bound)."""

    start: JobBookmark | None
    until: JobBookmark | None
    commit: bool


def resolve_read_state(
    option: str,
    current: JobBookmark | None,
    history: History = (),
    bookmark_from: str | None = None,
    bookmark_to: str | None = None,
) -> ReadPlan:
    """Apply ``--job-bookmark-option`` to the job's ``current`` bookmark (``None`` before its first run).

    Enable reads from it and commits; pause reads from it (or between the states ``history`` records
    after runs ``bookmark_from`` and ``bookmark_to``) without committing; disable reads everything and
    never commits.
    """
    if option not in BOOKMARK_OPTIONS:
        raise InvalidInputException(
            f"--job-bookmark-option must be one of {', '.join(BOOKMARK_OPTIONS)}, got {option!r}"
        )
    if (bookmark_from is None) != (bookmark_to is None):
        raise InvalidInputException("--job-bookmark-from and --job-bookmark-to must be given together")
    if bookmark_from is not None and option != "job-bookmark-pause":
        raise InvalidInputException("--job-bookmark-from and --job-bookmark-to are only valid with job-bookmark-pause")
    if option == "job-bookmark-enable":
        return ReadPlan(current, None, commit=True)
    if option == "job-bookmark-disable":
        return ReadPlan(None, None, commit=False)
    if bookmark_from is None or bookmark_to is None:
        return ReadPlan(current, None, commit=False)
    first, last = _run_index(history, bookmark_from), _run_index(history, bookmark_to)
    if first > last:
        raise InvalidInputException(
            f"--job-bookmark-from run {bookmark_from} committed after --job-bookmark-to run {bookmark_to}"
        )
    return ReadPlan(history[first][1], history[last][1], commit=False)


def reset(history: History, run_id: str | None = None) -> list[tuple[str, JobBookmark]]:
    """ResetJobBookmark: forget every state, or rewind to the state committed by ``run_id``."""
    if run_id is None:
        return []
    return list(history[: _run_index(history, run_id) + 1])


def _run_index(history: History, run_id: str) -> int:
    for index, (committed, _) in enumerate(history):
        if committed == run_id:
            return index
    raise EntityNotFoundException(f"No job bookmark was committed by run {run_id}")
