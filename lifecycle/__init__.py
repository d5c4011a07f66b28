"""S3 Lifecycle for the lake.

Pure: ``config`` (the LifecycleConfiguration JSON), ``validate`` (as S3 validates it), ``planner`` and
``prices``. I/O, through the lake's object operations (``sluice.lake.objects``): ``listing``, ``run``
(plan and apply, journaled in ``journal``), ``executors``, ``partitions`` (the catalog follows),
``tiering`` (partition-aware TableRules), ``restore``, ``report``, ``push``, ``access`` (reads of archived
objects, Intelligent-Tiering) and ``cli``.
"""

from __future__ import annotations

from lifecycle.config import LifecycleConfiguration, LifecycleError, load_config
from lifecycle.planner import Action, LakeObject, MultipartUpload, Plan, plan
from lifecycle.prices import PriceTable, load_prices
from lifecycle.validate import LifecycleValidationError, ensure_valid, validate

__all__ = [
    "Action",
    "LakeObject",
    "LifecycleConfiguration",
    "LifecycleError",
    "LifecycleValidationError",
    "MultipartUpload",
    "Plan",
    "PriceTable",
    "ensure_valid",
    "load_config",
    "load_prices",
    "plan",
    "validate",
]
