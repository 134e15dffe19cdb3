"""``lh-provision enroll-tag``: attach a tag to a guardian or a staff member in
central's database, by its UID (digested here with the site tag key) or by the
digest a Pi in technician mode showed.  The raw UID is never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from protocol.tags import tag_digest
from provisioning.site import ProvisionError, Site

OWNER_KINDS = ("guardian", "staff")
_DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Enrolment:
    digest: str
    owner_kind: str
    owner_id: str
    already: bool


def digest_for(key: bytes, *, uid: str | None, digest: str | None) -> str:
    """The tag's digest from exactly one of a UID (hex) or a digest (64 hex)."""
    if (uid is None) == (digest is None):
        raise ProvisionError("give either --uid or --digest")
    if uid is not None:
        try:
            return tag_digest(key, uid)
        except ValueError as exc:
            raise ProvisionError(str(exc)) from None
    assert digest is not None
    value = "".join(digest.split()).lower()  # the Pi shows it in groups of eight
    if not _DIGEST_RE.fullmatch(value):
        raise ProvisionError("--digest must be 64 hex characters (HMAC-SHA256), as the Pi shows it")
    return value


def enroll_tag(
    site: Site, db: str, *, owner_kind: str, owner_id: str, uid: str | None = None, digest: str | None = None
) -> Enrolment:
    """Store the tag for its owner; the same tag twice is fine, a tag of someone else is refused."""
    from central.db.schema import Guardian, Staff, Tag
    from central.store import CentralStore, StoreError

    if owner_kind not in OWNER_KINDS:
        raise ProvisionError(f"--owner must be one of {', '.join(OWNER_KINDS)}")
    site.load()
    key = bytes.fromhex(site.tag_key.read_text().strip())
    value = digest_for(key, uid=uid, digest=digest)
    store = CentralStore(db)
    try:
        try:
            store.set_tag_key(key)
        except StoreError as exc:
            raise ProvisionError(f"central uses another tag key than this site: {exc}") from None
        with store.session() as s, s.begin():
            model = Guardian if owner_kind == "guardian" else Staff
            if s.get(model, owner_id) is None:
                raise ProvisionError(f"no {owner_kind} {owner_id!r} in central's database")
            existing = s.get(Tag, value)
            if existing is not None:
                if (existing.owner_kind, existing.owner_id) != (owner_kind, owner_id):
                    raise ProvisionError(
                        f"this tag already belongs to {existing.owner_kind} {existing.owner_id}"
                    )
                return Enrolment(value, owner_kind, owner_id, already=True)
            s.add(Tag(digest=value, owner_kind=owner_kind, owner_id=owner_id, created_at=datetime.now(UTC)))
        return Enrolment(value, owner_kind, owner_id, already=False)
    finally:
        store.close()
