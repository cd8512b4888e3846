"""The flows engine: turns events, profile changes, catalogue stock and due timers into entries, waits and
outbox rows.

Every input is handled inside one SQLite transaction together with the read position it advances, so a
crash either keeps a decision and its position or neither; the replay after a restart makes the same
decisions under the same deterministic firing ids (flow, version, customer, key, occurrence, step), and
the outbox's primary key takes each once. Time is the input's own (an event's `receivedAt`, a change's
`changed_at`, a timer's deadline), never the wall clock, so replays agree; the clock only says which timers
are due. Senders (automation/delivery.py) deliver the outbox separately.
"""

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from automation import durations, templates
from automation import policy as rules
from automation.conditions import holds, matches
from automation.definitions import Flow, Policy
from automation.sources import (
    CHANGES_CURSOR,
    SPOOL_CURSOR,
    Catalogue,
    Customers,
    SpoolReader,
    epoch,
    read_change_batch,
)
from automation.store import firing_id, get_cursor, set_cursor

log = logging.getLogger(__name__)

Clock = Callable[[], float]
PUSH_SUBSCRIBED = "Push Subscribed"
VIEW_EVENT = "Product Viewed"


@dataclass
class EngineStats:
    events: int = 0
    skipped_lines: int = 0  # not JSON, or no customer: counted, never silently dropped
    changes: int = 0
    timers: int = 0
    entered: int = 0
    outbox: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class Engine:
    def __init__(
        self,
        conn: sqlite3.Connection,
        flows: list[Flow],
        policy: Policy,
        customers: Customers,
        clock: Clock,
        spool: SpoolReader | None = None,
        catalogue: Catalogue | None = None,
        is_suppressed: rules.SuppressionCheck | None = None,
        batch_size: int = 500,
        settle_s: float = 0.0,
    ) -> None:
        self.conn = conn
        self.flows = [f for f in flows if f.enabled]
        self.by_name = {f.name: f for f in self.flows}
        self.policy = policy
        self.customers = customers
        self.clock = clock
        self.spool = spool
        self.catalogue = catalogue
        self.is_suppressed = is_suppressed
        self.batch_size = batch_size
        # An absence or inactivity timer waits this long past its deadline before it fires, so that an
        # event received just before the deadline, still in the collector's open spool file, is read
        # first and cancels it (set it to the collector's rotation interval).
        self.settle_s = settle_s
        self.stats = EngineStats()

    # -- the loop -------------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Read what is new (spool, changes, catalogue), then fire due timers; returns the work done."""
        return self.poll_spool() + self.poll_changes() + self.poll_catalogue() + self.fire_due_timers()

    def run(self, stop: threading.Event, idle_s: float = 0.2) -> None:
        while not stop.is_set():
            if self.run_once() == 0:
                stop.wait(min(idle_s, max(0.0, self.seconds_to_next_timer())))

    def seed_inactivity(self) -> int:
        """Start inactivity timers (and `returned` flows' last activity) for customers the engine has never
        seen, from their profile's last web visit or order, once per flow version: a customer silent since
        before the engine first ran is as lapsed as one it watched go quiet. A timer already due fires on
        the next loop (caps, quiet hours and consent apply as to any send). Returns the customers seeded."""
        seeded = 0
        for flow in self.flows:
            kind = flow.trigger["type"]
            done = f"seeded:{flow.name}:{flow.version}"
            if kind not in ("inactivity", "returned") or get_cursor(self.conn, done):
                continue
            known = {c for (c,) in self.conn.execute("select customer_id from activity where flow = ?", [flow.name])}
            known |= {c for (c,) in self.conn.execute("select customer_id from entries where flow = ?", [flow.name])}
            known |= {c for (c,) in self.conn.execute("select customer_id from timers where flow = ?", [flow.name])}
            self._begin()
            try:
                for customer, body in self.customers.conn.execute("select customer_id, body from profiles"):
                    last = _last_activity(json.loads(body))
                    if customer in known or last is None:
                        continue
                    if kind == "inactivity":
                        timer_id = firing_id("inactivity", flow.name, customer, None)
                        self.conn.execute(
                            "insert into timers values (?, 'inactivity', ?, ?, null, null, ?, '{}')"
                            " on conflict (timer_id) do nothing",
                            [timer_id, flow.name, customer, last + durations.seconds(flow.trigger["for"])],
                        )
                    else:
                        self.conn.execute(
                            "insert into activity values (?, ?, ?) on conflict (flow, customer_id) do nothing",
                            [flow.name, customer, last],
                        )
                    seeded += 1
                set_cursor(self.conn, done, "1")
                self.conn.execute("commit")
            except BaseException:
                self.conn.execute("rollback")
                raise
        return seeded

    def seconds_to_next_timer(self) -> float:
        row = self.conn.execute("select min(due_at) from timers").fetchall()[0][0]
        return 3600.0 if row is None else row - self.clock()

    def _begin(self) -> None:
        self.conn.execute("begin immediate")

    def poll_spool(self) -> int:
        if self.spool is None:
            return 0
        raw = get_cursor(self.conn, SPOOL_CURSOR)
        position = tuple(json.loads(raw)) if raw else None
        lines = list(self.spool.read(position, self.batch_size))
        if not lines:
            return 0
        self._begin()
        try:
            for line in lines:
                if line.event is None:
                    self.stats.skipped_lines += 1
                    continue
                self.handle_event(line.event)
            set_cursor(self.conn, SPOOL_CURSOR, json.dumps([lines[-1].file, lines[-1].line]))
            self.conn.execute("commit")
        except BaseException:
            self.conn.execute("rollback")
            raise
        return len(lines)

    def poll_changes(self) -> int:
        after = int(get_cursor(self.conn, CHANGES_CURSOR) or 0)
        changes = read_change_batch(self.customers.conn, after, self.batch_size)
        if not changes:
            return 0
        self._begin()
        try:
            for change in changes:
                self.handle_change(change)
            set_cursor(self.conn, CHANGES_CURSOR, str(changes[-1]["seq"]))
            self.conn.execute("commit")
        except BaseException:
            self.conn.execute("rollback")
            raise
        return len(changes)

    def poll_catalogue(self) -> int:
        stock = self.catalogue.changed() if self.catalogue is not None else None
        if stock is None:
            return 0
        self._begin()
        try:
            fired = self.handle_stock(stock, self.clock())
            self.conn.execute("commit")
        except BaseException:
            self.conn.execute("rollback")
            raise
        return max(fired, 1)

    def fire_due_timers(self) -> int:
        now = self.clock()
        timers = self.conn.execute(
            "select timer_id, kind, flow, customer_id, entry_key, entry_id, due_at, payload from timers"
            " where (kind = 'step' and due_at <= ?) or (kind != 'step' and due_at <= ?)"
            " order by due_at, timer_id limit ?",
            [now, now - self.settle_s, self.batch_size],
        ).fetchall()
        if not timers:
            return 0
        self._begin()
        try:
            for timer_id, kind, flow_name, customer, key, entry_id, due_at, payload in timers:
                if self.conn.execute("delete from timers where timer_id = ?", [timer_id]).rowcount == 0:
                    continue  # another engine took it
                self.stats.timers += 1
                flow = self.by_name.get(flow_name)
                if flow is None:
                    continue  # the flow was removed or disabled: its timers lapse
                if kind == "step":
                    self._advance(flow, entry_id, due_at)
                else:  # absence or inactivity: the awaited event did not come
                    self._enter(flow, customer, key, json.loads(payload or "{}"), due_at)
            self.conn.execute("commit")
        except BaseException:
            self.conn.execute("rollback")
            raise
        return len(timers)

    # -- events ---------------------------------------------------------------------------------------

    def handle_event(self, event: dict[str, Any]) -> None:
        at = epoch(event.get("receivedAt")) or epoch(event.get("timestamp")) or self.clock()
        customer = self.customers.resolve(event)
        if customer is None:
            self.stats.skipped_lines += 1
            return
        self.stats.events += 1
        name = event_name(event)
        props = event.get("properties") or {}
        if name == PUSH_SUBSCRIBED:
            self._subscribe_push(customer, props, at)
        profile: dict[str, Any] | None = None
        for flow in self.flows:
            goal = flow.goal
            if goal and goal["event"] == name and matches(props, goal.get("where")):
                key = props.get(flow.trigger.get("key")) if goal.get("same_key") else None
                self._exit(flow, customer, "converted", at, key=key, keyed=bool(goal.get("same_key")))
        for flow in self.flows:
            trigger, kind = flow.trigger, flow.trigger["type"]
            if kind == "restock" and name == trigger.get("view_event", VIEW_EVENT):
                sku = props.get("sku") or props.get("product_id")
                if sku is not None:
                    self.conn.execute(
                        "insert into product_views values (?, ?, ?) on conflict (sku, customer_id)"
                        " do update set viewed_at = max(viewed_at, excluded.viewed_at)",
                        [str(sku), customer, at],
                    )
            elif kind == "absence" and name == trigger["missing"]:
                key = props.get(trigger["key"])
                if key is not None:
                    self.conn.execute(
                        "delete from timers where timer_id = ?", [firing_id("absence", flow.name, customer, key)]
                    )
            if kind in ("event", "absence") and name == trigger["event"] and matches(props, trigger.get("where")):
                if "profile" in trigger:
                    profile = profile if profile is not None else self.customers.profile(customer)
                    if not holds(trigger["profile"], profile, self.customers.segments(customer)):
                        continue
                key = props.get(trigger["key"]) if trigger.get("key") else None
                if trigger.get("key") and key is None:
                    continue  # a keyed trigger without its key cannot be told apart: not entered
                if kind == "event":
                    self._enter(flow, customer, key, props, at)
                elif not self._entered_before(flow, customer, key):
                    # (re)start the absence timer: a cart that changes waits its full time again
                    self._set_timer(
                        "absence", flow, customer, key, None, at + durations.seconds(trigger["within"]), props
                    )
            elif kind in ("inactivity", "returned") and name in trigger["events"]:
                if kind == "inactivity":
                    self._set_timer(
                        "inactivity", flow, customer, None, None, at + durations.seconds(trigger["for"]), {}
                    )
                else:
                    row = self.conn.execute(
                        "select last_at from activity where flow = ? and customer_id = ?", [flow.name, customer]
                    ).fetchall()
                    if row and at - row[0][0] >= durations.seconds(trigger["after"]):
                        self._enter(flow, customer, None, props, at)
                    self.conn.execute(
                        "insert into activity values (?, ?, ?) on conflict (flow, customer_id)"
                        " do update set last_at = max(last_at, excluded.last_at)",
                        [flow.name, customer, at],
                    )

    def _subscribe_push(self, customer: str, props: dict[str, Any], at: float) -> None:
        keys = props.get("keys") or {}
        endpoint = props.get("endpoint")
        if not endpoint or not keys.get("p256dh") or not keys.get("auth"):
            self.stats.skipped_lines += 1
            return
        self.conn.execute(
            "insert into push_subscriptions values (?, ?, ?, ?, ?) on conflict (endpoint) do update set"
            " customer_id = excluded.customer_id, p256dh = excluded.p256dh, auth = excluded.auth",
            [endpoint, customer, keys["p256dh"], keys["auth"], at],
        )

    # -- changes and stock ----------------------------------------------------------------------------

    def handle_change(self, change: dict[str, Any]) -> None:
        self.stats.changes += 1
        at = epoch(change.get("changed_at")) or self.clock()
        customer, kind, name = change["customer_id"], change["change_type"], change.get("name")
        old, new = change.get("old_value"), change.get("new_value")
        if kind == "profile_deleted":
            for flow in self.flows:
                self._exit(flow, customer, "profile_deleted", at)
            return
        if kind == "segment_exited":
            for flow in self.flows:
                if flow.exit_segment == name:
                    self._exit(flow, customer, "segment_exited", at)
        for flow in self.flows:
            trigger = flow.trigger
            if trigger["type"] in ("segment_entered", "segment_exited"):
                if kind == trigger["type"] and name == trigger["segment"]:
                    self._enter(flow, customer, None, {"segment": name}, at)
            elif trigger["type"] == "trait_changed" and kind == "trait_changed" and name == trigger["trait"]:
                if _trait_fires(trigger, old, new):
                    self._enter(flow, customer, None, {"trait": name, "old": old, "new": new}, at)

    def handle_stock(self, stock: dict[str, tuple[int, str | None]], at: float) -> int:
        """Products whose stock went from none to some fan out to the customers who viewed them."""
        known = dict(self.conn.execute("select sku, quantity from stock").fetchall())
        fired = 0
        restocked = [sku for sku, (quantity, _) in stock.items() if quantity > 0 and known.get(sku, 1) <= 0]
        self.conn.executemany(
            "insert into stock values (?, ?, ?) on conflict (sku) do update set"
            " quantity = excluded.quantity, name = excluded.name",
            [(sku, quantity, name) for sku, (quantity, name) in stock.items()],
        )
        for flow in self.flows:
            if flow.trigger["type"] != "restock":
                continue
            since = at - durations.seconds(flow.trigger["viewed_within"])
            for sku in restocked:
                viewers = self.conn.execute(
                    "select customer_id from product_views where sku = ? and viewed_at >= ? order by customer_id",
                    [sku, since],
                ).fetchall()
                for (customer,) in viewers:
                    fired += self._enter(flow, customer, sku, {"sku": sku, "name": stock[sku][1]}, at)
        return fired

    # -- entries and steps ----------------------------------------------------------------------------

    def _entered_before(self, flow: Flow, customer: str, key: Any) -> bool:
        if flow.entry != "once_per_key":
            return False
        return bool(
            self.conn.execute(
                "select 1 from entries where flow = ? and customer_id = ? and entry_key = ? limit 1",
                [flow.name, customer, str(key)],
            ).fetchall()
        )

    def _set_timer(
        self, kind: str, flow: Flow, customer: str, key: Any, entry_id: str | None, due: float, payload
    ) -> None:
        timer_id = firing_id(kind, flow.name, customer, key) if entry_id is None else firing_id("step", entry_id)
        self.conn.execute(
            "insert into timers values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (timer_id) do update set"
            " due_at = excluded.due_at, payload = excluded.payload",
            [
                timer_id,
                kind,
                flow.name,
                customer,
                None if key is None else str(key),
                entry_id,
                due,
                json.dumps(payload),
            ],
        )

    def _enter(self, flow: Flow, customer: str, key: Any, context: dict[str, Any], at: float) -> int:
        key = None if key is None else str(key)
        rows = self.conn.execute(
            "select status, entry_key from entries where flow = ? and customer_id = ?", [flow.name, customer]
        ).fetchall()
        if flow.entry == "once" and rows:
            return 0
        if flow.entry == "once_per_key" and any(k == key for _, k in rows):
            return 0
        if flow.entry == "again_after_exit" and any(status == "active" for status, _ in rows):
            return 0
        occurrence = len(rows) + 1
        entry_id = firing_id(flow.name, flow.version, customer, key, occurrence)
        self.conn.execute(
            "insert into entries values (?, ?, ?, ?, ?, ?, 'active', 0, ?, ?, ?, null)",
            [entry_id, flow.name, flow.version, customer, key, occurrence, json.dumps(context, default=str), at, at],
        )
        self.stats.entered += 1
        self._advance(flow, entry_id, at)
        return 1

    def _exit(self, flow: Flow, customer: str, status: str, at: float, key: Any = None, keyed: bool = False) -> None:
        sql = "select entry_id from entries where flow = ? and customer_id = ? and status = 'active'"
        args: list[Any] = [flow.name, customer]
        if keyed:
            sql += " and entry_key = ?"
            args.append(None if key is None else str(key))
        for (entry_id,) in self.conn.execute(sql, args).fetchall():
            self.conn.execute(
                "update entries set status = ?, exit_reason = ?, updated_at = ? where entry_id = ?",
                ["converted" if status == "converted" else "exited", status, at, entry_id],
            )
            self.conn.execute("delete from timers where entry_id = ?", [entry_id])

    def _advance(self, flow: Flow, entry_id: str, at: float) -> None:
        row = self.conn.execute(
            "select customer_id, entry_key, occurrence, status, step, context from entries where entry_id = ?",
            [entry_id],
        ).fetchall()
        if not row or row[0][3] != "active":
            return
        customer, key, occurrence, _, index, context_text = row[0]
        context = json.loads(context_text or "{}")
        profile: dict[str, Any] | None = None
        while index < len(flow.steps):
            step = flow.steps[index]
            if step.kind == "wait":
                profile = profile if profile is not None else self.customers.profile(customer)
                due = self._wait_until(step.spec, profile, at)
                self._set_timer("step", flow, customer, key, entry_id, due, {})
                self.conn.execute(
                    "update entries set step = ?, updated_at = ? where entry_id = ?", [index + 1, at, entry_id]
                )
                return
            if step.kind == "branch":
                profile = profile if profile is not None else self.customers.profile(customer)
                taken = holds(step.spec["if"], profile, self.customers.segments(customer))
                index = flow.step_index(step.spec["goto"]) if taken else index + 1
                continue
            if step.kind == "exit":
                break
            profile = profile if profile is not None else self.customers.profile(customer)
            self._send(flow, step, entry_id, customer, key, occurrence, profile, context, at)
            index += 1
        self.conn.execute(
            "update entries set status = 'completed', step = ?, updated_at = ? where entry_id = ?",
            [index, at, entry_id],
        )

    def _wait_until(self, spec: Any, profile: dict[str, Any], at: float) -> float:
        if isinstance(spec, str):
            return at + durations.seconds(spec)
        earliest = at + durations.seconds(spec.get("at_least", "0s"))
        zone = rules.timezone_of(self.policy, profile)
        local = datetime.fromtimestamp(earliest, zone)
        hours, minutes = map(int, spec["until"].split(":"))
        target = local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
        if target < local:
            target = (local + timedelta(days=1)).replace(hour=hours, minute=minutes, second=0, microsecond=0)
        return target.timestamp()

    def _send(self, flow, step, entry_id, customer, key, occurrence, profile, context, at) -> None:
        fid = firing_id(flow.name, flow.version, customer, key, occurrence, step.id)
        channel = step.spec["channel"]
        to, reason = rules.decide(
            self.conn,
            self.policy,
            customer_id=customer,
            channel=channel,
            purpose=step.spec.get("purpose", "marketing"),
            profile=profile,
            consents=self.customers.consents(customer),
            at=at,
            is_suppressed=self.is_suppressed,
        )
        message, error = None, None
        status = "suppressed" if reason else "pending"
        if to is not None:
            unsubscribe = self.policy.unsubscribe_url.format(token=fid)
            values = templates.context(
                customer, profile, self.customers.recommendations(customer), context, unsubscribe
            )
            try:
                message = {"to": to, "unsubscribe_url": unsubscribe, **templates.render(step, values)}
            except Exception as exc:  # a template that fails at run time: recorded, never half-sent
                status, error = "failed", f"template: {type(exc).__name__}: {exc}"
        inserted = self.conn.execute(
            "insert into outbox (firing_id, flow, version, entry_id, step, customer_id, channel, status, reason,"
            " message, created_at, due_at, settled_at, error) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " on conflict (firing_id) do nothing",
            [
                fid,
                flow.name,
                flow.version,
                entry_id,
                step.id,
                customer,
                channel,
                status,
                reason,
                json.dumps(message) if message else None,
                at,
                at,
                None if status == "pending" else at,
                error,
            ],
        ).rowcount
        if inserted:
            self.stats.outbox += 1
            label = reason or status
            self.stats.by_reason[label] = self.stats.by_reason.get(label, 0) + 1


def event_name(event: dict[str, Any]) -> str | None:
    """What flows call an event: a track call's `event`; a page call is `Page Viewed` and a screen call
    `Screen Viewed` (a visit, for inactivity and return triggers); other calls by their type."""
    kind = event.get("type")
    if kind == "track":
        return event.get("event")
    return {"page": "Page Viewed", "screen": "Screen Viewed"}.get(kind, kind)


def _trait_fires(trigger: dict[str, Any], old: Any, new: Any) -> bool:
    if "to" in trigger:
        return new in trigger["to"] and old not in trigger["to"]
    if "crosses" in trigger:
        ((side, level),) = trigger["crosses"].items()
        try:
            if side == "above":
                return new is not None and new > level and (old is None or old <= level)
            return new is not None and new < level and (old is None or old >= level)
        except TypeError:
            return False
    if "up_in" in trigger:
        order = trigger["up_in"]
        return old in order and new in order and order.index(new) > order.index(old)
    return old != new


def _last_activity(profile: dict[str, Any]) -> float | None:
    """The profile's last web visit or order, as epoch seconds (None when it has neither)."""
    moments = []
    for name in ("last_web_seen_at", "last_order_date"):
        value = profile.get(name)
        if isinstance(value, str) and value:
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            moments.append((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
    return max(moments, default=None)
