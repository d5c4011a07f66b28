"""Lifecycle: Sluice's planner and S3 apply against named baselines, in one run, on the same objects.

* **planning** (pure, no I/O): ``lifecycle.plan`` over ``--objects`` synthetic objects (default 1M) under
  ``--rules`` prefix rules (default 200), against the **naive planner**: for each object, test every rule's
  prefix and filter, then pick the due expiration or transition (what a straightforward script does). The
  naive planner runs on ``--naive-objects`` (default 50k) and both are compared in CPU seconds (the
  machine may be shared; wall times are printed beside them). Sluice is also timed at a quarter of
  ``--objects`` (each size in a fresh process) to show planning is linear.
* **apply on S3** (a moto server started here): ``sluice lifecycle apply`` (listing, planning, journal in the
  metadata DB, ``copy_object`` with ``StorageClass`` on 8 threads) against an **``aws s3api copy-object``
  loop**: one ``copy_object`` per object in sequence, with no plan, no journal and no checks, over a copy
  of the same ``--s3-objects`` objects (default 300).
* **plan on S3**: ``sluice lifecycle plan`` over ``--s3-plan-objects`` objects (default 50k) on the moto server,
  against the bare ``list-objects-v2`` pagination it must do anyway.

Run: ``.venv/bin/python benchmarks/lifecycle.py [--objects N] [--naive-objects N] [--s3-objects N]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _moto import moto_home  # benchmarks/ is on sys.path when a script here runs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2027, 1, 1, tzinfo=UTC)
RANK = {"STANDARD_IA": 1, "ONEZONE_IA": 2, "GLACIER_IR": 3, "INTELLIGENT_TIERING": 4, "GLACIER": 5, "DEEP_ARCHIVE": 6}


def configuration(rules: int) -> dict[str, Any]:
    """``rules`` prefix rules: tiering on even ones, expiration on every third."""
    out = []
    for i in range(rules):
        rule: dict[str, Any] = {"ID": f"r{i}", "Status": "Enabled", "Filter": {"Prefix": f"zone{i:03d}/"}}
        if i % 3 == 0:
            rule["Expiration"] = {"Days": 700}
        if i % 2 == 0:
            rule["Transitions"] = [
                {"Days": 30, "StorageClass": "STANDARD_IA"},
                {"Days": 365, "StorageClass": "GLACIER"},
            ]
        if len(rule) == 3:
            rule["Transitions"] = [{"Days": 90, "StorageClass": "GLACIER_IR"}]
        out.append(rule)
    return {"Rules": out}


def objects(count: int, rules: int) -> list[Any]:
    from lifecycle import LakeObject

    return [
        LakeObject(
            f"zone{i % (rules + 20):03d}/dt=2026-{i % 12 + 1:02d}/part-{i:07d}.parquet",
            64 * 1024 + (i % 7) * 100_000,
            NOW - timedelta(days=i % 900, hours=i % 24),
        )
        for i in range(count)
    ]


def naive_plan(config: dict[str, Any], items: list[Any]) -> int:
    """The baseline: every rule tested against every object; returns the number of actions."""
    rules = config["Rules"]
    today = int(NOW.timestamp() // 86400)
    actions = 0
    for obj in items:
        base = -int(-obj.last_modified.timestamp() // 86400)
        matching = [rule for rule in rules if obj.key.startswith(rule["Filter"]["Prefix"])]
        if any("Expiration" in r and base + r["Expiration"]["Days"] <= today for r in matching):
            actions += 1
            continue
        best = 0
        for rule in matching:
            for step in rule.get("Transitions", []):
                if base + step["Days"] <= today and obj.size >= 128 * 1024:
                    best = max(best, RANK[step["StorageClass"]])
        actions += best > 0
    return actions


def bench_planning(args: argparse.Namespace) -> None:
    """Planning, timed in CPU seconds of this process (wall time too): the machine may be shared."""
    from lifecycle import plan

    config = configuration(args.rules)
    print(f"planning: {args.rules} rules; objects built in memory (not timed); CPU seconds, wall in brackets")
    rates = {}
    for count in (args.objects // 4, args.objects):
        cpu, wall, actions = _time_plan_in_child(count, args.rules)
        rates[count] = count / cpu
        figures = f"{cpu:6.2f} s ({wall:6.2f})  {rates[count]:>9,.0f} objects/s"
        print(f"  sluice {count:>9,} objects  {figures}  {actions:,} actions")
    items = objects(args.naive_objects, args.rules)
    naive_cpu, naive_wall, naive_actions = _timed(lambda: naive_plan(config, items))
    cpu, wall, actions = _timed(lambda: len(plan(config, items, now=NOW).actions))
    assert naive_actions == actions, (naive_actions, actions)
    rate = args.naive_objects / naive_cpu
    print(f"  naive  {args.naive_objects:>9,} objects  {naive_cpu:6.2f} s ({naive_wall:6.2f})  {rate:>9,.0f} objects/s")
    print(f"  sluice {args.naive_objects:>9,} objects  {cpu:6.2f} s ({wall:6.2f})  (the same {actions:,} actions)")
    print(f"  ratio (naive CPU time / sluice CPU time, same objects): {naive_cpu / cpu:.1f}x")
    small, large = sorted(rates)
    print(f"  linearity: objects/s at {small:,} / at {large:,} = {rates[small] / rates[large]:.2f} (1.0 is linear)")


def _timed(work: Callable[[], int]) -> tuple[float, float, int]:
    """CPU seconds, wall seconds and the result of ``work()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def _time_plan_in_child(count: int, rules: int) -> tuple[float, float, int]:
    """Plan ``count`` objects in a fresh process, so that each size starts from the same memory."""
    out = subprocess.run(
        [sys.executable, __file__, "--plan-only", str(count), "--rules", str(rules)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def plan_only(count: int, rules: int) -> None:
    from lifecycle import plan

    items = objects(count, rules)
    config = configuration(rules)
    print(*_timed(lambda: len(plan(config, items, now=NOW).actions)))


def _plan_listing(client: Any, plan_or_apply: Callable[..., dict[str, Any]], count: int) -> None:
    """Plan over ``count`` objects on the moto server against the listing alone (``list-objects-v2``, the floor)."""
    keys = [f"events/dt=2026-{i % 12 + 1:02d}/part-{i:06d}.json" for i in range(count)]
    client.create_bucket(Bucket="planned")
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: client.put_object(Bucket="planned", Key=key, Body=b"{}"), keys))
    print(f"plan on S3 (moto): {count:,} objects, one expiration rule")
    started = time.perf_counter()
    listed = sum(len(p.get("Contents", [])) for p in client.get_paginator("list_objects_v2").paginate(Bucket="planned"))
    floor = time.perf_counter() - started
    assert listed == count
    rules = {
        "Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "events/"}, "Expiration": {"Days": 30}}]
    }
    started = time.perf_counter()
    planned = plan_or_apply(rules, "s3://planned", now=datetime.now(UTC) + timedelta(days=60))
    took = time.perf_counter() - started
    assert len(planned["Actions"]) == count
    print(f"  list-objects-v2 pages   {floor:7.2f} s  {count / floor:>9,.0f} objects/s (the floor)")
    print(f"  sluice lifecycle plan   {took:7.2f} s  {count / took:>9,.0f} objects/s (list + plan + journal)")
    print(f"  ratio (plan time / listing time): {took / floor:.2f}x")


def bench_s3(args: argparse.Namespace) -> None:
    server, _ = moto_home("sluice-bench-lifecycle-")
    try:
        from lifecycle.run import plan_or_apply
        from sluice.context import SluiceContext
        from sluice.db import get_engine

        get_engine()  # create and migrate the metadata DB before anything is timed

        client = SluiceContext.from_env().s3_client()
        _plan_listing(client, plan_or_apply, args.s3_plan_objects)
        body = b"x" * 132_000
        keys = [f"logs/dt=2026-{i % 12 + 1:02d}/part-{i:05d}.csv" for i in range(args.s3_objects)]
        for bucket in ("baseline", "sluice"):
            client.create_bucket(Bucket=bucket)
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda key, b=bucket: client.put_object(Bucket=b, Key=key, Body=body), keys))
        print(f"apply on S3 (moto): {args.s3_objects:,} objects of 132 kB to STANDARD_IA")
        started = time.perf_counter()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket="baseline"):
            for item in page.get("Contents", []):
                source = {"Bucket": "baseline", "Key": item["Key"]}
                client.copy_object(Bucket="baseline", Key=item["Key"], CopySource=source, StorageClass="STANDARD_IA")
        baseline = time.perf_counter() - started
        rules = {
            "Rules": [
                {
                    "ID": "ia",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "logs/"},
                    "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
                }
            ]
        }
        started = time.perf_counter()
        planned = plan_or_apply(rules, "s3://sluice", now=datetime.now(UTC) + timedelta(days=60))
        listed = time.perf_counter() - started
        assert len(planned["Actions"]) == args.s3_objects
        print(f"  sluice lifecycle plan   {listed:7.2f} s  {args.s3_objects / listed:>9,.0f} objects/s (list + plan)")
        started = time.perf_counter()
        result = plan_or_apply(rules, "s3://sluice", apply=True, now=datetime.now(UTC) + timedelta(days=60))
        sluice = time.perf_counter() - started
        assert result["Summary"]["Applied"] == args.s3_objects, result["Summary"]
        print(f"  s3api copy-object loop  {baseline:7.2f} s  {args.s3_objects / baseline:>9,.0f} objects/s")
        print(f"  sluice lifecycle apply  {sluice:7.2f} s  {args.s3_objects / sluice:>9,.0f} objects/s (journaled)")
        print(f"  ratio (loop time / sluice time): {baseline / sluice:.2f}x")
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--naive-objects", type=int, default=50_000)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--s3-objects", type=int, default=300)
    parser.add_argument("--s3-plan-objects", type=int, default=50_000)
    parser.add_argument("--plan-only", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plan_only:
        plan_only(args.plan_only, args.rules)
        return
    bench_planning(args)
    bench_s3(args)


if __name__ == "__main__":
    main()
