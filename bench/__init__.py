"""Benchmarks of the mock: HTTP throughput, the in-process cycle, strategy speed and a soak.

``python -m bench`` runs the quick version of each and prints one table; each
module also runs on its own (``python -m bench.http_throughput --help``).
Figures and the commands that produced them are in ``bench/RESULTS.md``.
"""
