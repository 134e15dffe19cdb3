"""The audit log: every change through the API and every staff correction, with who and why.

Entries hold ids and the changed fields as JSON snapshots, never names or identity numbers,
so the log can be kept (and purged, see :mod:`central.retention`) on its own terms.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from central.db.schema import AuditRow


def jsonable(value: Any) -> Any:
    """``value`` with dates, times, enums, sets and tuples made JSON-friendly (recursively)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def record(
    session: Session,
    *,
    actor_role: str,
    actor_id: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    at: dt.datetime | None = None,
    on_behalf_of: str | None = None,
) -> AuditRow:
    """Add one entry to the caller's transaction, so it commits (or not) with the change itself."""
    row = AuditRow(
        at=at or dt.datetime.now(dt.UTC),
        actor_role=actor_role,
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        reason=reason,
        on_behalf_of=on_behalf_of,
    )
    session.add(row)
    return row
