"""Messages rendered from a send step's Jinja2 templates (sandboxed: a flow file cannot reach Python)."""

import functools
from typing import Any

from jinja2 import Template, Undefined
from jinja2.sandbox import SandboxedEnvironment

from automation.definitions import Step

# Missing traits render as empty (a profile without first_name is normal); a typo in a name does too,
# which `cdp flows preview` shows before a flow goes live.
_ENV = SandboxedEnvironment(undefined=Undefined, autoescape=False, keep_trailing_newline=False)


def context(
    customer_id: str,
    profile: dict[str, Any],
    recommendations: list[dict[str, Any]],
    trigger: dict[str, Any],
    unsubscribe_url: str = "",
) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "profile": profile,
        "recommendations": recommendations,
        "event": trigger,
        "product": trigger,
        "unsubscribe_url": unsubscribe_url,
    }


@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> Template:
    return _ENV.from_string(text)  # compiling costs about 0.7 ms; a flow's templates are few


def render(step: Step, values: dict[str, Any]) -> dict[str, str]:
    """subject/body/url of a send step, rendered."""
    return {
        part: _compiled(step.spec[part]).render(values).strip()
        for part in ("subject", "body", "url")
        if part in step.spec
    }
