"""Benchmarks: `make bench` prints ratios measured in one run."""
