"""Channels: each delivers one outbox message, with its firing id as the idempotency key."""
