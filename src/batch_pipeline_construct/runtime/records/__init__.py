"""The per-file record: where every file stands, what failed and why, and each run's report."""
