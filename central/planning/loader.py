"""Bulk reads of everything a plan needs for many children over a date range.

One query per kind of row (children, schedules, agreements, leave, absences), each joined to
what it needs (the author's name), never one query per child: a municipality's 10,000
children are planned from five queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import Select, Text, cast, select
from sqlalchemy.orm import Session

from central.db.schema import AbsenceRow, AgreementRow, Child, Guardian, LeaveRow, ScheduleRow
from central.planning import convert
from central.rules import Agreement, Leave, Schedule, ScheduleHistory


@dataclass
class PlanInputs:
    """Rules inputs for a set of children; a child missing from a mapping has no rows of that kind."""

    children_by_department: dict[str, list[str]] = field(default_factory=dict)
    schedules: dict[str, ScheduleHistory] = field(default_factory=dict)
    agreements: dict[str, list[Agreement]] = field(default_factory=lambda: defaultdict(list))
    leaves: dict[str, list[Leave]] = field(default_factory=lambda: defaultdict(list))
    """Leave and reported absences (frånvaro), which plan alike."""


def _children_query(department_ids: Collection[str] | None) -> Select:
    q = select(Child.id, Child.department_id).order_by(Child.department_id, Child.first_name, Child.id)
    if department_ids is not None:
        q = q.where(Child.department_id.in_(list(department_ids)))
    return q


def _scoped(
    q: Select, child_col: object, department_ids: Collection[str] | None, child_ids: Collection[str] | None
) -> Select:
    if child_ids is not None:
        return q.where(child_col.in_(list(child_ids)))  # type: ignore[attr-defined]
    if department_ids is not None:
        return q.join(Child, Child.id == child_col).where(Child.department_id.in_(list(department_ids)))
    return q


def queries(
    first: dt.date,
    last: dt.date,
    department_ids: Collection[str] | None = None,
    child_ids: Collection[str] | None = None,
) -> tuple[Select, Select, Select, Select, Select]:
    """The SELECTs behind :func:`load` (children, schedules, agreements, leave, absences), for
    reuse and timing."""
    children = _children_query(department_ids)
    if child_ids is not None:
        children = children.where(Child.id.in_(list(child_ids)))
    schedules = _scoped(
        select(
            ScheduleRow.id,
            ScheduleRow.child_id,
            ScheduleRow.valid_from,
            ScheduleRow.cycle_start,
            # As text: the converter caches by it, skipping a JSON parse per row.
            cast(ScheduleRow.weeks, Text),
        ).where(ScheduleRow.valid_from <= last),
        ScheduleRow.child_id,
        department_ids,
        child_ids,
    ).order_by(ScheduleRow.child_id, ScheduleRow.valid_from)
    agreements = _scoped(
        # Columns, not ORM objects: plain rows are several times cheaper to build.
        select(*AgreementRow.__table__.c, Guardian.name.label("author_name"))
        .outerjoin(Guardian, Guardian.id == AgreementRow.created_by)
        .where(AgreementRow.first <= last, AgreementRow.last >= first),
        AgreementRow.child_id,
        department_ids,
        child_ids,
    )
    leaves = _scoped(
        select(*LeaveRow.__table__.c, Guardian.name.label("author_name"))
        .outerjoin(Guardian, Guardian.id == LeaveRow.created_by)
        .where(LeaveRow.first <= last, LeaveRow.last >= first),
        LeaveRow.child_id,
        department_ids,
        child_ids,
    )
    absences = _scoped(
        select(*AbsenceRow.__table__.c, Guardian.name.label("author_name"))
        .outerjoin(Guardian, Guardian.id == AbsenceRow.created_by)
        .where(AbsenceRow.day >= first, AbsenceRow.day <= last),
        AbsenceRow.child_id,
        department_ids,
        child_ids,
    )
    return children, schedules, agreements, leaves, absences


def load(
    session: Session,
    first: dt.date,
    last: dt.date,
    *,
    department_ids: Collection[str] | None = None,
    child_ids: Collection[str] | None = None,
) -> PlanInputs:
    """Plan inputs for local dates ``first``..``last`` of the given departments (all if ``None``)
    or the given children.  Agreements and leave that don't touch the range are not read.
    """
    children_q, schedules_q, agreements_q, leaves_q, absences_q = queries(
        first, last, department_ids, child_ids
    )
    out = PlanInputs()
    by_dept: dict[str, list[str]] = defaultdict(list)
    for child_id, dept_id in session.execute(children_q):
        by_dept[dept_id].append(child_id)
    out.children_by_department = dict(by_dept)

    conv = convert.ScheduleConverter()
    per_child: dict[str, list[Schedule]] = defaultdict(list)
    for sid, cid, valid_from, cycle_start, weeks in session.execute(schedules_q):
        per_child[cid].append(conv.schedule(sid, cid, valid_from, cycle_start, weeks))
    out.schedules = {cid: ScheduleHistory(s) for cid, s in per_child.items()}

    for row in session.execute(agreements_q):
        out.agreements[row.child_id].append(convert.agreement(row, row.author_name))
    for row in session.execute(leaves_q):
        out.leaves[row.child_id].append(convert.leave(row, row.author_name))
    for row in session.execute(absences_q):
        out.leaves[row.child_id].append(convert.absence(row, row.author_name))
    return out
