"""Task integrations for executions run in process (not pure: Glue goes through Sluice's service layer).

:class:`Integrations` is the TaskRunner; :func:`load_registry` reads the Lambda registry it maps functions by.
"""

from stepfunctions.integrations.lambdas import load_registry
from stepfunctions.integrations.runner import Integrations

__all__ = ["Integrations", "load_registry"]
