"""PII masking for the marketer role: `j***@example.com`, phones to their last digits, names to initials.

Masking happens on the server before a template sees a value, so masked PII never reaches the browser."""

from typing import Any

# Profile traits holding contact details or names (serving.changes.PII_TRAITS, plus the postal fields)
PII_TRAITS = frozenset(
    {"primary_email", "primary_phone", "all_emails", "all_phones", "first_name", "last_name", "city"}
)
# Identifier types whose values identify a person outside the CDP
PII_IDENTIFIER_TYPES = frozenset({"email", "phone", "loyalty_card", "user_id", "crm_contact_id", "esp_subscriber_id"})


def mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at:
        return mask_other(value)
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str) -> str:
    digits = [c for c in value if c.isdigit()]
    return "•••" + "".join(digits[-3:]) if len(digits) > 3 else "•••"


def mask_other(value: str) -> str:
    return value[:2] + "•••" if len(value) > 4 else "•••"


def mask_identifier(identifier_type: str, value: str) -> str:
    if identifier_type == "email":
        return mask_email(value)
    if identifier_type == "phone":
        return mask_phone(value)
    if identifier_type in PII_IDENTIFIER_TYPES:
        return mask_other(value)
    return value


def mask_key(key: str) -> str:
    """`type:value` -> `type:masked value`."""
    identifier_type, _, value = key.partition(":")
    return f"{identifier_type}:{mask_identifier(identifier_type, value)}"


def mask_trait(name: str, value: Any) -> Any:
    if value is None or name not in PII_TRAITS:
        return value
    text = str(value)
    if "email" in name:
        return ", ".join(mask_email(v.strip()) for v in text.split(","))
    if "phone" in name:
        return ", ".join(mask_phone(v.strip()) for v in text.split(","))
    if name in ("first_name", "last_name"):
        return text[:1] + "."
    return "•••"


def mask_profile(profile: dict[str, Any]) -> dict[str, Any]:
    return {name: mask_trait(name, value) for name, value in profile.items()}
