"""Staff' pages: their departments' day (who is here, expected pickups, deviations, check-in and
out by hand), the evacuation list (utrymningslista), the hallway notice board (infotavla) and
acting for a guardian without Swedish e-ID.

Thin over the same domain functions as the JSON API (:mod:`central.api.staff`): every page asks
:mod:`central.access` for the scope (departments from the staff table), the day comes from
:func:`~central.planning.presence.department_deviations` and a correction goes through
:func:`~central.planning.presence.record_correction`.  The pages work without JavaScript;
``static/app.js`` only refreshes the day every 30 seconds (with a pause button) and prints.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from central import access, audit
from central.api.schemas import CorrectionIn
from central.auth import Principal
from central.db.schema import Child, ChildGuardian, Department, Guardian, NoticeRow
from central.planning.changes import ChangeError
from central.planning.presence import UNCONFIRMED_HANDOVER, department_deviations, record_correction
from central.rules import STOCKHOLM, DeviationKind, PlanEntry, day_status, local_date
from central.web import core
from central.web.core import PageError, Viewer, render, see_other
from central.web.i18n import N_
from central.web.signin import DB

router = APIRouter(include_in_schema=False)

NOTICE_MAX_CHARS = 200
"""As the roster's ``RosterNotice.text``: the hallway screen shows no more."""
NOTICE_MAX_LINES = 3
NOTICE_MAX_DAYS = 60
"""A notice shows on at most this many days (first to last, both included)."""
NOTICE_MAX_AHEAD = 365
"""How far ahead a notice may start (keeps dates sane; nobody plans a notice years ahead)."""

FORBIDDEN = N_("This page is not available to you.")

# The deviation kinds in staff' words; ``%(time)s`` is the planned time when there is one.
_DEVIATION_WORDS: dict[str, tuple[str, str]] = {
    DeviationKind.NOT_ARRIVED: (N_("Not arrived"), N_("Not arrived (expected %(time)s)")),
    DeviationKind.NOT_PICKED_UP: (N_("Not picked up"), N_("Not picked up (expected %(time)s)")),
    DeviationKind.PRESENT_ON_LEAVE: (N_("Here although on leave"), N_("Here although on leave")),
    DeviationKind.PRESENT_WITHOUT_SCHEDULE: (
        N_("Here without a schedule today"),
        N_("Here without a schedule today"),
    ),
    DeviationKind.NOT_CHECKED_OUT: (
        N_("Not checked out at closing time"),
        N_("Not checked out at closing time (%(time)s)"),
    ),
    DeviationKind.CHECK_OUT_WITHOUT_CHECK_IN: (
        N_("Checked out without a check-in"),
        N_("Checked out without a check-in"),
    ),
    DeviationKind.CLOCK_UNSYNCED: (
        N_("The terminal's clock was wrong: check the times"),
        N_("The terminal's clock was wrong: check the times"),
    ),
    UNCONFIRMED_HANDOVER: (
        N_("Handover not confirmed by staff"),
        N_("Handover not confirmed by staff"),
    ),
}

_STATUS_WORDS = {
    "present": N_("Present"),
    "absent": N_("Not arrived"),
    "gone": N_("Gone home"),
}


# -- who and where ---------------------------------------------------------------------


def _staff(request: Request, s: Session) -> tuple[Viewer, Principal]:
    v = core.viewer(request, s)
    return v, core.require(v, "staff")


def _department(p: Principal, department_id: str) -> str:
    try:
        return access.staff_department(p, department_id)
    except access.Forbidden:
        raise PageError(403, FORBIDDEN) from None


def _child(s: Session, p: Principal, child_id: str) -> tuple[str, str]:
    try:
        return access.staff_child(s, p, child_id)
    except access.Forbidden:
        raise PageError(403, FORBIDDEN) from None


def _departments(s: Session, p: Principal) -> list[tuple[str, str]]:
    """The staff member's departments as (id, name), sorted by id (as ``GET /s`` picks the first)."""
    q = select(Department.id, Department.name).where(Department.id.in_(sorted(p.department_ids)))
    names = {d: name for d, name in s.execute(q)}
    return [(d, names.get(d, d)) for d in sorted(p.department_ids)]


def _local(at: dt.datetime | None) -> dt.time | None:
    return at.astimezone(STOCKHOLM).time() if at is not None else None


def _flash(request: Request, message: str, **values: str) -> None:
    request.session["flash"] = [message, values]


def _take_flash(v: Viewer) -> str:
    flash = v.request.session.pop("flash", None)
    if not isinstance(flash, list) or len(flash) != 2:
        return ""
    message, values = flash
    return v.words(str(message), **{str(k): str(x) for k, x in dict(values).items()})


def _page(v: Viewer, s: Session, p: Principal, template: str, tab: str, dept: str, **values: Any) -> Response:
    depts = _departments(s, p)
    return render(
        v,
        template,
        tab=tab,
        dept=dept,
        dept_name=dict(depts).get(dept, dept),
        departments=depts,
        flash=_take_flash(v),
        **values,
    )


# -- the day ---------------------------------------------------------------------------


@dataclass
class Contact:
    name: str
    phone: str
    tel: str
    role: str  # "guardian" or the pickup person's relation


@dataclass
class Row:
    child_id: str
    name: str
    status: str
    status_label: str
    time_in: dt.time | None
    time_out: dt.time | None
    plan: PlanEntry | None
    pickup_by: list[str]
    deviations: list[str]
    contacts: list[Contact] = field(default_factory=list)


@dataclass
class Day:
    department_id: str
    rows: list[Row]
    here: int
    expected: int
    gone: int
    deviations: int
    updated: dt.time


def _day(v: Viewer, s: Session, dept: str) -> Day:
    now = v.web.ctx.now()
    info, found = department_deviations(s, dept, now)
    ids = list(info.children)
    names = {c.id: f"{c.first_name} {c.last_name}" for c in s.scalars(select(Child).where(Child.id.in_(ids)))}
    contacts: dict[str, list[Contact]] = defaultdict(list)
    q = (
        select(ChildGuardian.child_id, Guardian.name, Guardian.phone)
        .join(Guardian, Guardian.id == ChildGuardian.guardian_id)
        .where(ChildGuardian.child_id.in_(ids))
        .order_by(Guardian.name)
    )
    for child_id, gname, phone in s.execute(q):
        if phone:
            contacts[child_id].append(Contact(gname, phone, core.tel_href(phone), v.words("guardian")))
    devs: dict[str, list[str]] = defaultdict(list)
    for d in found:
        plain, timed = _DEVIATION_WORDS.get(str(d.kind), (None, None))
        if plain is None or timed is None:
            devs[d.child_id].append(d.detail)  # a kind added later: the rules' English sentence
        elif d.expected is not None:
            devs[d.child_id].append(v.words(timed, time=d.expected.strftime("%H:%M")))
        else:
            devs[d.child_id].append(v.words(plain))
    plans = {e.child_id: e for e in info.plan}
    rows = []
    for cid in ids:
        intervals = info.presence.get(cid, [])
        status = day_status(intervals)
        real = [iv for iv in intervals if not iv.is_anomaly]
        entry = plans.get(cid)
        pickup: list[str] = []
        extra: list[Contact] = []
        if entry is not None:
            if entry.pickup_by:
                pickup.append(entry.pickup_by)
            for note in entry.notes:
                if note.person is None:
                    continue
                if note.person.display not in pickup:
                    pickup.append(note.person.display)
                if note.person.phone:
                    extra.append(
                        Contact(
                            note.person.name,
                            note.person.phone,
                            core.tel_href(note.person.phone),
                            note.person.relation or v.words("picks up"),
                        )
                    )
        rows.append(
            Row(
                child_id=cid,
                name=names.get(cid, cid),
                status=status,
                status_label=v.words(_STATUS_WORDS[status]),
                time_in=_local(real[0].start) if real else None,
                time_out=_local(real[-1].end) if real and status == "gone" else None,
                plan=entry,
                pickup_by=pickup,
                deviations=devs.get(cid, []),
                contacts=extra + contacts.get(cid, []),
            )
        )
    return Day(
        department_id=dept,
        rows=rows,
        here=sum(1 for r in rows if r.status == "present"),
        expected=sum(1 for e in info.plan if e.expected),
        gone=sum(1 for r in rows if r.status == "gone"),
        deviations=len(found),
        updated=_local(now) or dt.time(),
    )


@router.get("/s")
def staff_home(request: Request, s: DB) -> Response:
    _v, p = _staff(request, s)
    if not p.department_ids:
        raise PageError(403, N_("You are not linked to any department. Ask the administrator to add you."))
    return see_other(f"/s/d/{sorted(p.department_ids)[0]}")


def _day_page(
    v: Viewer,
    s: Session,
    p: Principal,
    dept: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    reasons: dict[str, str] | None = None,
) -> Response:
    response = _page(
        v,
        s,
        p,
        "staff_day.html",
        "day",
        dept,
        day=_day(v, s, dept),
        errors=errors or {},
        reasons=reasons or {},
    )
    response.status_code = status
    return response


@router.get("/s/d/{department_id}")
def day_page(request: Request, s: DB, department_id: str) -> Response:
    v, p = _staff(request, s)
    return _day_page(v, s, p, _department(p, department_id))


def _correct(request: Request, s: Session, child_id: str, kind: str, reason: str, csrf: str) -> Response:
    v, p = _staff(request, s)
    core.check_csrf(v, {"csrf": csrf})
    child_id, dept = _child(s, p, child_id)
    reason = " ".join(reason.split())
    try:
        CorrectionIn(reason=reason)  # the API's limits on a reason (3 to 500 characters)
    except ValidationError:
        message = (
            v.words("Write why, in at least 3 characters.")
            if len(reason) < 3
            else v.words("Write the reason in at most 500 characters.")
        )
        return _day_page(
            v, s, p, dept, status=422, errors={f"reason-{child_id}": message}, reasons={child_id: reason}
        )
    now = v.web.ctx.now()
    try:
        record_correction(
            s, child_id=child_id, type_=kind, staff_id=p.subject, reason=reason, occurred_at=now, now=now
        )
    except ChangeError:  # cannot happen for "now", but the rule is record_correction's
        s.rollback()
        raise PageError(422, N_("That time cannot be used for a correction.")) from None
    s.commit()
    v.web.ctx.changed(dept)
    name = s.scalar(select(Child.first_name).where(Child.id == child_id)) or child_id
    if kind == "check_in":
        _flash(request, N_("%(name)s is checked in."), name=name)
    else:
        _flash(request, N_("%(name)s is checked out."), name=name)
    return see_other(f"/s/d/{dept}#child-{child_id}")


@router.post("/s/children/{child_id}/check-in")
def check_in(
    request: Request,
    s: DB,
    child_id: str,
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    return _correct(request, s, child_id, "check_in", reason, csrf)


@router.post("/s/children/{child_id}/check-out")
def check_out(
    request: Request,
    s: DB,
    child_id: str,
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    return _correct(request, s, child_id, "check_out", reason, csrf)


# -- utrymningslista -------------------------------------------------------------------


@router.get("/s/d/{department_id}/utrymning")
def evacuation(request: Request, s: DB, department_id: str) -> Response:
    v, p = _staff(request, s)
    dept = _department(p, department_id)
    day = _day(v, s, dept)
    here = [r for r in day.rows if r.status == "present"]
    return _page(
        v,
        s,
        p,
        "staff_evacuation.html",
        "evacuation",
        dept,
        day=day,
        here=here,
        date=local_date(v.web.ctx.now()),
    )


# -- infotavla -------------------------------------------------------------------------


@dataclass
class NoticeForm:
    text: str = ""
    first: str = ""
    last: str = ""


def _clean_text(text: str) -> str:
    lines = [
        "".join(ch for ch in line if unicodedata.category(ch) != "Cc").strip() for line in text.splitlines()
    ]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def _check_notice(v: Viewer, form: NoticeForm, today: dt.date) -> tuple[dict[str, str], dt.date, dt.date]:
    """The errors of a notice form, per field (empty: fine), and its dates."""
    errors: dict[str, str] = {}
    first = last = today
    if not form.text:
        errors["text"] = v.words("Write the notice.")
    elif len(form.text) > NOTICE_MAX_CHARS:
        errors["text"] = v.words(
            "Shorten the notice to at most %(max)s characters (now %(n)s).",
            max=str(NOTICE_MAX_CHARS),
            n=str(len(form.text)),
        )
    elif len(form.text.split("\n")) > NOTICE_MAX_LINES:
        errors["text"] = v.words("The notice can have at most %(max)s lines.", max=str(NOTICE_MAX_LINES))
    try:
        first = dt.date.fromisoformat(form.first)
    except ValueError:
        errors["first"] = v.words(
            "Enter the first day as a date, for example %(example)s.", example=str(today)
        )
    else:
        if first < today:
            errors["first"] = v.words("The first day cannot be in the past.")
        elif first > today + dt.timedelta(days=NOTICE_MAX_AHEAD):
            errors["first"] = v.words("The first day can be at most a year ahead.")
    try:
        last = dt.date.fromisoformat(form.last)
    except ValueError:
        errors["last"] = v.words("Enter the last day as a date, for example %(example)s.", example=str(today))
    else:
        if "first" not in errors:
            if last < first:
                errors["last"] = v.words("The last day cannot be before the first day.")
            elif (last - first).days + 1 > NOTICE_MAX_DAYS:
                errors["last"] = v.words(
                    "A notice can be shown for at most %(max)s days.", max=str(NOTICE_MAX_DAYS)
                )
    return errors, first, last


def _notices_page(
    v: Viewer,
    s: Session,
    p: Principal,
    dept: str,
    *,
    form: NoticeForm | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    today = local_date(v.web.ctx.now())
    notices = s.scalars(
        select(NoticeRow)
        .where(NoticeRow.department_id == dept, NoticeRow.last >= today)
        .order_by(NoticeRow.first, NoticeRow.created_at)
    ).all()
    response = _page(
        v,
        s,
        p,
        "staff_notices.html",
        "notices",
        dept,
        notices=notices,
        today=today,
        form=form or NoticeForm(first=str(today), last=str(today)),
        errors=errors or {},
        max_chars=NOTICE_MAX_CHARS,
        max_lines=NOTICE_MAX_LINES,
        max_days=NOTICE_MAX_DAYS,
    )
    response.status_code = status
    return response


@router.get("/s/d/{department_id}/notices")
def notices(request: Request, s: DB, department_id: str) -> Response:
    v, p = _staff(request, s)
    return _notices_page(v, s, p, _department(p, department_id))


@router.post("/s/d/{department_id}/notices")
def add_notice(
    request: Request,
    s: DB,
    department_id: str,
    text: Annotated[str, Form()] = "",
    first: Annotated[str, Form()] = "",
    last: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    v, p = _staff(request, s)
    core.check_csrf(v, {"csrf": csrf})
    dept = _department(p, department_id)
    now = v.web.ctx.now()
    form = NoticeForm(_clean_text(text[:2000]), first.strip()[:20], last.strip()[:20])
    errors, first_day, last_day = _check_notice(v, form, local_date(now))
    if errors:
        return _notices_page(v, s, p, dept, form=form, errors=errors, status=422)
    row = NoticeRow(
        id=str(uuid.uuid4()),
        department_id=dept,
        text=form.text,
        first=first_day,
        last=last_day,
        created_by=p.subject,
        created_at=now,
    )
    s.add(row)
    audit.record(
        s,
        actor_role="staff",
        actor_id=p.subject,
        action="notice.create",
        entity="notice",
        entity_id=row.id,
        after={"department_id": dept, "text": row.text, "first": first_day, "last": last_day},
        at=now,
    )
    s.commit()
    v.web.ctx.changed(dept)
    _flash(request, N_("The notice is on the notice board. The hallway screen shows it within a minute."))
    return see_other(f"/s/d/{dept}/notices")


@router.post("/s/d/{department_id}/notices/{notice_id}/delete")
def delete_notice(
    request: Request, s: DB, department_id: str, notice_id: str, csrf: Annotated[str, Form()] = ""
) -> Response:
    v, p = _staff(request, s)
    core.check_csrf(v, {"csrf": csrf})
    dept = _department(p, department_id)
    row = s.get(NoticeRow, notice_id)
    if row is None or row.department_id != dept:
        raise PageError(404, N_("That notice is no longer there."))
    audit.record(
        s,
        actor_role="staff",
        actor_id=p.subject,
        action="notice.delete",
        entity="notice",
        entity_id=row.id,
        before={"department_id": dept, "text": row.text, "first": row.first, "last": row.last},
        at=v.web.ctx.now(),
    )
    s.delete(row)
    s.commit()
    v.web.ctx.changed(dept)
    _flash(request, N_("The notice is removed."))
    return see_other(f"/s/d/{dept}/notices")


# -- acting for a guardian -------------------------------------------------------------


@dataclass
class GuardianRow:
    id: str
    name: str
    children: list[str]


@router.get("/s/behalf")
def behalf(request: Request, s: DB) -> Response:
    v, p = _staff(request, s)
    q = (
        select(Guardian.id, Guardian.name, Child.first_name, Child.last_name)
        .join(ChildGuardian, ChildGuardian.guardian_id == Guardian.id)
        .join(Child, Child.id == ChildGuardian.child_id)
        .where(Child.department_id.in_(sorted(p.department_ids)))
        .order_by(Guardian.name, Guardian.id, Child.first_name)
    )
    guardians: dict[str, GuardianRow] = {}
    for gid, gname, first, last in s.execute(q):
        guardians.setdefault(gid, GuardianRow(gid, gname, [])).children.append(f"{first} {last}")
    dept = sorted(p.department_ids)[0] if p.department_ids else ""
    return _page(v, s, p, "staff_behalf.html", "behalf", dept, guardians=list(guardians.values()))


@router.post("/s/behalf/stop")
def behalf_stop(request: Request, s: DB, csrf: Annotated[str, Form()] = "") -> Response:
    v, _p = _staff(request, s)
    core.check_csrf(v, {"csrf": csrf})
    request.session.pop("acting_for", None)
    return see_other("/s/behalf")


@router.post("/s/behalf/{guardian_id}")
def behalf_start(request: Request, s: DB, guardian_id: str, csrf: Annotated[str, Form()] = "") -> Response:
    v, p = _staff(request, s)
    core.check_csrf(v, {"csrf": csrf})
    if not access.may_act_for(s, p, guardian_id):
        raise PageError(403, FORBIDDEN)
    audit.record(
        s,
        actor_role="staff",
        actor_id=p.subject,
        action="act_for.start",
        entity="guardian",
        entity_id=guardian_id,
        on_behalf_of=guardian_id,
        at=v.web.ctx.now(),
    )
    s.commit()
    request.session["acting_for"] = guardian_id
    return see_other("/g")
