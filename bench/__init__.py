"""Benchmarks, run with `make bench`; each prints a table of ratios against a same-run baseline."""
