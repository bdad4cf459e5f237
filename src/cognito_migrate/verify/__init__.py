"""``verify``: the source and the pool compared user by user (present, attributes, enabled, groups,
status), every difference listed.

    from cognito_migrate.verify import verify_migration

    result = verify_migration(Path("migration.toml"), out=Path("differences.jsonl"))
    result.outcome          # ok: no difference; partial: some (the CLI exits 1)
    result.data["by_kind"]  # {"missing": 1, "attribute": 3, ...}

``expected`` says what the pool should hold per source user, ``pool_side`` reads the pool, ``compare``
finds the differences, ``run`` ties them together.
"""

from cognito_migrate.verify.compare import KINDS, Difference
from cognito_migrate.verify.run import verify_migration

__all__ = ["KINDS", "Difference", "verify_migration"]
