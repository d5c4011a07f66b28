"""Data-quality tables: evaluation results and the metric history dynamic rules read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, String, Text
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
    rule_results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    analyzer_results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ruleset: Mapped[str] = mapped_column(Text, default="")


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
