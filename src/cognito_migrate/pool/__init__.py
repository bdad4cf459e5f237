"""User pool tools: ``clone`` (a new pool with the settings an existing one cannot change) and ``tools``
(the console steps people script: app clients, enabling, disabling and deleting users, passwords)."""
