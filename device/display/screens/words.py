"""The words screens share: statuses, notes, deviations, times (all through the catalogue)."""

from __future__ import annotations

import datetime as dt

from device.display.i18n import N_, Translator
from device.display.plan_notes import Deviation, Note

STATUS = {"present": N_("Checked in"), "absent": N_("Not arrived"), "gone": N_("Gone home")}
DONE = {"check_in": N_("✓ Checked in"), "check_out": N_("✓ Checked out")}
ACTION = {"check_in": N_("Drop off"), "check_out": N_("Pick up")}
STAFF_ACTION = {"check_in": N_("Check in"), "check_out": N_("Check out")}


def hhmm(t: dt.time | None) -> str:
    return t.strftime("%H:%M") if t else ""


def status(tr: Translator, s: str) -> str:
    return tr(STATUS.get(s, STATUS["absent"]))


def note(tr: Translator, n: Note) -> str:
    if n.kind == "leave":
        return tr(N_("On leave today"))
    if n.kind == "pickup_by":
        return tr(N_("Picked up by {who}"), who=n.text or "?")
    if n.kind == "early_pickup":
        return tr(N_("Picked up early, {time}"), time=hhmm(n.time))
    if n.kind == "walk_home_alone":
        return tr(N_("May walk home alone from {time}"), time=hhmm(n.time))
    if n.kind == "late_dropoff":
        return tr(N_("Dropped off late, {time}"), time=hhmm(n.time))
    return n.text or ""


def deviation(tr: Translator, d: Deviation) -> str:
    if d.kind == "not_arrived":
        return tr(N_("Not arrived (expected {time})"), time=hhmm(d.time))
    if d.kind == "still_here":
        return tr(N_("Still here (pickup {time})"), time=hhmm(d.time))
    if d.kind == "present_on_leave":
        return tr(N_("Here on a leave day"))
    return tr(N_("Here without a schedule"))
