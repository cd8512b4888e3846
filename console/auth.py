"""Console users, password hashes, signed session cookies and CSRF tokens (standard library only).

Users come from `CDP_CONSOLE_USERS`: `name:role:hash` entries separated by `;`, where the hash is made
by `hash_password` (`cdp console hash-password`): `pbkdf2_sha256$<iterations>$<salt hex>$<digest hex>`.
Roles: `marketer` (PII masked) and `admin` (full view, privacy actions, review decisions).
The session cookie is `<base64 json>.<hmac-sha256>` signed with `CDP_CONSOLE_SECRET`; it holds the user
name, role, a CSRF token and its expiry, never customer data.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass

from cdp.errors import ConfigError

ROLES = ("marketer", "admin")
USERS_ENV = "CDP_CONSOLE_USERS"
SECRET_ENV = "CDP_CONSOLE_SECRET"
ITERATIONS = 200_000
SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, iterations, salt, digest = encoded.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        check = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(check.hex(), digest)


def parse_users(text: str) -> dict[str, User]:
    """`name:role:hash;name:role:hash` -> users; a bad entry is a ConfigError naming it (never the hash)."""
    users: dict[str, User] = {}
    for number, entry in enumerate((e.strip() for e in text.split(";")), start=1):
        if not entry:
            continue
        name, _, rest = entry.partition(":")
        role, _, password_hash = rest.partition(":")
        if not name or role not in ROLES or not password_hash.startswith("pbkdf2_sha256$"):
            raise ConfigError(
                f"{USERS_ENV} entry {number} (user `{name}`) must be `name:role:hash` with role one of"
                f" {', '.join(ROLES)} and a hash from `cdp console hash-password`"
            )
        users[name] = User(name, role, password_hash)
    return users


def users_from_env() -> dict[str, User]:
    users = parse_users(os.environ.get(USERS_ENV, ""))
    if not users:
        raise ConfigError(f"Set {USERS_ENV} to `name:role:hash;...` (hashes from `cdp console hash-password`)")
    return users


def secret_from_env() -> bytes:
    secret = os.environ.get(SECRET_ENV, "")
    if len(secret) < 32:
        raise ConfigError(f"Set {SECRET_ENV} to a random string of at least 32 characters (signs session cookies)")
    return secret.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_session(secret: bytes, payload: dict) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def read_session(secret: bytes, cookie: str | None) -> dict | None:
    """The session payload, or None when the cookie is missing, tampered with or expired."""
    if not cookie or "." not in cookie:
        return None
    body, _, mac = cookie.rpartition(".")
    if not hmac.compare_digest(hmac.new(secret, body.encode(), hashlib.sha256).hexdigest(), mac):
        return None
    try:
        payload = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("exp", 0) < time.time():
        return None
    return payload


def new_session(user: User) -> dict:
    return {
        "user": user.name,
        "role": user.role,
        "csrf": secrets.token_urlsafe(24),
        "exp": int(time.time()) + SESSION_SECONDS,
    }
