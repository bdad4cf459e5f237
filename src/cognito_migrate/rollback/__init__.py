"""Undoing a run: the users one apply or sweep run created, deleted from the pool and journaled.

selection.py   which of the run's migrated users it created (and which it only updated)
deleter.py     PoolDeleter: checks each pool user is the one created, then AdminDeleteUser, paced
command.py     rollback_command: preview, confirmation, the rollback run, its result
"""

from __future__ import annotations

from cognito_migrate.rollback.command import RollbackPreview, rollback_command

__all__ = ["RollbackPreview", "rollback_command"]
