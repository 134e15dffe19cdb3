"""Staff mode: every child with status, expected pickup and by whom, deviations; check in/out by hand."""

from __future__ import annotations

from dataclasses import replace

import pygame

from device.display import intents as it
from device.display import theme
from device.display.i18n import N_, Translator
from device.display.intents import ScreenId
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


def row_h(lay: Layout) -> int:
    return lay.target(70)


def nav(view: View, lay: Layout, tr: Translator) -> list[Button]:
    specs: list[tuple[str, it.Intent, str]] = [
        (tr(N_("Evacuation")), it.Show(ScreenId.EVACUATION), "primary"),
        (tr(N_("Closing")), it.Show(ScreenId.CLOSING), "primary"),
    ]
    if view.handover_mode == "staff_confirmed" or view.pending_count:
        specs.append(
            (
                tr(N_("Waiting ({n})"), n=view.pending_count),
                it.Show(ScreenId.PENDING),
                "danger" if view.pending_count else "primary",
            )
        )
    specs += [
        (tr(N_("Technician")), it.Show(ScreenId.TECHNICIAN), "secondary"),
        ("English" if view.language == "sv" else "Svenska", it.SwitchLanguage(), "secondary"),
        (tr(N_("Lock")), it.Lock(), "secondary"),
    ]
    return [replace(b, size="small") for b in footer(lay, specs)]  # type: ignore[arg-type]


def plan_text(tr: Translator, r: ChildRow) -> str:
    parts = []
    if r.leave:
        parts.append(tr(N_("pickup {time}"), time=words.hhmm(r.leave)))
    if r.pickup_by:
        parts.append(tr(N_("by {who}"), who=r.pickup_by))
    parts += [words.note(tr, n) for n in r.notes if n.kind not in ("pickup_by",)]
    return " · ".join(parts) or tr(N_("no plan today"))


class StaffScreen(Screen):
    def _page(self, view: View, lay: Layout) -> tuple[int, int, int, int]:
        return paginate(len(view.rows), body_rect(lay).height, row_h(lay), view.page)

    def buttons(self, view: View, lay: Layout, tr: Translator) -> list[Button]:
        body = body_rect(lay)
        start, end, page, pages = self._page(view, lay)
        bw, bh = lay.target(170), lay.target(60)
        out = []
        for i, r in enumerate(view.rows[start:end]):
            y = body.top + i * row_h(lay) + (row_h(lay) - bh) // 2
            kind = "check_out" if r.status == "present" else "check_in"
            out.append(
                Button(
                    pygame.Rect(body.right - bw, y, bw, bh),
                    tr(words.STAFF_ACTION[kind]),
                    it.Override(r.child_id),
                    "primary" if kind == "check_out" else "success",
                )
            )
        return out + page_buttons(lay, page, pages) + nav(view, lay, tr)

    def draw_content(self, p: Painter, view: View) -> None:
        lay, tr = p.lay, p.tr
        start, end, page, pages = self._page(view, lay)
        title = tr(N_("Staff mode · {name}"), name=view.staff_name or "")
        if pages > 1:  # a pedagog with twenty children sees there are more
            title = f"{title} · {page_label(tr, page, pages)}"
        draw_header(p, title, view, reserve=2 * lay.header_h + 2 * lay.gap if pages > 1 else 0)
        body = body_rect(lay)
        rh = row_h(lay)
        bw = lay.target(170)
        pill_w = lay.px(150)
        for i, r in enumerate(view.rows[start:end]):
            box = pygame.Rect(body.left, body.top + i * rh, body.width, rh)
            if i % 2:
                p.fill((244, 246, 249), box)
            pill = pygame.Rect(
                box.right - bw - lay.gap - pill_w, box.top + (rh - lay.px(36)) // 2, pill_w, lay.px(36)
            )
            p.pill(words.status(tr, r.status), pill, theme.STATUS_COLORS.get(r.status, theme.MUTED))
            text_w = pill.left - box.left - lay.gap - lay.px(8)
            top = pygame.Rect(box.left + lay.px(8), box.top + lay.px(4), text_w, rh // 2 - lay.px(2))
            p.text(r.name, top, lay.font("body"), bold=True)
            low = pygame.Rect(top.left, top.bottom, text_w, rh // 2 - lay.px(4))
            if r.deviations:
                p.text(
                    "⚠ " + " · ".join(words.deviation(tr, d) for d in r.deviations),
                    low,
                    lay.font("small"),
                    bold=True,
                    color=theme.DANGER,
                )
            else:
                p.text(plan_text(tr, r), low, lay.font("small"), color=theme.MUTED)
        if not view.rows:
            p.text(tr(N_("No children in the roster")), body, lay.font("large"), align="center")
