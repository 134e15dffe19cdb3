"""A guardian after their tap: their children here, status, today's notes; check in/out, undo."""

from __future__ import annotations

import math

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
    paginate,
)
from device.display.theme import Layout
from device.display.view import ChildRow, View

WAITING = N_("Waiting for staff to confirm")


def _next(row: ChildRow) -> str:
    return "check_out" if row.status == "present" else "check_in"


def _row_h(lay: Layout, view: View) -> int:
    notes = max((len(r.notes) for r in view.guardian_rows), default=0)
    return max(lay.target(84), lay.px(46) + notes * lay.px(30) + lay.px(10))


class GuardianScreen(Screen):
    def _big(self, view: View) -> bool:
        return view.single and bool(view.guardian_rows) and view.guardian_rows[0].done is not None

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
        body = body_rect(lay)
        row_h = _row_h(lay, view)
        start, end, page, pages = paginate(len(rows), body.height, row_h, view.page)
        bw, bh = lay.target(210), lay.target(72)
        for i, r in enumerate(rows[start:end]):
            y = body.top + i * row_h + (row_h - bh) // 2
            rect = pygame.Rect(body.right - bw, y, bw, bh)
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
        if sum(1 for r in rows if r.done is None) > 1:  # all children, not only this page's
            specs.append((tr(N_("All")), it.ChooseAll(), "success"))
        specs.append((tr(N_("Done")), it.Done(), "primary"))
        return out + page_buttons(lay, page, pages) + footer(lay, specs)  # type: ignore[arg-type]

    def draw_content(self, p: Painter, view: View) -> None:
        lay, tr = p.lay, p.tr
        body = body_rect(lay)
        paged = not self._big(view) and view.guardian_rows
        start, end, page, pages = paginate(
            len(view.guardian_rows), body.height, _row_h(lay, view), view.page if paged else 0
        )
        title = view.department or ""
        if pages > 1:  # "Solen · page 1 of 2": the guardian sees there are more children
            title = f"{title} · {page_label(tr, page, pages)}"
        draw_header(p, title, view, reserve=2 * lay.header_h + 2 * lay.gap if pages > 1 else 0)
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
        row_h = _row_h(lay, view)
        bw = lay.target(210)
        for i, r in enumerate(view.guardian_rows[start:end]):
            box = pygame.Rect(body.left, body.top + i * row_h, body.width, row_h)
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
