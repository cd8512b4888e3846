"""Keyed hashes of identifiers: how the suppression list names a person without holding their data.

A suppressed identifier is stored as HMAC-SHA256(key, "<type>:<canonical value>"), never in clear. The
key is a secret: the environment variable CDP_PRIVACY_KEY, else `privacy.key` in dlt's secrets.toml,
else (a local installation) a random key written once to `privacy.key` beside the warehouse file with
mode 0600. Lose the key and the list can no longer be matched: keep it with the warehouse's backups.

One value has a few canonical forms, so that the same person is recognised whatever a source system
does to the text: every type is compared trimmed and lower-cased, a phone also by its digits alone, a
loyalty card by its letters and digits. The suppression list holds the hashes of every form of every
identifier the person had (normalised and as each source wrote it); ingestion, dbt and the sender
hash what they see the same way and drop what matches.

This module imports only the standard library and `cdp.config`, so ingestion, dbt (through the
plug-in in `cdp.privacy.dbt_plugin`) and activation can all use it.
"""

import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

KEY_ENV = "CDP_PRIVACY_KEY"
KEY_FILE_NAME = "privacy.key"
_NOT_DIGITS = re.compile(r"\D")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
# A phone written with fewer digits than this is not an identifier anyone can be recognised by.
MIN_PHONE_DIGITS = 6

log = logging.getLogger(__name__)


def _key_from_dlt() -> str | None:
    try:
        import dlt

        value = dlt.secrets.get("privacy.key")
    except Exception:  # no secrets.toml, or dlt not configured: fall through to the local key file
        return None
    return str(value) if value else None


def load_key(warehouse_path: Path | None) -> bytes:
    """The HMAC key: from the environment, dlt secrets, or the local key file (created if missing)."""
    value = os.environ.get(KEY_ENV) or _key_from_dlt()
    if value:
        return value.encode()
    if warehouse_path is None:
        raise RuntimeError(f"No privacy key: set {KEY_ENV} or `privacy.key` in .dlt/secrets.toml")
    key_file = Path(warehouse_path).parent / KEY_FILE_NAME
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        log.warning("Created a privacy key in %s; keep it with the warehouse backups", key_file)
    return key_file.read_text().strip().encode()


def canonical_forms(identifier_type: str, value: object) -> list[str]:
    """The texts hashed for one identifier value; empty when the value is blank."""
    if value is None:
        return []
    text = str(value).strip().lower()
    if not text:
        return []
    forms = [f"{identifier_type}:{text}"]
    if identifier_type == "phone":
        digits = _NOT_DIGITS.sub("", text)
        if len(digits) >= MIN_PHONE_DIGITS:
            # national and international writings of one number share their last nine digits
            forms.append(f"phone_digits:{digits[-9:]}")
    elif identifier_type == "loyalty_card":
        forms.append(f"loyalty_card:{_NOT_ALNUM.sub('', text)}")
    return forms


class Hasher:
    """HMAC-SHA256 of identifier forms under one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def digest(self, form: str) -> str:
        return hmac.new(self._key, form.encode(), hashlib.sha256).hexdigest()

    def hashes(self, identifier_type: str, value: object) -> list[str]:
        return [self.digest(form) for form in canonical_forms(identifier_type, value)]

    def hashes_of(self, identifiers: Iterable[tuple[str, object]]) -> set[str]:
        return {h for identifier_type, value in identifiers for h in self.hashes(identifier_type, value)}


def hasher_for(warehouse_path: Path | str | None) -> Hasher:
    return Hasher(load_key(Path(warehouse_path) if warehouse_path else None))
