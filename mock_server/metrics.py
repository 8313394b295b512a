"""Prometheus metrics of one mock, served at ``/__mock__/metrics``.

Per request the pipeline calls ``Metrics.observe`` once, which adds to two
plain dicts under one lock (a counter by route, method, status and code, and a
latency bucket by route): about half what prometheus-client's own labelled
counter and histogram children cost per request. Collectors turn the tallies into
metric families when the metrics are scraped; everything that is state (tasks
by status, credits, faults fired) is read then too and costs nothing per request.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter as Tally
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import generate_latest

from rivya_contract.mock_server.exchange import Call, Reply

if TYPE_CHECKING:
    from rivya_contract.mock_server.control import Controller

UNROUTED = "unrouted"
"""The route label of a request that matched no operation."""

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Seconds: the mock answers in well under a millisecond, so the buckets start small."""

STATUSES = ("queued", "processing", "succeeded", "failed")


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods counted by name; any other token a client sends counts as ``OTHER``."""


class _State:
    """A collector reading tasks, credits and fired faults from the controller at scrape time."""

    def __init__(self, control: Controller) -> None:
        self._control = control

    def describe(self) -> list[Metric]:
        """Describe nothing up front, so registering never runs ``collect``."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Yield the current task, credit and fault figures."""
        control = self._control
        accounts = control.accounts.all()  # settles what is due first
        now = control.clock.now()
        tasks = GaugeMetricFamily(
            "rivya_mock_tasks", "Tasks kept by the mock, by status now.", labels=["status"]
        )
        counts = Tally(task.status_at(now) for task in control.backend.store.tasks())
        for status in STATUSES:
            tasks.add_metric([status], counts.get(status, 0))
        yield tasks
        reserved = GaugeMetricFamily(
            "rivya_mock_credits_reserved", "Credits reserved by tasks not yet settled."
        )
        reserved.add_metric([], sum(account.reserved for account in accounts))
        yield reserved
        for name, attribute, text in (
            ("rivya_mock_credits_spent", "spent", "Credits charged for succeeded tasks."),
            ("rivya_mock_credits_refunded", "refunded", "Credits returned for failed tasks."),
        ):
            family = CounterMetricFamily(name, text)
            family.add_metric([], sum(getattr(account, attribute) for account in accounts))
            yield family
        fired = CounterMetricFamily(
            "rivya_mock_faults_fired",
            "Requests a fault answered or changed, by the fault's code (or status, delay, drop).",
            labels=["kind"],
        )
        for kind, count in sorted(control.fired.items()):
            fired.add_metric([kind], count)
        yield fired


class _Requests:
    """A collector of the request tallies ``Metrics.observe`` keeps."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Metric]:
        """Describe nothing up front, so registering never runs ``collect``."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Yield the request counter and the latency histogram."""
        counts, latency = self._metrics.snapshot()
        requests = CounterMetricFamily(
            "rivya_mock_requests",
            "Requests answered, by route template, method, status and error code.",
            labels=["route", "method", "status", "code"],
        )
        for (route, method, status, code), count in sorted(counts.items()):
            requests.add_metric([route, method, str(status), code], count)
        yield requests
        histogram = HistogramMetricFamily(
            "rivya_mock_request_duration_seconds",
            "Seconds from a request's head to its answer, added latency aside, by route.",
            labels=["route"],
        )
        for route, (buckets, total) in sorted(latency.items()):
            cumulative, running = [], 0
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), buckets, strict=True):
                running += count
                cumulative.append(("+Inf" if bound == float("inf") else str(bound), running))
            histogram.add_metric([route], cumulative, total)
        yield histogram


class Metrics:
    """One mock's metrics in its own registry (several mocks can live in one process)."""

    def __init__(self, control: Controller) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int, str], int] = {}
        self._latency: dict[str, tuple[list[int], list[float]]] = {}
        self.webhook_attempts = Counter(
            "rivya_mock_webhook_attempts",
            "Webhook delivery attempts, by event type and outcome (delivered, failed, dropped).",
            ["event", "outcome"],
            registry=self.registry,
        )
        """Incremented by webhook delivery: ``webhook_attempts.labels(event, outcome).inc()``."""
        self.registry.register(_Requests(self))
        self.registry.register(_State(control))

    def observe(self, call: Call, reply: Reply, route: str | None, seconds: float) -> None:
        """Count one answered request and its latency (unrouted paths share one label)."""
        route = route or UNROUTED
        method = call.method if call.method in METHODS else "OTHER"
        key = (route, method, reply.status, reply.code or "")
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            found = self._latency.get(route)
            if found is None:
                found = self._latency[route] = ([0] * (len(LATENCY_BUCKETS) + 1), [0.0])
            found[0][bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
            found[1][0] += seconds

    def snapshot(
        self,
    ) -> tuple[dict[tuple[str, str, int, str], int], dict[str, tuple[list[int], float]]]:
        """Return copies of the request counts and, by route, latency buckets and their sum."""
        with self._lock:
            counts = dict(self._counts)
            latency = {route: (list(b), total[0]) for route, (b, total) in self._latency.items()}
        return counts, latency

    def render(self) -> tuple[bytes, str]:
        """Return the exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
