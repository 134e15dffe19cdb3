"""Every screen at 800x480, 1024x600 and 1280x800: touch targets of 9 mm or more, text inside its box."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pygame
import pytest

from device.display import intents as it
from device.display.controller import Controller
from device.display.intents import ScreenId
from device.display.ui import Display
from protocol.tags import tag_digest
from tests.display.conftest import ANNA, KARIN, LEILA, STAFF_TAG, MakeController

SIZES = [(800, 480), (1024, 600), (1280, 800)]


def _states(c: Controller) -> list[tuple[str, Callable[[], None]]]:
    return [
        ("idle", lambda: None),
        ("guardian_one", lambda: c.on_tap(KARIN)),
        ("guardian_two", lambda: (c.handle(it.Done()), c.on_tap(ANNA), c.handle(it.ChooseChild("c-alva")))),
        ("guardian_four", lambda: (c.handle(it.Done()), c.on_tap(LEILA))),
        ("guardian_four_page_2", lambda: c.handle(it.Page(1))),
        ("unknown", lambda: c.on_tap("DEADBEEF")),
        ("blocked", lambda: (_block(c, "0BADC0DE"), c.on_tap("0BADC0DE"))),
        (
            "pin",
            lambda: (
                c.handle(it.Done()),
                c.handle(it.OpenPin()),
                c.handle(it.PinKey("1")),
                c.handle(it.PinKey("ok")),
            ),
        ),
        ("error", lambda: c._fail()),
        ("staff", lambda: (c.on_tap(STAFF_TAG), c.handle(it.Done()))),
        ("evacuation", lambda: c.handle(it.Show(ScreenId.EVACUATION))),
        ("closing", lambda: c.handle(it.Show(ScreenId.CLOSING))),
        ("pending", lambda: c.handle(it.Show(ScreenId.PENDING))),
        ("technician", lambda: c.handle(it.Show(ScreenId.TECHNICIAN))),
        ("idle_offline", lambda: c.handle(it.Lock())),
    ]


def _block(c: Controller, uid: str) -> None:
    """A roster from central with ``uid``'s tag blocked (issue 10)."""
    t = c.terminal
    assert t.roster is not None
    r = t.roster.model_copy(
        update={"version": t.roster.version + 1, "blocked_tags": [tag_digest(t.tag_key, uid)]}
    )
    assert t.store.save_roster(r)
    t.apply_roster(r)


READER_BROKEN = "no MFRC522 answers on SPI 0.0 (VersionReg 0x00): check wiring, 3.3 V and the reset pin"


@pytest.mark.parametrize("reader", [None, READER_BROKEN], ids=["reader-works", "reader-broken"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_targets_and_text_fit(
    size: tuple[int, int], reader: str | None, make_controller: MakeController, surface_for
) -> None:
    c = make_controller(mode="staff_confirmed", at="18:15")
    c.status.link_state = lambda: SimpleNamespace(connected=False, central_online=None, last_error="refused")
    c.status.reader_error = lambda: reader
    d = Display(c, surface_for(size))
    screen = pygame.Rect((0, 0), size)
    min_px = d.layout.min_target
    assert min_px >= 9 * d.layout.mm
    seen = set()
    for name, step in _states(c):
        step()
        view = d.render()
        seen.add(view.screen)
        assert d.buttons or name == "technician", name
        for b in d.buttons:
            assert b.rect.width >= min_px and b.rect.height >= min_px, (name, b.label, b.rect, min_px)
            assert screen.contains(b.rect), (name, b.label, b.rect)
        for text, r, box in d.painter.texts:
            assert r.left >= box.left and r.right <= box.right, (name, text, r, box)
            assert screen.contains(r), (name, text, r)
            assert r.top >= box.top - 3 and r.bottom <= box.bottom + 3, (name, text, r, box)
        overlapping = [
            (a.label, b.label)
            for i, a in enumerate(d.buttons)
            for b in d.buttons[i + 1 :]
            if a.rect.colliderect(b.rect)
        ]
        assert not overlapping, (name, overlapping)
        ink = [(t, r.inflate(0, -6)) for t, r, _ in d.painter.texts]  # a line's blank top and bottom
        on_top = [(a[0], b[0]) for i, a in enumerate(ink) for b in ink[i + 1 :] if a[1].colliderect(b[1])]
        assert not on_top, (name, on_top)  # no text drawn over another (pills over the prompt)
    assert seen == set(ScreenId)


def test_body_text_is_readable_at_arms_length(display: Display) -> None:
    display.render()
    # the smallest text on the 7" screen is at least 3 mm tall
    assert min(r.height for _, r, _ in display.painter.texts) >= 3 * display.layout.mm


def test_english_switch_changes_strings(controller: Controller, display: Display) -> None:
    display.render()
    assert "Blippa din bricka" in [t for t, _, _ in display.painter.texts]
    controller.on_tap(STAFF_TAG)
    hit = [b for b in (display.render(), display.buttons)[1] if isinstance(b.intent, it.SwitchLanguage)]
    assert hit[0].label == "English"
    display.touch(hit[0].rect.center)
    display.render()
    labels = [b.label for b in display.buttons]
    assert "Lock" in labels and "Svenska" in labels
    controller.handle(it.Lock())
    display.render()
    assert "Tap your tag" in [t for t, _, _ in display.painter.texts]
