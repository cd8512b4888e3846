"""The PostgreSQL destination against a real server: upsert, mirror deletes, exactly once."""

import uuid

import psycopg
import pytest

from activation.destinations.base import Batch, Record
from activation.destinations.postgres import PostgresDestination
from activation.engine import SUCCESS, run_sync
from activation.testing.memory import Crash


@pytest.fixture
def table() -> str:
    return f"t_{uuid.uuid4().hex[:10]}"


def destination_for(dsn: str, table: str, **kwargs) -> PostgresDestination:
    return PostgresDestination(dsn, table, ["email", "first_name"], schema="cdp_test", **kwargs)


def table_rows(dsn: str, table: str) -> dict:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f"select customer_id, email, first_name from cdp_test.{table}").fetchall()
    return {key: {"email": email, "first_name": name} for key, email, name in rows}


def test_mirror_upserts_and_deletes_to_equal_the_model(warehouse, make_sync, context, postgres_dsn, table, rows):
    destination = destination_for(postgres_dsn, table, max_batch_size=4)
    sync = make_sync(destination="postgres")
    warehouse.set_model(rows(10))
    assert run_sync(warehouse.conn, sync, destination, context).status == SUCCESS
    warehouse.set_model([("cus_00001", "new@example.com", "Bo"), *rows(5, start=2)])
    assert run_sync(warehouse.conn, sync, destination, context, force=True).status == SUCCESS
    expected = {"cus_00001": {"email": "new@example.com", "first_name": "Bo"}}
    expected.update({k: {"email": e, "first_name": n} for k, e, n in rows(5, start=2)})
    assert table_rows(postgres_dsn, table) == expected
    destination.close()


def test_a_resent_batch_is_applied_once(postgres_dsn, table):
    destination = destination_for(postgres_dsn, table)
    batch = Batch("s", "upsert", [Record("cus_1", {"email": "a@example.com", "first_name": "A"})], "key-1")
    destination.send(batch)
    # meanwhile someone edits the row; a duplicate delivery of the old batch must not overwrite it
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute(f"update cdp_test.{table} set first_name = 'Edited'")
    destination.send(batch)
    assert table_rows(postgres_dsn, table)["cus_1"]["first_name"] == "Edited"
    with psycopg.connect(postgres_dsn) as conn:
        marks = conn.execute("select count(*) from cdp_test._cdp_applied_batches where idempotency_key = 'key-1'")
        assert marks.fetchone()[0] == 1
    destination.close()


def test_crash_after_commit_before_acknowledgement_does_not_apply_twice(
    warehouse, make_sync, context, postgres_dsn, table, rows
):
    inner = destination_for(postgres_dsn, table, max_batch_size=5)
    sends = []

    class CrashOnce:
        name, max_batch_size, rate_limit_key, wants_snapshot = "pg", 5, "pg", False

        def external_id(self, fields):
            return None

        def send(self, batch):
            sends.append(batch.idempotency_key)
            result = inner.send(batch)
            if len(sends) == 2:
                raise Crash()
            return result

        def close(self):
            inner.close()

    warehouse.set_model(rows(15))
    sync = make_sync(destination="postgres")
    with pytest.raises(Crash):
        run_sync(warehouse.conn, sync, CrashOnce(), context)
    assert run_sync(warehouse.conn, sync, CrashOnce(), context).status == SUCCESS
    assert sends[1] == sends[2], "the unacknowledged batch is resent with its key"
    assert len(sends) == 4
    with psycopg.connect(postgres_dsn) as conn:
        marks = conn.execute(
            "select count(*) from cdp_test._cdp_applied_batches where idempotency_key = any(%s)", [sends]
        ).fetchone()[0]
    assert marks == 3 and len(table_rows(postgres_dsn, table)) == 15
    inner.close()


def test_an_unreachable_server_is_retryable_and_the_run_incomplete(warehouse, make_sync, context, rows):
    dsn = "host=127.0.0.1 port=1 user=cdp dbname=postgres connect_timeout=1"
    warehouse.set_model(rows(2))
    result = run_sync(warehouse.conn, make_sync(destination="postgres"), destination_for(dsn, "t"), context)
    assert result.status == "incomplete" and result.rows_acked == 0
