"""Where the helpdesk exports land and what they are called in the warehouse."""

SOURCE_NAME = "support"
TICKETS_TABLE = "tickets"
# A JSON array of tickets per month, e.g. tickets_202603.json
TICKETS_PATTERN = "tickets_*.json"
