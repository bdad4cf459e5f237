"""``cognito-migrate demo``: the whole pipeline, as far as it is built, against the local Cognito."""

from cognito_migrate.demo.run import run_demo

__all__ = ["run_demo"]
