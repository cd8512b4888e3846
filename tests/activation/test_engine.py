"""The engine's promises, against an in-memory destination that fails on demand."""

import pytest

from activation.engine import ABORTED, DRY_RUN, INCOMPLETE, SKIPPED, SUCCESS, RunContext, idempotency_key, run_sync
from activation.planner import plan_sync
from activation.resilience import RetryPolicy
from activation.testing.memory import Crash, MemoryDestination


def model_as_dict(rows):
    return {key: {"email": email, "first_name": name} for key, email, name in rows}


def test_first_run_sends_everything_in_batches_of_the_destination_limit(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(25))
    destination = MemoryDestination(max_batch_size=10)
    result = run_sync(warehouse.conn, make_sync(), destination, context)
    assert result.status == SUCCESS
    assert [len(b.records) for b in destination.sends] == [10, 10, 5]
    assert destination.rows == model_as_dict(rows(25))


def test_second_run_with_no_changes_sends_zero_requests(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(25))
    destination = MemoryDestination()
    run_sync(warehouse.conn, make_sync(), destination, context)
    destination.sends.clear()
    result = run_sync(warehouse.conn, make_sync(), destination, context)
    assert result.status == SUCCESS
    assert destination.sends == []
    assert (result.planned_inserts, result.planned_updates, result.planned_deletes) == (0, 0, 0)


def test_updates_and_deletes_come_from_the_same_full_outer_join(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(10))
    destination = MemoryDestination()
    sync = make_sync()
    run_sync(warehouse.conn, sync, destination, context)
    changed = rows(10)[1:]  # cus_00000 deleted
    changed[0] = (changed[0][0], changed[0][1], "Bea")  # cus_00001 updated
    changed.append(("cus_99999", "new@example.com", "Cy"))  # inserted
    warehouse.set_model(changed)
    destination.sends.clear()
    result = run_sync(warehouse.conn, sync, destination, context)
    assert (result.planned_inserts, result.planned_updates, result.planned_deletes) == (1, 1, 1)
    assert [(b.operation, [r.key for r in b.records]) for b in destination.sends] == [
        ("delete", ["cus_00000"]),
        ("upsert", ["cus_00001", "cus_99999"]),
    ]
    assert destination.rows == model_as_dict(changed)


def test_crash_between_send_and_acknowledgement_resends_at_most_one_batch(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(30))
    destination = MemoryDestination(max_batch_size=10)
    destination.faults.extend([None, "crash_after_apply"])
    with pytest.raises(Crash):
        run_sync(warehouse.conn, make_sync(), destination, context)
    crashed_batch = destination.sends[1]
    destination.sends.clear()
    result = run_sync(warehouse.conn, make_sync(), destination, context)
    assert result.status == SUCCESS
    resent = [b for b in destination.sends if b.idempotency_key == crashed_batch.idempotency_key]
    assert len(resent) == 1, "the unacknowledged batch goes again, with the same idempotency key"
    assert sum(len(b.records) for b in destination.sends) == 20  # that batch and the one never sent
    assert destination.rows == model_as_dict(rows(30))


def test_outage_mid_run_ends_incomplete_and_the_next_run_catches_up(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(50))
    destination = MemoryDestination(max_batch_size=10)
    destination.faults.extend([None, None] + ["retryable"] * 50)
    result = run_sync(warehouse.conn, make_sync(), destination, context)
    assert result.status == INCOMPLETE
    assert result.rows_acked == 20
    assert context.breakers[destination.rate_limit_key].is_open
    # the breaker stops the run after `breaker_threshold` failed batches instead of trying all of them
    assert len(destination.sends) == 2 + 2 * context.policy.max_attempts

    destination.faults.clear()
    destination.sends.clear()
    result = run_sync(warehouse.conn, make_sync(), destination, RunContext(sleep=lambda s: None))
    assert result.status == SUCCESS
    assert sum(len(b.records) for b in destination.sends) == 30
    assert destination.rows == model_as_dict(rows(50))


def test_partial_failures_retry_only_the_failed_rows_next_run(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(10))
    destination = MemoryDestination(max_batch_size=10)
    destination.faults.append("reject_rows:3")
    result = run_sync(warehouse.conn, make_sync(), destination, context)
    assert (result.status, result.rows_acked, result.rows_failed) == (INCOMPLETE, 7, 3)
    destination.sends.clear()
    run_sync(warehouse.conn, make_sync(), destination, context)
    assert [r.key for b in destination.sends for r in b.records] == ["cus_00000", "cus_00001", "cus_00002"]
    assert destination.rows == model_as_dict(rows(10))


def test_failed_rows_go_again_with_their_latest_values(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(3))
    destination = MemoryDestination()
    destination.faults.append("reject_rows:1")
    run_sync(warehouse.conn, make_sync(), destination, context)
    warehouse.set_model([("cus_00000", "c0@example.com", "Zoe"), *rows(3)[1:]])
    destination.sends.clear()
    run_sync(warehouse.conn, make_sync(), destination, context)
    assert [(r.key, r.fields["first_name"]) for b in destination.sends for r in b.records] == [("cus_00000", "Zoe")]


def test_retryable_errors_back_off_with_jitter_and_429_does_not_spend_an_attempt(
    warehouse, make_sync, sleeps, context, rows
):
    warehouse.set_model(rows(5))
    destination = MemoryDestination()
    context.policy = RetryPolicy(max_attempts=2, base_delay_s=1.0)
    destination.faults.extend(["rate_limited", "rate_limited", "rate_limited", "retryable"])
    result = run_sync(warehouse.conn, make_sync(), destination, context)
    assert result.status == SUCCESS  # three 429s and one 500 within max_attempts=2
    assert sleeps[:3] == [1.0, 1.0, 1.0]  # Retry-After honoured
    assert 0 <= sleeps[3] <= 2.0  # backoff: uniform in [0, base * 2**attempt]
    assert len(destination.sends) == 5


def test_timeout_after_apply_is_retried_with_the_same_idempotency_key(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(5))
    destination = MemoryDestination()
    destination.faults.append("applied_then_timeout")
    result = run_sync(warehouse.conn, make_sync(), destination, context)
    assert result.status == SUCCESS
    assert len({b.idempotency_key for b in destination.sends}) == 1
    assert len(destination.sends) == 2


def test_mirror_aborts_on_an_empty_model_unless_forced(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(5))
    destination = MemoryDestination()
    run_sync(warehouse.conn, make_sync(), destination, context)
    warehouse.set_model([])
    destination.sends.clear()
    result = run_sync(warehouse.conn, make_sync(), destination, context)
    assert result.status == ABORTED and "no rows" in result.message
    assert destination.sends == [] and len(destination.rows) == 5
    result = run_sync(warehouse.conn, make_sync(), destination, context, force=True)
    assert result.status == SUCCESS and destination.rows == {}


def test_deletes_above_the_allowed_share_abort_before_sending(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(10))
    destination = MemoryDestination()
    run_sync(warehouse.conn, make_sync(max_delete_share=0.3), destination, context)
    warehouse.set_model(rows(6))
    destination.sends.clear()
    result = run_sync(warehouse.conn, make_sync(max_delete_share=0.3), destination, context)
    assert result.status == ABORTED and "4 deletes" in result.message
    assert destination.sends == []


def test_dry_run_sends_nothing_and_names_the_changed_fields(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(3))
    destination = MemoryDestination()
    run_sync(warehouse.conn, make_sync(), destination, context)
    warehouse.set_model([("cus_00000", "c0@example.com", "Zoe"), *rows(3)[1:], ("cus_00009", "n@example.com", "N")])
    destination.sends.clear()
    result = run_sync(warehouse.conn, make_sync(), destination, context, dry_run=True)
    assert result.status == DRY_RUN and destination.sends == []
    assert (result.planned_inserts, result.planned_updates) == (1, 1)
    assert result.field_changes == {"first_name": 1}
    assert ("cus_00000", "update", ["first_name"]) in result.sample_changes
    # nothing moved: a real run still sends both
    assert run_sync(warehouse.conn, make_sync(), destination, context).rows_acked == 2


def test_a_sync_without_a_consent_purpose_sends_nothing(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(3))
    destination = MemoryDestination()
    result = run_sync(warehouse.conn, make_sync(consent_purpose=None), destination, context)
    assert result.status == SKIPPED and destination.sends == []


def test_customers_who_withdraw_consent_are_removed_from_an_audience(warehouse, make_sync, context, rows):
    sync = make_sync(mode="add_remove", delete_behaviour="remove")
    warehouse.set_model(rows(4))
    destination = MemoryDestination()
    run_sync(warehouse.conn, sync, destination, context)
    warehouse.set_model(rows(4), withdrawn=["cus_00002"])
    destination.sends.clear()
    run_sync(warehouse.conn, sync, destination, context)
    assert [(b.operation, [r.key for r in b.records]) for b in destination.sends] == [("remove", ["cus_00002"])]
    # the removal carries the fields the warehouse still has, so list destinations can find the member
    assert destination.sends[0].records[0].fields["email"] == "c2@example.com"
    assert "cus_00002" not in destination.rows


def test_segment_syncs_send_members_outside_the_holdout(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(6))
    warehouse.set_segment("vip", ["cus_00001", "cus_00002", "cus_00003"], holdout=["cus_00003"])
    destination = MemoryDestination()
    run_sync(
        warehouse.conn, make_sync(segment="vip", mode="add_remove", delete_behaviour="remove"), destination, context
    )
    assert sorted(destination.rows) == ["cus_00001", "cus_00002"]


@pytest.mark.parametrize(
    ("mode", "delete_behaviour", "expected_operations"),
    [
        ("upsert", "none", ["upsert"]),
        ("insert_only", "none", ["insert"]),
        ("update_only", "none", ["update"]),
        ("mirror", "archive", ["archive", "upsert"]),
        ("add_only", "none", ["add"]),
        ("replace", "remove", ["remove", "add"]),
    ],
    ids=[
        "upsert-ignores-deletes",
        "insert-only-ignores-updates",
        "update-only",
        "mirror-archives",
        "add-only",
        "replace-removes",
    ],
)
def test_modes_decide_what_a_change_becomes(
    warehouse, make_sync, context, rows, mode, delete_behaviour, expected_operations
):
    sync = make_sync(mode=mode, delete_behaviour=delete_behaviour)
    warehouse.set_model(rows(3))
    destination = MemoryDestination()
    run_sync(warehouse.conn, sync, destination, context)
    warehouse.set_model(
        [("cus_00001", "c1@example.com", "Bo"), ("cus_00002", "c2@example.com", "Ann"), ("cus_00003", "c3@x.org", "C")]
    )
    destination.sends.clear()
    run_sync(warehouse.conn, sync, destination, context)
    assert [b.operation for b in destination.sends] == expected_operations
    # whatever the mode skipped is settled: a third run plans nothing
    assert plan_sync(warehouse.conn, sync).changes == []


def test_changelog_and_runs_hold_no_personal_data(warehouse, make_sync, context, rows):
    warehouse.set_model(rows(5))
    destination = MemoryDestination()
    destination.faults.append("reject_rows:2")
    run_sync(warehouse.conn, make_sync(), destination, context)
    text = " ".join(
        str(value)
        for table in ("sync_changelog", "sync_runs", "sync_state")
        for row in warehouse.conn.execute(f"select * from activation.{table}").fetchall()
        for value in row
    )
    assert "@example.com" not in text and "Ann" not in text
    statuses = warehouse.conn.execute(
        "select status, count(*) from activation.sync_changelog group by status order by status"
    ).fetchall()
    assert statuses == [("acked", 3), ("failed", 2)]


def test_idempotency_key_is_stable_for_the_same_content_and_changes_with_it(warehouse, make_sync, rows):
    warehouse.set_model(rows(3))
    plan = plan_sync(warehouse.conn, make_sync()).changes
    again = plan_sync(warehouse.conn, make_sync()).changes
    assert idempotency_key("s", "upsert", plan) == idempotency_key("s", "upsert", again)
    assert idempotency_key("s", "upsert", plan) != idempotency_key("s", "upsert", plan[:2])
