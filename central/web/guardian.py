"""Guardians' pages: Översikt, Schema, Avtal, Ledighet, Frånvaro, Uppgifter.

Each handler resolves who may act (the guardian, or staff acting for a guardian without
Swedish e-ID), checks each child through :mod:`central.access`, validates input with the
API's request models and calls the same :mod:`central.planning.changes` functions as the
JSON API, which audit (with ``on_behalf_of`` for staff) and enforce the unit's rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from central import access
from central.api import schemas as sc
from central.api.guardians import notify_others
from central.auth import Principal
from central.db.schema import AbsenceRow, AgreementRow, Child, Guardian, LeaveRow, ScheduleRow
from central.planning import changes, family, units
from central.planning.presence import department_of
from central.rules import Person, RuleError
from central.web import core, forms
from central.web.core import PageError, Viewer, render, see_other
from central.web.i18n import N_
from central.web.signin import DB

T = TypeVar("T")
router = APIRouter(prefix="/g", include_in_schema=False)
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
TABS: tuple[tuple[str, str], ...] = (
    ("/g", N_("Overview")),
    ("/g/schema", N_("Schedule")),
    ("/g/avtal", N_("Agreements")),
    ("/g/ledighet", N_("Leave")),
    ("/g/franvaro", N_("Absence")),
    ("/g/uppgifter", N_("Details")),
)


async def _form(request: Request) -> Any:
    return await request.form()


async def _csrf_of(request: Request) -> str:
    form = await request.form()
    return str(form.get("csrf", ""))


Posted = Annotated[Any, Depends(_form)]
"""The posted form, read before the (synchronous, thread-pooled) handler runs."""


def _posting(request: Request, s: Session, form: Any) -> tuple[Viewer, Principal]:
    """Who posts a form: signed in as a guardian (or staff for one), with the session's CSRF token."""
    v = core.viewer(request, s)
    p = _principal(v)
    core.check_csrf(v, form)
    return v, p


def _principal(v: Viewer) -> Principal:
    """The guardian, or a staff member acting for one; anyone else is sent on."""
    if v.row is not None and v.row.role == "staff":
        if v.principal is not None and v.principal.guardian_id:
            return v.principal
        raise core.Redirect("/s/behalf")
    return core.require(v, "guardian")


def _children(s: Session, p: Principal) -> list[Child]:
    """The children this principal may act for (staff: only those in their departments)."""
    out = []
    for child in family.children_of(s, p.guardian_id or ""):
        try:
            access.guardian_child(s, p, child.id)
        except access.Forbidden:
            continue
        out.append(child)
    return out


def _child(s: Session, p: Principal, child_id: str) -> Child:
    try:
        access.guardian_child(s, p, child_id)
    except access.Forbidden:
        raise PageError(403, N_("You cannot see or change this child's details.")) from None
    child = s.get(Child, child_id)
    assert child is not None
    return child


def _page(v: Viewer, s: Session, template: str, status: int = 200, **values: Any) -> Response:
    """Render a guardian page; the Frånvaro tab shows only where a child's unit takes absence
    on the web (elsewhere the Översikt says to phone).  ``s`` is the request's own session:
    a second one per request would exhaust the connection pool under load (seen: 20
    concurrent sessions in bench/web.py waited on each other until timeouts)."""
    children = values.get("children")
    tabs = TABS
    if (
        children is not None
        and template != "g_franvaro.html"
        and not any(_absence_settings(s, children).values())
    ):
        tabs = tuple(t for t in TABS if t[0] != "/g/franvaro")
    return render(v, template, status=status, tabs=tabs, weekdays=WEEKDAYS, **values)


def _done(v: Viewer, url: str, message: str) -> Response:
    v.request.session["flash"] = message
    return see_other(url)


def _commit(
    v: Viewer, s: Session, department_id: str, write: Callable[[], T], *, notice_days: int = 0
) -> tuple[T | None, dict[str, str]]:
    """Run one domain write (:mod:`central.planning.changes`), commit it and republish the
    department's roster; or roll back and give its refusal as a message beside its field."""
    try:
        row = write()
    except (RuleError, changes.ChangeError) as exc:
        s.rollback()
        return None, forms.domain_error(exc, v.words, notice_days=notice_days)
    s.commit()
    v.web.ctx.changed(department_id)
    return row, {}


def _flash(v: Viewer) -> str | None:
    msg = v.request.session.pop("flash", None)
    return v.words(msg) if msg else None


def _form_dict(form: Any) -> dict[str, Any]:
    return {k: form.get(k) for k in form}


# -- Översikt ----------------------------------------------------------------------------


@router.get("")
def overview(request: Request, s: DB) -> Response:
    v = core.viewer(request, s)
    p = _principal(v)
    children = _children(s, p)
    today = v.web.ctx.today()
    return _page(
        v,
        s,
        "g_overview.html",
        children=children,
        absence_open=_absence_settings(s, children),
        items=family.overview(s, [c.id for c in children], today),
        today=today,
        flash=_flash(v),
    )


# -- Schema ------------------------------------------------------------------------------


def _weeks_from_form(form: Any, n_weeks: int) -> list[list[dict[str, str] | None]]:
    weeks = []
    for w in range(n_weeks):
        days: list[dict[str, str] | None] = []
        for d in range(7):
            arrive = (form.get(f"w{w}d{d}a") or "").strip()
            leave = (form.get(f"w{w}d{d}l") or "").strip()
            days.append({"arrive": arrive, "leave": leave} if arrive or leave else None)
        weeks.append(days)
    return weeks


def _schedule_field(loc: tuple[Any, ...]) -> str:
    if loc and loc[0] == "weeks" and len(loc) >= 4:
        return f"w{loc[1]}d{loc[2]}{'a' if loc[3] == 'arrive' else 'l'}"
    return str(loc[0]) if loc else "form"


@router.get("/schema")
def schedules(
    request: Request, s: DB, child: str = "", weeks: str = "1", edit: str = "", weekend: str = ""
) -> Response:
    v = core.viewer(request, s)
    p = _principal(v)
    children = _children(s, p)
    weeks_n = int(weeks) if weeks.isdigit() else 1
    return _schedule_page(
        v,
        s,
        children,
        child or (children[0].id if children else ""),
        max(1, min(weeks_n, 4)),
        edit,
        show_weekend=bool(weekend),
    )


def _schedule_page(
    v: Viewer,
    s: Session,
    children: list[Child],
    child_id: str,
    n_weeks: int,
    edit: str,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    show_weekend: bool = False,
) -> Response:
    today = v.web.ctx.today()
    rows = []
    notice = 0
    editing = None
    if child_id and not any(c.id == child_id for c in children):
        raise PageError(403, N_("You cannot see or change this child's details."))
    if child_id:
        dept = department_of(s, child_id)
        notice = units.for_department(s, dept).min_days_ahead if dept else 0
        rows = list(
            s.scalars(
                select(ScheduleRow).where(ScheduleRow.child_id == child_id).order_by(ScheduleRow.valid_from)
            )
        )
        if edit:
            editing = next((r for r in rows if r.id == edit), None)
    earliest = today + dt.timedelta(days=notice)
    if values is None:
        values = {"valid_from": earliest.isoformat()}
        if editing is not None:
            n_weeks = len(editing.weeks)
            values["valid_from"] = editing.valid_from.isoformat()
            for w, week in enumerate(editing.weeks):
                for d, pair in enumerate(week):
                    if pair:
                        values[f"w{w}d{d}a"], values[f"w{w}d{d}l"] = pair[0][:5], pair[1][:5]
                        show_weekend = show_weekend or d >= 5
        else:
            for w in range(n_weeks):
                for d in range(5):
                    values[f"w{w}d{d}a"], values[f"w{w}d{d}l"] = "07:30", "16:30"
    return _page(
        v,
        s,
        "g_schema.html",
        status=status,
        children=children,
        child_id=child_id,
        rows=rows,
        n_weeks=n_weeks,
        notice=notice,
        earliest=earliest,
        editing=editing,
        errors=errors or {},
        values=values,
        today=today,
        flash=_flash(v),
        show_weekend=show_weekend,
    )


@router.post("/schema")
def save_schedule(request: Request, s: DB, form: Posted) -> Response:
    web = core.web_of(request)
    v, p = _posting(request, s, form)
    children = _children(s, p)
    child = _child(s, p, str(form.get("child", "")))
    try:
        n_weeks = max(1, min(int(form.get("n_weeks", "1")), 4))
    except ValueError:
        n_weeks = 1
    replace_id = str(form.get("replace_id") or "") or None
    data = {"valid_from": form.get("valid_from") or None, "weeks": _weeks_from_form(form, n_weeks)}
    if n_weeks > 1:
        data["cycle_start"] = data["valid_from"]
    body, errors = forms.validate(sc.ScheduleIn, data, v.words, field_of=_schedule_field)
    dept = child.department_id
    notice = units.for_department(s, dept).min_days_ahead
    if body is not None:
        if all(d is None for week in body.weeks for d in week):
            errors = {"weeks": v.words("Fill in at least one day.")}
        else:
            weeks = [[None if d is None else (d.arrive, d.leave) for d in week] for week in body.weeks]
            _, errors = _commit(
                v,
                s,
                dept,
                lambda: changes.save_schedule(
                    s,
                    access.actor(p),
                    child.id,
                    body.valid_from,
                    body.cycle_start,
                    weeks,
                    today=web.ctx.today(),
                    replace_id=replace_id,
                    now=web.ctx.now(),
                ),
                notice_days=notice,
            )
            if not errors:
                return _done(v, f"/g/schema?child={child.id}", N_("The schedule is saved."))
    return _schedule_page(
        v,
        s,
        children,
        child.id,
        n_weeks,
        replace_id or "",
        errors,
        _form_dict(form),
        422,
        show_weekend=bool(form.get("weekend")),
    )


# -- Avtal -------------------------------------------------------------------------------


AGREEMENT_KINDS = (
    ("early_pickup", N_("Picked up earlier")),
    ("pickup_by", N_("Picked up by another person")),
    ("walk_home_alone", N_("May walk home alone (after-school centre)")),
    ("late_dropoff", N_("Dropped off later")),
    ("note", N_("A message to the staff")),
)


def _list_page(
    v: Viewer,
    s: Session,
    p: Principal,
    template: str,
    model: Any,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    children = _children(s, p)
    ids = [c.id for c in children]
    order = model.day if model is AbsenceRow else model.first
    today = v.web.ctx.today()
    last_col = model.day if model is AbsenceRow else model.last
    rows = (
        list(s.scalars(select(model).where(model.child_id.in_(ids), last_col >= today).order_by(order)))
        if ids
        else []
    )
    names = {c.id: c.first_name for c in children}
    return _page(
        v,
        s,
        template,
        status=status,
        children=children,
        rows=rows,
        names=names,
        errors=errors or {},
        values=values or {"first": today.isoformat()},
        today=today,
        kinds=AGREEMENT_KINDS,
        flash=_flash(v),
        **extra,
    )


@router.get("/avtal")
def agreements(request: Request, s: DB) -> Response:
    v = core.viewer(request, s)
    return _list_page(v, s, _principal(v), "g_avtal.html", AgreementRow)


def _weekdays(form: Any) -> list[int] | None:
    days = [int(d) for d in form.getlist("weekdays") if str(d).isdigit()]
    return days or None


@router.post("/avtal")
def create_agreement(request: Request, s: DB, form: Posted) -> Response:
    web = core.web_of(request)
    v, p = _posting(request, s, form)
    child = _child(s, p, str(form.get("child", "")))
    kind = form.get("kind") or None
    person = None
    if kind == "pickup_by":
        person = {
            "name": form.get("person_name") or "",
            "relation": form.get("person_relation") or None,
            "phone": form.get("person_phone") or None,
        }
    data = {
        "kind": kind,
        "first": form.get("first") or None,
        "last": form.get("last") or None,
        "weekdays": _weekdays(form) if form.get("recurring") else None,
        "time": (form.get("time") or None)
        if kind in ("early_pickup", "late_dropoff", "walk_home_alone")
        else None,
        "person": person,
        "text": form.get("text") or None,
    }

    def field(loc: tuple[Any, ...]) -> str:
        if loc and loc[0] == "person":
            return "person_" + str(loc[1]) if len(loc) > 1 else "person_name"
        return str(loc[0]) if loc else "form"

    body, errors = forms.validate(sc.AgreementIn, data, v.words, field_of=field)
    if body is not None:
        pers = Person(body.person.name, body.person.relation, body.person.phone) if body.person else None
        row, errors = _commit(
            v,
            s,
            child.department_id,
            lambda: changes.add_agreement(
                s,
                access.actor(p),
                child.id,
                kind=body.kind.value,
                first=body.first,
                last=body.last or body.first,
                weekdays=body.weekdays,
                time=body.time,
                person=pers,
                text=body.text,
                today=web.ctx.today(),
                now=web.ctx.now(),
            ),
        )
        if row is not None:
            notify_others(web.ctx, s, row, p.guardian_id or "")
            return _done(v, "/g/avtal", N_("The agreement is saved. The other guardian has been told."))
    return _list_page(
        v,
        s,
        p,
        "g_avtal.html",
        AgreementRow,
        errors,
        _form_dict(form) | {"weekdays": _weekdays(form) or []},
        422,
    )


def _cancel(
    request: Request, s: Session, model: Any, row_id: str, csrf: str, url: str, message: str
) -> Response:
    v = core.viewer(request, s)
    p = _principal(v)
    core.check_csrf(v, {"csrf": csrf})
    row = s.get(model, row_id)
    if row is None:
        raise PageError(404, N_("It has already been removed."))
    _child(s, p, row.child_id)
    changes.delete_row(s, access.actor(p), model, row.child_id, row_id)
    s.commit()
    v.web.ctx.changed(department_of(s, row.child_id))
    return _done(v, url, message)


Csrf = Annotated[str, Depends(_csrf_of)]


@router.post("/avtal/{row_id}/cancel")
def cancel_agreement(request: Request, s: DB, row_id: str, csrf: Csrf) -> Response:
    return _cancel(request, s, AgreementRow, row_id, csrf, "/g/avtal", N_("The agreement is cancelled."))


# -- Ledighet ----------------------------------------------------------------------------


@router.get("/ledighet")
def leave(request: Request, s: DB) -> Response:
    v = core.viewer(request, s)
    return _list_page(v, s, _principal(v), "g_ledighet.html", LeaveRow)


@router.post("/ledighet")
def create_leave(request: Request, s: DB, form: Posted) -> Response:
    web = core.web_of(request)
    v, p = _posting(request, s, form)
    child = _child(s, p, str(form.get("child", "")))
    data = {
        "first": form.get("first") or None,
        "last": form.get("last") or None,
        "weekdays": _weekdays(form) if form.get("recurring") else None,
        "text": form.get("text") or None,
    }
    body, errors = forms.validate(sc.LeaveIn, data, v.words)
    if body is not None:
        _, errors = _commit(
            v,
            s,
            child.department_id,
            lambda: changes.add_leave(
                s,
                access.actor(p),
                child.id,
                first=body.first,
                last=body.last or body.first,
                weekdays=body.weekdays,
                text=body.text,
                today=web.ctx.today(),
                now=web.ctx.now(),
            ),
        )
        if not errors:
            return _done(v, "/g/ledighet", N_("The leave is saved."))
    return _list_page(
        v,
        s,
        p,
        "g_ledighet.html",
        LeaveRow,
        errors,
        _form_dict(form) | {"weekdays": _weekdays(form) or []},
        422,
    )


@router.post("/ledighet/{row_id}/cancel")
def cancel_leave(request: Request, s: DB, row_id: str, csrf: Csrf) -> Response:
    return _cancel(request, s, LeaveRow, row_id, csrf, "/g/ledighet", N_("The leave is removed."))


# -- Frånvaro ----------------------------------------------------------------------------


def _unit_settings(s: Session, children: list[Child]) -> dict[str, units.UnitSettings]:
    settings = units.for_departments(s, {c.department_id for c in children})
    return {c.id: settings.get(c.department_id, units.DEFAULTS) for c in children}


def _absence_settings(s: Session, children: list[Child]) -> dict[str, bool]:
    return {cid: u.absence_reporting for cid, u in _unit_settings(s, children).items()}


def _absence_values(s: Session, children: list[Child]) -> dict[str, Any]:
    """What the Frånvaro page needs of the units: who reports here, and whom to call."""
    settings = _unit_settings(s, children)
    return {
        "allowed": {cid: u.absence_reporting for cid, u in settings.items()},
        "open_ids": [cid for cid, u in settings.items() if u.absence_reporting],
        "phones": {cid: u.phone for cid, u in settings.items() if u.phone},
    }


@router.get("/franvaro")
def absence(request: Request, s: DB) -> Response:
    v = core.viewer(request, s)
    p = _principal(v)
    return _list_page(
        v,
        s,
        p,
        "g_franvaro.html",
        AbsenceRow,
        values={"day": v.web.ctx.today().isoformat()},
        **_absence_values(s, _children(s, p)),
    )


@router.post("/franvaro")
def report_absence(request: Request, s: DB, form: Posted) -> Response:
    web = core.web_of(request)
    v, p = _posting(request, s, form)
    child = _child(s, p, str(form.get("child", "")))
    body, errors = forms.validate(
        sc.AbsenceIn, {"day": form.get("day") or None, "reason": form.get("reason") or None}, v.words
    )
    if body is not None:
        _, errors = _commit(
            v,
            s,
            child.department_id,
            lambda: changes.add_absence(
                s,
                access.actor(p),
                child.id,
                day=body.day,
                reason=body.reason,
                today=web.ctx.today(),
                now=web.ctx.now(),
            ),
        )
        if not errors:
            return _done(v, "/g/franvaro", N_("The absence is reported."))
    units_of = _absence_values(s, _children(s, p))
    return _list_page(v, s, p, "g_franvaro.html", AbsenceRow, errors, _form_dict(form), 422, **units_of)


@router.post("/franvaro/{row_id}/cancel")
def cancel_absence(request: Request, s: DB, row_id: str, csrf: Csrf) -> Response:
    return _cancel(request, s, AbsenceRow, row_id, csrf, "/g/franvaro", N_("The absence is withdrawn."))


# -- Uppgifter ---------------------------------------------------------------------------


def _contact_page(
    v: Viewer,
    s: Session,
    p: Principal,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    g = s.get(Guardian, p.guardian_id)
    if g is None:
        raise PageError(404, N_("We could not find your details."))
    children = _children(s, p)
    settings = units.for_departments(s, {c.department_id for c in children})
    school_kept = [c for c in children if not settings.get(c.department_id, units.DEFAULTS).contact_editing]
    editable = p.role == "staff" or changes.contact_editable(s, g.id)
    return _page(
        v,
        s,
        "g_uppgifter.html",
        status=status,
        guardian=g,
        editable=editable,
        school_kept=school_kept,
        errors=errors or {},
        values=values or {"phone": g.phone or "", "email": g.email or ""},
        flash=_flash(v),
    )


@router.get("/uppgifter")
def details(request: Request, s: DB) -> Response:
    v = core.viewer(request, s)
    return _contact_page(v, s, _principal(v))


@router.post("/uppgifter")
def update_details(request: Request, s: DB, form: Posted) -> Response:
    v, p = _posting(request, s, form)
    data = {
        "phone": (form.get("phone") or "").strip() or None,
        "email": (form.get("email") or "").strip() or None,
    }
    body, errors = forms.validate(sc.ContactIn, data, v.words)
    if body is not None:
        try:
            changes.update_contact(
                s, access.actor(p), p.guardian_id or "", phone=body.phone, email=body.email
            )
            s.commit()
            return _done(v, "/g/uppgifter", N_("Your details are saved."))
        except changes.ChangeError as exc:
            s.rollback()
            errors = forms.domain_error(exc, v.words)
    return _contact_page(v, s, p, errors, _form_dict(form), 422)
