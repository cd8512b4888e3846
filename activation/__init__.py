"""Reverse ETL: plan each sync against what its destination acknowledged, send the difference, record it.

Flow: `syncs` (declarations) -> `planner` (full outer join of model and `state`) -> `engine` (guards,
batches, retries, rate limits, circuit breakers) -> `destinations/<name>.py` (one small interface each).
"""
