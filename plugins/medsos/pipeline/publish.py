"""Stage 6, publish: the read-only copy of the warehouse staff query.

Reads the warehouse file; writes the published copy (replaced atomically).
"""

from __future__ import annotations

from medsos.config import Settings
from medsos.warehouse import publish


def publish_copy(settings: Settings) -> str:
    """Stage 6: refresh the read-only copy staff query."""
    return str(publish(settings))
