"""What the tests and the benchmarks share: a real Label Studio server, a thin client for it, and payloads."""
