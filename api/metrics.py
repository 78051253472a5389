"""Prometheus metrics, one registry per app instance (tests build many apps).

At api's top, not in ``api.http``: the HTTP middleware counts requests, and the read side's
follower (``projections.live``, after each catch-up) and each scrape set the views' lag, in
the same registry that ``/metrics`` serves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ViewStatus(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def lag(self) -> int: ...


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "ketnap_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ketnap_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.commands = Counter(
            "ketnap_commands_total",
            "Commands by type and outcome",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.projection_lag = Gauge(
            "ketnap_projection_lag_events",
            "Events recorded but not yet projected",
            ["projection"],
            registry=self.registry,
        )

    def observe_lag(self, views: Iterable[ViewStatus]) -> None:
        """Set the lag gauge of each view (events stored beyond what it applied)."""
        for view in views:
            self.projection_lag.labels(view.name).set(view.lag)
