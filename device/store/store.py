"""Durable device state: every tap is committed here before the guardian sees "Klar".

The outbox is the only proof a tap happened until central acks it, so commits
use SQLite WAL with ``synchronous=FULL`` (a power cut after the commit keeps the
row).  One writer at a time (:class:`WriteTurn`), and a tap goes first: the link's
bookkeeping (acks applied, attempts counted) and roster saves write in short steps
and give way between them whenever a tap is waiting, so a guardian tapping while a
10,000-event backlog drains waits for at most one step (bench/tap.py).  Nothing is
held while publishing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, create_engine, delete, event, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as upsert
from sqlalchemy.engine import Engine

from device.store.schema import SCHEMA_VERSION, meta, metadata, outbox, presence, roster_cache
from protocol.codec import encode
from protocol.messages import AckResult, AckStatus, Actor, Event, EventMethod, EventType, Roster

logger = logging.getLogger(__name__)


#: Rows one bookkeeping step deletes or updates before it gives a waiting tap its turn
#: (about a millisecond of SQLite work on a Pi-class CPU; bench/tap.py).
BOOKKEEPING_STEP = 25


#: After a tap's commit, background writes wait this long: the tap's light, sound and
#: frame come next, and on a Pi they share one interpreter lock with the link's threads.
TAP_QUIET_S = 0.015


class WriteTurn:
    """Whose turn it is to write the device's SQLite file: one writer at a time (SQLite's
    own busy wait sleeps in steps of up to 100 ms, far too coarse for a tap), and a tap
    never waits behind more than the one step that is writing when it comes.

    ``tap()`` is the guardian's turn: it goes next.  ``step()`` is a turn for background
    work (the link's bookkeeping, a roster save): it waits while any tap is waiting and
    for ``quiet_s`` after a tap, so a long job made of steps lets taps in between them and
    stays out of the way while the tap's confirmation is shown.  Not reentrant."""

    def __init__(self, quiet_s: float = TAP_QUIET_S) -> None:
        self.quiet_s = quiet_s
        self._cond = threading.Condition(threading.Lock())
        self._busy = False
        self._taps_waiting = 0
        self._quiet_until = 0.0

    @contextmanager
    def tap(self) -> Iterator[None]:
        with self._cond:
            self._taps_waiting += 1
            try:
                while self._busy:
                    self._cond.wait()
            finally:
                self._taps_waiting -= 1
            self._busy = True
        try:
            yield
        finally:
            self._release(quiet=True)

    @contextmanager
    def step(self) -> Iterator[None]:
        with self._cond:
            self._wait_for_taps()
            self._busy = True
        try:
            yield
        finally:
            self._release()

    def after_taps(self) -> None:
        """Block while taps go first (background work that does not write: reading the
        next batch to send)."""
        with self._cond:
            self._wait_for_taps()

    def _wait_for_taps(self) -> None:
        while True:
            if self._busy or self._taps_waiting:
                self._cond.wait()
                continue
            left = self._quiet_until - time.monotonic()
            if left <= 0:
                return
            self._cond.wait(left)

    def _release(self, *, quiet: bool = False) -> None:
        with self._cond:
            self._busy = False
            if quiet:
                self._quiet_until = time.monotonic() + self.quiet_s
            self._cond.notify_all()


@dataclass(frozen=True, slots=True)
class OutboxItem:
    seq: int
    event_id: str
    payload: str


@dataclass(frozen=True, slots=True)
class RejectedItem:
    seq: int
    event_id: str
    child_id: str
    reason: str | None
    created_at: datetime


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _bookkeeping_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """The link's bookkeeping (acks applied, attempts counted) commits without an fsync of
    its own: losing the last of it to a power cut only makes the device send some events
    again, which central acks as duplicates.  The next tap's FULL commit makes it durable
    anyway (one WAL).  Shorter bookkeeping commits hold a tap up less while a backlog drains."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _storable(text: str) -> bool:
    """Whether SQLite's driver takes ``text`` (UTF-8: no lone surrogates, which JSON allows)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _get_meta(c: Connection, key: str) -> str | None:
    value = c.scalar(select(meta.c.value).where(meta.c.key == key))
    return None if value is None else str(value)


def _set_meta(c: Connection, key: str, value: str) -> None:
    stmt = upsert(meta).values(key=key, value=value)
    c.execute(stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": stmt.excluded.value}))


def _set_presence(
    c: Connection, child_id: str, status: str, since: datetime | None, local_seq: int | None
) -> None:
    stmt = upsert(presence).values(child_id=child_id, status=status, since=since, local_seq=local_seq)
    c.execute(
        stmt.on_conflict_do_update(
            index_elements=[presence.c.child_id],
            set_={
                "status": stmt.excluded.status,
                "since": stmt.excluded.since,
                "local_seq": stmt.excluded.local_seq,
            },
        )
    )


class DeviceStore:
    """The SQLite file of one device."""

    def __init__(self, path: str | Path, *, device_id: str, tz: str = "Europe/Stockholm") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.device_id = device_id
        self.tz = ZoneInfo(tz)
        self.engine: Engine = create_engine(f"sqlite:///{self.path}")
        event.listen(self.engine, "connect", _sqlite_pragmas)
        self._turn = WriteTurn()
        metadata.create_all(self.engine)
        self._bookkeeping: Engine = create_engine(f"sqlite:///{self.path}")
        event.listen(self._bookkeeping, "connect", _bookkeeping_pragmas)
        with self.engine.begin() as c:
            stored = _get_meta(c, "schema_version")
            if stored is None:
                c.execute(insert(meta), [{"key": "schema_version", "value": str(SCHEMA_VERSION)}])
                if _get_meta(c, "device_id") is None:
                    c.execute(insert(meta).values(key="device_id", value=device_id))
            elif int(stored) > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema {stored}, newer than this software's {SCHEMA_VERSION}"
                )
            owner = _get_meta(c, "device_id")
            if owner is not None and owner != device_id:
                raise RuntimeError(f"{self.path} belongs to device {owner!r}, not {device_id!r}")

    def close(self) -> None:
        self.engine.dispose()
        self._bookkeeping.dispose()

    # -- recording taps ---------------------------------------------------------------

    def record(
        self,
        changes: Sequence[tuple[str, EventType]],
        actor: Actor,
        method: EventMethod,
        *,
        occurred_at: datetime | None = None,
        clock_synced: bool = True,
        confirmed_by: str | None = None,
    ) -> list[Event]:
        """Commit one event per (child_id, type) and update presence, all or nothing."""
        if not changes:
            return []
        at = occurred_at or datetime.now(UTC)
        naive_at = at.astimezone(UTC).replace(tzinfo=None)
        with self._turn.tap(), self.engine.begin() as c:
            stored_seq = _get_meta(c, "next_seq")
            next_seq = int(stored_seq) if stored_seq else 1
            events = []
            for child_id, kind in changes:
                ev = Event(
                    event_id=uuid.uuid4(),
                    device_id=self.device_id,
                    seq=next_seq,
                    type=kind,
                    child_id=child_id,
                    actor=actor,
                    method=method,
                    occurred_at=at,
                    clock_synced=clock_synced,
                    confirmed_by=confirmed_by,
                )
                c.execute(
                    insert(outbox).values(
                        seq=next_seq,
                        event_id=str(ev.event_id),
                        child_id=child_id,
                        payload=encode(ev).decode(),
                        created_at=naive_at,
                        state="pending",
                        attempts=0,
                    )
                )
                status = "present" if kind == EventType.CHECK_IN else "gone"
                _set_presence(c, child_id, status, naive_at, next_seq)
                events.append(ev)
                next_seq += 1
            _set_meta(c, "next_seq", str(next_seq))
        return events

    # -- the outbox -------------------------------------------------------------------

    def after_taps(self) -> None:
        """Return once no tap is being committed or confirmed (see :class:`WriteTurn`): the
        link calls it before each batch it reads and sends."""
        self._turn.after_taps()

    def pending(self, limit: int, *, after_seq: int = 0) -> list[OutboxItem]:
        """Unacked, unrejected events in ``seq`` order, starting after ``after_seq``."""
        with self.engine.connect() as c:
            rows = c.execute(
                select(outbox.c.seq, outbox.c.event_id, outbox.c.payload)
                .where(outbox.c.state == "pending", outbox.c.seq > after_seq)
                .order_by(outbox.c.seq)
                .limit(limit)
            ).all()
        return [OutboxItem(r.seq, r.event_id, r.payload) for r in rows]

    def apply_acks(self, results: Iterable[AckResult]) -> tuple[int, int]:
        """Remove stored/duplicate events, keep rejected ones with their reason.

        Returns (removed, rejected).  Acks for unknown ids (already removed) are ignored.
        Written in steps of BOOKKEEPING_STEP rows, each its own transaction, so a tap waits
        for one step at most; a power cut between steps only means some events go again.
        """
        done: list[str] = []
        rejected: list[AckResult] = []
        for r in results:
            if not _storable(r.event_id):
                continue  # not one of our ids (UUIDs), and SQLite's driver would refuse it
            if r.status == AckStatus.REJECTED:
                if r.reason is not None and not _storable(r.reason):
                    r = r.model_copy(update={"reason": r.reason.encode("utf-8", "backslashreplace").decode()})
                rejected.append(r)
            else:
                done.append(r.event_id)
        removed = 0
        for i in range(0, len(done), BOOKKEEPING_STEP):
            with self._turn.step(), self._bookkeeping.begin() as c:
                res = c.execute(delete(outbox).where(outbox.c.event_id.in_(done[i : i + BOOKKEEPING_STEP])))
                removed += res.rowcount
        for i in range(0, len(rejected), BOOKKEEPING_STEP):
            with self._turn.step(), self._bookkeeping.begin() as c:
                for r in rejected[i : i + BOOKKEEPING_STEP]:
                    c.execute(
                        update(outbox)
                        .where(outbox.c.event_id == r.event_id, outbox.c.state == "pending")
                        .values(state="rejected", reason=r.reason or "rejected")
                    )
        if rejected:
            logger.warning("central rejected %d event(s); kept for the technician", len(rejected))
        return removed, len(rejected)

    def mark_sent(self, seqs: Sequence[int]) -> None:
        """Count another attempt for these rows (the link calls it for resends only)."""
        for i in range(0, len(seqs), BOOKKEEPING_STEP):
            with self._turn.step(), self._bookkeeping.begin() as c:
                c.execute(
                    update(outbox)
                    .where(outbox.c.seq.in_(seqs[i : i + BOOKKEEPING_STEP]))
                    .values(attempts=outbox.c.attempts + 1)
                )

    def depth(self) -> int:
        """Events not yet acked by central (rejected ones excluded)."""
        with self.engine.connect() as c:
            return int(
                c.scalar(select(func.count()).select_from(outbox).where(outbox.c.state == "pending")) or 0
            )

    def rejected(self) -> list[RejectedItem]:
        with self.engine.connect() as c:
            rows = c.execute(
                select(
                    outbox.c.seq, outbox.c.event_id, outbox.c.child_id, outbox.c.reason, outbox.c.created_at
                )
                .where(outbox.c.state == "rejected")
                .order_by(outbox.c.seq)
            ).all()
        return [RejectedItem(r.seq, r.event_id, r.child_id, r.reason, r.created_at) for r in rows]

    def next_seq(self) -> int:
        with self.engine.connect() as c:
            value = _get_meta(c, "next_seq")
        return int(value) if value else 1

    # -- roster and presence ----------------------------------------------------------

    def roster(self) -> Roster | None:
        with self.engine.connect() as c:
            payload = c.scalar(select(roster_cache.c.payload).where(roster_cache.c.id == 1))
        return Roster.model_validate_json(payload) if payload is not None else None

    def roster_version(self) -> int | None:
        with self.engine.connect() as c:
            version = c.scalar(select(roster_cache.c.version).where(roster_cache.c.id == 1))
        return None if version is None else int(version)

    def save_roster(self, roster: Roster) -> bool:
        """Keep ``roster`` if it is newer than the cached one; True if it was applied.

        Presence follows the roster, except for children whose latest local tap central
        has not acked yet: the guardian's tap is newer than anything central knows.

        The roster is encoded and the cached one read before the write turn; inside it,
        the unacked children are found through ``presence.local_seq`` (a primary-key probe
        per child) rather than by reading the whole outbox, which took 65 ms of a tap's
        turn with a 10,000-event backlog.
        """
        payload = encode(roster).decode()
        ids = {ch.id for ch in roster.children}
        while True:
            with self.engine.connect() as c:
                cached = c.execute(
                    select(roster_cache.c.version, roster_cache.c.payload).where(roster_cache.c.id == 1)
                ).first()
            if cached is not None:
                # Our own payload, validated when it was saved: the department's id is enough.
                cached_dept = json.loads(cached.payload)["department"]["id"]
                if cached_dept == roster.department.id and roster.version <= cached.version:
                    return False
            with self._turn.step(), self.engine.begin() as c:
                version = c.scalar(select(roster_cache.c.version).where(roster_cache.c.id == 1))
                if version != (cached.version if cached is not None else None):
                    continue  # another roster was saved meanwhile: decide again
                row = {
                    "id": 1,
                    "version": roster.version,
                    "payload": payload,
                    "received_at": datetime.now(UTC).replace(tzinfo=None),
                }
                stmt = upsert(roster_cache).values(**row)
                c.execute(stmt.on_conflict_do_update(index_elements=[roster_cache.c.id], set_=row))
                unacked = set(
                    c.scalars(
                        select(presence.c.child_id)
                        .join(outbox, outbox.c.seq == presence.c.local_seq)
                        .where(outbox.c.state == "pending")
                    ).all()
                )
                c.execute(delete(presence).where(presence.c.child_id.not_in(ids)))
                for child in roster.children:
                    if child.id in unacked:
                        continue
                    since = (
                        child.status_since.astimezone(UTC).replace(tzinfo=None)
                        if child.status_since
                        else None
                    )
                    _set_presence(c, child.id, child.status.value, since, None)
            return True

    def presence(self, today: date | None = None) -> dict[str, str]:
        """child id -> present/absent/gone for ``today`` (local); older statuses count as absent."""
        today = today or datetime.now(self.tz).date()
        out: dict[str, str] = {}
        with self.engine.connect() as c:
            rows = c.execute(select(presence.c.child_id, presence.c.status, presence.c.since)).all()
        for child_id, status, since in rows:
            if since is not None and since.replace(tzinfo=UTC).astimezone(self.tz).date() != today:
                out[child_id] = "absent"
            else:
                out[child_id] = status
        return out
