"""`GET /metrics` in the Prometheus text format, with prometheus-client.

Two kinds of series. What happens per request (requests by route and status, their
latency) is counted as it happens, in this process's `RequestMetrics`. Everything else is
read at scrape time: each domain gives an async `MetricSource` that reads its current state
(monitor states, queue depths, lags) and returns metric families. A scrape builds a registry
of its own from both, so concurrent scrapes never share half-read state. Counters are this
replica's; states read from the database are the same on every replica."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from watchkeep.core.hub import Hub

# The routes' templates label the series, so one route is one series whatever its ids.
UNMATCHED = "unmatched"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

MetricSource = Callable[[Hub], Awaitable[Sequence[Metric]]]


class RequestMetrics:
    """Requests answered by this process, counted as they finish."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "watchkeep_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "watchkeep_http_request_duration_seconds",
            "Time to answer an HTTP request (to its end, for streams), by method and route template.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str | None, status: int, seconds: float) -> None:
        template = route or UNMATCHED
        self.requests.labels(method, template, str(status)).inc()
        self.latency.labels(method, template).observe(seconds)


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        yield from self.families


async def store_metrics(hub: Hub) -> list[Metric]:
    """The writer's queue and its commits (SQLite's group commit; on PostgreSQL every write
    commits on its own and nothing queues)."""
    stats = hub.store.stats
    depth = GaugeMetricFamily("watchkeep_store_writer_queue_depth", "Writes waiting for the writer.")
    depth.add_metric([], hub.store.queue_depth)
    commits = SummaryMetricFamily(
        "watchkeep_store_commit_seconds", "Time to run and commit a group of writes (one write on PostgreSQL)."
    )
    commits.add_metric([], count_value=stats.commits, sum_value=stats.commit_seconds)
    return [depth, commits]


def gauge(name: str, documentation: str, labels: Sequence[str], rows: Iterable[tuple[Sequence[str], float]]) -> Metric:
    """A gauge family from (label values, value) rows."""
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for values, value in rows:
        family.add_metric(list(values), value)
    return family


async def exposition(hub: Hub, requests: RequestMetrics, sources: Sequence[MetricSource]) -> bytes:
    """The text exposition of the request metrics and of every source, read now."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in (requests.requests, requests.latency):
        registry.register(collector)
    families: list[Metric] = []
    for source in sources:
        families.extend(await source(hub))
    registry.register(_Families(families))
    return generate_latest(registry)
