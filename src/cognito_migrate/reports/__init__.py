"""What people read after (or during) a migration: status summaries, per-user reports."""

from cognito_migrate.reports.status import journal_status, locate_journal

__all__ = ["journal_status", "locate_journal"]
