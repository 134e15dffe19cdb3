"""A guardian's access request (registerutdrag, GDPR art. 15): everything central holds about
one guardian and their children, as one JSON document.

``lh-central export guardian GUARDIAN_ID [--out FILE]`` writes it; docs/privacy.md says how
to answer the request with it.  What it leaves out, on purpose:

- Other guardians' personal data.  A child's other guardian appears only as a count; where
  another guardian made or changed something about the shared child (an agreement, leave,
  an event), the record is included with the actor shown as ``"another guardian"``, never
  their id or name (a co-guardian may have protected personal data, skyddade personuppgifter).
- Tag UIDs: central never has them.  Tag digests are left out too: they are keyed HMACs,
  useless to the guardian and a key to the tag inside the system; the export lists when each
  tag was enrolled and whether it is blocked.
- The personal identity number: central keeps only a keyed digest (HMAC-SHA256 with the site
  key) to recognise the e-ID sign-in, and that digest cannot be turned back into the number.
  The export says whether one is kept, not the digest.
- Web session tokens and CSRF values (secrets, not information about the person).

Staff ids stay in: who at the preschool did something to a child's record is part of it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from central.db.schema import (
    AbsenceRow,
    AgreementRow,
    AuditRow,
    Child,
    ChildGuardian,
    DeadLetter,
    Department,
    EventRow,
    Guardian,
    LeaveRow,
    Presence,
    ScheduleRow,
    Tag,
    WebSession,
)

FORMAT = "lh.guardian-export/1"
OTHER_GUARDIAN = "another guardian"
CHILD_ENTITIES = ("child", "schedule", "agreement", "leave", "absence")


class NoSuchGuardian(LookupError):
    pass


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def guardian_export(session: Session, guardian_id: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The export as a JSON-ready dict; raises :class:`NoSuchGuardian`."""
    g = session.get(Guardian, guardian_id)
    if g is None:
        raise NoSuchGuardian(guardian_id)
    now = now or dt.datetime.now(dt.UTC)
    child_ids = list(
        session.scalars(
            select(ChildGuardian.child_id)
            .where(ChildGuardian.guardian_id == guardian_id)
            .order_by(ChildGuardian.child_id)
        )
    )
    co_guardians = {
        gid
        for gid in session.scalars(
            select(ChildGuardian.guardian_id).where(ChildGuardian.child_id.in_(child_ids))
        )
        if gid != guardian_id
    }

    def who(actor_id: str | None, role: str | None = None) -> str | None:
        """An actor as the export may show them: the guardian, 'another guardian', or the id."""
        if actor_id is None:
            return None
        if actor_id == guardian_id:
            return "you"
        if actor_id in co_guardians or role == "guardian":
            return OTHER_GUARDIAN
        if session.get(Guardian, actor_id) is not None:  # a guardian no longer linked
            return OTHER_GUARDIAN
        return actor_id

    children = []
    row_ids: set[str] = set()
    for cid in child_ids:
        c = session.get(Child, cid)
        if c is None:
            continue
        dept = session.get(Department, c.department_id)
        others = sum(1 for x in co_guardians if session.get(ChildGuardian, (cid, x)) is not None)
        schedules = list(
            session.scalars(
                select(ScheduleRow).where(ScheduleRow.child_id == cid).order_by(ScheduleRow.valid_from)
            )
        )
        agreements = list(
            session.scalars(
                select(AgreementRow).where(AgreementRow.child_id == cid).order_by(AgreementRow.first)
            )
        )
        leaves = list(
            session.scalars(select(LeaveRow).where(LeaveRow.child_id == cid).order_by(LeaveRow.first))
        )
        absences = list(
            session.scalars(select(AbsenceRow).where(AbsenceRow.child_id == cid).order_by(AbsenceRow.day))
        )
        for rows in (schedules, agreements, leaves, absences):
            row_ids |= {r.id for r in rows}
        presence = session.get(Presence, cid)
        events = session.scalars(
            select(EventRow).where(EventRow.child_id == cid).order_by(EventRow.occurred_at, EventRow.event_id)
        )
        children.append(
            {
                "id": c.id,
                "first_name": c.first_name,
                "last_name": c.last_name,
                "department": {"id": c.department_id, "name": dept.name if dept else None},
                "other_guardians_linked": others,
                "presence": None
                if presence is None
                else {"status": presence.status, "since": _iso(presence.since)},
                "schedules": [
                    {
                        "id": r.id,
                        "valid_from": _iso(r.valid_from),
                        "cycle_start": _iso(r.cycle_start),
                        "weeks": r.weeks,
                        "created_by": who(r.created_by),
                        "created_at": _iso(r.created_at),
                    }
                    for r in schedules
                ],
                "agreements": [
                    {
                        "id": r.id,
                        "kind": r.kind,
                        "first": _iso(r.first),
                        "last": _iso(r.last),
                        "weekdays": r.weekdays,
                        "time": _iso(r.time),
                        "person_name": r.person_name,
                        "person_relation": r.person_relation,
                        "person_phone": r.person_phone,
                        "text": r.text,
                        "created_by": who(r.created_by),
                        "created_at": _iso(r.created_at),
                    }
                    for r in agreements
                ],
                "leave": [
                    {
                        "id": r.id,
                        "first": _iso(r.first),
                        "last": _iso(r.last),
                        "weekdays": r.weekdays,
                        "text": r.text,
                        "created_by": who(r.created_by),
                        "created_at": _iso(r.created_at),
                    }
                    for r in leaves
                ],
                "absences": [
                    {
                        "id": r.id,
                        "day": _iso(r.day),
                        "reason": r.reason,
                        "created_by": who(r.created_by),
                        "created_at": _iso(r.created_at),
                    }
                    for r in absences
                ],
                "events": [
                    {
                        "event_id": e.event_id,
                        "type": e.type,
                        "occurred_at": _iso(e.occurred_at),
                        "received_at": _iso(e.received_at),
                        "clock_synced": e.clock_synced,
                        "method": e.method,
                        "device_id": e.device_id,
                        "actor": who(e.actor_id, e.actor_kind),
                        "actor_kind": e.actor_kind,
                        "confirmed_by": e.confirmed_by,
                    }
                    for e in events
                ],
            }
        )

    return {
        "format": FORMAT,
        "generated_at": _iso(now),
        "guardian": {
            "id": g.id,
            "name": g.name,
            "phone": g.phone,
            "email": g.email,
            "personal_identity_number": (
                "kept only as a keyed digest (HMAC-SHA256) to recognise your e-ID sign-in; "
                "the digest cannot be turned back into the number"
                if g.pnr_digest
                else "not kept"
            ),
        },
        "tags": [
            {"enrolled_at": _iso(t.created_at), "blocked_at": _iso(t.blocked_at)}
            for t in session.scalars(
                select(Tag)
                .where(Tag.owner_kind == "guardian", Tag.owner_id == guardian_id)
                .order_by(Tag.created_at)
            )
        ],
        "web_sessions": [
            {"created_at": _iso(w.created_at), "last_seen": _iso(w.last_seen), "role": w.role, "lang": w.lang}
            for w in session.scalars(
                select(WebSession)
                .where(WebSession.guardian_id == guardian_id)
                .order_by(WebSession.created_at)
            )
        ],
        "children": children,
        "audit_log": _scrub(_audit(session, guardian_id, set(child_ids), row_ids, who), co_guardians),
        "rejected_messages": _dead_letters(session, set(child_ids)),
        "not_included": [
            "tag UIDs (central never receives them) and tag digests",
            "the personal identity number (only its irreversible keyed digest is kept)",
            "other guardians' names, ids and contact details",
            "web session tokens",
            "the hallway devices' local copies (first name and initial, tag digests, unsent events): "
            "they mirror what is listed here and are replaced every day",
        ],
    }


def _audit(
    session: Session, guardian_id: str, child_ids: set[str], row_ids: set[str], who: Any
) -> list[dict[str, Any]]:
    q = (
        select(AuditRow)
        .where(
            or_(
                AuditRow.actor_id == guardian_id,
                AuditRow.on_behalf_of == guardian_id,
                (AuditRow.entity == "guardian") & (AuditRow.entity_id == guardian_id),
                AuditRow.entity.in_(CHILD_ENTITIES),
            )
        )
        .order_by(AuditRow.id)
    )
    out = []
    for a in session.scalars(q):
        mine = a.actor_id == guardian_id or a.on_behalf_of == guardian_id
        mine = mine or (a.entity == "guardian" and a.entity_id == guardian_id)
        about_child = a.entity in CHILD_ENTITIES and (
            a.entity_id in child_ids
            or a.entity_id in row_ids
            or any(isinstance(x, dict) and x.get("child_id") in child_ids for x in (a.before, a.after))
        )
        if a.entity == "guardian" and a.entity_id != guardian_id:
            continue  # another guardian's own details, even if the guardian's session did it
        if not (mine or about_child):
            continue
        out.append(
            {
                "at": _iso(a.at),
                "actor_role": a.actor_role,
                "actor": who(a.actor_id, a.actor_role),
                "on_behalf_of": who(a.on_behalf_of),
                "action": a.action,
                "entity": a.entity,
                "entity_id": a.entity_id,
                "before": a.before,
                "after": a.after,
                "reason": a.reason,
            }
        )
    return out


def _scrub(value: Any, ids: set[str]) -> Any:
    """``value`` with every other guardian's id replaced (audit before/after are free-form)."""
    if isinstance(value, str):
        return OTHER_GUARDIAN if value in ids else value
    if isinstance(value, list):
        return [_scrub(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, ids) for k, v in value.items()}
    return value


def _dead_letters(session: Session, child_ids: set[str]) -> list[dict[str, Any]]:
    """Messages central rejected that name one of the children (kept for the retention period)."""
    out = []
    for d in session.scalars(select(DeadLetter).order_by(DeadLetter.id)):
        try:
            body = json.loads(d.payload)
        except ValueError:
            continue
        items = body if isinstance(body, list) else [body]
        if any(isinstance(i, dict) and i.get("child_id") in child_ids for i in items):
            out.append(
                {
                    "received_at": _iso(d.received_at),
                    "device_id": d.device_id,
                    "event_id": d.event_id,
                    "reason": d.reason,
                }
            )
    return out
