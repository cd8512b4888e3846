"""A HubSpot-style CRM contacts API, enforcing the contract the destination relies on:

- `Authorization: Bearer <token>`; otherwise 401.
- `POST /crm/v3/objects/contacts/batch/upsert` with `{"inputs": [{"idProperty": "email", "id", "properties"}]}`,
  at most 100 inputs (else 400 VALIDATION_ERROR). An input whose email is invalid is not applied; the
  answer is then 207 with `errors` naming it in `context.ids`, the others applied.
- `POST /crm/v3/objects/contacts/batch/archive` with `{"inputs": [{"id"}]}` -> 204.
- `POST /crm/v3/objects/contacts/gdpr-delete` with `{"objectId", "idProperty": "email"}` (or no idProperty:
  objectId is the contact id) -> 204, the contact gone for good (archived ones too); 404 OBJECT_NOT_FOUND.
- A per-token rate limit answered with 429 (RATE_LIMIT).
"""

import re
from typing import Any

from activation.testing.fake_server import Reply, StandIn

MAX_INPUTS = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class HubSpotStandIn(StandIn):
    def __init__(self, token: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = token
        self.contacts: dict[str, dict[str, Any]] = {}  # id -> {"properties", "archived"}
        self._ids_by_email: dict[str, str] = {}

    def problem(self, status: int, title: str, detail: str) -> Reply:
        category = {
            429: "RATE_LIMIT",
            400: "VALIDATION_ERROR",
            401: "INVALID_AUTHENTICATION",
            404: "OBJECT_NOT_FOUND",
        }.get(status, "ERROR")
        return Reply(status, {"status": "error", "message": detail, "category": category})

    def authorised(self, headers) -> bool:
        return headers.get("authorization") == f"Bearer {self.token}"

    def live_emails(self) -> set[str]:
        return {c["properties"]["email"] for c in self.contacts.values() if not c["archived"]}

    def handle(self, method: str, path: str, headers, body: Any) -> Reply:
        if path == "/crm/v3/objects/contacts/gdpr-delete":
            return self._gdpr_delete(method, body)
        inputs = (body or {}).get("inputs")
        if method != "POST" or not isinstance(inputs, list):
            return self.problem(400, "", "expected POST with `inputs`")
        if len(inputs) > MAX_INPUTS:
            return self.problem(400, "", f"at most {MAX_INPUTS} inputs per batch")
        if path == "/crm/v3/objects/contacts/batch/archive":
            for item in inputs:
                if item.get("id") in self.contacts:
                    self.contacts[item["id"]]["archived"] = True
            return Reply(204)
        if path != "/crm/v3/objects/contacts/batch/upsert":
            return self.problem(404, "", path)
        results, errors = [], []
        for item in inputs:
            email = str(item.get("id", "")).lower()
            if item.get("idProperty") != "email" or not _EMAIL.match(email):
                errors.append(
                    {
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "message": f"Property values were not valid: {email}",
                        "context": {"ids": [email]},
                    }
                )
                continue
            contact_id = self._ids_by_email.setdefault(email, str(1000 + len(self._ids_by_email)))
            properties = {**(self.contacts.get(contact_id, {}).get("properties") or {}), **item["properties"]}
            self.contacts[contact_id] = {"properties": properties, "archived": False}
            results.append({"id": contact_id, "properties": properties})
        body = {"status": "COMPLETE", "results": results}
        if errors:
            body.update(errors=errors, numErrors=len(errors))
            return Reply(207, body)
        return Reply(200, body)

    def _gdpr_delete(self, method: str, body: Any) -> Reply:
        object_id = (body or {}).get("objectId") if isinstance(body, dict) else None
        id_property = (body or {}).get("idProperty") if isinstance(body, dict) else None
        if method != "POST" or not isinstance(object_id, str) or not object_id or id_property not in (None, "email"):
            return self.problem(400, "", "expected POST with `objectId` and optional `idProperty: email`")
        contact_id = self._ids_by_email.get(object_id.lower()) if id_property == "email" else object_id
        if contact_id not in self.contacts:
            return self.problem(404, "", "resource not found")
        email = self.contacts.pop(contact_id)["properties"].get("email")
        self._ids_by_email.pop(str(email).lower(), None)
        return Reply(204)
