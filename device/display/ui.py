"""The pygame side: one surface, the current screen drawn from the controller's view, touches hit-tested.

Touches are tested against the buttons of the frame last drawn, i.e. what the
person actually saw; after a hit, further touches wait for the next frame (a
bounce or a double tap must not land twice on a screen that has already moved on:
a second ▼, a second override).  Finger events are used on touchscreens; the
mouse events SDL synthesises from them are ignored so one touch is one intent.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pygame

from device.display.config import DisplayConfig
from device.display.controller import Controller
from device.display.i18n import Translator
from device.display.painter import Button, Painter
from device.display.screens import SCREENS
from device.display.theme import Layout
from device.display.view import View

logger = logging.getLogger(__name__)


def open_surface(config: DisplayConfig, *, fullscreen: bool | None = None) -> pygame.Surface:
    """Initialise pygame's display and fonts (no audio) and open the screen."""
    pygame.display.init()
    pygame.font.init()
    full = config.fullscreen if fullscreen is None else fullscreen
    flags = pygame.FULLSCREEN if full and os.environ.get("SDL_VIDEODRIVER") != "dummy" else 0
    surface = pygame.display.set_mode(config.size, flags)
    pygame.display.set_caption("Lämna & Hämta")
    if full:
        pygame.mouse.set_visible(False)
    logger.info("display %sx%s (%s)", *surface.get_size(), pygame.display.get_driver())
    return surface


class Display:
    """Draws the controller's state on ``surface`` and turns touches into intents."""

    def __init__(
        self, controller: Controller, surface: pygame.Surface, diagonal_in: float | None = None
    ) -> None:
        self.controller = controller
        self.surface = surface
        self.layout = Layout.for_size(*surface.get_size(), diagonal_in)
        self.tr = Translator(controller.language)
        self.buttons: list[Button] = []
        self.painter: Painter | None = None
        self.view: View | None = None
        self.frames = 0

    def render(self) -> View:
        """Draw the current state (not flipped: the loop flips)."""
        c = self.controller
        view = c.view()
        if self.tr.language != view.language:
            self.tr.switch(view.language)
        self.painter = Painter(self.surface, self.layout, self.tr)
        self.buttons = SCREENS[view.screen].draw(self.painter, view)
        c.dirty = False
        self.view = view
        self.frames += 1
        return view

    def touch(self, pos: tuple[int, int]) -> bool:
        """A touch at ``pos``; True if it hit a button."""
        for b in self.buttons:
            if b.rect.collidepoint(pos):
                logger.debug("touch on %s", type(b.intent).__name__)
                self.buttons = []  # what was touched has changed: nothing more until it is drawn
                self.controller.handle(b.intent)
                return True
        return False

    def handle_event(self, ev: pygame.event.Event) -> None:
        if ev.type == pygame.FINGERDOWN:
            w, h = self.surface.get_size()
            self.touch((int(ev.x * w), int(ev.y * h)))
        elif ev.type == pygame.MOUSEBUTTONDOWN and ev.button == 1 and not getattr(ev, "touch", False):
            self.touch(ev.pos)

    def screenshot(self, path: str | Path) -> None:
        """Render the current state and save it as PNG."""
        self.render()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.surface, str(path))
