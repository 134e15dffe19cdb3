"""Administrators' endpoints: import, devices, units and their switches, reports, audit log."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from central import audit, reports
from central import tags as tag_rules
from central.api import schemas as sc
from central.api.deps import DB, ID_PATTERN, AdminP, Ctx, DepartmentIdPath
from central.db.schema import AuditRow, Department, Tag, Unit
from central.importer import ImportError_, apply, parse
from central.planning.changes import ChangeError
from central.rules import ExpectedCountRow, MonthlyHoursRow

router = APIRouter(prefix="/admin", tags=["administrators"], responses=sc.ERRORS)
DeviceIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
UnitIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
DigestPath = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="the tag's digest, 64 lowercase hex")]
CSV = {"content": {"text/csv": {}}, "description": "CSV with a header row, when format=csv"}


def _audit(ctx: Ctx, p: AdminP, action: str, entity: str, entity_id: str, **kw: Any) -> None:
    with ctx.store.session() as s, s.begin():
        audit.record(
            s, actor_role="admin", actor_id=p.subject, action=action, entity=entity, entity_id=entity_id, **kw
        )


@router.post("/import", response_model=sc.ImportOut, responses={422: {"description": "every bad row listed"}})
def import_csv(body: sc.ImportIn, p: AdminP, ctx: Ctx, s: DB) -> Any:
    """Departments, children, guardians and tags from CSV: all rows or none."""
    key = ctx.store.tag_key(create=True)
    try:
        summary = apply(s, parse(body.csv, key))
    except ImportError_ as exc:
        s.rollback()
        return JSONResponse({"detail": str(exc), "errors": exc.errors}, status_code=422)
    except csv.Error as exc:  # the importer lets the csv module's own errors through
        s.rollback()
        return JSONResponse({"detail": f"unreadable CSV: {exc}; nothing was imported"}, status_code=422)
    audit.record(
        s,
        actor_role="admin",
        actor_id=p.subject,
        action="import",
        entity="import",
        entity_id=ctx.now().isoformat()[:64],
        after={"departments": sorted(summary.departments_touched), "children": summary.children},
    )
    s.commit()
    for dept in summary.departments_touched:
        ctx.changed(dept)
    return sc.ImportOut(
        departments=summary.departments,
        children=summary.children,
        guardians=summary.guardians,
        links=summary.links,
        tags_added=summary.tags_added,
    )


# -- devices -----------------------------------------------------------------------------


@router.get("/devices", response_model=list[sc.DeviceOut])
def list_devices(_p: AdminP, ctx: Ctx) -> list[sc.DeviceOut]:
    """Devices with their retained status: online or offline since when, counts, roster lag."""
    from central.fleet import fleet
    from central.store import TZ

    return [
        sc.DeviceOut(
            id=d.id,
            department_id=d.department_id,
            last_seen=d.last_seen,
            state=d.state,
            state_text=d.state_text(TZ),
            offline_since=d.since,
            version=d.version,
            outbox_depth=d.outbox_depth,
            rejected_count=d.rejected_count,
            roster_version=d.roster_version,
            current_roster_version=d.current_roster_version,
            roster_lag=d.roster_lag,
        )
        for d in fleet(ctx.store)
    ]


@router.post("/devices", response_model=sc.DeviceOut, status_code=201)
def add_device(body: sc.DeviceIn, p: AdminP, ctx: Ctx) -> sc.DeviceOut:
    """Register a hallway device for a department (422 if the department is unknown or the id taken)."""
    ctx.store.add_device(body.id, body.department_id)
    _audit(ctx, p, "device.add", "device", body.id, after={"department_id": body.department_id})
    ctx.changed(body.department_id)
    return sc.DeviceOut(id=body.id, department_id=body.department_id, last_seen=None)


@router.delete("/devices/{device_id}", status_code=204)
def remove_device(device_id: DeviceIdPath, p: AdminP, ctx: Ctx) -> None:
    if not ctx.store.remove_device(device_id):
        raise ChangeError(f"no device {device_id}", 404)
    _audit(ctx, p, "device.remove", "device", device_id)


# -- units and departments ---------------------------------------------------------------


@router.get("/units", response_model=list[sc.UnitOut])
def list_units(_p: AdminP, s: DB) -> list[Unit]:
    return list(s.scalars(select(Unit).order_by(Unit.id)))


@router.put("/units/{unit_id}", response_model=sc.UnitOut)
def put_unit(unit_id: UnitIdPath, body: sc.UnitIn, p: AdminP, ctx: Ctx, s: DB) -> Unit:
    """Create or update a unit and its feature switches (contact editing defaults off for fritidshem)."""
    values = body.model_dump()
    if values["contact_editing"] is None:
        values["contact_editing"] = body.kind != "fritidshem"
    unit = s.get(Unit, unit_id)
    before = None if unit is None else {k: getattr(unit, k) for k in values}
    if unit is None:
        unit = Unit(id=unit_id, **values)
        s.add(unit)
    else:
        for k, v in values.items():
            setattr(unit, k, v)
    s.flush()
    audit.record(
        s,
        actor_role="admin",
        actor_id=p.subject,
        action="unit.put",
        entity="unit",
        entity_id=unit_id,
        before=before,
        after=values,
    )
    s.commit()
    ctx.changed(None)
    return unit


@router.get("/departments", response_model=list[sc.DepartmentOut])
def list_departments(_p: AdminP, s: DB) -> list[Department]:
    return list(s.scalars(select(Department).order_by(Department.id)))


@router.put("/departments/{department_id}/unit", response_model=sc.DepartmentOut)
def set_department_unit(
    department_id: DepartmentIdPath, body: sc.DepartmentUnitIn, p: AdminP, ctx: Ctx, s: DB
) -> Department:
    """Put a department in a unit (or none: the defaults apply)."""
    dept = s.get(Department, department_id)
    if dept is None:
        raise ChangeError(f"no department {department_id}", 404)
    if body.unit_id is not None and s.get(Unit, body.unit_id) is None:
        raise ChangeError(f"no unit {body.unit_id}; create it first")
    before = {"unit_id": dept.unit_id}
    dept.unit_id = body.unit_id
    audit.record(
        s,
        actor_role="admin",
        actor_id=p.subject,
        action="department.unit",
        entity="department",
        entity_id=department_id,
        before=before,
        after={"unit_id": body.unit_id},
    )
    s.commit()
    ctx.changed(department_id)
    return dept


# -- tags (issue 10: a lost tag is blocked) -------------------------------------------------


@router.get("/tags", response_model=list[sc.TagOut])
def list_tags(_p: AdminP, s: DB, blocked: bool = False) -> list[Tag]:
    """Tags by digest and owner; ``blocked=true``: only the blocked ones."""
    q = select(Tag).order_by(Tag.owner_kind, Tag.owner_id, Tag.digest)
    return list(s.scalars(q.where(Tag.blocked_at.is_not(None)) if blocked else q))


def _set_blocked(digest: str, blocked: bool, body: sc.TagBlockIn | None, p: AdminP, ctx: Ctx, s: DB) -> Tag:
    (tag,) = tag_rules.find(s, digest=digest)  # 404 if unknown: nothing changed
    out = tag_rules.set_blocked(
        s,
        [tag],
        blocked,
        actor_role="admin",
        actor_id=p.subject,
        reason=body.reason if body else None,
        now=ctx.now(),
    )
    s.commit()
    for dept in sorted(out.departments):
        ctx.changed(dept)
    return tag


@router.post("/tags/{digest}/block", response_model=sc.TagOut)
def block_tag(digest: DigestPath, p: AdminP, ctx: Ctx, s: DB, body: sc.TagBlockIn | None = None) -> Tag:
    """Block a lost tag: devices refuse it from their next roster ("Brickan är spärrad"), which
    names no one.  Audited (``tag.block``); blocking a blocked tag changes nothing."""
    return _set_blocked(digest, True, body, p, ctx, s)


@router.post("/tags/{digest}/unblock", response_model=sc.TagOut)
def unblock_tag(digest: DigestPath, p: AdminP, ctx: Ctx, s: DB, body: sc.TagBlockIn | None = None) -> Tag:
    """Let a blocked tag work again (from the devices' next roster).  Audited (``tag.unblock``)."""
    return _set_blocked(digest, False, body, p, ctx, s)


# -- reports -----------------------------------------------------------------------------


def _hours(td: dt.timedelta) -> float:
    return round(td.total_seconds() / 3600, 2)


@router.get("/reports/hours", responses={200: CSV})
def hours_report(
    _p: AdminP,
    s: DB,
    year: Annotated[int, Query(ge=2000, le=2100)],
    month: Annotated[int, Query(ge=1, le=12)],
    department_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    format: Literal["json", "csv"] = "json",
) -> Response:
    """Scheduled, planned and attended hours per child in a month (fees depend on hours)."""
    rows = reports.monthly_hours(s, year, month, [department_id] if department_id else None)
    if format == "csv":
        return Response(reports.to_csv(MonthlyHoursRow, rows), media_type="text/csv")
    return JSONResponse(
        [
            {
                "child_id": r.child_id,
                "year": r.year,
                "month": r.month,
                "scheduled_hours": _hours(r.scheduled),
                "planned_hours": _hours(r.planned),
                "attended_hours": _hours(r.attended),
                "open_intervals": r.open_intervals,
            }
            for r in rows
        ]
    )


@router.get("/reports/expected", responses={200: CSV, 422: {"description": "bad range"}})
def expected_report(
    _p: AdminP,
    s: DB,
    first: sc.DayParam,
    last: sc.DayParam,
    department_id: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    format: Literal["json", "csv"] = "json",
) -> Response:
    """Children expected per department and day (for the kitchen); first to last at most 62 days
    (the same rule as ``lh-central report expected``)."""
    try:
        reports.check_expected_range(first, last)
    except ValueError as exc:
        raise ChangeError(str(exc)) from None
    rows = reports.expected(s, first, last, [department_id] if department_id else None)
    if format == "csv":
        return Response(reports.to_csv(ExpectedCountRow, rows), media_type="text/csv")
    return JSONResponse([{**dataclasses.asdict(r), "date": r.date.isoformat()} for r in rows])


@router.get("/audit", response_model=list[sc.AuditOut])
def audit_log(
    _p: AdminP, s: DB, limit: Annotated[int, Query(ge=1, le=1000)] = 100, entity_id: str | None = None
) -> list[AuditRow]:
    """The newest audit entries, optionally for one entity."""
    q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if entity_id:
        q = q.where(AuditRow.entity_id == entity_id)
    return list(s.scalars(q))
