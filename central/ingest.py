"""Events in, acks out: validate, store once, dead-letter the rest.

:class:`Ingestor` turns a batch of raw MQTT messages into database rows in one
transaction and returns the acks to send and the departments whose roster
changed.  It knows nothing of MQTT, so it is tested without a broker; the
service (:mod:`central.service`) feeds it and publishes what it returns.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from central.db.schema import (
    Child,
    ChildGuardian,
    DeadLetter,
    Department,
    Device,
    EventRow,
    Presence,
    StaffDepartment,
    Unit,
)
from central.store import CentralStore
from protocol.codec import ProtocolError, decode_event, split_events
from protocol.messages import AckResult, AckStatus, ActorKind, Event, EventType
from protocol.topics import Topics

logger = logging.getLogger(__name__)

#: How far after central's receive time a device may say an event happened before its
#: clock is not believed (the same margin as a staff correction's MAX_AHEAD).
FUTURE_TOLERANCE = timedelta(minutes=5)

#: A dead letter whose reason starts with this is a note on an event that *was* stored
#: (and acked ``stored``), not a rejection: ``flag:<kind>: <detail>``, payload = the event
#: as the device sent it.  No column for it in ``events`` (schema change not allowed here).
FLAG_PREFIX = "flag:"
IMPLAUSIBLE_TIME = "implausible_time"
UNCONFIRMED_HANDOVER = "unconfirmed_handover"


@dataclass(frozen=True, slots=True)
class RawMessage:
    topic: str
    payload: bytes


@dataclass
class IngestOutcome:
    acks: dict[str, list[AckResult]] = field(default_factory=lambda: defaultdict(list))
    changed_departments: set[str] = field(default_factory=set)
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    dead_letters: int = 0
    implausible_time: int = 0
    """Stored events whose device time was later than central's receive time (clamped)."""
    unconfirmed_handover: int = 0
    """Stored guardian handovers from a ``staff_confirmed`` unit that no staff member confirmed."""


@dataclass
class _Candidate:
    event: Event
    raw: Any
    topic: str
    event_id: str = ""
    """``str(event.event_id)``, made once: a UUID's str() is not free at 20,000 events a batch.
    The canonical spelling: what is stored and deduplicated."""
    sent_id: str = ""
    """The id as the device spelled it (``ABC…``, no hyphens, braces all parse as one UUID):
    the ack carries it, because the device looks its row up by the text it sent."""
    unconfirmed: bool = False
    """A guardian's self-service handover on a device of a ``staff_confirmed`` unit."""

    def __post_init__(self) -> None:
        self.event_id = self.sent_id = str(self.event.event_id)
        if isinstance(self.raw, dict):
            sent = self.raw.get("event_id")
            if isinstance(sent, str):
                self.sent_id = sent
        elif self.event_id.encode() not in self.raw:  # one event as bytes, sent in another spelling
            sent = json.loads(self.raw).get("event_id")
            if isinstance(sent, str):
                self.sent_id = sent


class Ingestor:
    """Stores batches of events exactly once and says what to ack."""

    def __init__(self, store: CentralStore, topics: Topics | None = None) -> None:
        self.store = store
        self.topics = topics or Topics()

    def process(self, messages: Sequence[RawMessage]) -> IngestOutcome:
        out = IngestOutcome()
        now = datetime.now(UTC)
        dead: list[DeadLetter] = []
        candidates: list[_Candidate] = []

        def reject(device_id: str | None, topic: str, event_id: str | None, reason: str, raw: bytes) -> None:
            # A hostile event id or key can hold what the database's text refuses (a lone
            # surrogate, NUL): the whole batch would fail and be retried for ever.
            topic, reason = _text(topic), _text(reason)
            event_id = None if event_id is None else _text(event_id)[:64]
            dead.append(
                DeadLetter(
                    received_at=now,
                    topic=topic[:255],
                    device_id=device_id,
                    event_id=event_id,
                    reason=reason,
                    payload=raw,
                )
            )
            if device_id is not None and event_id is not None:
                out.acks[device_id].append(
                    AckResult(event_id=event_id, status=AckStatus.REJECTED, reason=reason)
                )
                out.rejected += 1

        device_of: dict[str, str | None] = {}  # a batch comes from a few devices' topics
        for msg in messages:
            try:
                device_id = device_of[msg.topic]
            except KeyError:
                device_id = device_of[msg.topic] = self.topics.device_of(msg.topic, "events")
            if device_id is None:
                reject(None, msg.topic, None, "not an events topic", msg.payload)
                continue
            fast = _fast_single(msg.payload)
            if fast is not None and fast.device_id == device_id:
                candidates.append(_Candidate(fast, msg.payload, msg.topic))
                continue
            try:
                items = split_events(msg.payload)
            except ProtocolError as exc:
                reject(device_id, msg.topic, None, f"unreadable payload: {exc}", msg.payload)
                continue
            for item in items:
                raw_id = item.get("event_id") if isinstance(item, dict) else None
                event_id = raw_id[:64] if isinstance(raw_id, str) and raw_id else None
                try:
                    ev = decode_event(item)
                except ProtocolError as exc:
                    reject(device_id, msg.topic, event_id, f"invalid event: {exc}", _dump(item))
                    continue
                if ev.device_id != device_id:
                    reject(
                        device_id,
                        msg.topic,
                        event_id,
                        f"device_id {ev.device_id!r} does not match the topic's {device_id!r}",
                        _dump(item),
                    )
                    continue
                candidates.append(_Candidate(ev, item, msg.topic))

        with self.store.session() as s, s.begin():
            valid = self._authorise(s, candidates, reject)
            self._store(s, valid, out, now)
            if dead:
                s.add_all(dead)
                out.dead_letters = len(dead)
        if out.rejected:
            logger.warning("rejected %d event(s); kept as dead letters", out.rejected)
        return out

    def _authorise(self, s: Session, candidates: list[_Candidate], reject: Any) -> list[_Candidate]:
        """Keep events whose device is registered, child is in its department, actor may act."""
        if not candidates:
            return []
        devices = {c.event.device_id for c in candidates}
        dept_of_device = dict(
            s.execute(select(Device.id, Device.department_id).where(Device.id.in_(devices))).all()
        )
        child_ids = {c.event.child_id for c in candidates}
        dept_of_child = dict(
            s.execute(select(Child.id, Child.department_id).where(Child.id.in_(child_ids))).all()
        )
        guardian_pairs = {
            (c.event.child_id, c.event.actor.id)
            for c in candidates
            if c.event.actor.kind == ActorKind.GUARDIAN
        }
        staff_pairs = {
            (c.event.actor.id, dept_of_device.get(c.event.device_id, ""))
            for c in candidates
            if c.event.actor.kind == ActorKind.STAFF
        } | {
            (c.event.confirmed_by, dept_of_device.get(c.event.device_id, ""))
            for c in candidates
            if c.event.confirmed_by is not None
        }
        # Unit settings as central.planning.units reads them (a department without a unit is
        # self_service); queried here so the ingest process does not import the planning layer.
        staff_confirmed = set(
            s.scalars(
                select(Department.id)
                .join(Unit, Unit.id == Department.unit_id)
                .where(
                    Department.id.in_(set(dept_of_device.values())), Unit.handover_mode == "staff_confirmed"
                )
            )
        )
        ok_guardians: set[tuple[str, str]] = set()
        if guardian_pairs:
            ok_guardians = set(
                (a, b)
                for a, b in s.execute(
                    select(ChildGuardian.child_id, ChildGuardian.guardian_id).where(
                        tuple_(ChildGuardian.child_id, ChildGuardian.guardian_id).in_(list(guardian_pairs))
                    )
                ).all()
            )
        ok_staff: set[tuple[str, str]] = set()
        if staff_pairs:
            ok_staff = set(
                (a, b)
                for a, b in s.execute(
                    select(StaffDepartment.staff_id, StaffDepartment.department_id).where(
                        tuple_(StaffDepartment.staff_id, StaffDepartment.department_id).in_(list(staff_pairs))
                    )
                ).all()
            )
        valid = []
        for c in candidates:
            ev = c.event
            eid = c.sent_id  # the ack carries the id as the device spelled it
            dept = dept_of_device.get(ev.device_id)
            if dept is None:
                reject(ev.device_id, c.topic, eid, f"device {ev.device_id!r} is not registered", _dump(c.raw))
            elif ev.child_id not in dept_of_child:
                reject(ev.device_id, c.topic, eid, f"unknown child {ev.child_id!r}", _dump(c.raw))
            elif dept_of_child[ev.child_id] != dept:
                reject(
                    ev.device_id,
                    c.topic,
                    eid,
                    f"child {ev.child_id!r} is not in department {dept!r}",
                    _dump(c.raw),
                )
            elif ev.actor.kind == ActorKind.GUARDIAN and (ev.child_id, ev.actor.id) not in ok_guardians:
                reject(
                    ev.device_id,
                    c.topic,
                    eid,
                    f"guardian {ev.actor.id!r} is not a guardian of child {ev.child_id!r}",
                    _dump(c.raw),
                )
            elif ev.actor.kind == ActorKind.STAFF and (ev.actor.id, dept) not in ok_staff:
                reject(
                    ev.device_id,
                    c.topic,
                    eid,
                    f"staff {ev.actor.id!r} does not work in department {dept!r}",
                    _dump(c.raw),
                )
            elif ev.confirmed_by is not None and (ev.confirmed_by, dept) not in ok_staff:
                reject(
                    ev.device_id,
                    c.topic,
                    eid,
                    f"confirmed_by {ev.confirmed_by!r} does not work in department {dept!r}",
                    _dump(c.raw),
                )
            else:
                c.unconfirmed = (
                    dept in staff_confirmed
                    and ev.actor.kind == ActorKind.GUARDIAN
                    and ev.confirmed_by is None
                )
                valid.append(c)
        return valid

    def _store(self, s: Session, valid: list[_Candidate], out: IngestOutcome, now: datetime) -> None:
        if not valid:
            return
        at = _plausible_times(s, valid, now)
        rows: dict[str, dict[str, Any]] = {}
        for c in valid:
            ev = c.event
            rows.setdefault(
                c.event_id,
                {
                    "event_id": c.event_id,
                    "device_id": ev.device_id,
                    "seq": ev.seq,
                    "type": ev.type.value,
                    "child_id": ev.child_id,
                    "actor_kind": ev.actor.kind.value,
                    "actor_id": ev.actor.id,
                    "method": ev.method.value,
                    "occurred_at": at.get(c.event_id, ev.occurred_at),
                    "clock_synced": ev.clock_synced and c.event_id not in at,
                    "received_at": now,
                    "confirmed_by": ev.confirmed_by,
                },
            )
        inserted = self._insert_new(s, list(rows.values()))
        acked: set[str] = set()
        stored_now: set[str] = set()
        for c in valid:
            if c.sent_id in acked:  # the same event twice in one batch: one ack is enough
                continue
            acked.add(c.sent_id)
            # The first of its spellings in this batch is the one stored; any other is a duplicate.
            new = c.event_id in inserted and c.event_id not in stored_now
            stored_now.add(c.event_id)
            status = AckStatus.STORED if new else AckStatus.DUPLICATE
            # Built from values we just validated: skip re-validation on the hot path.
            out.acks[c.event.device_id].append(
                AckResult.model_construct(event_id=c.sent_id, status=status, reason=None)
            )
        out.stored += len(inserted)
        out.duplicates += len(acked) - len(inserted)
        self._flag(s, valid, inserted, at, out, now)
        # Presence follows each child's latest event by occurred_at, so late events merge in.
        latest: dict[str, dict[str, Any]] = {}
        for eid in inserted:
            r = rows[eid]
            cur = latest.get(r["child_id"])
            if cur is None or (r["occurred_at"], r["event_id"]) > (cur["occurred_at"], cur["event_id"]):
                latest[r["child_id"]] = r
        if latest:
            # One upsert for the batch: a child's row moves only to a later (occurred_at,
            # event_id), so an offline Pi's old events never roll presence back.
            ins = (postgresql if s.get_bind().dialect.name == "postgresql" else sqlite).insert(Presence)
            upsert = ins.on_conflict_do_update(
                index_elements=[Presence.child_id],
                set_={
                    "status": ins.excluded.status,
                    "since": ins.excluded.since,
                    "event_id": ins.excluded.event_id,
                },
                where=tuple_(ins.excluded.since, ins.excluded.event_id)
                > tuple_(Presence.since, Presence.event_id),
            )
            s.execute(
                upsert,
                [
                    {
                        "child_id": cid,
                        "status": "present" if r["type"] == EventType.CHECK_IN.value else "gone",
                        "since": r["occurred_at"],
                        "event_id": r["event_id"],
                    }
                    for cid, r in latest.items()
                ],
            )
            depts = s.execute(select(Child.department_id).where(Child.id.in_(list(latest)))).scalars()
            out.changed_departments.update(depts)

    def _flag(
        self,
        s: Session,
        valid: list[_Candidate],
        inserted: set[str],
        at: dict[str, datetime],
        out: IngestOutcome,
        now: datetime,
    ) -> None:
        """Keep a note (a ``flag:`` dead letter with the event as sent) for each newly stored
        event that staff or the technician must look at; a resend adds none."""
        notes: list[DeadLetter] = []
        noted: set[tuple[str, str]] = set()
        for c in valid:
            ev, eid = c.event, c.event_id
            if eid not in inserted:
                continue
            found: list[tuple[str, str]] = []
            if eid in at:
                found.append(
                    (
                        IMPLAUSIBLE_TIME,
                        f"device {ev.device_id!r} said {ev.occurred_at.isoformat()}, later than central "
                        f"received it ({now.isoformat()}); stored at {at[eid].isoformat()}, "
                        "clock_synced false",
                    )
                )
                out.implausible_time += 1
            if c.unconfirmed:
                found.append(
                    (
                        UNCONFIRMED_HANDOVER,
                        f"guardian {ev.actor.id!r} {ev.type.value} of child {ev.child_id!r} on device "
                        f"{ev.device_id!r}, whose unit is staff_confirmed, without confirmed_by",
                    )
                )
                out.unconfirmed_handover += 1
            for kind, detail in found:
                if (eid, kind) in noted:
                    continue
                noted.add((eid, kind))
                notes.append(
                    DeadLetter(
                        received_at=now,
                        topic=c.topic[:255],
                        device_id=ev.device_id,
                        event_id=eid,
                        reason=f"{FLAG_PREFIX}{kind}: {detail}",
                        payload=_dump(c.raw),
                    )
                )
                logger.warning("stored event %s with a flag: %s: %s", eid, kind, detail)
        if notes:
            s.add_all(notes)

    def _insert_new(self, s: Session, rows: list[dict[str, Any]]) -> set[str]:
        """INSERT .. ON CONFLICT DO NOTHING RETURNING: the ids that were new (race-free)."""
        dialect = s.get_bind().dialect.name
        ins: Any
        if dialect == "postgresql":
            ins = postgresql.insert(EventRow)
        elif dialect == "sqlite":
            ins = sqlite.insert(EventRow)
        else:  # pragma: no cover - other databases are not supported
            raise RuntimeError(f"unsupported database {dialect}")
        # One cached statement run as "insertmanyvalues" (executemany with RETURNING).
        stmt = ins.on_conflict_do_nothing(index_elements=["event_id"]).returning(EventRow.event_id)
        conn = s.connection()
        inserted: set[str] = set(conn.execute(stmt, rows).scalars())
        return inserted


def _plausible_times(s: Session, valid: list[_Candidate], now: datetime) -> dict[str, datetime]:
    """Event id -> the time to store, for events a device says happened later than
    ``now`` (central's receive time) by more than FUTURE_TOLERANCE: its clock jumped.

    The real moment cannot be later than the receipt.  Each device's implausible events in
    the batch keep their spacing and order, with the latest put at ``now`` (a constant skew
    is assumed), so a check-in and check-out drained together still pair up.  Stored like
    that an event cannot pin presence in the future, and lands on the day it happened.

    Across batches the device's own order (``seq``) is kept too: a stored time lies between
    those of the device's stored neighbours by seq.  Without it a backlog split over two
    batches put the second batch's first events before the first batch's last, and a lower
    seq resent after higher ones were stored (acks lost with the broker) landed after them,
    at its later receipt; either way presence kept an older tap (bench/faults.py found both).
    """
    limit = now + FUTURE_TOLERANCE
    latest: dict[str, datetime] = {}
    for c in valid:
        ev = c.event
        if ev.occurred_at > limit and (ev.device_id not in latest or ev.occurred_at > latest[ev.device_id]):
            latest[ev.device_id] = ev.occurred_at
    if not latest:
        return {}
    out: dict[str, datetime] = {}
    tick = timedelta(microseconds=1)
    for device_id, last in latest.items():
        mine = sorted(
            (c for c in valid if c.event.device_id == device_id and c.event.occurred_at > limit),
            key=lambda c: c.event.seq,
        )
        lo, hi = mine[0].event.seq, mine[-1].event.seq
        mine_dev = EventRow.device_id == device_id
        in_range = select(EventRow.seq, EventRow.occurred_at).where(mine_dev, EventRow.seq.between(lo, hi))
        stored: dict[int, datetime] = {q: t for q, t in s.execute(in_range)}
        below = s.scalar(
            select(EventRow.occurred_at)
            .where(mine_dev, EventRow.seq < lo)
            .order_by(EventRow.seq.desc())
            .limit(1)
        )
        above = s.scalar(
            select(EventRow.occurred_at).where(mine_dev, EventRow.seq > hi).order_by(EventRow.seq).limit(1)
        )
        # The next stored time above each event's seq: a resend of a lower seq that arrives
        # after higher ones were stored must land before them, not at its later receipt.
        ceiling: dict[int, datetime | None] = {}
        ceil = above
        for c in reversed(mine):
            q = c.event.seq
            ceiling[q] = ceil
            if q in stored:
                ceil = stored[q]
        prev = below
        for c in mine:
            q = c.event.seq
            if q in stored:  # a resend: its time is fixed; later ones follow it
                prev = stored[q]
                continue
            at = now - (last - c.event.occurred_at)
            if prev is not None and at <= prev:
                at = prev + tick
            top = ceiling[q]
            if top is not None and at >= top:
                at = top - tick
            out[c.event_id] = prev = min(at, now)
    return out


def _fast_single(payload: bytes) -> Event | None:
    """The common case, one well-formed event, parsed straight from bytes; None otherwise."""
    if not payload.startswith(b"{"):
        return None
    try:
        return Event.model_validate_json(payload)
    except ValidationError:
        return None


def _text(value: str) -> str:
    """``value`` as text any database stores: lone surrogates and NUL written out (``\\ud800``)."""
    if value.isascii() and "\x00" not in value:
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _dump(item: Any) -> bytes:
    import json

    if isinstance(item, bytes):
        return item
    try:
        return json.dumps(item, default=str).encode()
    except (TypeError, ValueError):
        return repr(item).encode()
