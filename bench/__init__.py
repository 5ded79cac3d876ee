"""Benchmarks run by `make bench`: each module has `run() -> dict`; results go to bench/results.json."""
