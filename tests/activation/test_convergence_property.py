"""Property: whatever the history of the model and whatever faults the destination throws, one clean run
afterwards leaves the destination equal to the model."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activation.engine import RunContext, run_sync
from activation.resilience import RetryPolicy
from activation.testing.memory import Crash, MemoryDestination

KEYS = [f"cus_{i:03d}" for i in range(12)]
FAULTS = [None, "retryable", "rate_limited", "applied_then_timeout", "crash_after_apply", "reject_rows:1"]

models = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(["Ann", "Bo", None, ""]), max_size=len(KEYS))
withdrawals = st.sets(st.sampled_from(KEYS), max_size=3)
steps = st.lists(st.tuples(models, withdrawals, st.lists(st.sampled_from(FAULTS), max_size=6)), min_size=1, max_size=5)


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=steps, mode=st.sampled_from(["mirror", "add_remove"]))
def test_one_clean_run_after_any_history_of_faults_makes_the_destination_equal_the_model(
    warehouse, make_sync, history, mode
):
    warehouse.conn.execute("drop schema if exists activation cascade")
    sync = make_sync(mode=mode, delete_behaviour="delete" if mode == "mirror" else "remove")
    destination = MemoryDestination(max_batch_size=3)
    context = RunContext(
        sleep=lambda s: None,
        rng=random.Random(0),
        policy=RetryPolicy(max_attempts=2),
        breaker_threshold=2,
        breaker_cooldown_s=0,
    )
    for model, withdrawn, faults in history:
        warehouse.set_model([(key, f"{key}@example.com", name) for key, name in model.items()], withdrawn)
        destination.faults.clear()
        destination.faults.extend(faults)
        try:
            run_sync(warehouse.conn, sync, destination, context, force=True)
        except Crash:
            pass  # the engine holds no transaction while it waits on a destination: nothing to undo

    destination.faults.clear()
    result = run_sync(warehouse.conn, sync, destination, RunContext(sleep=lambda s: None), force=True)
    model, withdrawn, _ = history[-1]
    expected = {
        key: {"email": f"{key}@example.com", "first_name": name} for key, name in model.items() if key not in withdrawn
    }
    assert result.status == "success"
    assert destination.rows == expected
