"""`cdp flows preview FLOW --customer ID`: each send step rendered for one customer, with what the
send-time rules would decide now (consent, address, quiet hours; caps against an empty history). Nothing
is written and nothing is sent."""

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from automation import policy as rules
from automation import templates
from automation.definitions import POLICY_FILE, load_flow, load_policy
from automation.errors import FlowError
from automation.sources import Customers
from automation.store import SCHEMA
from serving.lookup import IDENTIFIER_TYPES, resolve


def preview(
    flows_dir: Path, flow_name: str, customer: str, trigger: dict[str, Any], serving: sqlite3.Connection
) -> Iterator[str]:
    path = Path(flows_dir) / f"{flow_name}.yml"
    if not path.exists():
        raise FlowError(f"No flow `{flow_name}` ({path} does not exist)")
    flow = load_flow(path)
    policy = load_policy(Path(flows_dir) / POLICY_FILE)
    kind, sep, value = customer.partition(":")
    if not sep or kind not in IDENTIFIER_TYPES:
        kind, value = "customer_id", customer
    customer_id = resolve(serving, kind, value)
    if customer_id is None:
        raise FlowError(f"No customer `{customer}` in the serving store (try customer_id, email:..., user_id:...)")
    customers = Customers(serving)
    profile = customers.profile(customer_id)
    scratch = sqlite3.connect(":memory:")
    scratch.executescript(SCHEMA)
    values = templates.context(
        customer_id,
        profile,
        customers.recommendations(customer_id),
        trigger,
        policy.unsubscribe_url.format(token="preview"),
    )
    yield f"flow {flow.name} v{flow.version} for customer {customer_id} ({flow.trigger['type']} trigger)"
    for step in flow.steps:
        if step.kind != "send":
            yield f"- {step.id}: {step.kind} {step.spec}"
            continue
        _, reason = rules.decide(
            scratch,
            policy,
            customer_id=customer_id,
            channel=step.spec["channel"],
            purpose=step.spec.get("purpose", "marketing"),
            profile=profile,
            consents=customers.consents(customer_id),
            at=time.time(),
        )
        verdict = f"would be suppressed ({reason})" if reason else "would be sent"
        yield f"- {step.id}: {step.spec['channel']}, {verdict}"
        for part, text in templates.render(step, values).items():
            yield f"    {part}: {text}"
