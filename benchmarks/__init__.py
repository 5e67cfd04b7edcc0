"""Benchmarks: ``make bench`` (``city.py``) and the single-purpose scripts."""
