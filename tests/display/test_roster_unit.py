"""The roster's unit settings and notices on the screen.

Central is the source of the handover mode and the closing time: a roster that switches the
unit to staff_confirmed makes the next tap wait for staff; a roster without them keeps the
config's fallback.  Notices show on the idle screen, large, until their last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace

import pygame
import pytest

from device.app import DeviceApp
from device.display import intents as it
from device.display.ui import Display
from protocol.messages import RosterNotice, RosterUnit
from tests.display.conftest import KARIN, STAFF_TAG, TZ, MakeController, events

PHOTO = "Fotografering fredag 4/12 · Kom gärna i tid"
LONG = (
    "Luciafirande torsdag 13/12 kl 15. Alla föräldrar är välkomna att titta på när barnen lussar "
    "i matsalen, vi bjuder på glögg och pepparkakor. Ta gärna med en ficklampa!"
)


def _apply(app: DeviceApp, **update: object) -> None:
    """What the link does with a newer roster from central."""
    current = app.terminal.roster
    assert current is not None
    roster = current.model_copy(update={"version": current.version + 1, **update})
    assert app.store.save_roster(roster)
    app.terminal.apply_roster(roster)


def test_a_roster_switching_the_unit_to_staff_confirmed_changes_the_next_tap(
    app: DeviceApp, make_controller: MakeController
) -> None:
    c = make_controller(mode="self_service")  # the config's fallback
    _apply(app, unit=RosterUnit(handover_mode="staff_confirmed"))
    c.on_tap(KARIN)
    assert events(app) == [] and "c-ines" in c.pending, "the tap waits for staff"
    assert c.view().handover_mode == "staff_confirmed"


def test_a_roster_without_unit_keeps_the_config_fallback(
    app: DeviceApp, make_controller: MakeController
) -> None:
    c = make_controller(mode="staff_confirmed")
    _apply(app)  # an older central: no unit field
    assert app.terminal.roster is not None and app.terminal.roster.unit is None
    c.on_tap(KARIN)
    assert "c-ines" in c.pending and events(app) == []


def test_closing_time_follows_the_roster(app: DeviceApp, make_controller: MakeController) -> None:
    c = make_controller(at="17:20")
    assert not c.view().closing, "the fallback closes at 18:00, as central's default"
    c.on_tap(KARIN)
    _apply(app, unit=RosterUnit(closing_time=dt.time(17, 15)))
    assert c.view().closing and c.view().still_in == 1
    c.on_tap(STAFF_TAG)
    assert c.screen.value == "closing"


def _notices(*texts: str, last: dt.date | None = None) -> list[RosterNotice]:
    last = last or dt.datetime.now(TZ).date()
    return [RosterNotice(id=f"n{i}", text=t, last=last) for i, t in enumerate(texts)]


def test_notices_show_until_their_last_day(app: DeviceApp, make_controller: MakeController) -> None:
    today = dt.datetime.now(TZ).date()
    _apply(
        app,
        notices=[
            *_notices(PHOTO, last=today),
            *_notices("Igår slut", last=today - dt.timedelta(days=1)),
        ],
    )
    c = make_controller()
    assert c.view().notices == (PHOTO,), "a notice past its last day is not shown, roster or not"
    c.now = lambda: dt.datetime.combine(today + dt.timedelta(days=1), dt.time(7, 0), tzinfo=TZ)
    assert c.view().notices == ()


def test_at_most_three_notices(app: DeviceApp, make_controller: MakeController) -> None:
    _apply(app, notices=_notices("a", "b", "c", "d"))
    assert make_controller().view().notices == ("a", "b", "c")


SIZES = [(800, 480), (1024, 600), (1280, 800)]


@pytest.mark.parametrize(
    "reader", [None, "the MFRC522 stopped answering"], ids=["reader-works", "reader-broken"]
)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_notices_are_large_and_stay_on_the_screen(
    app: DeviceApp,
    make_controller: MakeController,
    surface_for: Callable[[tuple[int, int]], pygame.Surface],
    size: tuple[int, int],
    reader: str | None,
) -> None:
    third = "Stängt för planeringsdag 20/12"
    _apply(app, notices=_notices(PHOTO, LONG, third))
    c = make_controller(mode="staff_confirmed", at="18:15")
    c.status.reader_error = lambda: reader
    c.status.link_state = lambda: SimpleNamespace(connected=False, central_online=None, last_error=None)
    c.on_tap(KARIN)  # a pending handover and closing: pills at the bottom too
    d = Display(c, surface_for(size))
    c.handle(it.Done())
    view = d.render()
    assert view.screen.value == "idle"
    screen = pygame.Rect((0, 0), size)
    texts = d.painter.texts
    drawn = [(t, r) for t, r, _ in texts if any(t.rstrip(" …") in n for n in (PHOTO, LONG, third))]
    assert drawn, "no notice drawn"
    assert drawn[0][0].startswith("Fotografering"), "the first notice is always shown"
    for t, r in drawn:
        assert screen.contains(r), t
        assert r.height >= 0.8 * d.layout.font("large") * 0.9, (t, r)  # ~ 28 px or more at 800x480
        for b in d.buttons:
            assert not r.colliderect(b.rect), (t, b.label)
    for _t, r, box in texts:
        assert r.left >= box.left and r.right <= box.right
    if reader is None:
        assert len(drawn) >= 4, "three notices, the long one on two or three lines"
        assert drawn[-1][0] == third
