"""Prometheus metrics of one mock, served at ``/__mock__/metrics``.

Per request the pipeline calls ``Metrics.observe`` once: one counter and one
histogram child, looked up in a dict by route, status and code, so the hot
path does no label handling. Everything that is state (tasks by status,
credits, faults fired) is read when the metrics are scraped, by a collector,
and costs nothing per request.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest

from rivya_contract.mock_server.exchange import Call, Reply

if TYPE_CHECKING:
    from rivya_contract.mock_server.control import Controller

UNROUTED = "unrouted"
"""The route label of a request that matched no operation."""

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Seconds: the mock answers in well under a millisecond, so the buckets start small."""

STATUSES = ("queued", "processing", "succeeded", "failed")


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


class Metrics:
    """One mock's metrics in its own registry (several mocks can live in one process)."""

    def __init__(self, control: Controller) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._requests = Counter(
            "rivya_mock_requests",
            "Requests answered, by route template, method, status and error code.",
            ["route", "method", "status", "code"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "rivya_mock_request_duration_seconds",
            "Seconds from a request's head to its answer, added latency aside, by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.webhook_attempts = Counter(
            "rivya_mock_webhook_attempts",
            "Webhook delivery attempts, by event type and outcome (delivered, failed, dropped).",
            ["event", "outcome"],
            registry=self.registry,
        )
        """Incremented by webhook delivery: ``webhook_attempts.labels(event, outcome).inc()``."""
        self.registry.register(_State(control))
        self._children: dict[tuple[str, str, int, str], tuple[Any, Any]] = {}

    def observe(self, call: Call, reply: Reply, route: str | None, seconds: float) -> None:
        """Count one answered request and its latency."""
        key = (route or UNROUTED, call.method, reply.status, reply.code or "")
        children = self._children.get(key)
        if children is None:
            children = (
                self._requests.labels(key[0], key[1], str(key[2]), key[3]),
                self._latency.labels(key[0]),
            )
            if len(self._children) < 4096:  # unrouted paths are one label; this bounds the rest
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """Return the exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
