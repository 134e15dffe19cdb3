"""Blocking a lost tag (issue 10): one rule for the CLI and the API, one audit entry per tag.

A blocked tag (``tags.blocked_at`` set) leaves its owner's ``tag_digests`` in every roster
(:meth:`central.store.CentralStore.build_roster`), so no device maps it to a family any more,
and goes into the roster's ``blocked_tags`` (:func:`central.planning.provider.blocked_tags`,
receivers-first), so a device that understands the field says "Brickan är spärrad" instead of
"Okänd bricka".

Tags are known only by their keyed digest: a raw UID given on the command line is turned into
the digest with the site key at once, and never stored, logged or audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from central import audit
from central.db.schema import Child, ChildGuardian, Guardian, StaffDepartment, Tag
from central.planning.changes import ChangeError

BLOCK = "tag.block"
UNBLOCK = "tag.unblock"


@dataclass(frozen=True, slots=True)
class TagInfo:
    """A tag as the CLI and the API show it: digest, owner, and since when it is blocked."""

    digest: str
    owner_kind: str
    owner_id: str
    created_at: dt.datetime
    blocked_at: dt.datetime | None

    @classmethod
    def of(cls, t: Tag) -> TagInfo:
        return cls(t.digest, t.owner_kind, t.owner_id, t.created_at, t.blocked_at)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a block or unblock did: the tags changed, those already so, and the departments
    whose rosters change (to republish)."""

    changed: list[TagInfo]
    unchanged: list[TagInfo]
    departments: set[str]


def find(session: Session, *, digest: str | None = None, owner: str | None = None) -> list[Tag]:
    """The tag with ``digest``, or every tag of guardian ``owner``; ChangeError 404 if none."""
    if (digest is None) == (owner is None):
        raise ChangeError("name exactly one tag digest or one owner")
    if digest is not None:
        digest = digest.strip().lower()
        tag = session.get(Tag, digest)
        if tag is None:
            raise ChangeError(f"no tag with digest {digest[:16]}…; nothing was changed", 404)
        return [tag]
    assert owner is not None
    if session.get(Guardian, owner) is None:
        raise ChangeError(f"no guardian {owner}; nothing was changed", 404)
    tags = list(
        session.scalars(
            select(Tag).where(Tag.owner_kind == "guardian", Tag.owner_id == owner).order_by(Tag.digest)
        )
    )
    if not tags:
        raise ChangeError(f"guardian {owner} has no tags; nothing was changed", 404)
    return tags


def departments_of(session: Session, tags: Iterable[Tag]) -> set[str]:
    """The departments whose rosters list these tags' owners."""
    guardians = {t.owner_id for t in tags if t.owner_kind == "guardian"}
    staff = {t.owner_id for t in tags if t.owner_kind == "staff"}
    out: set[str] = set()
    if guardians:
        out |= set(
            session.scalars(
                select(Child.department_id)
                .join(ChildGuardian, ChildGuardian.child_id == Child.id)
                .where(ChildGuardian.guardian_id.in_(guardians))
            )
        )
    if staff:
        out |= set(
            session.scalars(select(StaffDepartment.department_id).where(StaffDepartment.staff_id.in_(staff)))
        )
    return out


def set_blocked(
    session: Session,
    tags: Iterable[Tag],
    blocked: bool,
    *,
    actor_role: str,
    actor_id: str,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Block (or unblock) ``tags`` in the caller's transaction, one audit entry per tag changed.

    Already blocked (unblocked) tags are left as they are and not audited again.  The audit
    entry names the tag by its digest and its owner by id: never a UID, never a name."""
    now = now or dt.datetime.now(dt.UTC)
    tags = list(tags)
    changed: list[TagInfo] = []
    unchanged: list[TagInfo] = []
    for t in tags:
        if (t.blocked_at is not None) == blocked:
            unchanged.append(TagInfo.of(t))
            continue
        before = {"blocked_at": t.blocked_at}
        t.blocked_at = now if blocked else None
        audit.record(
            session,
            actor_role=actor_role,
            actor_id=actor_id,
            action=BLOCK if blocked else UNBLOCK,
            entity="tag",
            entity_id=t.digest,
            before=before,
            after={"blocked_at": t.blocked_at, "owner_kind": t.owner_kind, "owner_id": t.owner_id},
            reason=reason,
            at=now,
        )
        changed.append(TagInfo.of(t))
    session.flush()
    return Outcome(changed, unchanged, departments_of(session, tags) if changed else set())


def listing(session: Session, *, blocked_only: bool = False, owner: str | None = None) -> list[TagInfo]:
    """Tags (digest, owner, blocked since), blocked ones first, then by owner."""
    q = select(Tag)
    if blocked_only:
        q = q.where(Tag.blocked_at.is_not(None))
    if owner is not None:
        q = q.where(Tag.owner_id == owner)
    q = q.order_by(Tag.blocked_at.is_(None), Tag.owner_kind, Tag.owner_id, Tag.digest)
    return [TagInfo.of(t) for t in session.scalars(q)]
