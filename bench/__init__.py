"""Benchmarks for ``make bench``; each prints its figures beside its baseline."""
