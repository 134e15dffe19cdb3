"""Builds the :class:`View` from the controller's state and the device's status.

It reads that state through :class:`ScreenState`, the part of the controller it needs, so
this module does not import the controller (which imports this one to build its views).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol
from zoneinfo import ZoneInfo

from device.core import Terminal
from device.display.config import DisplayConfig
from device.display.intents import ScreenId
from device.display.plan_notes import Deviation, child_notes, deviations
from device.display.session import Pending, PinPad, StaffSession, Visit
from device.display.status import StatusSource
from device.display.view import ChildRow, PendingRow, View

#: The idle screen shows at most this many notices (the roster's order: central sorts them).
MAX_NOTICES = 3


class ScreenState(Protocol):
    """What a view is built from, read-only: the controller's state
    (:class:`~device.display.controller.Controller`)."""

    @property
    def terminal(self) -> Terminal: ...

    @property
    def config(self) -> DisplayConfig: ...

    @property
    def status(self) -> StatusSource: ...

    @property
    def tz(self) -> ZoneInfo: ...

    @property
    def clock(self) -> Callable[[], float]: ...

    @property
    def language(self) -> str: ...

    @property
    def screen(self) -> ScreenId: ...

    @property
    def visit(self) -> Visit | None: ...

    @property
    def staff(self) -> StaffSession | None: ...

    @property
    def pin(self) -> PinPad: ...

    @property
    def pending(self) -> dict[str, Pending]: ...

    @property
    def page(self) -> int: ...

    @property
    def last_unknown(self) -> str | None: ...

    @property
    def handover_mode(self) -> str: ...

    def local_now(self) -> dt.datetime: ...


def _row(c: ScreenState, child_id: str, *, with_deviations: bool = False) -> ChildRow:
    st = c.status
    entry = st.plan_of(child_id)
    status = st.status_of(child_id)
    devs: tuple[Deviation, ...] = ()
    if with_deviations:
        devs = tuple(deviations(entry, status, c.local_now().time(), c.config.deviation_grace_min))
    return ChildRow(
        child_id=child_id,
        name=st.name_of(child_id),
        status=status,
        notes=tuple(child_notes(entry)),
        deviations=devs,
        arrive=entry.arrive if entry else None,
        leave=entry.leave if entry else None,
        pickup_by=entry.pickup_by if entry else None,
        pending=child_id in c.pending,
    )


def _guardian_rows(c: ScreenState) -> tuple[tuple[ChildRow, ...], float | None]:
    v = c.visit
    if v is None:
        return (), None
    now = c.clock()
    rows, left = [], []
    for cid in v.child_ids:
        r = _row(c, cid)
        choice = v.done.get(cid)
        if choice is not None:
            remaining = choice.at + c.config.undo_s - now
            r = replace(r, done=choice.kind.value, pending=choice.pending, undoable=remaining > 0)
            if remaining > 0:
                left.append(remaining)
        rows.append(r)
    return tuple(rows), (max(left) if left else None)


def build_view(c: ScreenState) -> View:
    st = c.status
    screen = c.screen
    now = c.local_now()
    presence = st.presence()
    still_in = sum(1 for s in presence.values() if s == "present")
    guardian_rows, undo_left = _guardian_rows(c) if screen == ScreenId.GUARDIAN else ((), None)
    rows: tuple[ChildRow, ...] = ()
    if screen in (ScreenId.STAFF, ScreenId.CLOSING, ScreenId.EVACUATION):
        ids = st.child_ids()
        if screen != ScreenId.STAFF:
            ids = [i for i in ids if presence.get(i) == "present"]
        rows = tuple(_row(c, i, with_deviations=screen == ScreenId.STAFF) for i in ids)
    pending = tuple(
        PendingRow(
            p.child_id,
            st.name_of(p.child_id),
            p.kind.value,
            st.guardian_name(p.guardian_id),
            p.at.astimezone(c.tz).time(),
        )
        for p in sorted(c.pending.values(), key=lambda p: p.created)
    )
    return View(
        screen=screen,
        now=now,
        language=c.language,
        department=st.department(),
        link=st.link(),
        handover_mode=c.handover_mode,
        closing=now.time() >= c.terminal.unit.closing_time,
        notices=tuple(n.text for n in c.terminal.notices(now.date())[:MAX_NOTICES]),
        still_in=still_in,
        pending_count=len(pending),
        guardian_rows=guardian_rows,
        single=bool(c.visit and c.visit.single),
        undo_left_s=undo_left,
        staff_name=c.staff.name if c.staff else None,
        rows=rows,
        pending=pending,
        page=c.page,
        pin_length=len(c.pin.digits),
        pin_message=c.pin.message,
        tech=st.tech(c.last_unknown, now) if screen == ScreenId.TECHNICIAN else None,
    )
