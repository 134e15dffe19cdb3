"""``lh-central serve``: the MQTT side of central.

Subscribes to every device's events with an MQTT v5 shared subscription and a
persistent session, hands them to :class:`central.ingest.Ingestor` in batches,
and only then publishes rosters and acks and sends PUBACK (``manual_ack``): a
message the broker saw acknowledged is committed here.  Central's own retained
status (online, with an offline last will) tells devices when to drain.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from central.ingest import Ingestor, RawMessage
from central.ingest_process import IngestProcess, ProcessedBatch, finish
from central.store import TZ, CentralStore
from protocol.codec import ProtocolError, decode_status, encode
from protocol.connection import ConnectHints, ConnectionWatch
from protocol.messages import CentralStatus, Roster, RosterPlanEntry
from protocol.topics import Topics

logger = logging.getLogger(__name__)

SESSION_EXPIRY_S = 24 * 3600
RECEIVE_MAXIMUM = 5000
PlanProvider = Callable[[str, date], list[RosterPlanEntry]]


@dataclass(frozen=True, slots=True)
class _Incoming:
    generation: int
    mid: int
    qos: int
    topic: str
    payload: bytes


class DeviceBudget:
    """A token bucket per device: how many event messages it may send per second.

    A hallway sends a few taps a minute and, after an outage, a backlog in batches of 100
    events (docs/protocol.md): 10 messages a second with a burst of 300 (30,000 events) is
    far beyond any of that, and stops one device (a stolen Pi's credentials, a bug) from
    taking central's ingest away from the others.  A message over the budget is
    PUBACKed unread and gets no ack from central: the device keeps the events in its outbox
    and sends them again after its ack timeout, so nothing is lost.
    """

    def __init__(
        self, rate: float = 10.0, burst: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens: dict[str, tuple[float, float]] = {}

    def take(self, device_id: str) -> bool:
        """Spend one message of ``device_id``'s budget; False if it has none left."""
        now = self._clock()
        tokens, last = self._tokens.get(device_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._tokens[device_id] = (tokens, now)
            return False
        self._tokens[device_id] = (tokens - 1.0, now)
        return True


@dataclass(frozen=True, slots=True)
class BrokerURL:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> BrokerURL:
        p = urlsplit(url)
        if p.scheme not in ("mqtt", "mqtts") or not p.hostname:
            raise ValueError(f"broker URL {url!r} must look like mqtt://[user:pass@]host:port")
        return cls(
            p.scheme,
            p.hostname,
            p.port or (8883 if p.scheme == "mqtts" else 1883),
            unquote(p.username) if p.username else None,
            unquote(p.password) if p.password else None,
        )


class CentralService:
    """One central instance; several may run in the same shared-subscription group."""

    def __init__(
        self,
        store: CentralStore,
        broker: BrokerURL,
        *,
        client_id: str = "central-1",
        topics: Topics | None = None,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        batch_max: int = 2000,
        batch_wait_s: float = 0.0,
        refresh_s: float = 15.0,
        plan_provider: PlanProvider | None = None,
        version: str = "0",
        ingest_process: bool = True,
    ) -> None:
        self.store = store
        self.topics = topics or Topics()
        self.ingestor = Ingestor(store, self.topics)
        # Store batches in a child process (central.ingest_process), unless the database
        # lives in this process's memory and a child could not see it.
        db_url = store.engine.url
        in_memory = db_url.get_backend_name() == "sqlite" and db_url.database in (None, "", ":memory:")
        self._ingest_process = (
            IngestProcess(db_url.render_as_string(hide_password=False), self.topics)
            if ingest_process and not in_memory
            else None
        )
        self.batch_max = batch_max
        self.batch_wait_s = batch_wait_s
        self.budget = DeviceBudget()
        self._over_budget_logged: dict[str, float] = {}
        self.refresh_s = refresh_s
        self.plan_provider = plan_provider
        self.version = version
        self._broker = broker
        self._queue: queue.Queue[_Incoming] = queue.Queue()
        self._generation = 0
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._subscribe_mid: int | None = None
        self._stopping = threading.Event()
        self._worker: threading.Thread | None = None
        self._roster_hash: dict[str, str] = {}
        self._roster_day: date | None = None
        self._wanted_full_publish = threading.Event()
        self._dirty: set[str] = set()
        self._dirty_lock = threading.Lock()
        self._roster_wake = threading.Event()
        self._rosters: threading.Thread | None = None
        self._last_roster_publish = 0.0
        self.roster_min_interval_s = 1.0
        self.refresh_share = 0.2
        """At most this share of the roster thread's time goes to the periodic full refresh:
        with many departments (each a roster to build and hash) the next refresh waits longer."""
        self.stats: dict[str, int] = defaultdict(int)

        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        if broker.username:
            c.username_pw_set(broker.username, broker.password)
        if broker.scheme == "mqtts":
            c.tls_set(
                ca_certs=tls_ca, certfile=tls_cert, keyfile=tls_key, tls_version=ssl.PROTOCOL_TLS_CLIENT
            )
        c.reconnect_delay_set(1, 10)
        c.will_set(self.topics.central_status, self._status("offline"), qos=1, retain=True)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        # Why a connect failed or the connection dropped, once per distinct failure (issue 10).
        self.watch = ConnectionWatch(
            ConnectHints(
                host=broker.host,
                port=broker.port,
                username=broker.username,
                tls=broker.scheme == "mqtts",
                client_cert=tls_cert is not None,
                ca_file=tls_ca,
            ),
            logger,
            who="central",
        )
        self.watch.install(c)
        self.client = c

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        if self._ingest_process is not None:
            self._ingest_process.start()  # before connecting: ready when the backlog comes
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect_async(
            self._broker.host, self._broker.port, keepalive=30, clean_start=False, properties=props
        )
        self.client.loop_start()
        self._worker = threading.Thread(target=self._work, name="central-ingest", daemon=True)
        self._worker.start()
        # Rosters are built in a thread of their own, off the ack path: a rush of check-ins
        # across hundreds of departments must not wait behind roster builds (bench/rush.py).
        self._rosters = threading.Thread(target=self._roster_loop, name="central-rosters", daemon=True)
        self._rosters.start()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """Connected, subscribed and announced online (or False after ``timeout``)."""
        return self._subscribed.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the batch in hand, say offline, disconnect."""
        self._stopping.set()
        self._roster_wake.set()
        if self._worker is not None:
            self._worker.join(timeout)
        if self._rosters is not None:
            self._rosters.join(timeout)
        if self._connected.is_set():
            info = self.client.publish(
                self.topics.central_status, self._status("offline"), qos=1, retain=True
            )
            try:
                info.wait_for_publish(2.0)
            except (RuntimeError, ValueError):
                logger.warning("could not publish the offline status before disconnecting")
        self.client.disconnect()
        self.client.loop_stop()
        if self._ingest_process is not None:
            self._ingest_process.close()

    def roster_changed(self, department_id: str | None = None) -> None:
        """Ask for a department's roster (all rosters if None) to be rebuilt now (after an API
        or web change, say)."""
        if department_id is None:
            self._wanted_full_publish.set()
        else:
            self._mark_dirty({department_id})
        self._roster_wake.set()

    def _mark_dirty(self, departments: set[str]) -> None:
        if departments:
            with self._dirty_lock:
                self._dirty |= departments
            self._roster_wake.set()

    # -- paho callbacks ---------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if rc.is_failure:
            self.watch.refused(rc)
            return
        self.watch.connected()
        self._generation += 1
        self._subscribed.clear()
        # Subscribe on every connect: Mosquitto 2.0 does not restore a shared subscription
        # from its persistence file, so after a broker restart our session has none.  The
        # online status waits for the SUBACK (_on_subscribe): a device drains when it sees
        # it, and events it sent before the subscription existed reached nobody.
        _rc, mid = client.subscribe(
            [
                (self.topics.shared(self.topics.all_events), 1),
                # Statuses not shared: a shared subscription gets no retained messages, and
                # central must learn of devices that went offline while it was away
                # (central.fleet ignores a repeat; every instance may record the same one).
                (self.topics.all_statuses, 1),
            ]
        )
        self._subscribe_mid = mid
        self._connected.set()
        self._wanted_full_publish.set()
        logger.info("central connected to %s:%s", self._broker.host, self._broker.port)

    def _on_subscribe(self, client: mqtt.Client, _u: Any, mid: int, rcs: list[Any], _p: Any = None) -> None:
        if mid != self._subscribe_mid:
            return
        failed = [rc for rc in rcs if rc.is_failure]
        if failed:
            logger.error("the broker refused central's subscriptions: %s; not announcing online", failed)
            return
        # Each announcement carries a new ``at``: devices drain again on every one, also when
        # the retained value they last saw was already "online" (a broker restart).
        client.publish(self.topics.central_status, self._status("online"), qos=1, retain=True)
        self._subscribed.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        self._connected.clear()
        self._subscribed.clear()
        if not self._stopping.is_set():
            self.watch.disconnected(rc)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        device_id = self.topics.device_of(msg.topic, "events")
        if device_id is not None and not self.budget.take(device_id):
            self._over_budget(device_id, msg)
            return
        self._queue.put(_Incoming(self._generation, msg.mid, msg.qos, msg.topic, bytes(msg.payload)))

    def _over_budget(self, device_id: str, msg: mqtt.MQTTMessage) -> None:
        """PUBACK unread (the broker must not redeliver it to us); no ack, so the device resends."""
        self.stats["over_budget"] += 1
        if msg.qos > 0:
            self.client.ack(msg.mid, msg.qos)
        now = time.monotonic()
        if now - self._over_budget_logged.get(device_id, -1e9) > 60.0:
            self._over_budget_logged[device_id] = now
            logger.warning(
                "device %s sends more than %.0f event messages a second: the excess is left for it "
                "to resend (central stays free for the other devices)",
                device_id,
                self.budget.rate,
            )

    # -- the worker -------------------------------------------------------------------

    def _take_batch(self) -> list[_Incoming]:
        """The next message and whatever queued behind it (up to ``batch_max``).

        Batches form by themselves under load: while one batch is stored, the next
        queues up.  A lone tap goes at once; waiting ``batch_wait_s`` for company (0 by
        default; it was 50 ms) only added that wait to every quiet tap's ack."""
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_wait_s
        while len(batch) < self.batch_max:
            try:
                left = deadline - time.monotonic()
                batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _work(self) -> None:
        while not (self._stopping.is_set() and self._queue.empty()):
            batch = self._take_batch()
            if batch:
                self._handle(batch)

    def _roster_loop(self) -> None:
        """Publish changed departments' rosters (at most every roster_min_interval_s), and all
        rosters every refresh_s (a notice or a new day begins, an import or a blocked tag from
        another process).  Each is built after the commit it reflects, so a device never sees
        a roster older than an ack."""
        next_refresh = 0.0
        while not self._stopping.is_set():
            self._roster_wake.wait(timeout=0.5)
            self._roster_wake.clear()
            now = time.monotonic()
            with self._dirty_lock:
                pending = bool(self._dirty)
            wait = self.roster_min_interval_s - (now - self._last_roster_publish)
            if pending and wait > 0:  # under load, one rebuild covers many batches
                time.sleep(min(wait, 0.5))
                self._roster_wake.set()
            elif pending:
                with self._dirty_lock:
                    dirty, self._dirty = self._dirty, set()
                self._last_roster_publish = now
                try:
                    self.publish_rosters(dirty, force=False)
                except Exception:
                    logger.exception("roster publish failed; the periodic refresh will retry")
                    self._mark_dirty(dirty)
            today = datetime.now(TZ).date()
            due = now >= next_refresh or today != self._roster_day
            if self._connected.is_set() and (due or self._wanted_full_publish.is_set()):
                force = self._wanted_full_publish.is_set() or today != self._roster_day
                self._wanted_full_publish.clear()
                self._roster_day = today
                started = time.monotonic()
                try:
                    self.publish_rosters(None, force=force)
                except Exception:
                    logger.exception("roster refresh failed; will retry")
                took = time.monotonic() - started
                next_refresh = time.monotonic() + max(self.refresh_s, took / self.refresh_share)

    def _handle(self, batch: list[_Incoming]) -> None:
        events = [m for m in batch if m.topic.endswith("/events")]
        statuses = [m for m in batch if not m.topic.endswith("/events")]
        for m in statuses:
            self._handle_status(m)
        self.stats["batches_in_flight"] = 1
        try:
            outcome = self._store_until_done([RawMessage(m.topic, m.payload) for m in events])
        finally:
            self.stats["batches_in_flight"] = 0
        if outcome is None:  # stopping: no PUBACK, the broker redelivers to the next central
            return
        self.stats["stored"] += outcome.stored
        self.stats["duplicates"] += outcome.duplicates
        self.stats["rejected"] += outcome.rejected
        self.stats["dead_letters"] += outcome.dead_letters
        self.stats["implausible_time"] += outcome.implausible_time
        self.stats["unconfirmed_handover"] += outcome.unconfirmed_handover
        self._mark_dirty(set(outcome.changed_departments))
        for device_id, payloads in outcome.acks.items():
            for payload in payloads:
                self.client.publish(self.topics.acks(device_id), payload, qos=1)
        self.stats["acked"] += outcome.acked
        for m in batch:
            if m.generation == self._generation and m.qos > 0:
                self.client.ack(m.mid, m.qos)

    def _store_until_done(self, messages: list[RawMessage]) -> ProcessedBatch | None:
        """Store the batch, retrying with backoff while the database (or the ingest
        process) is away; None if central is stopping first."""
        delay = 0.5
        while True:
            try:
                return self._store_batch(messages)
            except Exception:
                logger.exception("storing a batch of %d message(s) failed; retrying", len(messages))
                if self._stopping.is_set():
                    return None
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    def _store_batch(self, messages: list[RawMessage]) -> ProcessedBatch:
        if not messages:
            return ProcessedBatch()
        if self._ingest_process is not None:
            return self._ingest_process.process(messages)
        return finish(self.ingestor.process(messages))

    def _handle_status(self, m: _Incoming) -> None:
        device_id = self.topics.device_of(m.topic, "status")
        if device_id is None:
            return
        try:
            decode_status(m.payload)
        except ProtocolError as exc:
            logger.warning("ignored a bad status from %s: %s", device_id, exc)
            return
        try:
            self.store.record_device_status(device_id, m.payload.decode())
        except Exception:
            logger.exception("could not record the status of %s", device_id)

    # -- rosters ----------------------------------------------------------------------

    def publish_rosters(self, departments: set[str] | None, *, force: bool) -> int:
        """Publish the roster of each department (all with devices if None) whose content changed."""
        by_dept: dict[str, list[str]] = defaultdict(list)
        for device_id, dept in self.store.device_departments().items():
            by_dept[dept].append(device_id)
        targets = set(by_dept) if departments is None else set(departments) & set(by_dept)
        now = datetime.now(UTC)
        published = 0
        for dept in sorted(targets):
            plan = self.plan_provider(dept, now.astimezone(TZ).date()) if self.plan_provider else None
            roster = self.store.build_roster(dept, now=now, plan=plan)
            # Unit settings and today's notices, if the department's devices accept them: hashed
            # with the rest, so a notice starting or ending (or a device upgraded) republishes.
            complete = getattr(self.plan_provider, "complete_roster", None)
            roster = complete(roster, by_dept[dept]) if complete is not None else roster
            digest = _content_hash(roster)
            if not force and self._roster_hash.get(dept) == digest:
                continue
            roster = roster.model_copy(update={"version": self.store.bump_roster_version(dept)})
            payload = encode(roster)
            for device_id in by_dept[dept]:
                self.client.publish(self.topics.roster(device_id), payload, qos=1, retain=True)
            self._roster_hash[dept] = digest
            published += 1
            self.stats["roster_publishes"] += 1
        return published

    def _status(self, state: Literal["online", "offline"]) -> bytes:
        return encode(CentralStatus(state=state, version=self.version, at=datetime.now(UTC)))


def _content_hash(roster: Roster) -> str:
    body = roster.model_dump_json(exclude={"version", "generated_at"})
    return hashlib.sha256(body.encode()).hexdigest()
