"""Legacy password hashes: recognising their formats (and, for the trigger, verifying them)."""

from cognito_migrate.passwords.formats import HashFormat, detect_hash_format

__all__ = ["HashFormat", "detect_hash_format"]
