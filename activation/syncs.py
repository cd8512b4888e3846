"""Sync declarations: dbt exposures whose `meta.sync` says what to send where.

They live in `models/activation/_syncs.yml`, so `dbt docs` draws the lineage from each model to each
destination. One exposure is one sync:

    meta:
      sync:
        model: customer_profiles          # the relation rows come from (one row per customer_id)
        schema: marts
        segment: high_value_customers     # optional: only current members outside the holdout
        destination: mailchimp            # a module in activation/destinations/
        mode: add_remove                  # see MODES
        key: customer_id
        fields: {email_address: primary_email, first_name: first_name}
        consent: {purpose: marketing, channel: email}   # without it the sync sends nothing
        options: {...}                    # destination settings; secrets only by env var name
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from activation.errors import SyncConfigError

# mode -> delete behaviours it accepts. Record modes first, then audience (list) modes.
MODES: dict[str, tuple[str, ...]] = {
    "upsert": ("none",),
    "update_only": ("none",),
    "insert_only": ("none",),
    "mirror": ("none", "clear", "archive", "delete"),
    "add_only": ("none",),
    "add_remove": ("remove",),
    "replace": ("remove",),
}
AUDIENCE_MODES = ("add_only", "add_remove", "replace")


@dataclass(frozen=True)
class Sync:
    name: str
    model: str
    destination: str
    mode: str
    fields: dict[str, str]
    key: str = "customer_id"
    schema: str = "marts"
    segment: str | None = None
    consent_purpose: str | None = None
    consent_channel: str | None = None
    delete_behaviour: str = "none"
    max_delete_share: float = 0.5
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.model}"


def _ref_name(depends_on: list[str]) -> str | None:
    for item in depends_on or []:
        text = item.strip()
        if text.startswith("ref(") and text.endswith(")"):
            return text[4:-1].strip().strip("'\"")
    return None


def parse_sync(exposure: dict[str, Any], where: str) -> Sync:
    name = exposure.get("name")
    meta = ((exposure.get("meta") or exposure.get("config", {}).get("meta") or {}).get("sync")) or {}
    if not name or not meta:
        raise SyncConfigError(f"Exposure `{name}` in {where} has no `meta.sync` block")
    model = meta.get("model") or _ref_name(exposure.get("depends_on", []))
    mode = meta.get("mode", "upsert")
    if mode not in MODES:
        raise SyncConfigError(f"Sync `{name}` in {where}: mode `{mode}` is not one of {', '.join(MODES)}")
    delete_behaviour = meta.get("delete_behaviour", MODES[mode][-1] if mode in AUDIENCE_MODES else "none")
    if delete_behaviour not in MODES[mode]:
        raise SyncConfigError(
            f"Sync `{name}` in {where}: delete_behaviour `{delete_behaviour}` is not valid for mode `{mode}`;"
            f" valid: {', '.join(MODES[mode])}"
        )
    fields = meta.get("fields") or {}
    if not model or not meta.get("destination") or not fields:
        raise SyncConfigError(f"Sync `{name}` in {where} needs `model`, `destination` and `fields`")
    consent = meta.get("consent") or {}
    return Sync(
        name=name,
        model=model,
        schema=meta.get("schema", "marts"),
        destination=meta["destination"],
        mode=mode,
        key=meta.get("key", "customer_id"),
        fields=dict(fields),
        segment=meta.get("segment"),
        consent_purpose=consent.get("purpose"),
        consent_channel=consent.get("channel"),
        delete_behaviour=delete_behaviour,
        max_delete_share=float(meta.get("max_delete_share", 0.5)),
        options=dict(meta.get("options") or {}),
    )


def load_syncs(path: Path) -> list[Sync]:
    """Every sync declared in the exposures YAML at `path`."""
    if not path.exists():
        return []
    document = yaml.safe_load(path.read_text()) or {}
    syncs = [parse_sync(exposure, str(path)) for exposure in document.get("exposures", [])]
    names = [sync.name for sync in syncs]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SyncConfigError(f"Sync names must be unique in {path}; repeated: {', '.join(sorted(duplicates))}")
    return syncs
