"""Prometheus metrics for ``lh-central serve --metrics-port``: off unless asked for.

prometheus_client's own HTTP server on its own address (default 127.0.0.1), never on the
API's port.  One custom collector builds every sample at scrape time: the per-device gauges
from the database (central.fleet, the same reading as ``lh-central device list``) and the
counters from this process's ingest statistics (``CentralService.stats``), so nothing has
to be kept in step.  Counters start at zero when the process starts, as Prometheus expects.

Labels hold device and department ids only: no names, no tag digests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import func, select

from central.fleet import fleet

if TYPE_CHECKING:
    from central.store import CentralStore

logger = logging.getLogger(__name__)

DEVICE_LABELS = ["device", "department"]
#: (metric label value, key in CentralService.stats)
EVENT_RESULTS = (("stored", "stored"), ("duplicate", "duplicates"), ("rejected", "rejected"))


class CentralCollector(Collector):
    """Reads the store and the service's statistics at each scrape."""

    def __init__(
        self,
        store: CentralStore,
        stats: Mapping[str, int] | None = None,
        connected: Any = None,
    ) -> None:
        self.store = store
        self.stats = stats if stats is not None else {}
        self.connected = connected  # a callable returning bool, or None

    def describe(self) -> list[Metric]:
        return []  # no samples at registration: the store may not be reachable yet

    def collect(self) -> Iterator[Metric]:
        yield from self._counters()
        if self.connected is not None:
            up = GaugeMetricFamily("lh_central_broker_connected", "1 if central is subscribed at its broker")
            up.add_metric([], 1.0 if self.connected() else 0.0)
            yield up
        try:
            devices = fleet(self.store)
            dead = self._dead_letters()
        except Exception:
            logger.exception("metrics: could not read the database")
            db_up = GaugeMetricFamily("lh_central_database_up", "1 if the scrape could read the database")
            db_up.add_metric([], 0.0)
            yield db_up
            return
        db_up = GaugeMetricFamily("lh_central_database_up", "1 if the scrape could read the database")
        db_up.add_metric([], 1.0)
        yield db_up

        online = GaugeMetricFamily(
            "lh_device_online", "1 if the device's retained status is online", labels=DEVICE_LABELS
        )
        seen = GaugeMetricFamily(
            "lh_device_last_seen_timestamp_seconds",
            "when central last heard a new status from the device",
            labels=DEVICE_LABELS,
        )
        outbox = GaugeMetricFamily(
            "lh_device_outbox_depth", "events on the device not yet acked (last known)", labels=DEVICE_LABELS
        )
        rejected = GaugeMetricFamily(
            "lh_device_rejected_events",
            "events central rejected, as the device counts them",
            labels=DEVICE_LABELS,
        )
        lag = GaugeMetricFamily(
            "lh_device_roster_version_lag",
            "roster versions the device is behind its department's newest",
            labels=DEVICE_LABELS,
        )
        for d in devices:
            labels = [d.id, d.department_id]
            online.add_metric(labels, 1.0 if d.state == "online" else 0.0)
            if d.last_seen is not None:
                seen.add_metric(labels, d.last_seen.timestamp())
            if d.outbox_depth is not None:
                outbox.add_metric(labels, float(d.outbox_depth))
            if d.rejected_count is not None:
                rejected.add_metric(labels, float(d.rejected_count))
            if d.roster_lag is not None:
                lag.add_metric(labels, float(d.roster_lag))
        yield from (online, seen, outbox, rejected, lag)
        stored = GaugeMetricFamily("lh_dead_letters_stored", "dead letters kept in the database now")
        stored.add_metric([], float(dead))
        yield stored

    def _counters(self) -> Iterator[Metric]:
        events = CounterMetricFamily(
            "lh_events", "events received by this central process, by outcome", labels=["result"]
        )
        for label, key in EVENT_RESULTS:
            events.add_metric([label], float(self.stats.get(key, 0)))
        yield events
        dead = CounterMetricFamily("lh_dead_letters", "dead letters written by this central process")
        dead.add_metric([], float(self.stats.get("dead_letters", 0)))
        yield dead
        rosters = CounterMetricFamily("lh_roster_publishes", "department rosters published by this process")
        rosters.add_metric([], float(self.stats.get("roster_publishes", 0)))
        yield rosters

    def _dead_letters(self) -> int:
        from central.db.schema import DeadLetter

        with self.store.session() as s:
            return int(s.scalar(select(func.count()).select_from(DeadLetter)) or 0)


class MetricsServer:
    """prometheus_client's HTTP server serving one :class:`CentralCollector`."""

    def __init__(self, collector: CentralCollector, host: str, port: int) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(collector)
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server, self._thread = start_http_server(self.port, addr=self.host, registry=self.registry)
        logger.info("metrics on http://%s:%d/metrics", self.host, self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
