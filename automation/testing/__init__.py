"""Local servers that enforce the channels' real contracts, for tests, benchmarks and `cdp demo --live`."""
