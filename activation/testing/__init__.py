"""Local stand-ins for SaaS destinations: small HTTP servers that enforce each API's contract (paths, auth,
batch limits, identifier format, rate limits, error shapes) and can be told to fail, for tests and demos."""
