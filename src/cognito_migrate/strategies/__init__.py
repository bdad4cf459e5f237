"""Strategies: how planned users get into the pool (CSV import jobs, the admin API, just-in-time)."""
