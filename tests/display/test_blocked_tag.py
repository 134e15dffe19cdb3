"""A blocked (lost) tag at the hallway screen (issue 10).

Central leaves a blocked tag out of its owner's ``tag_digests`` and lists it in the roster's
``blocked_tags``.  A tap on it shows "Brickan är spärrad · Säg till personalen" in red, names
no child and no adult, and records nothing; the screen goes back to idle by itself.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame
import pytest

from device.app import DeviceApp
from device.core import TagKind
from device.demo import DEMO_TAG_KEY
from device.display import intents as it
from device.display import theme
from device.display.intents import ScreenId
from device.display.ui import Display
from protocol.messages import Roster
from protocol.tags import tag_digest
from tests.display.conftest import ANNA, KARIN, STAFF_TAG, FakeClock, MakeController, events

ANNA_DIGEST = tag_digest(DEMO_TAG_KEY, ANNA)
ANNA_ID = "g-anna"
STAFF_DIGEST = tag_digest(DEMO_TAG_KEY, STAFF_TAG)


def _apply(app: DeviceApp, roster: Roster) -> None:
    """What the link does with a newer roster from central."""
    assert app.store.save_roster(roster)
    app.terminal.apply_roster(roster)


def _blocking(app: DeviceApp, *digests: str, keep_in_owner: bool = False, field: bool = True) -> Roster:
    """The next roster as a central that blocked ``digests`` sends it."""
    r = app.terminal.roster
    assert r is not None
    guardians = [
        g
        if keep_in_owner
        else g.model_copy(update={"tag_digests": [d for d in g.tag_digests if d not in digests]})
        for g in r.guardians
    ]
    staff = [
        st
        if keep_in_owner
        else st.model_copy(update={"tag_digests": [d for d in st.tag_digests if d not in digests]})
        for st in r.staff
    ]
    return r.model_copy(
        update={
            "version": r.version + 1,
            "guardians": guardians,
            "staff": staff,
            "blocked_tags": sorted(digests) if field else None,
        }
    )


def _names(app: DeviceApp) -> set[str]:
    r = app.terminal.roster
    assert r is not None
    return {c.display_name for c in r.children} | {g.display_name for g in r.guardians}


@pytest.mark.parametrize("size", [(800, 480), (1024, 600)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_blocked_tag_says_so_names_nobody_and_records_nothing(
    app: DeviceApp,
    make_controller: MakeController,
    surface_for: Callable[[tuple[int, int]], pygame.Surface],
    clock: FakeClock,
    size: tuple[int, int],
) -> None:
    names = _names(app)
    _apply(app, _blocking(app, ANNA_DIGEST))
    c = make_controller()
    d = Display(c, surface_for(size))
    c.on_tap(ANNA)
    assert c.screen == ScreenId.BLOCKED and c.visit is None
    view = d.render()
    assert view.screen == ScreenId.BLOCKED
    assert d.painter is not None
    drawn = [t for t, _r, _b in d.painter.texts]
    assert "Brickan är spärrad" in drawn and "Säg till personalen" in drawn
    assert not {t for t in drawn if any(n in t for n in names)}, "a blocked tag shows no one's name"
    assert d.surface.get_at((size[0] // 2, 10))[:3] == theme.DANGER[:3], "red, like other refusals"
    assert [b.intent for b in d.buttons] == [it.Done()]
    assert events(app) == [], "nothing recorded"
    assert c.last_unknown is None, "not offered to the technician for enrolment as an unknown tag"
    clock.advance(c.config.message_s + 0.1)
    c.tick()
    assert c.screen == ScreenId.IDLE
    c.on_tap(KARIN)  # the family next in line is not affected
    assert events(app) == [("check_in", "c-ines", "guardian", "tag")]


def test_blocked_wins_even_if_a_roster_still_maps_the_tag(app: DeviceApp, controller: object) -> None:
    _apply(app, _blocking(app, ANNA_DIGEST, keep_in_owner=True))
    ident = app.terminal.identify(ANNA)
    assert ident.kind == TagKind.BLOCKED and ident.person_id is None and ident.children == ()


def test_a_blocked_staff_tag_does_not_unlock_staff_mode(
    app: DeviceApp, make_controller: MakeController
) -> None:
    c = make_controller()
    _apply(app, _blocking(app, STAFF_DIGEST))
    c.on_tap(STAFF_TAG)
    assert c.screen == ScreenId.BLOCKED and c.staff is None


def test_without_the_field_a_blocked_tag_is_unknown_and_unblocking_restores_it(
    app: DeviceApp, make_controller: MakeController
) -> None:
    c = make_controller()
    # A central that knows the tag is blocked but whose department still has an older device:
    # the digest is gone from the guardian, blocked_tags is left out.
    _apply(app, _blocking(app, ANNA_DIGEST, field=False))
    c.on_tap(ANNA)
    assert c.screen == ScreenId.UNKNOWN and events(app) == []
    c.handle(it.Done())
    # Unblocked: the next roster maps the digest to Anna again.
    r = app.terminal.roster
    assert r is not None
    anna = [
        g.model_copy(update={"tag_digests": [ANNA_DIGEST]}) if g.id == ANNA_ID else g for g in r.guardians
    ]
    _apply(app, r.model_copy(update={"version": r.version + 1, "guardians": anna, "blocked_tags": []}))
    c.on_tap(ANNA)
    assert c.screen == ScreenId.GUARDIAN
