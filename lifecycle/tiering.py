"""Partition-aware tiering of catalog tables: Sluice's extension to S3 Lifecycle, kept in its own files.

A table rule ages a table's partitions by the date their values name, not by file times, and moves or
expires whole partitions; the catalog follows (see :mod:`lifecycle.partitions`)::

    {"TableRules": [{
        "ID": "curated-flights",                 # required, unique
        "Status": "Enabled",                     # or "Disabled"
        "Database": "curated", "Table": "flights",
        "PartitionDate": {"Keys": ["year", "month"], "Format": "%Y-%m"},
        "Transitions": [{"Days": 400, "StorageClass": "STANDARD_IA"}],
        "Expiration": {"Days": 3650}
    }]}

``Keys`` names one partition key or several; their values are joined with ``-`` and parsed with
``Format`` (``strptime``; default ``%Y-%m-%d`` for one or three keys, ``%Y-%m`` for two). ``Days``
count from midnight UTC of that date, so a month partition ages from its first day. ``Transitions``
and ``Expiration`` mean what they mean in S3 (the same waterfall and minimums), and each rule is
compiled to an S3 rule whose filter is the table's folder with a size bound, so that objects under
128 KiB move with their partition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from catalog.store import Catalog
from lifecycle.config import LifecycleError
from lifecycle.listing import Found, Listing
from lifecycle.validate import MAX_FILTER_SIZE, LifecycleValidationError, validate
from sluice.errors import EntityNotFoundException, InvalidInputException

_RULE_KEYS = frozenset({"ID", "Status", "Database", "Table", "PartitionDate", "Transitions", "Expiration"})
_DATE_KEYS = frozenset({"Keys", "Format"})
_DEFAULT_FORMATS = {1: "%Y-%m-%d", 2: "%Y-%m", 3: "%Y-%m-%d"}


@dataclass(frozen=True, slots=True)
class TableRule:
    """One table rule, as read."""

    index: int
    id: str
    status: str
    database: str
    table: str
    keys: tuple[str, ...]
    format: str
    actions: dict[str, Any]

    @property
    def path(self) -> str:
        return f"TableRules[{self.index}]"


@dataclass(slots=True)
class CompiledTables:
    """Table rules compiled against the catalog: the S3 configuration and each object's partition date."""

    document: dict[str, Any]
    dates: dict[str, datetime]
    tables: list[dict[str, Any]]

    def adjust(self, listing: Listing) -> Callable[[Found], Found | None]:
        """Keep only objects of cataloged partitions, aged from their partition's date."""

        def dated(found: Found) -> Found | None:
            folder = listing.identity(found.obj.key).rpartition("/")[0]
            date = self.dates.get(folder)
            if date is None:
                return None
            found.obj.last_modified = date
            return found

        return dated


def is_table_rules(document: Any) -> bool:
    """True for a document in the table-rule format."""
    return isinstance(document, Mapping) and "TableRules" in document


def validate_tables(document: Mapping[str, Any]) -> list[LifecycleError]:
    """Every fault of a table-rule document that can be found without the catalog."""
    return _parse(document)[1]


def _parse(document: Mapping[str, Any]) -> tuple[list[TableRule], list[LifecycleError]]:
    errors = [
        LifecycleError("MalformedXML", f"unknown field {name!r}; expected TableRules", "", name)
        for name in document
        if name != "TableRules"
    ]
    raw = document.get("TableRules")
    if not isinstance(raw, list) or not raw:
        errors.append(LifecycleError("InvalidRequest", "TableRules must be a non-empty list", "", "TableRules"))
        return [], errors
    seen: set[tuple[str, str]] = set()
    rules = []
    for index, item in enumerate(raw):
        rule, faults = _read(index, item)
        errors += faults
        if rule is None:
            continue
        if (rule.database, rule.table) in seen:
            errors.append(
                LifecycleError(
                    "InvalidArgument",
                    f"table {rule.database}.{rule.table} already has a rule; one rule per table",
                    rule.id,
                    f"{rule.path}.Table",
                )
            )
        seen.add((rule.database, rule.table))
        rules.append(rule)
    errors += _action_errors(rules)
    return rules, errors


def _read(index: int, item: Any) -> tuple[TableRule | None, list[LifecycleError]]:
    path = f"TableRules[{index}]"
    if not isinstance(item, Mapping):
        return None, [LifecycleError("MalformedXML", "a table rule must be an object", "", path)]
    label = item["ID"] if isinstance(item.get("ID"), str) and item["ID"] else path
    errors = [
        LifecycleError(
            "MalformedXML",
            f"unknown field {name!r}; expected one of {', '.join(sorted(_RULE_KEYS))}",
            label,
            f"{path}.{name}",
        )
        for name in item
        if name not in _RULE_KEYS
    ]

    def fault(code: str, field: str, message: str) -> None:
        errors.append(LifecycleError(code, message, label, f"{path}.{field}"))

    for name in ("ID", "Database", "Table"):
        if not isinstance(item.get(name), str) or not item[name]:
            fault("MalformedXML", name, f"{name} is required and must be a non-empty string")
    if item.get("Status") not in ("Enabled", "Disabled"):
        fault("MalformedXML", "Status", f"Status must be 'Enabled' or 'Disabled', not {item.get('Status')!r}")
    keys, fmt = _partition_date(item.get("PartitionDate"), fault)
    for i, transition in enumerate(item.get("Transitions") or []):
        for name in set(transition) - {"Days", "StorageClass"} if isinstance(transition, Mapping) else ():
            fault("MalformedXML", f"Transitions[{i}].{name}", "table rules take Days and StorageClass only")
    expiration = item.get("Expiration")
    for name in set(expiration) - {"Days"} if isinstance(expiration, Mapping) else ():
        fault("MalformedXML", f"Expiration.{name}", "table rules expire partitions by Days only")
    if errors:
        return None, errors
    actions = {name: item[name] for name in ("Transitions", "Expiration") if name in item}
    rule = TableRule(index, item["ID"], item["Status"], item["Database"], item["Table"], keys, fmt, actions)
    return rule, errors


def _partition_date(raw: Any, fault: Callable[[str, str, str], None]) -> tuple[tuple[str, ...], str]:
    if not isinstance(raw, Mapping):
        fault("MalformedXML", "PartitionDate", 'PartitionDate is required, e.g. {"Keys": ["year", "month"]}')
        return (), ""
    for name in set(raw) - _DATE_KEYS:
        fault("MalformedXML", f"PartitionDate.{name}", "PartitionDate takes Keys and Format")
    keys = raw.get("Keys")
    names = (keys,) if isinstance(keys, str) else tuple(keys) if isinstance(keys, list) else ()
    if not names or not all(isinstance(k, str) and k for k in names):
        fault("MalformedXML", "PartitionDate.Keys", "Keys must name a partition key or a list of them")
        return (), ""
    fmt = raw.get("Format", _DEFAULT_FORMATS.get(len(names)))
    sample = datetime(2001, 2, 3, tzinfo=UTC)
    try:
        valid = isinstance(fmt, str) and datetime.strptime(sample.strftime(fmt), fmt).year == 2001
    except ValueError:
        valid = False
    if not valid:
        fault("InvalidArgument", "PartitionDate.Format", f"Format must be a strptime format with a year, not {fmt!r}")
    return names, fmt if isinstance(fmt, str) else ""


def _action_errors(rules: list[TableRule]) -> Iterator[LifecycleError]:
    """Transitions and Expiration checked as S3 checks them, with the paths of the table rules."""
    if not rules:
        return
    document = {"Rules": [_s3_rule(rule, "") for rule in rules]}
    paths = {f"Rules[{i}]": rule.path for i, rule in enumerate(rules)}
    for error in validate(document):
        head, dot, rest = error.path.partition(".")
        if rest.startswith("Filter"):
            continue
        yield LifecycleError(error.code, error.message, error.rule, paths.get(head, head) + dot + rest)


def _s3_rule(rule: TableRule, prefix: str) -> dict[str, Any]:
    return {
        "ID": rule.id,
        "Status": rule.status,
        "Filter": {"And": {"Prefix": prefix, "ObjectSizeLessThan": MAX_FILTER_SIZE}},
        **rule.actions,
    }


def compile_tables(document: Mapping[str, Any], listing: Listing, source: str) -> CompiledTables:
    """Resolve each rule's table and partitions in the catalog; the S3 rules select the tables' folders."""
    parsed, errors = _parse(document)
    if errors:
        raise LifecycleValidationError(errors, source)
    catalog = Catalog(listing.ctx)
    rules, dates, tables = [], {}, []
    for rule in parsed:
        try:
            table = catalog.get_table(rule.database, rule.table)
        except EntityNotFoundException as exc:
            raise InvalidInputException(f"table rule {rule.id!r} ({rule.path}.Table): {exc.message}") from exc
        columns = [key["Name"] for key in table["PartitionKeys"]]
        missing = [key for key in rule.keys if key not in columns]
        if missing:
            raise InvalidInputException(
                f"table rule {rule.id!r} ({rule.path}.PartitionDate.Keys): {rule.database}.{rule.table} has no "
                f"partition key {', '.join(missing)}; its partition keys are {', '.join(columns) or 'none'}"
            )
        home = listing.folder_identity(table["StorageDescriptor"]["Location"])
        if home is None or not (home + "/").startswith(listing.base):
            raise InvalidInputException(
                f"table rule {rule.id!r}: {rule.database}.{rule.table} is at "
                f"{table['StorageDescriptor']['Location']}, outside {listing.uri}",
                hint="Plan over a URI that holds the table, such as the lake root.",
            )
        rules.append(_s3_rule(rule, (home + "/")[len(listing.base) :]))
        skipped = []
        positions = [columns.index(key) for key in rule.keys]
        partitions = catalog.get_partitions(rule.database, rule.table)
        for partition in partitions:
            values = partition["Values"]
            folder = listing.folder_identity(partition["StorageDescriptor"]["Location"])
            date = _date_of(values, positions, rule.format)
            if date is None or folder is None:
                skipped.append(values)
            else:
                dates[folder] = date
        tables.append(
            {
                "RuleId": rule.id,
                "Database": rule.database,
                "Table": rule.table,
                "Partitions": len(partitions) - len(skipped),
                "SkippedPartitions": skipped,
            }
        )
    return CompiledTables({"Rules": rules}, dates, tables)


def _date_of(values: list[str], positions: list[int], fmt: str) -> datetime | None:
    try:
        return datetime.strptime("-".join(values[i] for i in positions), fmt).replace(tzinfo=UTC)
    except (ValueError, IndexError):
        return None
