"""Taps and intents in, decisions on the terminal out; builds the :class:`View` each frame.

No pygame here: tests and the tap benchmark drive it directly.  All times come
from injected clocks (``now`` for wall time, ``clock`` for timers) so tests can
walk away from the screen without sleeping.  Logs carry ids, never names.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

from device.core import TagKind, Terminal
from device.display import intents as it
from device.display.config import DisplayConfig
from device.display.intents import ScreenId
from device.display.session import Choice, Feedback, NullFeedback, Pending, PinPad, StaffSession, Visit
from device.display.status import StatusSource
from device.display.view import View
from device.display.viewbuild import build_view
from protocol.messages import Actor, ActorKind, EventMethod, EventType

logger = logging.getLogger(__name__)

STAFF_SCREENS = {ScreenId.STAFF, ScreenId.EVACUATION, ScreenId.CLOSING, ScreenId.PENDING, ScreenId.TECHNICIAN}


def opposite(kind: EventType) -> EventType:
    return EventType.CHECK_OUT if kind == EventType.CHECK_IN else EventType.CHECK_IN


class Controller:
    """The hallway screen's state machine over one :class:`Terminal`."""

    def __init__(
        self,
        terminal: Terminal,
        config: DisplayConfig | None = None,
        *,
        feedback: Feedback | None = None,
        status: StatusSource | None = None,
        timezone: str = "Europe/Stockholm",
        now: Callable[[], dt.datetime] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.terminal = terminal
        self.config = config or DisplayConfig()
        self.feedback: Feedback = feedback or NullFeedback()
        self.status = status or StatusSource(terminal)
        self.tz = ZoneInfo(timezone)
        self.now = now or terminal.now
        self.clock = clock
        self.language = self.config.language
        self.screen = ScreenId.IDLE
        self.visit: Visit | None = None
        self.staff: StaffSession | None = None
        self.pin = PinPad()
        self.pending: dict[str, Pending] = {}
        self.page = 0
        self.last_unknown: str | None = None
        self._message_until = 0.0
        self._pin_checker: ThreadPoolExecutor | None = None
        self.dirty = True  # something changed since the last frame

    # -- the unit's settings (the roster's, else the config's fallback) ---------------

    @property
    def handover_mode(self) -> str:
        """Read at each choice, so a roster that switches the unit applies to the next tap."""
        return self.terminal.unit.handover_mode

    def is_closing(self) -> bool:
        """At or after the unit's closing time, local time."""
        return self.local_now().time() >= self.terminal.unit.closing_time

    # -- input ------------------------------------------------------------------------

    def on_tap(self, uid: str) -> None:
        """A tag was presented."""
        self.dirty = True
        try:
            ident = self.terminal.identify(uid)
        except Exception:
            logger.exception("could not identify a tag")
            self._fail()
            return
        if ident.kind == TagKind.BLOCKED:  # a lost tag: no name, nothing recorded
            self.visit = None
            self._leave_staff()
            self._message(ScreenId.BLOCKED)
            self.feedback.unknown()
            return
        if ident.kind == TagKind.UNKNOWN:
            self.last_unknown = ident.digest
            self._leave_staff()
            self._message(ScreenId.UNKNOWN)
            self.feedback.unknown()
            return
        assert ident.person_id is not None
        if ident.kind == TagKind.STAFF:
            self._unlock(ident.person_id, ident.display_name or ident.person_id)
            self.feedback.ok()
            return
        now = self.clock()
        v = self.visit
        if v is not None and v.guardian_id == ident.person_id and self.screen == ScreenId.GUARDIAN:
            v.last_touch = now  # the same guardian again: never a second toggle
            self.feedback.ok()
            return
        self._leave_staff()
        ids = tuple(sorted((c.id for c in ident.children), key=self.status.name_of))
        self.visit = Visit(ident.person_id, ids, started=now, last_touch=now)
        self.screen, self.page = ScreenId.GUARDIAN, 0
        logger.info("guardian %s tapped (%d child(ren) here)", ident.person_id, len(ids))
        if not ids:
            self.feedback.unknown()
        elif len(ids) == 1:
            self._choose(ids[0], EventMethod.TAG)
        else:
            self.feedback.ok()

    def handle(self, intent: it.Intent) -> None:
        """Apply what a touch meant."""
        self.dirty = True
        now = self.clock()
        if self.screen == ScreenId.GUARDIAN and self.visit is not None:
            self.visit.last_touch = now
            self._guardian(intent)
        elif self.screen == ScreenId.PIN:
            self.pin.last_touch = now
            self._pin(intent)
        elif self.screen in STAFF_SCREENS and self.staff is not None:
            self.staff.last_touch = now
            self._staff(intent)
        elif self.screen == ScreenId.IDLE and isinstance(intent, it.OpenPin):
            self.pin = PinPad(failures=self.pin.failures, locked_until=self.pin.locked_until, last_touch=now)
            self.screen = ScreenId.PIN
        elif isinstance(intent, it.Done):
            self._idle()

    def tick(self) -> None:
        """Timeouts, a finished PIN check, the reader failing or recovering: call once a frame."""
        self._pin_result()
        if self.status.watch():  # taps stopped (or started) working: say so now, not in a while
            self.dirty = True
        now = self.clock()
        self._expire_pending(now)
        cfg = self.config
        if self.screen == ScreenId.GUARDIAN and self.visit is not None:
            v = self.visit
            settled = (
                v.done
                and len(v.done) == len(v.child_ids)
                and all(now > c.at + cfg.undo_s for c in v.done.values())
            )
            if settled or now - v.last_touch > cfg.guardian_timeout_s:
                logger.info("guardian %s: screen timed out", v.guardian_id)
                self._idle()
        elif self.screen in (ScreenId.UNKNOWN, ScreenId.BLOCKED, ScreenId.ERROR):
            if now > self._message_until:
                self._idle()
        elif self.screen == ScreenId.PIN:
            # Waiting for the answer is not walking away: the pad's timer restarts with it.
            if self.pin.check is None and now - self.pin.last_touch > cfg.guardian_timeout_s:
                self._idle()
        elif self.screen in STAFF_SCREENS and self.staff and now - self.staff.last_touch > cfg.staff_lock_s:
            logger.info("staff mode locked after inactivity")
            self._idle()

    # -- guardian ---------------------------------------------------------------------

    def _guardian(self, intent: it.Intent) -> None:
        v = self.visit
        assert v is not None
        if isinstance(intent, it.ChooseChild) and intent.child_id in v.child_ids:
            if intent.child_id not in v.done:
                self._choose(intent.child_id, EventMethod.TOUCH)
        elif isinstance(intent, it.ChooseAll):
            todo = [c for c in v.child_ids if c not in v.done]
            self._choose_many(todo, EventMethod.TOUCH)
        elif isinstance(intent, it.Undo):
            self._undo(intent.child_id)
        elif isinstance(intent, it.Page):  # more children than fit: the screen clamps the page
            self.page = max(0, self.page + intent.delta)
        elif isinstance(intent, it.Done):
            self._idle()

    def _choose(self, child_id: str, method: EventMethod) -> None:
        self._choose_many([child_id], method)

    def _choose_many(self, child_ids: list[str], method: EventMethod) -> None:
        v = self.visit
        if v is None or not child_ids:
            return
        now = self.clock()
        changes = [(cid, self.terminal.next_type(cid)) for cid in child_ids]
        if self.handover_mode == "staff_confirmed":
            for cid, kind in changes:
                self.pending[cid] = Pending(cid, kind, v.guardian_id, method, self.now(), now)
                v.done[cid] = Choice(kind, now, pending=True)
                logger.info("handover of %s pending staff confirmation (%s)", cid, kind.value)
            self.feedback.ok()
            return
        actor = Actor(kind=ActorKind.GUARDIAN, id=v.guardian_id)
        if self._record(changes, actor, method):
            for cid, kind in changes:
                v.done[cid] = Choice(kind, now)

    def _undo(self, child_id: str) -> None:
        v = self.visit
        assert v is not None
        choice = v.done.get(child_id)
        if choice is None or self.clock() > choice.at + self.config.undo_s:
            return
        if choice.pending:
            self.pending.pop(child_id, None)
            del v.done[child_id]
            logger.info("pending handover of %s withdrawn by guardian", child_id)
            return
        actor = Actor(kind=ActorKind.GUARDIAN, id=v.guardian_id)
        if self._record([(child_id, opposite(choice.kind))], actor, EventMethod.TOUCH):
            del v.done[child_id]
            logger.info("guardian %s undid %s for %s", v.guardian_id, choice.kind.value, child_id)

    def _record(
        self,
        changes: list[tuple[str, EventType]],
        actor: Actor,
        method: EventMethod,
        *,
        confirmed_by: str | None = None,
    ) -> bool:
        try:
            self.terminal.record(changes, actor, method, confirmed_by=confirmed_by)
        except Exception:
            logger.exception("recording %d event(s) failed", len(changes))
            self._fail()
            return False
        self.status.changed()
        self.feedback.ok()
        return True

    # -- staff ------------------------------------------------------------------------

    def _pin(self, intent: it.Intent) -> None:
        p = self.pin
        if isinstance(intent, it.Done):
            self._idle()
            return
        if not isinstance(intent, it.PinKey) or p.check is not None:  # keys wait for the check
            return
        if self.clock() < p.locked_until:
            p.message, p.digits = "locked", ""
            return
        p.message = None
        if intent.key == "back":
            p.digits = p.digits[:-1]
        elif intent.key == "ok":
            self._check_pin()
        elif intent.key.isdigit() and len(p.digits) < 8:
            p.digits += intent.key

    def _check_pin(self) -> None:
        """Start checking the typed PIN on a worker thread; :meth:`tick` picks up the answer.

        PBKDF2 over every staff member's hash takes a Pi seconds in a big department, and
        the screen must keep drawing (and the watchdog keep being fed) meanwhile.
        """
        p = self.pin
        digits, p.digits = p.digits, ""
        if not digits:
            self._pin_outcome(None)
            return
        if self._pin_checker is None:
            self._pin_checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pin-check")
        p.message = "checking"
        p.check = self._pin_checker.submit(self.terminal.staff_by_pin, digits)

    def _pin_result(self) -> None:
        p = self.pin
        if p.check is None or not p.check.done():
            return
        check, p.check = p.check, None
        if self.screen != ScreenId.PIN:  # cancelled, or a tag came: unlock nothing
            logger.info("a staff PIN answer came after the pad was left; ignored")
            return
        try:
            hit = check.result()
        except Exception:
            logger.exception("checking a staff PIN failed")
            hit = None
        self.dirty = True
        self.pin.last_touch = self.clock()  # "wrong PIN" stays up as long as after a touch
        self._pin_outcome(hit)

    def _pin_outcome(self, hit: tuple[str, str] | None) -> None:
        p = self.pin
        if hit is None:
            p.failures += 1
            p.message = "wrong"
            logger.warning("wrong staff PIN (%d in a row)", p.failures)
            if p.failures >= self.config.pin_attempts:
                p.locked_until = self.clock() + self.config.pin_lockout_s
                p.failures, p.message = 0, "locked"
            self.feedback.error()
            return
        p.failures = 0
        self._unlock(*hit)
        self.feedback.ok()

    def _unlock(self, staff_id: str, name: str) -> None:
        self.visit = None
        self.staff = StaffSession(staff_id, name, self.clock())
        self.page = 0
        closing = self.is_closing()
        if self.pending:
            self.screen = ScreenId.PENDING
        elif closing and self.status.present_count() > 0:
            self.screen = ScreenId.CLOSING
        else:
            self.screen = ScreenId.STAFF
        logger.info("staff mode unlocked by %s", staff_id)

    def _staff(self, intent: it.Intent) -> None:
        s = self.staff
        assert s is not None
        actor = Actor(kind=ActorKind.STAFF, id=s.staff_id)
        if isinstance(intent, it.Show):
            self.screen, self.page = intent.screen, 0
        elif isinstance(intent, it.Done):
            self.screen, self.page = ScreenId.STAFF, 0
        elif isinstance(intent, it.Lock):
            self._idle()
        elif isinstance(intent, it.Page):
            self.page = max(0, self.page + intent.delta)
        elif isinstance(intent, it.SwitchLanguage):
            self.language = "en" if self.language == "sv" else "sv"
        elif isinstance(intent, it.Override):
            kind = self.terminal.next_type(intent.child_id)
            if self._record([(intent.child_id, kind)], actor, EventMethod.STAFF_OVERRIDE):
                self.pending.pop(intent.child_id, None)
                logger.info("staff %s: %s %s by hand", s.staff_id, kind.value, intent.child_id)
        elif isinstance(intent, it.ConfirmHandover):
            ids = list(self.pending) if intent.child_id is None else [intent.child_id]
            for cid in ids:
                self._confirm(cid, s.staff_id)
        elif isinstance(intent, it.RejectHandover) and intent.child_id in self.pending:
            del self.pending[intent.child_id]
            logger.info("staff %s rejected the handover of %s", s.staff_id, intent.child_id)

    def _confirm(self, child_id: str, staff_id: str) -> None:
        p = self.pending.get(child_id)
        if p is None:
            return
        actor = Actor(kind=ActorKind.GUARDIAN, id=p.guardian_id)
        if self._record([(child_id, p.kind)], actor, p.method, confirmed_by=staff_id):
            del self.pending[child_id]
            logger.info("staff %s confirmed %s of %s", staff_id, p.kind.value, child_id)

    def _expire_pending(self, now: float) -> None:
        for cid in [c for c, p in self.pending.items() if now - p.created > self.config.pending_expiry_s]:
            logger.warning("pending handover of %s expired unconfirmed; nothing recorded", cid)
            del self.pending[cid]
            self.dirty = True

    # -- screens ----------------------------------------------------------------------

    def _idle(self) -> None:
        self.screen, self.visit, self.staff, self.page = ScreenId.IDLE, None, None, 0
        self.pin.digits, self.pin.check = "", None  # a PIN check still running is dropped
        if self.pin.message == "checking":
            self.pin.message = None
        self.dirty = True

    def _leave_staff(self) -> None:
        self.staff = None

    def _message(self, screen: ScreenId) -> None:
        self.visit = None
        self.screen = screen
        self._message_until = self.clock() + self.config.message_s

    def _fail(self) -> None:
        self._message(ScreenId.ERROR)
        self.feedback.error()

    def local_now(self) -> dt.datetime:
        return self.now().astimezone(self.tz)

    def view(self) -> View:
        """The current state as plain data for the screens."""
        return build_view(self)
