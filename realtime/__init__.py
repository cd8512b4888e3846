"""Real time: a Segment-compatible collection API that acknowledges events only once they are on disk.

`realtime.app` answers the Segment HTTP Tracking API, `realtime.events` checks and stamps each event,
`realtime.spool` appends them to a durable spool of JSONL files that a loader consumes once they are
closed, and `realtime.dedupe` keeps a client's retry from being spooled twice. See docs/realtime.md.
"""
