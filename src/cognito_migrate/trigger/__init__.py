"""Just-in-time migration: the migrate-user Lambda function and the staging table it reads.

``handler`` is the function's entry point, ``verify`` checks legacy hashes, ``staging`` writes the
table, ``layout`` describes its items. Nothing is imported here: the function's cold start loads
only what it uses.
"""
