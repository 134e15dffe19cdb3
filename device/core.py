"""The terminal's core: taps in, decisions, events committed to the outbox.

Knows nothing of pygame or MQTT: the display asks it what a tag means and tells
it what the guardian chose; it commits events durably and pokes the link.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from device.store import DeviceStore
from protocol.messages import (
    Actor,
    ActorKind,
    Event,
    EventMethod,
    EventType,
    Roster,
    RosterChild,
    RosterNotice,
    RosterUnit,
)
from protocol.tags import tag_digest, verify_pin

logger = logging.getLogger(__name__)

SYNC_FLAG = Path("/run/systemd/timesync/synchronized")


def clock_is_synced() -> bool:
    """systemd-timesyncd touches this file once the clock is NTP-synchronised."""
    return SYNC_FLAG.exists()


class TagKind(StrEnum):
    GUARDIAN = "guardian"
    STAFF = "staff"
    UNKNOWN = "unknown"
    BLOCKED = "blocked"
    """A tag central has blocked (lost): refused, and it names nobody."""


@dataclass(frozen=True, slots=True)
class Identification:
    """What a tap means on this device."""

    kind: TagKind
    digest: str
    person_id: str | None = None
    display_name: str | None = None
    children: tuple[RosterChild, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class _Index:
    """A roster and its lookup tables, built whole and never changed afterwards.

    The terminal swaps in a new one with a single assignment, so a tap read on the UI
    thread while paho's thread applies a roster sees the old roster or the new one,
    never a half-filled table (a guardian with no children, or an "unknown" tag).
    """

    roster: Roster | None = None
    by_digest: dict[str, tuple[TagKind, str, str]] = field(default_factory=dict)
    children: dict[str, RosterChild] = field(default_factory=dict)
    staff_ids: frozenset[str] = frozenset()
    blocked: frozenset[str] = frozenset()

    @classmethod
    def of(cls, r: Roster | None) -> _Index:
        if r is None:
            return cls()
        by_digest: dict[str, tuple[TagKind, str, str]] = {}
        for g in r.guardians:
            for d in g.tag_digests:
                by_digest[d] = (TagKind.GUARDIAN, g.id, g.display_name)
        for st in r.staff:
            for d in st.tag_digests:
                by_digest[d] = (TagKind.STAFF, st.id, st.display_name)
        # A blocked tag is in no one's tag_digests at a central that blocks; dropped here too, so
        # it can never name a family even if a roster said both.
        blocked = frozenset(r.blocked_tags or ())
        for d in blocked:
            by_digest.pop(d, None)
        staff_ids = frozenset(st.id for st in r.staff)
        return cls(r, by_digest, {c.id: c for c in r.children}, staff_ids, blocked)


class Terminal:
    """One hallway terminal's decisions over its store and cached roster.

    ``unit_fallback`` (from the device config) holds the handover mode and closing time
    until a roster carries the unit's own: central is their source.
    """

    def __init__(
        self,
        store: DeviceStore,
        tag_key: bytes,
        *,
        on_recorded: Callable[[list[Event]], None] | None = None,
        clock_synced: Callable[[], bool] = clock_is_synced,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        unit_fallback: RosterUnit | None = None,
    ) -> None:
        self.store = store
        self.tag_key = tag_key
        self.on_recorded = on_recorded
        self.clock_synced = clock_synced
        self.now = now
        self.unit_fallback = unit_fallback or RosterUnit()
        self._lock = threading.Lock()  # one roster apply at a time; readers take no lock
        self._index = _Index.of(store.roster())

    # -- roster -----------------------------------------------------------------------

    @property
    def roster(self) -> Roster | None:
        return self._index.roster

    def apply_roster(self, roster: Roster) -> None:
        """Called by the link after the store accepted a newer roster."""
        with self._lock:
            index = _Index.of(self.store.roster())  # built whole first ...
            self._index = index  # ... then swapped in: one reference assignment

    @property
    def unit(self) -> RosterUnit:
        """Handover mode and closing time: the roster's, else the config's fallback."""
        r = self._index.roster
        return r.unit if r is not None and r.unit is not None else self.unit_fallback

    def notices(self, today: date) -> list[RosterNotice]:
        """The roster's notices still to be shown on local date ``today`` (none after ``last``,
        even if no newer roster came)."""
        r = self._index.roster
        return [n for n in (r.notices or []) if n.last >= today] if r is not None else []

    # -- identifying ------------------------------------------------------------------

    def identify(self, uid: str) -> Identification:
        """Who owns this tag here; unknown tags carry the digest for a technician to enrol."""
        digest = tag_digest(self.tag_key, uid)
        index = self._index  # one roster for the whole answer
        if digest in index.blocked:
            logger.info("blocked tag (digest %s…)", digest[:8])
            return Identification(TagKind.BLOCKED, digest)
        hit = index.by_digest.get(digest)
        if hit is None:
            logger.info("unknown tag (digest %s…)", digest[:8])
            return Identification(TagKind.UNKNOWN, digest)
        kind, person_id, name = hit
        children: tuple[RosterChild, ...] = ()
        if kind == TagKind.GUARDIAN:
            children = tuple(c for c in index.children.values() if person_id in c.guardian_ids)
        return Identification(kind, digest, person_id, name, children)

    def staff_by_pin(self, pin: str) -> tuple[str, str] | None:
        """(staff id, display name) whose PIN hash matches, else None."""
        r = self._index.roster
        if r is None:
            return None
        for st in r.staff:
            if st.pin_hash and verify_pin(pin, st.pin_hash):
                return st.id, st.display_name
        return None

    def status_of(self, child_id: str) -> str:
        return self.store.presence().get(child_id, "absent")

    def children(self) -> list[RosterChild]:
        return list(self._index.children.values())

    # -- recording --------------------------------------------------------------------

    def next_type(self, child_id: str) -> EventType:
        """A present child goes home; anyone else arrives."""
        return EventType.CHECK_OUT if self.status_of(child_id) == "present" else EventType.CHECK_IN

    def toggle(self, child_ids: Sequence[str], actor: Actor, method: EventMethod) -> list[Event]:
        """Check each child in or out according to its status; committed before returning."""
        return self.record([(cid, self.next_type(cid)) for cid in child_ids], actor, method)

    def record(
        self,
        changes: Sequence[tuple[str, EventType]],
        actor: Actor,
        method: EventMethod,
        *,
        confirmed_by: str | None = None,
    ) -> list[Event]:
        """Commit the changes as events (see :meth:`DeviceStore.record`); ``confirmed_by`` is the
        staff member who confirmed a guardian's handover in ``staff_confirmed`` mode."""
        index = self._index  # one roster for all the checks
        unknown = [cid for cid, _ in changes if cid not in index.children]
        if unknown:
            raise ValueError(f"child(ren) not in this department: {', '.join(unknown)}")
        if actor.kind == ActorKind.GUARDIAN:
            not_theirs = [cid for cid, _ in changes if actor.id not in index.children[cid].guardian_ids]
            if not_theirs and method != EventMethod.STAFF_OVERRIDE:
                raise ValueError("a guardian may check in or out only their own children")
        if confirmed_by is not None and confirmed_by not in index.staff_ids:
            raise ValueError(f"{confirmed_by} is not staff of this department")
        events = self.store.record(
            changes,
            actor,
            method,
            occurred_at=self.now(),
            clock_synced=self.clock_synced(),
            confirmed_by=confirmed_by,
        )
        if self.on_recorded is not None:
            self.on_recorded(events)
        return events
