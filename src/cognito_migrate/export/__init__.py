"""``cognito-migrate export``: a pool's users, groups and memberships as JSON Lines, CSV or Cognito's
import CSV, streamed to a file, standard output or S3 (``run.export_pool``)."""

from __future__ import annotations

from cognito_migrate.export.run import export_pool

__all__ = ["export_pool"]
