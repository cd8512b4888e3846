"""Lead Ads: webhook notifications in, one Graph API fetch per announced lead, leads out.

Meta announces a lead with a `leadgen` webhook (`{"object": "page", "entry": [{"changes": [{"field":
"leadgen", "value": {"leadgen_id", "form_id", "ad_id", ...}}]}]}`) and the answers are fetched by id.
A notification that is not of that shape is quarantined with the reason; a lead announced twice (webhooks
are delivered at least once) is fetched once and counted as a duplicate; a lead the API no longer has
(deleted by the page) is quarantined.
"""

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestion.common import TableCounts, finish
from ingestion.common import graph_api as graph
from ingestion.common.files import new_landing_files, remember_landing_file
from ingestion.social import settings

log = logging.getLogger(__name__)


def leadgen_changes(line: str) -> tuple[list[dict[str, Any]], str | None]:
    """The `leadgen` change values of one notification line, or the reason it is refused."""
    try:
        body = json.loads(line)
    except json.JSONDecodeError:
        return [], "invalid JSON"
    if not isinstance(body, dict):
        return [], "not a JSON object"
    if body.get("object") != "page":
        return [], f"`object` is not `page`: `{body.get('object')}`"
    entries = body.get("entry")
    if not isinstance(entries, list) or not entries:
        return [], "no `entry` list"
    values = []
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            return [], "an entry has no `changes` list"
        for change in changes:
            if not isinstance(change, dict) or change.get("field") != "leadgen":
                continue  # other page fields (feed, messages) are not leads
            value = change.get("value")
            if not isinstance(value, dict) or not str(value.get("leadgen_id") or "").isdigit():
                return [], f"a leadgen change has no numeric `leadgen_id`: `{json.dumps(value)[:120]}`"
            values.append({**value, "_entry_time": entry.get("time")})
    if not values:
        return [], "no `leadgen` change"
    return values, None


def _first(values: Any) -> str | None:
    if isinstance(values, list) and values and isinstance(values[0], str):
        return values[0]
    return None


def prepare_lead(lead: Any, notice: dict[str, Any], file_name: str) -> tuple[dict[str, Any] | None, str | None]:
    """A fetched lead as a raw row, or None and the reason it is quarantined."""
    if not isinstance(lead, dict) or not str(lead.get("id") or "").isdigit():
        return None, "the lead has no numeric `id`"
    try:
        created = datetime.fromisoformat(str(lead.get("created_time")))
    except ValueError:
        return None, f"`created_time` is not a timestamp: `{lead.get('created_time')}`"
    if created.tzinfo is None:
        return None, f"`created_time` has no offset: `{lead.get('created_time')}`"
    field_data = lead.get("field_data")
    if not isinstance(field_data, list) or not all(isinstance(f, dict) for f in field_data):
        return None, "`field_data` is not a list of objects"
    answers = {str(f.get("name")): _first(f.get("values")) for f in field_data}
    consent = None
    for response in lead.get("custom_disclaimer_responses") or []:
        if isinstance(response, dict) and response.get("checkbox_key") == settings.CONSENT_CHECKBOX:
            consent = response.get("is_checked") in ("1", True, "true")
    notified = notice.get("_entry_time")
    row = {
        "lead_id": str(lead["id"]),
        "created_time": created.astimezone(UTC),
        "form_id": lead.get("form_id") or notice.get("form_id"),
        "ad_id": lead.get("ad_id") or notice.get("ad_id"),
        "ad_name": lead.get("ad_name"),
        "adset_id": lead.get("adset_id") or notice.get("adgroup_id"),
        "campaign_id": lead.get("campaign_id"),
        "campaign_name": lead.get("campaign_name"),
        "page_id": notice.get("page_id"),
        "platform": lead.get("platform"),
        "is_organic": lead.get("is_organic"),
        "has_marketing_consent": consent,
        "field_data_json": json.dumps(field_data, ensure_ascii=False, separators=(",", ":")),
        "notified_at": datetime.fromtimestamp(notified, UTC) if isinstance(notified, int) else None,
        "_file_name": file_name,
    }
    for name, column in settings.FIELD_COLUMNS.items():
        row[column] = answers.get(name)
    return row, None


def fetch_lead(session: Any, base_url: str, lead_id: str) -> tuple[dict[str, Any] | None, str | None]:
    """The lead by id, or None and why not (the API no longer has it)."""
    url = f"{base_url.rstrip('/')}/{settings.API_VERSION}/{lead_id}"
    try:
        return graph.get(session, url, {"fields": ",".join(settings.LEAD_FIELDS)}, "sources.social.access_token"), None
    except graph.GraphApiError as exc:
        if exc.code == settings.MISSING_OBJECT:
            return None, f"lead `{lead_id}` does not exist (any more) in the Graph API"
        raise


def read_leads(base_url: str, access_token: str, landing_dir: Path) -> Iterator[Any]:
    """Leads announced in webhook files that are new since the last run, then quarantine and counts."""
    landing_dir = Path(landing_dir)
    files = new_landing_files(landing_dir, settings.WEBHOOK_PATTERN) if landing_dir.is_dir() else []
    counts = TableCounts(settings.SOURCE_NAME, settings.LEADS_TABLE)
    fetched: set[str] = set()
    with graph.make_session(access_token) as session:
        for landing_file in files:
            good = []
            with landing_file.path.open(encoding="utf-8") as fh:
                for line_no, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    notices, reason = leadgen_changes(line)
                    if reason is not None:
                        counts.reject(line.rstrip("\n"), f"notification line {line_no}: {reason}", landing_file.name)
                        continue
                    for notice in notices:
                        lead_id = str(notice["leadgen_id"])
                        if lead_id in fetched:
                            counts.add(read=1, duplicate=1)
                            continue
                        fetched.add(lead_id)
                        lead, problem = fetch_lead(session, base_url, lead_id)
                        row = None
                        if lead is not None:
                            row, problem = prepare_lead(lead, notice, landing_file.name)
                        if row is None:
                            counts.reject(json.dumps(notice, default=str), str(problem), landing_file.name)
                            continue
                        good.append(row)
            counts.add(read=len(good), loaded=len(good))
            if good:
                yield good
            remember_landing_file(landing_file)
    if counts.rows_read and not counts.rows_loaded and counts.rows_quarantined == counts.rows_read:
        log.warning("social.leads: every announced lead was refused; check the Graph API and the token")
    log.info("social.leads: %s leads from %s files (%s refused, %s duplicates)", counts.rows_loaded, len(files),
             counts.rows_quarantined, counts.rows_duplicate)
    yield from finish(counts)


__all__ = ["fetch_lead", "leadgen_changes", "prepare_lead", "read_leads"]
