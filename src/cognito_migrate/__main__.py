from cognito_migrate.cli import run

run()
