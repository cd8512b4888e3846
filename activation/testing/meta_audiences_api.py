"""A Meta Custom Audiences-style API, enforcing the contract the destination relies on:

- `Authorization: Bearer <token>`; otherwise 400 with an OAuthException (code 190).
- `POST` adds, `DELETE` removes, at `/v19.0/{audience_id}/users`, body
  `{"payload": {"schema": [...], "data": [[...], ...]}, "session": {...}}`; at most 10,000 rows.
- Schema entries from EMAIL_SHA256 / PHONE_SHA256; every non-empty value must be 64 lower-case hex
  digits (SHA-256), or the whole request is refused: nothing un-hashed is accepted.
- A session id seen before is acknowledged without being applied again.
- A removal row matches every member sharing any of its non-empty identifiers (multi-key matching), so
  `["<email hash>", ""]` removes that person whatever phone they were added with.
- Throttling answered with 429 and the error code 80003.
"""

import re
from typing import Any

from activation.testing.fake_server import Reply, StandIn

MAX_ROWS = 10_000
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_PATH = re.compile(r"^/v19\.0/([0-9A-Za-z_]+)/users$")


class MetaAudiencesStandIn(StandIn):
    def __init__(self, access_token: str, audience_id: str = "2384", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.access_token = access_token
        self.audience_id = audience_id
        self.members: set[tuple[str, ...]] = set()
        self.sessions: set[int] = set()
        self.max_rows_seen = 0

    def problem(self, status: int, title: str, detail: str) -> Reply:
        code = {429: 80003, 400: 100}.get(status, 1)
        return Reply(status, {"error": {"message": detail, "type": title, "code": code}})

    def authorised(self, headers) -> bool:
        return headers.get("authorization") == f"Bearer {self.access_token}"

    def handle(self, method: str, path: str, headers, body: Any) -> Reply:
        match = _PATH.match(path)
        if not match or match.group(1) != self.audience_id or method not in ("POST", "DELETE"):
            return self.problem(400, "GraphMethodException", "Unsupported request")
        payload = (body or {}).get("payload") or {}
        schema, data = payload.get("schema"), payload.get("data")
        if schema != ["EMAIL_SHA256", "PHONE_SHA256"] or not isinstance(data, list):
            return self.problem(400, "OAuthException", "Invalid schema or data")
        if len(data) > MAX_ROWS:
            return self.problem(400, "OAuthException", f"At most {MAX_ROWS} rows per request")
        for row in data:
            if len(row) != len(schema) or any(value and not _HEX64.match(value) for value in row):
                return self.problem(400, "OAuthException", "Data must be normalised and SHA-256 hashed")
        self.max_rows_seen = max(self.max_rows_seen, len(data))
        session_id = ((body or {}).get("session") or {}).get("session_id")
        if session_id not in self.sessions:
            self.sessions.add(session_id)
            for row in data:
                if method == "POST":
                    self.members.add(tuple(row))
                else:
                    self.members -= {m for m in self.members if any(v and v == w for v, w in zip(row, m, strict=True))}
        return Reply(
            200,
            {
                "audience_id": self.audience_id,
                "session_id": session_id,
                "num_received": len(data),
                "num_invalid_entries": 0,
                "invalid_entry_samples": {},
            },
        )
