"""Durable device state: every tap is committed here before the guardian sees "Klar".

The outbox is the only proof a tap happened until central acks it, so commits
use SQLite WAL with ``synchronous=FULL`` (a power cut after the commit keeps the
row).  One short lock serialises our writes across the UI thread and the MQTT
threads; it is never held while publishing.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, delete, event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from device.store.schema import SCHEMA_VERSION, Base, Meta, OutboxRow, PresenceRow, RosterCache
from protocol.codec import encode
from protocol.messages import AckResult, AckStatus, Actor, Event, EventMethod, EventType, Roster

logger = logging.getLogger(__name__)


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


class DeviceStore:
    """The SQLite file of one device."""

    def __init__(self, path: str | Path, *, device_id: str, tz: str = "Europe/Stockholm") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.device_id = device_id
        self.tz = ZoneInfo(tz)
        self.engine: Engine = create_engine(f"sqlite:///{self.path}")
        event.listen(self.engine, "connect", _sqlite_pragmas)
        self._lock = threading.Lock()
        Base.metadata.create_all(self.engine)
        with Session(self.engine) as s, s.begin():
            stored = s.get(Meta, "schema_version")
            if stored is None:
                s.add(Meta(key="schema_version", value=str(SCHEMA_VERSION)))
                s.add(Meta(key="device_id", value=device_id))
            elif int(stored.value) > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema {stored.value}, newer than this software's {SCHEMA_VERSION}"
                )
            owner = s.get(Meta, "device_id")
            if owner is not None and owner.value != device_id:
                raise RuntimeError(f"{self.path} belongs to device {owner.value!r}, not {device_id!r}")

    def close(self) -> None:
        self.engine.dispose()

    # -- recording taps ---------------------------------------------------------------

    def record(
        self,
        changes: Sequence[tuple[str, EventType]],
        actor: Actor,
        method: EventMethod,
        *,
        occurred_at: datetime | None = None,
        clock_synced: bool = True,
    ) -> list[Event]:
        """Commit one event per (child_id, type) and update presence, all or nothing."""
        if not changes:
            return []
        at = occurred_at or datetime.now(UTC)
        with self._lock, Session(self.engine) as s, s.begin():
            meta = s.get(Meta, "next_seq")
            next_seq = int(meta.value) if meta else 1
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
                )
                s.add(
                    OutboxRow(
                        seq=next_seq,
                        event_id=str(ev.event_id),
                        child_id=child_id,
                        payload=encode(ev).decode(),
                        created_at=at.replace(tzinfo=None),
                        state="pending",
                        attempts=0,
                    )
                )
                status = "present" if kind == EventType.CHECK_IN else "gone"
                s.merge(
                    PresenceRow(
                        child_id=child_id,
                        status=status,
                        since=at.replace(tzinfo=None),
                        local_seq=next_seq,
                    )
                )
                events.append(ev)
                next_seq += 1
            s.merge(Meta(key="next_seq", value=str(next_seq)))
        return events

    # -- the outbox -------------------------------------------------------------------

    def pending(self, limit: int, *, after_seq: int = 0) -> list[OutboxItem]:
        """Unacked, unrejected events in ``seq`` order, starting after ``after_seq``."""
        with Session(self.engine) as s:
            rows = s.execute(
                select(OutboxRow.seq, OutboxRow.event_id, OutboxRow.payload)
                .where(OutboxRow.state == "pending", OutboxRow.seq > after_seq)
                .order_by(OutboxRow.seq)
                .limit(limit)
            ).all()
        return [OutboxItem(r.seq, r.event_id, r.payload) for r in rows]

    def apply_acks(self, results: Iterable[AckResult]) -> tuple[int, int]:
        """Remove stored/duplicate events, keep rejected ones with their reason.

        Returns (removed, rejected).  Acks for unknown ids (already removed) are ignored.
        """
        done: list[str] = []
        rejected: list[AckResult] = []
        for r in results:
            if r.status == AckStatus.REJECTED:
                rejected.append(r)
            else:
                done.append(r.event_id)
        with self._lock, Session(self.engine) as s, s.begin():
            removed = 0
            for i in range(0, len(done), 500):
                res = s.execute(delete(OutboxRow).where(OutboxRow.event_id.in_(done[i : i + 500])))
                removed += res.rowcount  # type: ignore[attr-defined]
            for r in rejected:
                s.execute(
                    update(OutboxRow)
                    .where(OutboxRow.event_id == r.event_id, OutboxRow.state == "pending")
                    .values(state="rejected", reason=r.reason or "rejected")
                )
        if rejected:
            logger.warning("central rejected %d event(s); kept for the technician", len(rejected))
        return removed, len(rejected)

    def mark_sent(self, seqs: Sequence[int]) -> None:
        with self._lock, Session(self.engine) as s, s.begin():
            s.execute(
                update(OutboxRow).where(OutboxRow.seq.in_(seqs)).values(attempts=OutboxRow.attempts + 1)
            )

    def depth(self) -> int:
        """Events not yet acked by central (rejected ones excluded)."""
        with Session(self.engine) as s:
            return int(
                s.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "pending")) or 0
            )

    def rejected(self) -> list[RejectedItem]:
        with Session(self.engine) as s:
            rows = s.scalars(select(OutboxRow).where(OutboxRow.state == "rejected").order_by(OutboxRow.seq))
            return [RejectedItem(r.seq, r.event_id, r.child_id, r.reason, r.created_at) for r in rows]

    def next_seq(self) -> int:
        with Session(self.engine) as s:
            meta = s.get(Meta, "next_seq")
            return int(meta.value) if meta else 1

    # -- roster and presence ----------------------------------------------------------

    def roster(self) -> Roster | None:
        with Session(self.engine) as s:
            row = s.get(RosterCache, 1)
            return Roster.model_validate_json(row.payload) if row else None

    def roster_version(self) -> int | None:
        with Session(self.engine) as s:
            row = s.get(RosterCache, 1)
            return row.version if row else None

    def save_roster(self, roster: Roster) -> bool:
        """Keep ``roster`` if it is newer than the cached one; True if it was applied.

        Presence follows the roster, except for children with a local tap central has
        not acked yet: the guardian's tap is newer than anything central knows.
        """
        with self._lock, Session(self.engine) as s, s.begin():
            row = s.get(RosterCache, 1)
            if row is not None:
                cached = Roster.model_validate_json(row.payload)
                same_dept = cached.department.id == roster.department.id
                if same_dept and roster.version <= cached.version:
                    return False
            payload = encode(roster).decode()
            s.merge(
                RosterCache(
                    id=1,
                    version=roster.version,
                    payload=payload,
                    received_at=datetime.now(UTC).replace(tzinfo=None),
                )
            )
            unacked = set(s.scalars(select(OutboxRow.child_id).where(OutboxRow.state == "pending")).all())
            ids = {c.id for c in roster.children}
            s.execute(delete(PresenceRow).where(PresenceRow.child_id.not_in(ids)))
            for child in roster.children:
                if child.id in unacked:
                    continue
                since = (
                    child.status_since.astimezone(UTC).replace(tzinfo=None) if child.status_since else None
                )
                s.merge(
                    PresenceRow(child_id=child.id, status=child.status.value, since=since, local_seq=None)
                )
        return True

    def presence(self, today: date | None = None) -> dict[str, str]:
        """child id -> present/absent/gone for ``today`` (local); older statuses count as absent."""
        today = today or datetime.now(self.tz).date()
        out: dict[str, str] = {}
        with Session(self.engine) as s:
            for row in s.scalars(select(PresenceRow)):
                if row.since is not None:
                    local_day = row.since.replace(tzinfo=UTC).astimezone(self.tz).date()
                    if local_day != today:
                        out[row.child_id] = "absent"
                        continue
                out[row.child_id] = row.status
        return out
