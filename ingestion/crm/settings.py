"""Where the CRM exports land and what they are called in the warehouse."""

SOURCE_NAME = "crm"
CONTACTS_TABLE = "contacts"
# One HubSpot-style export per day it ran, e.g. contacts_export_20260301.csv
CONTACTS_PATTERN = "contacts_export_*.csv"
