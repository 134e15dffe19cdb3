"""Agreements (avtal): a guardian's deviation from the schedule for one day or recurring days.

Kinds: early pickup at a time (hämtas tidigare), pickup by another named person (hämtas av),
may walk home alone from a time (får gå hem själv, fritidshem), late drop-off at a time, and a
free-text note.  Each agreement keeps who created it, so the plan can say why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from central.rules.errors import AgreementError
from central.rules.period import Period


class AgreementKind(StrEnum):
    """What an agreement changes; the values are also the plan notes' kinds."""

    EARLY_PICKUP = "early_pickup"
    PICKUP_BY = "pickup_by"
    WALK_HOME_ALONE = "walk_home_alone"
    LATE_DROPOFF = "late_dropoff"
    NOTE = "note"


_NEEDS_TIME = frozenset(
    {AgreementKind.EARLY_PICKUP, AgreementKind.WALK_HOME_ALONE, AgreementKind.LATE_DROPOFF}
)


@dataclass(frozen=True, slots=True)
class Author:
    """The guardian who created an agreement, as the plan shows them ("avtal av Anna")."""

    guardian_id: str
    display_name: str


@dataclass(frozen=True, slots=True)
class Person:
    """Someone other than a guardian who picks the child up (hämtas av)."""

    name: str
    relation: str | None = None
    phone: str | None = None

    @property
    def display(self) -> str:
        """Name, with the relation in brackets unless the name already says it ("Mormor Eva")."""
        relation = (self.relation or "").strip()
        if not relation or relation.casefold() in self.name.casefold():
            return self.name
        return f"{self.name} ({relation})"


@dataclass(frozen=True, slots=True)
class Agreement:
    """One avtal for one child.

    ``time`` is required for early_pickup, late_dropoff and walk_home_alone (the moment from
    which the child may go alone); ``person`` for pickup_by; ``text`` for note (and optional
    for the others, shown with them).
    """

    agreement_id: str
    child_id: str
    kind: AgreementKind
    period: Period
    created_by: Author
    time: dt.time | None = None
    person: Person | None = None
    text: str | None = None
    _source: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind = AgreementKind(self.kind)  # accepts the plain string from a database row
        object.__setattr__(self, "kind", kind)
        if kind in _NEEDS_TIME and self.time is None:
            raise AgreementError(f"an agreement of kind {kind.value} needs a time")
        if self.time is not None and self.time.tzinfo is not None:
            raise AgreementError("agreement times are local wall times and carry no timezone")
        if kind is AgreementKind.PICKUP_BY and (self.person is None or not self.person.name.strip()):
            raise AgreementError("a pickup_by agreement needs the name of the person picking up")
        if kind is AgreementKind.NOTE and not (self.text or "").strip():
            raise AgreementError("a note agreement needs its text")
        object.__setattr__(self, "_source", f"agreement by guardian {self.created_by.display_name}")

    @property
    def source(self) -> str:
        """How a plan names this agreement as a reason."""
        return self._source

    def covers(self, day: dt.date) -> bool:
        """Whether the agreement applies on ``day``."""
        return self.period.covers(day)
