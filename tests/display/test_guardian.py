"""A guardian at the screen: one child, several children, undo, walking away."""

from __future__ import annotations

import datetime as dt

import pygame
import pytest

from device.app import DeviceApp
from device.display import intents as it
from device.display.controller import Controller
from device.display.intents import ScreenId
from device.display.ui import Display
from protocol.messages import PlanNote, RosterChild, RosterPlanEntry
from tests.display.conftest import ANNA, KARIN, LEILA, FakeClock, MakeController, events


def button(display: Display, intent: it.Intent) -> pygame.Rect:
    display.render()
    hits = [b.rect for b in display.buttons if b.intent == intent]
    assert hits, f"no button for {intent} on {display.controller.screen}"
    return hits[0]


def test_one_child_tap_checks_in_and_offers_undo(app: DeviceApp, display: Display) -> None:
    c = display.controller
    c.on_tap(KARIN)
    assert events(app) == [("check_in", "c-ines", "guardian", "tag")]
    assert c.screen == ScreenId.GUARDIAN
    view = display.render()
    assert view.guardian_rows[0].undoable and view.undo_left_s
    labels = [b.label for b in display.buttons]
    assert any(lbl.startswith("Ångra") for lbl in labels)
    assert app.terminal.status_of("c-ines") == "present"


def test_undo_records_the_reverse(app: DeviceApp, display: Display) -> None:
    c = display.controller
    c.on_tap(KARIN)
    r = button(display, it.Undo("c-ines"))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=r.center, button=1, touch=False))
    for ev in pygame.event.get():
        display.handle_event(ev)
    assert events(app) == [
        ("check_in", "c-ines", "guardian", "tag"),
        ("check_out", "c-ines", "guardian", "touch"),
    ]


def test_undo_expires(app: DeviceApp, controller: Controller, clock: FakeClock) -> None:
    controller.on_tap(KARIN)
    clock.advance(controller.config.undo_s + 0.1)
    controller.handle(it.Undo("c-ines"))
    assert len(events(app)) == 1
    controller.tick()
    assert controller.screen == ScreenId.IDLE


def test_same_guardian_tapping_again_does_not_toggle_back(app: DeviceApp, controller: Controller) -> None:
    controller.on_tap(KARIN)
    controller.on_tap(KARIN)
    assert len(events(app)) == 1


def test_several_children_touching_one_records_only_that_one(app: DeviceApp, display: Display) -> None:
    c = display.controller
    c.on_tap(ANNA)
    assert events(app) == []  # a tap alone decides nothing for two children
    r = button(display, it.ChooseChild("c-alva"))
    w, h = display.surface.get_size()
    pygame.event.post(
        pygame.event.Event(
            pygame.FINGERDOWN,
            x=r.centerx / w,
            y=r.centery / h,
            finger_id=0,
            touch_id=0,
            dx=0,
            dy=0,
            pressure=1,
        )
    )
    for ev in pygame.event.get():
        display.handle_event(ev)
    assert events(app) == [("check_in", "c-alva", "guardian", "touch")]
    view = display.render()
    alva, noah = view.guardian_rows
    assert alva.done == "check_in" and noah.done is None
    assert any("Mormor Eva" in t for t, _, _ in display.painter.texts)  # today's note shown


def test_all_checks_in_the_rest(app: DeviceApp, controller: Controller) -> None:
    controller.on_tap(ANNA)
    controller.handle(it.ChooseChild("c-noah"))
    controller.handle(it.ChooseAll())
    assert [e[:2] for e in events(app)] == [("check_in", "c-noah"), ("check_in", "c-alva")]


def test_walking_away_records_nothing(app: DeviceApp, controller: Controller, clock: FakeClock) -> None:
    controller.on_tap(ANNA)
    clock.advance(controller.config.guardian_timeout_s + 1)
    controller.tick()
    assert controller.screen == ScreenId.IDLE
    assert events(app) == []


def test_walking_away_keeps_what_was_touched(
    app: DeviceApp, controller: Controller, clock: FakeClock
) -> None:
    controller.on_tap(ANNA)
    controller.handle(it.ChooseChild("c-noah"))
    clock.advance(controller.config.guardian_timeout_s + 1)
    controller.tick()
    assert controller.screen == ScreenId.IDLE
    assert [e[:2] for e in events(app)] == [("check_in", "c-noah")]


def test_checked_in_child_is_picked_up(app: DeviceApp, controller: Controller, clock: FakeClock) -> None:
    controller.on_tap(KARIN)
    controller.handle(it.Done())
    controller.on_tap(KARIN)
    assert [e[0] for e in events(app)] == ["check_in", "check_out"]


FOUR = {"c-adam", "c-mira", "c-sara", "c-yusuf"}


def _touch(display: Display, rect: pygame.Rect) -> None:
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=rect.center, button=1, touch=False))
    for ev in pygame.event.get():
        display.handle_event(ev)


def _shown(display: Display) -> set[str]:
    """Children with a check-in button on the screen as drawn."""
    display.render()
    return {b.intent.child_id for b in display.buttons if isinstance(b.intent, it.ChooseChild)}


@pytest.mark.parametrize("size", [(800, 480), (1024, 600), (1280, 800)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_child_of_a_big_family_is_reachable(
    app: DeviceApp, make_controller: MakeController, surface_for, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    display = Display(make_controller(), surface_for(size))
    display.controller.on_tap(LEILA)
    seen = _shown(display)
    for _ in range(len(FOUR)):  # page down by touch until there is no ▼ left
        down = [b for b in display.buttons if b.intent == it.Page(1)]
        if not down:
            break
        _touch(display, down[0].rect)
        seen |= _shown(display)
    assert seen == FOUR
    assert events(app) == [], "paging records nothing"


def test_paging_shows_where_you_are_and_all_means_all(app: DeviceApp, display: Display) -> None:
    c = display.controller
    c.on_tap(LEILA)
    first = _shown(display)
    assert 0 < len(first) < len(FOUR), "800x480 cannot show four children with notes at once"
    assert any("sida 1 av 2" in t for t, _, _ in display.painter.texts)
    _touch(display, button(display, it.Page(1)))
    second = _shown(display)
    assert second == FOUR - first
    assert any("sida 2 av 2" in t for t, _, _ in display.painter.texts)
    assert not [b for b in display.buttons if b.intent == it.Page(1)], "no ▼ on the last page"
    _touch(display, button(display, it.ChooseAll()))
    assert sorted(e[1] for e in events(app)) == sorted(FOUR), "All is every child, not only this page's"
    assert {e[0] for e in events(app)} == {"check_in"}


def test_the_next_page_button_says_how_many_children_are_left(app: DeviceApp, display: Display) -> None:
    """A ▼ in a corner is easy to miss with a child on one arm: it says "1 barn till", and
    "Alla (4)" says it means all four, not the three on this page."""
    c = display.controller
    c.on_tap(LEILA)
    display.render()
    labels = {b.label for b in display.buttons}
    assert "1 barn till ▼" in labels and "Alla (4)" in labels
    down = button(display, it.Page(1))
    _touch(display, down)
    _touch(display, down)  # a bounce before the next frame: ignored, not a second page
    assert display.render().page == 1
    _touch(display, down)  # an impatient thumb after it: ▲ is not where ▼ was
    assert display.render().page == 1
    assert _shown(display) == {"c-yusuf"}
    up = button(display, it.Page(-1))
    assert not up.colliderect(down)
    c.handle(it.ChooseChild("c-yusuf"))
    display.render()
    assert "Alla (3)" in {b.label for b in display.buttons}, "All counts what it will still do"


def _add_fifth_child(app: DeviceApp) -> None:
    """Leila gets a fifth child and every one of them a note or three (a new roster version)."""
    roster = app.terminal.roster
    assert roster is not None
    ella = RosterChild(id="c-ella", display_name="Ella-Maria H.", guardian_ids=["g-leila"], status="absent")
    notes = {
        "c-ella": [
            PlanNote(kind="early_pickup", time=dt.time(14, 0), source="avtal"),
            PlanNote(kind="pickup_by", text="Faster Fatima", source="avtal"),
            PlanNote(kind="note", text="Medicin i väskan", source="avtal"),
        ],
        "c-mira": [PlanNote(kind="leave", source="ledighet")],
    }
    plan = [p for p in roster.plan if p.child_id not in notes]
    plan += [
        RosterPlanEntry(child_id="c-ella", arrive=dt.time(8), leave=dt.time(14), notes=notes["c-ella"]),
        RosterPlanEntry(child_id="c-mira", on_leave=True, notes=notes["c-mira"]),
    ]
    bigger = roster.model_copy(
        update={"version": roster.version + 1, "children": [*roster.children, ella], "plan": plan}
    )
    assert app.store.save_roster(bigger)
    app.terminal.apply_roster(bigger)


FIVE = FOUR | {"c-ella"}


@pytest.mark.parametrize("size", [(800, 480), (1024, 600), (1280, 800)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_five_children_with_notes_are_all_reachable_readable_and_all_means_five(
    app: DeviceApp, make_controller: MakeController, surface_for, size: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    _add_fifth_child(app)
    display = Display(make_controller(), surface_for(size))
    display.controller.on_tap(LEILA)
    seen: set[str] = set()
    notes: set[str] = set()
    for _ in range(len(FIVE)):
        seen |= _shown(display)
        footer_top = min(b.rect.top for b in display.buttons if isinstance(b.intent, it.Done))
        assert display.painter is not None
        for text, r, _box in display.painter.texts:
            assert "…" not in text, f"{text!r} cut off at {size}"
            if not any(b.rect.contains(r) for b in display.buttons):  # a label is in its button
                assert r.bottom <= footer_top, f"{text!r} runs into the footer at {size}"
            if text.startswith("● "):
                notes.add(text)
        down = [b for b in display.buttons if b.intent == it.Page(1)]
        if not down:
            break
        _touch(display, down[0].rect)
    assert seen == FIVE
    assert {"● Ledig i dag", "● Hämtas tidigare, 14:00", "● Hämtas av Faster Fatima"} <= notes
    assert display.render().page <= 2, "rows as tall as their own notes: five children on two pages"
    _touch(display, button(display, it.ChooseAll()))
    assert sorted(e[1] for e in events(app)) == sorted(FIVE)
