"""A local Web Push service (RFC 8030) that enforces what a browser vendor's service does: an endpoint
per subscription (`404` unknown, `410` expired), a `TTL` header, `Content-Encoding: aes128gcm` (RFC 8291),
VAPID authorisation (RFC 8292: `vapid t=<JWT>, k=<key>`, the ES256 signature checked against `k`, `aud`
the endpoint's origin, `exp` within 24 hours) and `Topic` (at most 32 URL-safe base64 characters). It
also plays the browser: it holds each subscription's keys and decrypts the payload, so a test can read
it. A message with a topic replaces the undelivered one with the same topic, as RFC 8030 says."""

import base64
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from automation.testing.http_server import LocalServer, Reply

TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscription:
    id: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    expired: bool = False
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # topic (or a new id) -> payload


def _verify_vapid(authorization: str, origin: str) -> str | None:
    """None when the VAPID header is valid for `origin`, else what is wrong."""
    if not authorization.lower().startswith("vapid "):
        return "Authorization is not `vapid t=..., k=...`"
    parts = dict(p.strip().split("=", 1) for p in authorization[6:].split(",") if "=" in p)
    token, key = parts.get("t"), parts.get("k")
    if not token or not key:
        return "VAPID needs t and k"
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header, claims = json.loads(unb64url(header_b64)), json.loads(unb64url(claims_b64))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        raw = unb64url(signature_b64)
        signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except (ValueError, InvalidSignature, json.JSONDecodeError):
        return "VAPID JWT signature does not verify with k"
    if header.get("alg") != "ES256":
        return "VAPID JWT must be ES256"
    if claims.get("aud") != origin:
        return f"VAPID aud must be {origin}"
    if not (time.time() < float(claims.get("exp", 0)) <= time.time() + 86400):
        return "VAPID exp must be in the next 24 hours"
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        return "VAPID sub must be a mailto: or https: contact"
    return None


class PushService(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.base_url = ""
        self.subscriptions: dict[str, Subscription] = {}
        self.requests = 0
        self.rejected: list[str] = []

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self.base_url = super().start(host, port)
        return self.base_url

    def subscribe(self) -> dict[str, Any]:
        """A new browser subscription: what `PushSubscription.toJSON()` gives a page."""
        private = ec.generate_private_key(ec.SECP256R1())
        sub = Subscription(uuid.uuid4().hex, private, os.urandom(16))
        self.subscriptions[sub.id] = sub
        public = private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.base_url}/push/{sub.id}",
            "keys": {"p256dh": b64url(public), "auth": b64url(sub.auth)},
        }

    def expire(self, endpoint: str) -> None:
        self.subscriptions[endpoint.rsplit("/", 1)[1]].expired = True

    def _reject(self, status: int, reason: str) -> Reply:
        self.rejected.append(reason)
        return status, {}, {"code": status, "errno": 109, "message": reason}

    def handle(self, method: str, path: str, headers, raw: bytes) -> Reply:
        with self.lock:
            self.requests += 1
            if method != "POST" or not path.startswith("/push/"):
                return self._reject(404, "not a push endpoint")
            sub = self.subscriptions.get(path.rsplit("/", 1)[1])
            if sub is None:
                return self._reject(404, "unknown subscription")
            if sub.expired:
                return self._reject(410, "subscription expired")
            if headers.get("TTL") is None or not str(headers.get("TTL")).isdigit():
                return self._reject(400, "TTL header required")
            problem = _verify_vapid(headers.get("Authorization", ""), self.base_url)
            if problem:
                return self._reject(401, problem)
            if headers.get("Content-Encoding") != "aes128gcm":
                return self._reject(415, "Content-Encoding must be aes128gcm")
            topic = headers.get("Topic")
            if topic is not None and not TOPIC.match(topic):
                return self._reject(400, "Topic must be at most 32 URL-safe base64 characters")
            try:
                plain = http_ece.decrypt(raw, private_key=sub.private_key, auth_secret=sub.auth, version="aes128gcm")
            except Exception:  # noqa: BLE001 - any decryption failure is the sender's
                return self._reject(400, "payload does not decrypt with the subscription's keys")
            sub.messages[topic or uuid.uuid4().hex] = json.loads(plain)
            return 201, {"Location": f"{self.base_url}/message/{uuid.uuid4().hex}"}, None
