"""Throw-away services the integration tests and benchmarks start themselves."""
