"""Settings of the collector: write keys, limits, where the spool lives and how it rotates.

Write keys come from `CDP_COLLECT_WRITE_KEYS`, comma separated, each `name:key` or just `key`. The
name is what the spool stores with an event (`keyId`), so that a key is never written to disk or to a
log; a key given without a name is stored as `key_` plus the first 12 hex digits of its SHA-256.
"""

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cdp.config import Settings
from cdp.errors import ConfigError

WRITE_KEYS_ENV = "CDP_COLLECT_WRITE_KEYS"
SPOOL_DIR_ENV = "CDP_SPOOL_DIR"
# The browser tracker (realtime/tracker): hosts the click redirect may send to, site origins allowed to
# call the API from a browser (CORS), and the write key of the demo shop (the demo is served when set).
REDIRECT_HOSTS_ENV = "CDP_COLLECT_REDIRECT_HOSTS"
SITE_ORIGINS_ENV = "CDP_COLLECT_SITE_ORIGINS"
DEMO_WRITE_KEY_ENV = "CDP_COLLECT_DEMO_WRITE_KEY"

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")

# Segment's limits: 32 KB per event (and per single-event call), 500 KB per batch request.
MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024


def key_id(key: str) -> str:
    """The name stored for a key given without one: a short, non-reversible fingerprint."""
    return "key_" + hashlib.sha256(key.encode()).hexdigest()[:12]


def parse_write_keys(value: str) -> dict[str, str]:
    """`name:key,key2` -> {key: name}. Raises ConfigError on an empty list or a repeated key."""
    keys: dict[str, str] = {}
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, key = item.partition(":")
        if not sep:
            name, key = key_id(item), item
        name, key = name.strip(), key.strip()
        if not key or not name:
            raise ConfigError(f"An entry of {WRITE_KEYS_ENV} has an empty name or key; write `name:key` or `key`")
        if key in keys:
            raise ConfigError(f"A write key in {WRITE_KEYS_ENV} is listed twice (names `{keys[key]}` and `{name}`)")
        keys[key] = name
    if not keys:
        raise ConfigError(f"Set {WRITE_KEYS_ENV} to the write keys clients send (comma separated, `name:key`)")
    return keys


def default_spool_dir(settings: Settings | None = None) -> Path:
    """`CDP_SPOOL_DIR`, else `spool/` in the data folder (beside the warehouse file)."""
    value = os.environ.get(SPOOL_DIR_ENV)
    if value:
        return Path(value)
    settings = settings or Settings.from_env()
    return settings.duckdb_path.parent / "spool"


@dataclass(frozen=True)
class CollectorConfig:
    """What one collector process needs. `write_keys` maps each accepted key to the name stored."""

    write_keys: dict[str, str]
    spool_dir: Path
    max_event_bytes: int = MAX_EVENT_BYTES
    max_batch_bytes: int = MAX_BATCH_BYTES
    # An open spool file is closed when it reaches this size or this age, whichever comes first.
    rotate_bytes: int = 64 * 1024 * 1024
    rotate_seconds: float = 60.0
    # Recent messageIds kept to answer a retry without spooling it again: a window, bounded in count.
    dedupe_seconds: float = 24 * 3600.0
    dedupe_max_ids: int = 2_000_000
    # Tracker: `example.com` allows that host only, `.example.com` its subdomains too.
    redirect_hosts: tuple[str, ...] = ()
    # Tracker: `https://shop.example.com` origins whose pages may post events from the browser.
    site_origins: tuple[str, ...] = ()
    # Tracker: the demo shop is served at /demo/ with this (browser-public) write key when it is set.
    demo_write_key: str | None = None

    def __post_init__(self) -> None:
        for origin in self.site_origins:
            if not _ORIGIN.match(origin):
                raise ConfigError(
                    f"`{origin}` in {SITE_ORIGINS_ENV} is not an origin: write `https://host` or `http://host:port`"
                )
        if self.demo_write_key is not None and self.demo_write_key not in self.write_keys:
            raise ConfigError(f"{DEMO_WRITE_KEY_ENV} must be one of the keys of {WRITE_KEYS_ENV}")

    @classmethod
    def from_env(cls, spool_dir: Path | None = None, **overrides: object) -> "CollectorConfig":
        keys = parse_write_keys(os.environ.get(WRITE_KEYS_ENV, ""))
        tracker: dict[str, object] = {
            "redirect_hosts": _list(REDIRECT_HOSTS_ENV, str.lower),
            "site_origins": _list(SITE_ORIGINS_ENV, lambda origin: origin.rstrip("/")),
            "demo_write_key": os.environ.get(DEMO_WRITE_KEY_ENV) or None,
        }
        return cls(
            write_keys=keys,
            spool_dir=spool_dir or default_spool_dir(),
            **{**tracker, **overrides},  # type: ignore[arg-type]
        )


def _list(env: str, clean) -> tuple[str, ...]:
    """A comma separated environment variable as a tuple of cleaned, non-empty items."""
    return tuple(clean(item.strip()) for item in os.environ.get(env, "").split(",") if item.strip())
