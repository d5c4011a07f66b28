"""Every package's metadata tables, gathered for Alembic."""

from catalog import models as catalog_models
from etl import models as etl_models
from lifecycle import models as lifecycle_models
from quality import models as quality_models
from sluice.db import Base

__all__ = ["Base", "catalog_models", "etl_models", "lifecycle_models", "quality_models"]
