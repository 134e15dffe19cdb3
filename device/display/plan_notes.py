"""Today's plan as the screens need it: notes for a child, deviations for staff.

Pure functions over the roster's :class:`~protocol.messages.RosterPlanEntry`
and a child's local status; no clock of their own (``now`` is passed in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from protocol.messages import RosterPlanEntry

NoteKind = Literal["leave", "pickup_by", "early_pickup", "walk_home_alone", "late_dropoff", "note"]
DeviationKind = Literal["not_arrived", "still_here", "present_on_leave", "no_plan"]


@dataclass(frozen=True, slots=True)
class Note:
    """One line of today's plan a guardian or staff member should see."""

    kind: NoteKind
    time: dt.time | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Deviation:
    """Something in the hallway that differs from today's plan."""

    kind: DeviationKind
    time: dt.time | None = None


def child_notes(entry: RosterPlanEntry | None) -> list[Note]:
    """Today's notes for a child, most important first; the plain schedule is not a note."""
    if entry is None:
        return []
    out: list[Note] = []
    kinds = {n.kind for n in entry.notes}
    if entry.on_leave:
        out.append(Note("leave"))
    if entry.pickup_by and "pickup_by" not in kinds:
        out.append(Note("pickup_by", text=entry.pickup_by))
    if entry.walk_home_alone_from and "walk_home_alone" not in kinds:
        out.append(Note("walk_home_alone", time=entry.walk_home_alone_from))
    for n in entry.notes:
        if n.kind == "schedule" or (n.kind == "leave" and entry.on_leave):
            continue
        out.append(Note(n.kind, n.time, n.text))
    return out


def _after(now: dt.time, planned: dt.time, grace_min: int) -> bool:
    today = dt.date(2000, 1, 1)
    limit = dt.datetime.combine(today, planned) + dt.timedelta(minutes=grace_min)
    return dt.datetime.combine(today, now) > limit


def deviations(
    entry: RosterPlanEntry | None, status: str, now: dt.time, grace_min: int = 15
) -> list[Deviation]:
    """What differs from the plan for a child whose local status is ``status``."""
    present = status == "present"
    if entry is None:
        return [Deviation("no_plan")] if present else []
    if entry.on_leave:
        return [Deviation("present_on_leave")] if present else []
    out: list[Deviation] = []
    if status == "absent" and entry.arrive is not None and _after(now, entry.arrive, grace_min):
        out.append(Deviation("not_arrived", entry.arrive))
    if present and entry.leave is not None and _after(now, entry.leave, grace_min):
        out.append(Deviation("still_here", entry.leave))
    return out
