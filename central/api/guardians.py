"""Guardians' endpoints: their children, schedules, agreements, leave, absences, contact details.

Every path with a child id first checks the caller is one of that child's guardians
(:func:`~central.api.deps.guardian_child`); anything else is a bare 403.
"""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from central import access
from central.api import schemas as sc
from central.api.deps import DB, ApiContext, Ctx, GuardianChild, GuardianP
from central.auth import Principal
from central.db.schema import AbsenceRow, AgreementRow, Child, ChildGuardian, Guardian, LeaveRow, ScheduleRow
from central.notify import AgreementNotice, Recipient
from central.planning import changes, convert, family
from central.planning.presence import department_of
from central.planning.provider import plans_for_departments, roster_entry
from central.rules import Person

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/guardian", tags=["guardians"], responses=sc.ERRORS)


def _actor(p: Principal) -> changes.Actor:
    return access.actor(p)


@router.get("/children", response_model=list[sc.ChildOut])
def my_children(p: GuardianP, s: DB) -> list[Child]:
    """The caller's own children."""
    q = (
        select(Child)
        .join(ChildGuardian, ChildGuardian.child_id == Child.id)
        .where(ChildGuardian.guardian_id == p.guardian_id)
        .order_by(Child.first_name, Child.id)
    )
    return list(s.scalars(q))


@router.get("/overview", response_model=list[sc.ChildOverviewOut])
def my_overview(p: GuardianP, ctx: Ctx, s: DB) -> list[sc.ChildOverviewOut]:
    """Each of the caller's children: unit, today's presence, and the plan for today and 6 more days
    (what the web's Översikt shows, from the same function)."""
    kids = family.children_of(s, p.guardian_id or "")
    return [
        sc.ChildOverviewOut(
            child_id=o.child_id,
            first_name=o.first_name,
            last_name=o.last_name,
            department_id=o.department_id,
            department_name=o.department_name,
            unit_name=o.unit_name,
            unit_kind=o.unit_kind,
            status=o.status,
            checked_in_at=o.checked_in_at,
            checked_out_at=o.checked_out_at,
            days=[sc.DayPlanOut(date=e.date, **roster_entry(e).model_dump()) for e in o.days],
        )
        for o in family.overview(s, [c.id for c in kids], ctx.today())
    ]


@router.get("/children/{child_id}/plan", response_model=sc.PlanEntryOut)
def child_plan(child_id: GuardianChild, ctx: Ctx, s: DB, date: dt.date | None = None) -> object:
    """The child's plan for a date (default today) with the reasons behind it."""
    day = date or ctx.today()
    dept = department_of(s, child_id)
    entries = plans_for_departments(s, [dept] if dept else [], day).get(dept or "", [])
    entry = next(e for e in entries if e.child_id == child_id)
    return roster_entry(entry)


# -- schedules ---------------------------------------------------------------------------


def _pairs(body: sc.ScheduleIn) -> list[list[tuple[dt.time, dt.time] | None]]:
    return [[None if d is None else (d.arrive, d.leave) for d in week] for week in body.weeks]


@router.get("/children/{child_id}/schedules", response_model=list[sc.ScheduleOut])
def list_schedules(child_id: GuardianChild, s: DB) -> list[ScheduleRow]:
    """The child's schedules, oldest first."""
    q = select(ScheduleRow).where(ScheduleRow.child_id == child_id).order_by(ScheduleRow.valid_from)
    return list(s.scalars(q))


@router.post(
    "/children/{child_id}/schedules",
    response_model=sc.ScheduleOut,
    status_code=201,
    responses={409: {"description": "a schedule from that date exists"}, 422: {"description": "invalid"}},
)
def create_schedule(
    child_id: GuardianChild, body: sc.ScheduleIn, p: GuardianP, ctx: Ctx, s: DB
) -> ScheduleRow:
    """Add a schedule from ``valid_from`` (it runs until a later one starts)."""
    row = changes.save_schedule(
        s,
        _actor(p),
        child_id,
        body.valid_from,
        body.cycle_start,
        _pairs(body),
        today=ctx.today(),
        now=ctx.now(),
    )
    s.commit()
    ctx.changed(department_of(s, child_id))
    return row


@router.put(
    "/children/{child_id}/schedules/{schedule_id}",
    response_model=sc.ScheduleOut,
    responses={404: {"description": "no such schedule"}, 409: {"description": "date taken"}},
)
def replace_schedule(
    child_id: GuardianChild, schedule_id: str, body: sc.ScheduleIn, p: GuardianP, ctx: Ctx, s: DB
) -> ScheduleRow:
    """Replace a schedule that has not started yet (within the unit's notice)."""
    row = changes.save_schedule(
        s,
        _actor(p),
        child_id,
        body.valid_from,
        body.cycle_start,
        _pairs(body),
        today=ctx.today(),
        replace_id=schedule_id,
        now=ctx.now(),
    )
    s.commit()
    ctx.changed(department_of(s, child_id))
    return row


# -- agreements --------------------------------------------------------------------------


@router.get("/children/{child_id}/agreements", response_model=list[sc.AgreementOut])
def list_agreements(child_id: GuardianChild, s: DB) -> list[AgreementRow]:
    q = select(AgreementRow).where(AgreementRow.child_id == child_id).order_by(AgreementRow.first)
    return list(s.scalars(q))


@router.post(
    "/children/{child_id}/agreements",
    response_model=sc.AgreementOut,
    status_code=201,
    responses={422: {"description": "invalid"}},
)
def create_agreement(
    child_id: GuardianChild, body: sc.AgreementIn, p: GuardianP, ctx: Ctx, s: DB
) -> AgreementRow:
    """Create an avtal; the child's other guardians are notified."""
    person = Person(body.person.name, body.person.relation, body.person.phone) if body.person else None
    row = changes.add_agreement(
        s,
        _actor(p),
        child_id,
        kind=body.kind.value,
        first=body.first,
        last=body.last or body.first,
        weekdays=body.weekdays,
        time=body.time,
        person=person,
        text=body.text,
        today=ctx.today(),
        now=ctx.now(),
    )
    s.commit()
    ctx.changed(department_of(s, child_id))
    notify_others(ctx, s, row, p.guardian_id or "")
    return row


def notify_others(ctx: ApiContext, s: Session, row: AgreementRow, author_id: str) -> None:
    """Tell the child's other guardians about a new agreement (the API and the web both call this)."""
    others = s.execute(
        select(Guardian.id, Guardian.email)
        .join(ChildGuardian, ChildGuardian.guardian_id == Guardian.id)
        .where(ChildGuardian.child_id == row.child_id, Guardian.id != author_id)
        .order_by(Guardian.id)
    ).all()
    if not others:
        return
    child = s.get(Child, row.child_id)
    author = s.get(Guardian, author_id)
    notice = AgreementNotice(
        agreement_id=row.id,
        child_id=row.child_id,
        child_display=convert.person_display(f"{child.first_name} {child.last_name}")
        if child
        else row.child_id,
        kind=row.kind,
        first=row.first,
        last=row.last,
        author_display=convert.person_display(author.name) if author else author_id,
        recipients=[Recipient(gid, email) for gid, email in others],
    )
    try:
        ctx.notifier.agreement_created(notice)
    except Exception:
        logger.exception("notifying about agreement %s failed", row.id)


@router.delete("/children/{child_id}/agreements/{agreement_id}", status_code=204)
def delete_agreement(child_id: GuardianChild, agreement_id: str, p: GuardianP, ctx: Ctx, s: DB) -> None:
    changes.delete_row(s, _actor(p), AgreementRow, child_id, agreement_id)
    s.commit()
    ctx.changed(department_of(s, child_id))


# -- leave and absence -------------------------------------------------------------------


@router.get("/children/{child_id}/leave", response_model=list[sc.LeaveOut])
def list_leave(child_id: GuardianChild, s: DB) -> list[LeaveRow]:
    return list(s.scalars(select(LeaveRow).where(LeaveRow.child_id == child_id).order_by(LeaveRow.first)))


@router.post("/children/{child_id}/leave", response_model=sc.LeaveOut, status_code=201)
def create_leave(child_id: GuardianChild, body: sc.LeaveIn, p: GuardianP, ctx: Ctx, s: DB) -> LeaveRow:
    """Register ledighet: a day, a range, or recurring weekdays within a range."""
    row = changes.add_leave(
        s,
        _actor(p),
        child_id,
        first=body.first,
        last=body.last or body.first,
        weekdays=body.weekdays,
        text=body.text,
        today=ctx.today(),
        now=ctx.now(),
    )
    s.commit()
    ctx.changed(department_of(s, child_id))
    return row


@router.delete("/children/{child_id}/leave/{leave_id}", status_code=204)
def delete_leave(child_id: GuardianChild, leave_id: str, p: GuardianP, ctx: Ctx, s: DB) -> None:
    changes.delete_row(s, _actor(p), LeaveRow, child_id, leave_id)
    s.commit()
    ctx.changed(department_of(s, child_id))


@router.get("/children/{child_id}/absences", response_model=list[sc.AbsenceOut])
def list_absences(child_id: GuardianChild, s: DB) -> list[AbsenceRow]:
    return list(s.scalars(select(AbsenceRow).where(AbsenceRow.child_id == child_id).order_by(AbsenceRow.day)))


@router.post(
    "/children/{child_id}/absences",
    response_model=sc.AbsenceOut,
    status_code=201,
    responses={403: {"description": "absence reporting is switched off for the unit"}},
)
def report_absence(child_id: GuardianChild, body: sc.AbsenceIn, p: GuardianP, ctx: Ctx, s: DB) -> AbsenceRow:
    """Report frånvaro, where the unit has it switched on."""
    row = changes.add_absence(
        s, _actor(p), child_id, day=body.day, reason=body.reason, today=ctx.today(), now=ctx.now()
    )
    s.commit()
    ctx.changed(department_of(s, child_id))
    return row


@router.delete("/children/{child_id}/absences/{absence_id}", status_code=204)
def delete_absence(child_id: GuardianChild, absence_id: str, p: GuardianP, ctx: Ctx, s: DB) -> None:
    """Withdraw a reported frånvaro (the child is well and comes after all)."""
    changes.delete_row(s, _actor(p), AbsenceRow, child_id, absence_id)
    s.commit()
    ctx.changed(department_of(s, child_id))


# -- contact details ---------------------------------------------------------------------


@router.get("/contact", response_model=sc.ContactOut)
def my_contact(p: GuardianP, s: DB) -> sc.ContactOut:
    g = s.get(Guardian, p.guardian_id)
    if g is None:
        raise changes.ChangeError("no such guardian", 404)
    return sc.ContactOut(id=g.id, phone=g.phone, email=g.email, editable=changes.contact_editable(s, g.id))


@router.put(
    "/contact",
    response_model=sc.ContactOut,
    responses={403: {"description": "contact details are kept in another system for this unit"}},
)
def update_my_contact(body: sc.ContactIn, p: GuardianP, s: DB) -> sc.ContactOut:
    """Change phone and e-mail, where every unit of the caller's children allows it."""
    g = changes.update_contact(s, _actor(p), p.guardian_id or "", phone=body.phone, email=body.email)
    s.commit()
    return sc.ContactOut(id=g.id, phone=g.phone, email=g.email, editable=True)
