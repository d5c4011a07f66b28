"""Data-quality tables: rulesets, ruleset evaluation runs, evaluation results and the metric history dynamic
rules read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sluice.clock import utcnow
from sluice.db import Base


class DQResultRow(Base):
    """One ruleset evaluation, in Glue's GetDataQualityResult shape."""

    __tablename__ = "dq_results"

    result_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ruleset_name: Mapped[str | None] = mapped_column(String(255))
    dataset: Mapped[str] = mapped_column(Text, index=True)
    engine: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    started_on: Mapped[datetime] = mapped_column(default=utcnow)
    completed_on: Mapped[datetime] = mapped_column(default=utcnow)
    job_run_id: Mapped[str | None] = mapped_column(String(64))
    job_name: Mapped[str | None] = mapped_column(String(255))
    evaluation_context: Mapped[str | None] = mapped_column(Text)
    evaluation_run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    rule_results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    analyzer_results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ruleset: Mapped[str] = mapped_column(Text, default="")


class DQRulesetRow(Base):
    """A ruleset (Glue's DataQualityRuleset): DQDL text, validated when stored, and the table it is meant for."""

    __tablename__ = "dq_rulesets"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    ruleset: Mapped[str] = mapped_column(Text)
    rule_count: Mapped[int]
    target_table: Mapped[dict[str, str] | None] = mapped_column(JSON)
    """Glue's DataQualityTargetTable: ``{"DatabaseName", "TableName"[, "CatalogId"]}``."""
    security_configuration: Mapped[str | None] = mapped_column(String(255))
    client_token: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_on: Mapped[datetime] = mapped_column(default=utcnow)
    last_modified_on: Mapped[datetime] = mapped_column(default=utcnow)


class DQEvaluationRunRow(Base):
    """A ruleset evaluation run (Glue's GetDataQualityRulesetEvaluationRun): STARTING, RUNNING, then final."""

    __tablename__ = "dq_evaluation_runs"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="STARTING")
    dataset: Mapped[str] = mapped_column(Text, index=True)
    """The data source's ``database.table``, which ListDataQualityRulesetEvaluationRuns filters on."""
    data_source: Mapped[dict[str, Any]] = mapped_column(JSON)
    additional_data_sources: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    role: Mapped[str] = mapped_column(Text)
    number_of_workers: Mapped[int | None]
    timeout: Mapped[int | None]
    additional_run_options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ruleset_names: Mapped[list[str]] = mapped_column(JSON)
    result_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    error_string: Mapped[str | None] = mapped_column(Text)
    client_token: Mapped[str | None] = mapped_column(String(255), index=True)
    started_on: Mapped[datetime] = mapped_column(default=utcnow)
    last_modified_on: Mapped[datetime] = mapped_column(default=utcnow)
    """Also the lease's heartbeat while the run is RUNNING or STOPPING (``sluice.lease``)."""
    completed_on: Mapped[datetime | None]
    owner_host: Mapped[str | None] = mapped_column(String(255))
    owner_pid: Mapped[int | None]
    owner_boot_id: Mapped[str | None] = mapped_column(String(64))
    owner_pid_started: Mapped[int | None] = mapped_column(BigInteger)
    """The process evaluating the run (host, pid, boot id, start time): the lease that a killed run loses."""


class DQMetricRow(Base):
    """One evaluated metric value, the history behind dynamic rules and DetectAnomalies."""

    __tablename__ = "dq_metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(Text)
    value: Mapped[float] = mapped_column(Float)
    result_id: Mapped[str] = mapped_column(String(64))
    recorded_on: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_dq_metrics_lookup", DQMetricRow.dataset, DQMetricRow.metric, DQMetricRow.id)
Index("ix_dq_evaluation_runs_started", DQEvaluationRunRow.started_on, DQEvaluationRunRow.run_id)
