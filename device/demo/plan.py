"""Today's plan for the built-in demo department, so the screens show notes and deviations."""

from __future__ import annotations

import datetime as dt

from protocol.messages import PlanNote, Roster, RosterPlanEntry


def _t(hhmm: str) -> dt.time:
    return dt.time.fromisoformat(hhmm)


def demo_plan() -> list[RosterPlanEntry]:
    agreement = "avtal"
    return [
        RosterPlanEntry(
            child_id="c-alva",
            arrive=_t("07:30"),
            leave=_t("16:00"),
            pickup_by="Mormor Eva",
            notes=[PlanNote(kind="pickup_by", text="Mormor Eva", source=agreement)],
        ),
        RosterPlanEntry(
            child_id="c-noah",
            arrive=_t("07:30"),
            leave=_t("14:30"),
            notes=[
                PlanNote(kind="early_pickup", time=_t("14:30"), source=agreement),
                PlanNote(kind="note", text="Tandläkare 15:00", source=agreement),
            ],
        ),
        RosterPlanEntry(
            child_id="c-elsa",
            arrive=_t("08:00"),
            leave=_t("16:30"),
            walk_home_alone_from=_t("15:00"),
            notes=[PlanNote(kind="walk_home_alone", time=_t("15:00"), source=agreement)],
        ),
        RosterPlanEntry(child_id="c-omar", on_leave=True, notes=[PlanNote(kind="leave", source="ledighet")]),
        RosterPlanEntry(
            child_id="c-ines",
            arrive=_t("08:30"),
            leave=_t("15:30"),
            notes=[PlanNote(kind="note", text="Glutenfritt mellanmål", source=agreement)],
        ),
        RosterPlanEntry(child_id="c-liam", arrive=_t("09:00"), leave=_t("17:00")),
        # four siblings with one guardian, each with a note: more than a 7-inch screen shows at once
        RosterPlanEntry(
            child_id="c-adam",
            arrive=_t("07:45"),
            leave=_t("16:00"),
            pickup_by="Morfar Ali",
            notes=[PlanNote(kind="pickup_by", text="Morfar Ali", source=agreement)],
        ),
        RosterPlanEntry(
            child_id="c-sara",
            arrive=_t("07:45"),
            leave=_t("16:00"),
            pickup_by="Morfar Ali",
            notes=[PlanNote(kind="pickup_by", text="Morfar Ali", source=agreement)],
        ),
        RosterPlanEntry(
            child_id="c-yusuf",
            arrive=_t("07:45"),
            leave=_t("15:00"),
            walk_home_alone_from=_t("15:00"),
            notes=[PlanNote(kind="walk_home_alone", time=_t("15:00"), source=agreement)],
        ),
        RosterPlanEntry(
            child_id="c-mira",
            arrive=_t("07:45"),
            leave=_t("14:00"),
            notes=[PlanNote(kind="early_pickup", time=_t("14:00"), source=agreement)],
        ),
    ]


def with_demo_plan(roster: Roster) -> Roster:
    """``roster`` with today's demo plan (children without a plan entry are left out of it)."""
    ids = {c.id for c in roster.children}
    return roster.model_copy(update={"plan": [p for p in demo_plan() if p.child_id in ids]})
