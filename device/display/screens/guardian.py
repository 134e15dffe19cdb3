"""A guardian after their tap: their children here, status, today's notes; check in/out, undo."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.painter import Button, Painter
from device.display.screens import words
from device.display.screens.base import (
    Screen,
    body_rect,
    draw_header,
    footer,
    page_buttons,
    page_label,
    page_reserve,
)
from device.display.theme import Layout
from device.display.view import ChildRow, View

WAITING = N_("Waiting for staff to confirm")


def _next(row: ChildRow) -> str:
    return "check_out" if row.status == "present" else "check_in"


def _row_h(lay: Layout, row: ChildRow) -> int:
    """A row tall enough for the child's name and every note (at most the whole body)."""
    return min(
        max(lay.target(84), lay.px(46) + len(row.notes) * lay.px(30) + lay.px(10)), body_rect(lay).height
    )


def _pages(lay: Layout, rows: Sequence[ChildRow]) -> list[tuple[int, int]]:
    """(start, end) of each page: as many whole rows as fit, in order, so a child with three
    notes does not make every row tall (five children with notes fit two pages at 800x480)."""
    area = body_rect(lay).height
    pages, start, used = [], 0, 0
    for i, r in enumerate(rows):
        h = _row_h(lay, r)
        if used + h > area and i > start:
            pages.append((start, i))
            start, used = i, 0
        used += h
    pages.append((start, len(rows)))
    return pages


class Paging(NamedTuple):
    """This page of a guardian's children: each row with its box, and the ▲ ▼ state."""

    rows: list[tuple[ChildRow, pygame.Rect]]
    page: int
    pages: int
    more: str | None  # the ▼ label, "2 more children ▼", while later pages hold children
    room: str | None  # the first page's label: ▲ and ▼ keep their places on every page


class GuardianScreen(Screen):
    def _big(self, view: View) -> bool:
        return view.single and bool(view.guardian_rows) and view.guardian_rows[0].done is not None

    def _paging(self, view: View, lay: Layout, tr: Translator) -> Paging:
        """Which children this page shows.  The ▼ says how many are left, in words, and the
        title "page 1 of 2": a guardian in a hurry must not leave the fourth child behind."""
        rows = view.guardian_rows
        if self._big(view) or not rows:
            return Paging([], 0, 1, None, None)
        pages = _pages(lay, rows)
        page = min(max(0, view.page), len(pages) - 1)
        start, end = pages[page]
        body = body_rect(lay)
        boxes, y = [], body.top
        for r in rows[start:end]:
            h = _row_h(lay, r)
            boxes.append((r, pygame.Rect(body.left, y, body.width, h)))
            y += h

        def label(left: int) -> str | None:
            return tr.plural("{n} more child ▼", "{n} more children ▼", left) if left else None

        return Paging(boxes, page, len(pages), label(len(rows) - end), label(len(rows) - pages[0][1]))

    def buttons(self, view: View, lay: Layout, tr: Translator) -> list[Button]:
        rows = view.guardian_rows
        specs: list[tuple[str, it.Intent, str]] = []
        if self._big(view):
            r = rows[0]
            if r.undoable and view.undo_left_s is not None:
                specs.append(
                    (
                        tr(N_("Undo ({seconds} s)"), seconds=math.ceil(view.undo_left_s)),
                        it.Undo(r.child_id),
                        "secondary",
                    )
                )
            specs.append((tr(N_("Done")), it.Done(), "primary"))
            return footer(lay, specs)  # type: ignore[arg-type]
        out: list[Button] = []
        paging = self._paging(view, lay, tr)
        bw, bh = lay.target(210), lay.target(72)
        for r, box in paging.rows:
            rect = pygame.Rect(box.right - bw, box.centery - bh // 2, bw, bh)
            if r.done is None:
                kind = _next(r)
                out.append(
                    Button(
                        rect,
                        tr(words.ACTION[kind]),
                        it.ChooseChild(r.child_id),
                        "success" if kind == "check_in" else "primary",
                    )
                )
            elif r.undoable:
                out.append(Button(rect, tr(N_("Undo")), it.Undo(r.child_id), "secondary"))
        todo = sum(1 for r in rows if r.done is None)
        if todo > 1:  # all children, not only this page's: the count says so
            specs.append((tr(N_("All ({n})"), n=todo), it.ChooseAll(), "success"))
        specs.append((tr(N_("Done")), it.Done(), "primary"))
        pager = page_buttons(lay, paging.page, paging.pages, more=paging.more, room=paging.room)
        return out + pager + footer(lay, specs)  # type: ignore[arg-type]

    def draw_content(self, p: Painter, view: View) -> None:
        lay, tr = p.lay, p.tr
        paging = self._paging(view, lay, tr)
        title = view.department or ""
        if paging.pages > 1:  # "Solen · page 1 of 2": the guardian sees there are more children
            title = f"{title} · {page_label(tr, paging.page, paging.pages)}"
        draw_header(p, title, view, reserve=page_reserve(lay, paging.room) if paging.pages > 1 else 0)
        if not view.guardian_rows:
            box = body_rect(lay)
            p.text(
                tr(N_("None of your children are in this department")),
                box,
                lay.font("large"),
                bold=True,
                align="center",
            )
            return
        if self._big(view):
            self._draw_big(p, view, view.guardian_rows[0])
            return
        bw = lay.target(210)
        for i, (r, box) in enumerate(paging.rows):
            if i:
                pygame.draw.line(p.surface, theme.LINE, box.topleft, box.topright, max(1, lay.px(2)))
            text_w = box.width - bw - lay.gap
            name = pygame.Rect(box.left, box.top + lay.px(6), text_w, lay.px(40))
            if r.done is None:
                state, color = words.status(tr, r.status), theme.MUTED
            elif r.pending:
                state, color = tr(WAITING), theme.WARN_TEXT
            else:
                state, color = tr(words.DONE[r.done]), theme.SUCCESS
            used = p.text(
                r.name,
                pygame.Rect(name.left, name.top, name.width * 11 // 20, name.height),
                lay.font("large"),
                bold=True,
            )
            p.text(
                state,
                pygame.Rect(used.right + lay.gap, name.top, name.right - used.right - lay.gap, name.height),
                lay.font("body"),
                bold=r.done is not None,
                color=color,
            )
            self._notes(p, r, pygame.Rect(box.left, name.bottom, text_w, box.bottom - name.bottom))

    def _notes(self, p: Painter, r: ChildRow, area: pygame.Rect) -> None:
        lay = p.lay
        line = lay.px(30)
        for n, note in enumerate(r.notes):
            y = area.top + n * line
            if y + line > area.bottom + 1:
                break
            box = pygame.Rect(area.left, y + lay.px(2), area.width, line - lay.px(4))
            p.fill(theme.WARN_BG, box, radius=lay.px(6))
            p.text(
                "● " + words.note(p.tr, note),
                box.inflate(-lay.px(16), 0),
                lay.font("small"),
                bold=True,
                color=theme.WARN_TEXT,
            )

    def _draw_big(self, p: Painter, view: View, r: ChildRow) -> None:
        lay, tr = p.lay, p.tr
        body = body_rect(lay)
        color = theme.WARN_TEXT if r.pending else (theme.SUCCESS if r.done == "check_in" else theme.PRIMARY)
        panel = pygame.Rect(body.left, body.top, body.width, lay.px(150))
        p.fill(color, panel, radius=lay.px(14))
        p.text(
            "✓ " + r.name,
            pygame.Rect(panel.left, panel.top + lay.px(12), panel.width, lay.px(70)).inflate(
                -2 * lay.margin, 0
            ),
            lay.font("title") + lay.px(8),
            bold=True,
            color=(255, 255, 255),
            align="center",
        )
        done = {"check_in": N_("Checked in — welcome!"), "check_out": N_("Checked out — see you!")}
        msg = tr(WAITING) if r.pending else tr(done[r.done or "check_in"])
        p.text(
            msg,
            pygame.Rect(panel.left, panel.top + lay.px(84), panel.width, lay.px(52)).inflate(
                -2 * lay.margin, 0
            ),
            lay.font("large"),
            bold=True,
            color=(255, 255, 255),
            align="center",
        )
        notes = pygame.Rect(
            body.left, panel.bottom + lay.gap, body.width, body.bottom - panel.bottom - lay.gap
        )
        self._notes(p, r, notes)
