"""The device's connection to the broker, and the outbox drain.

Delivery contract (docs/protocol.md): a row leaves the outbox only when central's
ack for its event id arrives.  The broker's PUBACK proves nothing durable, so
this module keeps a window of events "in flight", resends everything unacked in
``seq`` order after a timeout and after every (re)connect, and pauses while
central's retained status says it is offline.

Threads: paho's network thread runs the callbacks; one sender thread publishes.
Our lock guards only our own bookkeeping and is never held around ``publish()``
(paho calls ``on_publish`` under its own locks; holding ours there deadlocks).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from device.store import DeviceStore
from protocol.codec import ProtocolError, decode_ack, decode_central_status, decode_roster, encode
from protocol.connection import ConnectHints, ConnectionWatch
from protocol.messages import DeviceStatus, Roster
from protocol.topics import Topics

logger = logging.getLogger(__name__)

#: How long the broker keeps this device's session (and acks queued for it) while it is away.
SESSION_EXPIRY_S = 7 * 24 * 3600


@dataclass
class LinkState:
    """What the technician screen and the idle screen show about the connection."""

    connected: bool = False
    central_online: bool | None = None
    last_error: str | None = None
    roster_version: int | None = None
    sent_messages: int = 0
    acked_events: int = 0
    connects: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class DeviceLink:
    """Keeps one device connected, its outbox draining and its roster current."""

    def __init__(
        self,
        store: DeviceStore,
        *,
        url: str,
        username: str | None = None,
        password: str | None = None,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        topics: Topics | None = None,
        keepalive_s: int = 30,
        reconnect_min_s: float = 0.5,
        reconnect_max_s: float = 10.0,
        ack_timeout_s: float = 15.0,
        batch_size: int = 100,
        window: int = 20,
        version: str = "0",
        on_roster: Callable[[Roster], None] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.device_id = store.device_id
        self.topics = topics or Topics()
        self.version = version
        self.ack_timeout_s = ack_timeout_s
        self.batch_size = batch_size
        self.max_inflight = batch_size * window
        self.on_roster = on_roster
        self.on_change = on_change
        self.state = LinkState(roster_version=store.roster_version())
        self.boot_id = uuid.uuid4().hex[:12]

        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self._keepalive = keepalive_s

        self._lock = threading.Lock()
        self._inflight: dict[str, float] = {}  # event id -> monotonic time sent
        self._high_seq = 0  # highest seq sent in the current round
        self._sent_max = 0  # highest seq sent since this program started: below it, a resend
        self._round = 0  # bumped by every restart; a sender of an older round must not write back
        self._kick = threading.Event()
        self._stopping = threading.Event()
        self._sender: threading.Thread | None = None
        self._last_status: tuple[Any, ...] | None = None
        self._central_announced: datetime | None = None  # ``at`` of central's last online status

        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.device_id,
            protocol=mqtt.MQTTv5,
        )
        c.username_pw_set(username or self.device_id, password)
        if parts.scheme == "mqtts":
            c.tls_set(
                ca_certs=tls_ca, certfile=tls_cert, keyfile=tls_key, tls_version=ssl.PROTOCOL_TLS_CLIENT
            )
        c.reconnect_delay_set(
            min_delay=max(1, round(reconnect_min_s)), max_delay=max(1, round(reconnect_max_s))
        )
        c.will_set(self.topics.status(self.device_id), self._status_payload("offline"), qos=1, retain=True)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        # Why the broker cannot be reached, once per distinct failure, in the log and as the
        # technician screen's last error (issue 10).
        self.watch = ConnectionWatch(
            ConnectHints(
                host=self._host,
                port=self._port,
                username=username or self.device_id,
                tls=parts.scheme == "mqtts",
                client_cert=tls_cert is not None,
                ca_file=str(tls_ca) if tls_ca else None,
                ca_option="mqtt.tls_ca",
                cert_option="mqtt.tls_cert and mqtt.tls_key",
                url_option="mqtt.url",
                password_option="mqtt.password_file",
            ),
            logger,
            on_problem=self._problem,
        )
        self.watch.install(c)
        self.client = c

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self.client.connect_async(
            self._host, self._port, keepalive=self._keepalive, clean_start=False, properties=props
        )
        self.client.loop_start()
        self._sender = threading.Thread(target=self._send_loop, name="outbox-sender", daemon=True)
        self._sender.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Say offline (a clean disconnect suppresses the will), then disconnect."""
        self._stopping.set()
        self._kick.set()
        if self.state.connected:
            info = self.client.publish(
                self.topics.status(self.device_id), self._status_payload("offline"), qos=1, retain=True
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout)
        self.client.disconnect()
        self.client.loop_stop()
        if self._sender is not None:
            self._sender.join(timeout)

    def kick(self) -> None:
        """Wake the sender: a tap was just committed to the outbox."""
        self._kick.set()

    # -- paho callbacks (network thread) ------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if rc.is_failure:
            self.watch.refused(rc)
            return
        self.watch.connected()
        self.state.connected = True
        self.state.connects += 1
        self.state.last_error = None
        logger.info("connected to broker %s:%s", self._host, self._port)
        client.subscribe(
            [
                (self.topics.acks(self.device_id), 1),
                (self.topics.roster(self.device_id), 1),
                (self.topics.central_status, 1),
            ]
        )
        self._publish_status(force=True)
        self._restart_round()
        self._changed()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        self.state.connected = False
        if not self._stopping.is_set():
            self.watch.disconnected(rc)
        self._changed()

    def _problem(self, sentence: str) -> None:
        """A new connection problem (paho's thread): the technician screen's last error."""
        self.state.last_error = sentence
        self._changed()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            if msg.topic == self.topics.acks(self.device_id):
                self._handle_ack(bytes(msg.payload))
            elif msg.topic == self.topics.roster(self.device_id):
                self._handle_roster(bytes(msg.payload))
            elif msg.topic == self.topics.central_status:
                self._handle_central_status(bytes(msg.payload))
        except ProtocolError as exc:
            self.state.last_error = f"bad message on {msg.topic}: {exc}"
            logger.error("ignored a bad message on %s: %s", msg.topic, exc)
        except Exception:  # keep the network thread alive whatever happens
            logger.exception("failed to handle a message on %s", msg.topic)

    def _handle_ack(self, payload: bytes) -> None:
        ack = decode_ack(payload)
        removed, rejected = self.store.apply_acks(ack.results)
        with self._lock:
            for r in ack.results:
                self._inflight.pop(r.event_id, None)
        self.state.acked_events += removed + rejected
        self._kick.set()
        self._changed()

    def _handle_roster(self, payload: bytes) -> None:
        roster = decode_roster(payload)
        if self.store.save_roster(roster):
            self.state.roster_version = roster.version
            logger.info("roster version %d applied", roster.version)
            if self.on_roster is not None:
                self.on_roster(roster)
            self._publish_status(force=True)
            self._changed()

    def _handle_central_status(self, payload: bytes) -> None:
        status = decode_central_status(payload)
        was = self.state.central_online
        self.state.central_online = status.state == "online"
        if self.state.central_online:
            # A new announcement (a new ``at``) drains too, even if the last one we saw also
            # said online: after a broker restart the retained "online" is stale, events we
            # sent before central subscribed again reached nobody, and central announces
            # only once it is subscribed.  The same retained message again (our own
            # reconnect) is no news: on_connect already restarted the round.
            announced = status.at
            if was is not True or announced != self._central_announced:
                # Sparkplug's host-state pattern: re-announce and drain from the start.
                logger.info("central is online; draining the outbox")
                self._publish_status(force=True)
                self._restart_round()
            self._central_announced = announced
        self._changed()

    # -- sending ----------------------------------------------------------------------

    def _restart_round(self) -> None:
        """Forget what is in flight: everything unacked goes again, in seq order."""
        with self._lock:
            self._inflight.clear()
            self._high_seq = 0
            self._round += 1
        self._kick.set()

    def _send_loop(self) -> None:
        last_status = 0.0
        while not self._stopping.is_set():
            self._kick.wait(timeout=0.5)
            self._kick.clear()
            if self._stopping.is_set():
                break
            try:
                self._send_some()
                now = time.monotonic()
                if now - last_status > 10:
                    last_status = now
                    self._publish_status()
            except Exception:  # the sender must outlive any one failure
                logger.exception("outbox sender failed; retrying")
                time.sleep(0.5)

    def _send_some(self) -> None:
        if not self.state.connected or self.state.central_online is False:
            return
        now = time.monotonic()
        with self._lock:
            oldest = min(self._inflight.values(), default=now)
            if now - oldest > self.ack_timeout_s:
                logger.warning(
                    "%d event(s) unacked after %.0f s; resending", len(self._inflight), self.ack_timeout_s
                )
                self._inflight.clear()
                self._high_seq = 0
                self._round += 1
            room = self.max_inflight - len(self._inflight)
            after = self._high_seq
            my_round = self._round
        while room > 0 and self.state.connected and not self._stopping.is_set():
            self.store.after_taps()  # a guardian's tap and its confirmation go first
            items = self.store.pending(min(room, self.batch_size), after_seq=after)
            if not items:
                return
            payload = items[0].payload if len(items) == 1 else "[" + ",".join(i.payload for i in items) + "]"
            sent_at = time.monotonic()
            with self._lock:
                if self._round != my_round:
                    # A restart (paho's thread) landed since we read our position: it
                    # cleared what was in flight, so writing our old position back would
                    # strand every row below it.  The restart kicked us: start over.
                    return
                for i in items:
                    self._inflight[i.event_id] = sent_at
                self._high_seq = after = items[-1].seq
            info = self.client.publish(self.topics.events(self.device_id), payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                # Not connected after all: paho keeps it in memory; we resend on reconnect anyway.
                return
            self.state.sent_messages += 1
            room -= len(items)
            # Only resends are counted in the outbox (a technician's clue to a row that never
            # gets acked); counting every first send doubled the writes of a backlog's drain.
            resent = [i.seq for i in items if i.seq <= self._sent_max]
            self._sent_max = max(self._sent_max, items[-1].seq)
            if resent:
                self.store.mark_sent(resent)

    # -- status -----------------------------------------------------------------------

    def _status_payload(self, state: Literal["online", "offline"]) -> bytes:
        online = state == "online"
        return encode(
            DeviceStatus(
                state=state,
                boot_id=self.boot_id,
                version=self.version,
                outbox_depth=self.store.depth() if online else None,
                rejected_count=len(self.store.rejected()) if online else None,
                roster_version=self.state.roster_version if online else None,
                at=datetime.now(UTC),
            )
        )

    def _publish_status(self, force: bool = False) -> None:
        if not self.state.connected:
            return
        key = (self.store.depth(), self.state.roster_version)
        if not force and key == self._last_status:
            return
        self._last_status = key
        self.client.publish(
            self.topics.status(self.device_id), self._status_payload("online"), qos=1, retain=True
        )

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:
                logger.exception("on_change listener failed")
