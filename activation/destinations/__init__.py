"""Destinations, one module each with a `create(sync, env)` factory; looked up by the sync's
`destination` name so that no destination imports another."""

import importlib
import os
from collections.abc import Mapping

from activation.destinations.base import Destination
from activation.errors import SyncConfigError
from activation.syncs import Sync

KNOWN = ("files", "webhook", "postgres", "mailchimp", "meta_audiences", "hubspot")
# Destinations whose class has `erase` (base.Erasable): their API can delete one person for good. Files,
# webhook and postgres have no `erase` at all (no API to call); activation.erasure reports their syncs as
# "unsupported" without building them, so their settings need not be present to erase elsewhere.
ERASABLE = ("mailchimp", "meta_audiences", "hubspot")


def create_destination(sync: Sync, env: Mapping[str, str] | None = None) -> Destination:
    if sync.destination not in KNOWN:
        raise SyncConfigError(
            f"Sync `{sync.name}`: destination `{sync.destination}` is unknown; valid: {', '.join(KNOWN)}"
        )
    module = importlib.import_module(f"activation.destinations.{sync.destination}")
    return module.create(sync, os.environ if env is None else env)


def secret(options: Mapping, env: Mapping[str, str], option: str, sync_hint: str) -> str:
    """The secret named by `options[option]` (an environment variable name; the value is never logged)."""
    var = options.get(option)
    if not var:
        raise SyncConfigError(f"{sync_hint}: option `{option}` must name the environment variable holding it")
    value = env.get(var)
    if not value:
        raise SyncConfigError(f"{sync_hint}: environment variable `{var}` (option `{option}`) is not set")
    return value
