"""Each department's unit settings (feature switches, notice, closing time), with defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.db.schema import Department, Unit


@dataclass(frozen=True, slots=True)
class UnitSettings:
    """What a unit allows; a department without a unit gets these defaults."""

    unit_id: str | None = None
    kind: str = "preschool"
    absence_reporting: bool = False
    contact_editing: bool = True
    handover_mode: str = "self_service"
    min_days_ahead: int = 0
    closing_time: dt.time = dt.time(18, 0)
    phone: str | None = None
    """The number guardians call, as the unit writes it."""


DEFAULTS = UnitSettings()


def _settings(unit: Unit) -> UnitSettings:
    return UnitSettings(
        unit_id=unit.id,
        kind=unit.kind,
        absence_reporting=unit.absence_reporting,
        contact_editing=unit.contact_editing,
        handover_mode=unit.handover_mode,
        min_days_ahead=unit.min_days_ahead,
        closing_time=unit.closing_time,
        phone=unit.phone,
    )


def for_departments(session: Session, department_ids: Collection[str]) -> dict[str, UnitSettings]:
    """Settings per department id (one query); unknown departments are left out."""
    rows = session.execute(
        select(Department.id, Unit)
        .outerjoin(Unit, Unit.id == Department.unit_id)
        .where(Department.id.in_(list(department_ids)))
    )
    return {dept_id: (_settings(unit) if unit is not None else DEFAULTS) for dept_id, unit in rows}


def for_department(session: Session, department_id: str) -> UnitSettings:
    """One department's settings (defaults if it has no unit or does not exist)."""
    return for_departments(session, [department_id]).get(department_id, DEFAULTS)
