"""Staff endpoints: their departments' presence, plan and deviations, and corrections by hand.

A staff member's token names their departments; any other department or a child of one is a
bare 403.  Corrections are stored as events (method ``staff_override``) and audited with the
staff member's id and reason.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from central.api import schemas as sc
from central.api.deps import DB, Ctx, StaffChild, StaffDepartment, StaffP
from central.planning.presence import (
    MAX_AHEAD,
    MAX_BACKDATE,
    department_day,
    department_deviations,
    record_correction,
)
from central.planning.provider import roster_entry
from central.rules import day_status

router = APIRouter(prefix="/staff", tags=["staff"], responses=sc.ERRORS)

__all__ = ["MAX_AHEAD", "MAX_BACKDATE", "router"]  # the limits live with the rule (planning)
DayQuery = Annotated[sc.DayParam | None, Query()]


@router.get("/departments", response_model=list[str])
def my_departments(p: StaffP) -> list[str]:
    """The departments the caller works in."""
    return sorted(p.department_ids)


@router.get("/departments/{department_id}/presence", response_model=sc.PresenceOut)
def presence(department_id: StaffDepartment, ctx: Ctx, s: DB, date: DayQuery = None) -> sc.PresenceOut:
    """Who is here (utrymningslista), who has gone home, who has not come, with intervals."""
    info = department_day(s, department_id, date or ctx.today())
    return sc.PresenceOut(
        department_id=department_id,
        date=info.day,
        children=[
            sc.ChildPresenceOut(
                child_id=cid,
                status=day_status(info.presence.get(cid, [])),
                intervals=[
                    sc.IntervalOut(start=iv.start, end=iv.end, flags=sorted(iv.flags))
                    for iv in info.presence.get(cid, [])
                ],
            )
            for cid in info.children
        ],
    )


@router.get("/departments/{department_id}/plan", response_model=sc.PlanOut)
def plan(department_id: StaffDepartment, ctx: Ctx, s: DB, date: DayQuery = None) -> sc.PlanOut:
    """The day's plan per child (schedule, agreements, leave) and why, and the expected count."""
    info = department_day(s, department_id, date or ctx.today())
    return sc.PlanOut(
        department_id=department_id,
        date=info.day,
        expected=sum(1 for e in info.plan if e.expected),
        entries=[sc.PlanEntryOut.model_validate(roster_entry(e).model_dump()) for e in info.plan],
    )


@router.get("/departments/{department_id}/deviations", response_model=sc.DeviationsOut)
def deviations(department_id: StaffDepartment, ctx: Ctx, s: DB, auto_close: bool = False) -> sc.DeviationsOut:
    """What staff should look at now: not arrived, not picked up, present on leave, ..."""
    now = ctx.now()
    _, found = department_deviations(s, department_id, now, auto_close=auto_close)
    return sc.DeviationsOut(
        department_id=department_id,
        at=now,
        deviations=[
            sc.DeviationOut(
                kind=str(d.kind),
                child_id=d.child_id,
                detail=d.detail,
                expected=d.expected,
                since=d.since,
                event_ids=list(d.event_ids),
                auto_closed=d.auto_closed,
            )
            for d in found
        ],
    )


def _correct(
    kind: Literal["check_in", "check_out"],
    target: tuple[str, str],
    body: sc.CorrectionIn,
    p: StaffP,
    ctx: Ctx,
    s: DB,
) -> sc.CorrectionOut:
    child_id, dept = target
    # The time rules (at most MAX_AHEAD ahead, MAX_BACKDATE back, representable in UTC) are
    # record_correction's, so the web pages refuse the same corrections (ChangeError: 422).
    row = record_correction(
        s,
        child_id=child_id,
        type_=kind,
        staff_id=p.subject,
        reason=body.reason,
        occurred_at=body.occurred_at,
        now=ctx.now(),
    )
    s.commit()
    ctx.changed(dept)
    return sc.CorrectionOut(event_id=row.event_id, child_id=child_id, type=kind, occurred_at=row.occurred_at)


@router.post("/children/{child_id}/check-in", response_model=sc.CorrectionOut, status_code=201)
def check_in(target: StaffChild, body: sc.CorrectionIn, p: StaffP, ctx: Ctx, s: DB) -> sc.CorrectionOut:
    """Check a child in by hand (audited with the reason)."""
    return _correct("check_in", target, body, p, ctx, s)


@router.post("/children/{child_id}/check-out", response_model=sc.CorrectionOut, status_code=201)
def check_out(target: StaffChild, body: sc.CorrectionIn, p: StaffP, ctx: Ctx, s: DB) -> sc.CorrectionOut:
    """Check a child out by hand (audited with the reason)."""
    return _correct("check_out", target, body, p, ctx, s)
