"""Who may see and change what: the one scope check behind the JSON API and the web pages.

A staff member's departments always come from central's staff table, never from a token
or an identity provider's claim: moving a pedagog to another department, or removing
them, takes effect at their next request.  Every refusal is the same bare
:class:`Forbidden`, whether the child or department belongs to someone else or does not
exist, so a refusal tells nothing about other families or departments.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.auth import Principal
from central.db.schema import ChildGuardian, Staff, StaffDepartment
from central.planning.changes import Actor
from central.planning.presence import department_of


class Forbidden(Exception):
    """The caller may not see or touch this (the API answers a bare 403)."""


def staff_departments(session: Session, staff_id: str) -> frozenset[str]:
    """The departments a staff member works in, from the staff table (empty for a removed one)."""
    rows = session.scalars(select(StaffDepartment.department_id).where(StaffDepartment.staff_id == staff_id))
    return frozenset(rows)


def resolve(session: Session, p: Principal) -> Principal:
    """``p`` with its departments read from the staff table (a staff member no longer there: 403)."""
    if p.role != "staff":
        return p
    if session.get(Staff, p.subject) is None:
        raise Forbidden
    return replace(p, department_ids=staff_departments(session, p.subject))


def guardian_of(session: Session, guardian_id: str | None, child_id: str) -> bool:
    if not guardian_id:
        return False
    link = session.scalar(
        select(ChildGuardian.child_id).where(
            ChildGuardian.child_id == child_id, ChildGuardian.guardian_id == guardian_id
        )
    )
    return link is not None


def guardian_child(session: Session, p: Principal, child_id: str) -> str:
    """``child_id`` if ``p`` acts as one of its guardians (themselves, or staff on their behalf)."""
    if p.role == "guardian" and guardian_of(session, p.guardian_id, child_id):
        return child_id
    if p.role == "staff" and p.guardian_id and guardian_of(session, p.guardian_id, child_id):
        # Staff acting for a guardian: the child must also be in one of their departments.
        staff_child(session, p, child_id)
        return child_id
    raise Forbidden


def staff_department(p: Principal, department_id: str) -> str:
    if p.role != "staff" or department_id not in p.department_ids:
        raise Forbidden
    return department_id


def staff_child(session: Session, p: Principal, child_id: str) -> tuple[str, str]:
    """The child and its department, if that is one of the staff member's."""
    dept = department_of(session, child_id)
    if p.role != "staff" or dept is None or dept not in p.department_ids:
        raise Forbidden
    return child_id, dept


def may_act_for(session: Session, p: Principal, guardian_id: str) -> bool:
    """Whether a staff member may act for a guardian: one of the guardian's children is in
    one of their departments."""
    if p.role != "staff":
        return False
    children = session.scalars(select(ChildGuardian.child_id).where(ChildGuardian.guardian_id == guardian_id))
    return any(department_of(session, c) in p.department_ids for c in children)


def actor(p: Principal) -> Actor:
    """Who the audit log names: the guardian, or the staff member and whom they acted for."""
    if p.role == "guardian":
        return Actor("guardian", p.guardian_id or p.subject)
    if p.role == "staff" and p.guardian_id:
        return Actor("staff", p.subject, on_behalf_of=p.guardian_id)
    return Actor(p.role, p.subject)
