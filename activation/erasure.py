"""Erase one person from every declared sync's destination that can delete (issue 6, right to erasure).

Each sync whose destination is in `ERASABLE` is built exactly as `cdp activate` builds it (same options,
same secrets from the environment) and asked to `erase` the person; syncs that reach the same list,
audience or CRM account share one call. Every sync gets one `ErasureResult`, so the caller can record
the request per destination and retry the `failed` ones later. Nothing here raises for one destination:
a sync whose settings are missing, or whose API is down, is a `failed` result and the others still run.
Results never carry the person's identifiers, in clear or hashed.

This is the activation half of a delete request only: the warehouse must stop holding (or suppress) the
person too, or the next sync run would try to send them again (Mailchimp refuses a forgotten address per
row; the other destinations would take them back).
"""

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import replace

from activation.destinations import ERASABLE, create_destination
from activation.destinations.base import ERASURE_POLICY, Erasable, ErasureResult, ErasureSubject
from activation.errors import ActivationError
from activation.resilience import RetryPolicy, Sleep
from activation.runner import declared_syncs
from activation.syncs import Sync
from cdp.config import Settings

log = logging.getLogger(__name__)


def erase_everywhere(
    syncs: list[Sync],
    env: Mapping[str, str] | None,
    subject: ErasureSubject,
    *,
    sleep: Sleep = time.sleep,
    policy: RetryPolicy = ERASURE_POLICY,
) -> list[ErasureResult]:
    """One result per sync, in the order given; `destination` is the sync's name."""
    env = os.environ if env is None else env
    results: list[ErasureResult] = []
    erased_in: dict[str, tuple[str, ErasureResult]] = {}  # erasure scope -> (first sync, its result)
    for sync in syncs:
        if sync.destination not in ERASABLE:
            detail = f"destination `{sync.destination}` has no erasure call; erasable: {', '.join(ERASABLE)}"
            results.append(ErasureResult(sync.name, "unsupported", 0, detail))
            continue
        try:
            destination = create_destination(sync, env)
        except Exception as exc:  # one sync's bad settings must not stop the others
            # a missing option or environment variable: the message names which (never a value)
            detail = f"not configured: {exc}" if isinstance(exc, ActivationError) else type(exc).__name__
            results.append(ErasureResult(sync.name, "failed", 0, detail))
            continue
        try:
            if not isinstance(destination, Erasable):  # ERASABLE names a destination without `erase`
                results.append(ErasureResult(sync.name, "failed", 0, f"`{sync.destination}` has no `erase`"))
                continue
            scope = destination.erasure_scope
            if scope in erased_in:
                first, earlier = erased_in[scope]
                detail = f"same {sync.destination} list/account as sync `{first}`: {earlier.detail}"
                results.append(ErasureResult(sync.name, earlier.status, 0, detail))
                continue
            try:
                result = replace(destination.erase(subject, sleep=sleep, policy=policy), destination=sync.name)
            except Exception as exc:  # a bug in one destination must not leave the others un-erased
                log.exception("erasure in sync `%s` crashed", sync.name)
                result = ErasureResult(sync.name, "failed", 0, f"crashed: {type(exc).__name__}")
            erased_in[scope] = (sync.name, result)
            results.append(result)
            log.info(
                "erasure in sync `%s`: %s after %d requests (%s)",
                sync.name,
                result.status,
                result.attempts,
                result.detail,
            )
        finally:
            destination.close()
    return results


def erase_declared(
    settings: Settings,
    subject: ErasureSubject,
    env: Mapping[str, str] | None = None,
    *,
    sleep: Sleep = time.sleep,
) -> list[ErasureResult]:
    """Erase the person from every sync declared in the project (`models/activation/_syncs.yml`, read the
    way `cdp activate` reads it)."""
    return erase_everywhere(declared_syncs(settings), env, subject, sleep=sleep)
