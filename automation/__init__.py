"""Automation flows: journeys as code (`flows/*.yml`), an engine that reads the event spool and the
serving store's change events, and channels that deliver its outbox exactly once per firing id."""
