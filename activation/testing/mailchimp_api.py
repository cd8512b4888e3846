"""A Mailchimp-style audience API (Marketing API 3.0 shapes), enforcing the contract the destination
relies on:

- HTTP Basic auth, any user name, the API key as password; otherwise 401.
- `POST /3.0/lists/{list_id}` batch subscribe: `{"members": [...], "update_existing": true}`, at most 500
  members (else 400). Each member needs a valid `email_address` and a `status`; members are keyed by the
  MD5 hex of the lower-cased email. Bad rows come back in `errors` while the others are applied.
- `DELETE /3.0/lists/{list_id}/members/{subscriber_hash}` archives a member (204; 404 if unknown).
- `GET /3.0/lists/{list_id}/members/{subscriber_hash}` reads one; `PUT` adds or updates one.
- `POST /3.0/lists/{list_id}/members/{subscriber_hash}/actions/delete-permanent` (no body) erases a member
  and everything held on them (204; 404 if unknown, including one already erased). The address is then
  "forgotten": the API refuses to import it again, per row in a batch (`errors`) and with a 400
  "Forgotten Email Not Subscribed" on `PUT`; only the contact signing up again through a form brings it back.
- A per-key rate limit answered with 429 and Retry-After.
"""

import base64
import hashlib
import re
from typing import Any

from activation.testing.fake_server import Reply, StandIn

MAX_BATCH = 500
STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LIST_PATH = re.compile(r"^/3\.0/lists/([A-Za-z0-9]+)$")
_MEMBER_PATH = re.compile(r"^/3\.0/lists/([A-Za-z0-9]+)/members/([0-9a-f]{32})$")
_ERASE_PATH = re.compile(r"^/3\.0/lists/([A-Za-z0-9]+)/members/([0-9a-f]{32})/actions/delete-permanent$")
FORGOTTEN = (
    "{} was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list."
)


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.lower().encode()).hexdigest()  # noqa: S324 - Mailchimp's id scheme, not security


class MailchimpStandIn(StandIn):
    def __init__(self, api_key: str, list_id: str = "list1", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_key = api_key
        self.list_id = list_id
        self.members: dict[str, dict[str, Any]] = {}  # subscriber hash -> member
        self.forgotten: set[str] = set()  # subscriber hashes permanently deleted: never re-imported
        self.max_batch_seen = 0

    def authorised(self, headers) -> bool:
        value = headers.get("authorization") or ""
        if not value.startswith("Basic "):
            return False
        try:
            _, _, key = base64.b64decode(value[6:]).decode().partition(":")
        except ValueError:
            return False
        return key == self.api_key

    def subscribed_emails(self) -> set[str]:
        return {m["email_address"] for m in self.members.values() if m["status"] == "subscribed"}

    def handle(self, method: str, path: str, headers, body: Any) -> Reply:
        if match := _LIST_PATH.match(path):
            if match.group(1) != self.list_id:
                return self.problem(404, "Resource Not Found", "The requested resource could not be found.")
            if method != "POST":
                return self.problem(405, "Method Not Allowed", method)
            return self._batch(body)
        if match := _ERASE_PATH.match(path):
            if method != "POST":
                return self.problem(405, "Method Not Allowed", method)
            if match.group(1) != self.list_id or match.group(2) not in self.members:
                return self.problem(404, "Resource Not Found", "The requested resource could not be found.")
            del self.members[match.group(2)]
            self.forgotten.add(match.group(2))
            return Reply(204)
        if (match := _MEMBER_PATH.match(path)) and method == "PUT" and match.group(1) == self.list_id:
            return self._put_member(match.group(2), body)
        if match := _MEMBER_PATH.match(path):
            if match.group(1) != self.list_id or match.group(2) not in self.members:
                return self.problem(404, "Resource Not Found", "The requested resource could not be found.")
            member = self.members[match.group(2)]
            if method == "DELETE":
                member["status"] = "archived"
                return Reply(204)
            if method == "GET":
                return Reply(200, member)
            return self.problem(405, "Method Not Allowed", method)
        return self.problem(404, "Resource Not Found", path)

    def _put_member(self, key: str, body: Any) -> Reply:
        email = str((body or {}).get("email_address") or "") if isinstance(body, dict) else ""
        status = (body or {}).get("status_if_new") or (body or {}).get("status")
        if not _EMAIL.match(email) or subscriber_hash(email) != key or status not in STATUSES:
            return self.problem(400, "Invalid Resource", "The resource submitted could not be validated.")
        if key in self.forgotten:
            return self.problem(400, "Forgotten Email Not Subscribed", FORGOTTEN.format(email))
        member = self.members.get(key) or {"id": key, "email_address": email, "status": status, "merge_fields": {}}
        member["merge_fields"] = {**member["merge_fields"], **((body or {}).get("merge_fields") or {})}
        self.members[key] = member
        return Reply(200, member)

    def _batch(self, body: Any) -> Reply:
        if not isinstance(body, dict) or not isinstance(body.get("members"), list):
            return self.problem(400, "Invalid Resource", "`members` must be a list")
        members = body["members"]
        if len(members) > MAX_BATCH:
            return self.problem(400, "Invalid Resource", f"at most {MAX_BATCH} members per request")
        self.max_batch_seen = max(self.max_batch_seen, len(members))
        new, updated, errors = [], [], []
        for member in members:
            email = (member.get("email_address") or "") if isinstance(member, dict) else ""
            status = member.get("status") if isinstance(member, dict) else None
            if not _EMAIL.match(email):
                errors.append({"email_address": email, "error": "Invalid email address", "error_code": "ERROR_GENERIC"})
                continue
            if status not in STATUSES:
                errors.append({"email_address": email, "error": "Invalid status", "error_code": "ERROR_GENERIC"})
                continue
            key = subscriber_hash(email)
            if key in self.forgotten:
                errors.append({"email_address": email, "error": FORGOTTEN.format(email), "error_code": "ERROR_GENERIC"})
                continue
            if key in self.members and not body.get("update_existing"):
                errors.append({"email_address": email, "error": "Member exists", "error_code": "ERROR_CONTACT_EXISTS"})
                continue
            merge_fields = member.get("merge_fields") or {}
            record = {"id": key, "email_address": email, "status": status, "merge_fields": merge_fields}
            (updated if key in self.members else new).append({"id": key, "email_address": email})
            self.members[key] = record
        return Reply(
            200,
            {
                "new_members": new,
                "updated_members": updated,
                "errors": errors,
                "total_created": len(new),
                "total_updated": len(updated),
                "error_count": len(errors),
            },
        )
