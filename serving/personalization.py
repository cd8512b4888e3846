"""Content decisions for the browser: the YAML config in, only non-PII fields out."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from serving.errors import PersonalizationConfigError

DEFAULT_CONFIG_PATH = Path(__file__).with_name("personalization.yml")
CONSENT_PURPOSE = "personalisation"
# Traits a slot may key on: they say what someone likes, not who they are. A slot keyed on anything
# else (an email, a city) is refused when the config loads, so a config edit cannot leak PII.
SLOT_TRAITS = ("favourite_category", "favourite_brand", "rfm_segment", "loyalty_tier", "language_code")


@dataclass(frozen=True)
class Slot:
    name: str
    default: str
    by: str | None = None
    rules: dict[str, str] = field(default_factory=dict)
    by_segment: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonalizationConfig:
    segments: tuple[str, ...]
    recommendation_limit: int
    slots: tuple[Slot, ...]


def load_config(path: Path = DEFAULT_CONFIG_PATH) -> PersonalizationConfig:
    raw = yaml.safe_load(path.read_text()) or {}
    slots = []
    for name, spec in (raw.get("slots") or {}).items():
        if "default" not in spec:
            raise PersonalizationConfigError(f"Slot `{name}` in {path} has no `default`; every slot needs one")
        by = spec.get("by")
        if by is not None and by not in SLOT_TRAITS:
            raise PersonalizationConfigError(
                f"Slot `{name}` in {path} keys on `{by}`; valid traits: {', '.join(SLOT_TRAITS)}"
            )
        slots.append(
            Slot(
                name=name,
                default=str(spec["default"]),
                by=by,
                rules={str(k): str(v) for k, v in (spec.get("rules") or {}).items()},
                by_segment={str(k): str(v) for k, v in (spec.get("by_segment") or {}).items()},
            )
        )
    limit = int((raw.get("recommendations") or {}).get("limit", 0))
    return PersonalizationConfig(
        segments=tuple(raw.get("segments") or ()), recommendation_limit=limit, slots=tuple(slots)
    )


def has_consent(consents: dict[str, dict[str, bool]] | None) -> bool:
    """Granted only when the customer decided on personalisation and granted it on every channel they
    decided on (the rule syncs without a channel follow); no decision means no."""
    channels = (consents or {}).get(CONSENT_PURPOSE) or {}
    return bool(channels) and all(channels.values())


def default_answer(config: PersonalizationConfig) -> dict[str, Any]:
    """The answer for an unknown visitor or one without consent: the same for everyone."""
    return {
        "personalized": False,
        "segments": {name: False for name in config.segments},
        "recommended_skus": [],
        "slots": {slot.name: slot.default for slot in config.slots},
        "onsite": [],
    }


def decide(
    config: PersonalizationConfig,
    profile: dict[str, Any],
    memberships: list[dict[str, Any]],
    recommendations: list[dict[str, Any]],
) -> dict[str, Any]:
    """The personalised answer. Built field by field from the whitelist, never by filtering a profile,
    so a new profile column cannot slip through."""
    treated = {m["segment"] for m in memberships if not m.get("is_holdout")}
    flags = {name: name in treated for name in config.segments}
    slots = {}
    for slot in config.slots:
        choice = slot.default
        if slot.by is not None:
            choice = slot.rules.get(str(profile.get(slot.by)), slot.default)
        for segment, content in slot.by_segment.items():
            if segment in treated:
                choice = content
                break
        slots[slot.name] = choice
    skus = [str(r["sku"]) for r in recommendations[: config.recommendation_limit]]
    return {"personalized": True, "segments": flags, "recommended_skus": skus, "slots": slots}
