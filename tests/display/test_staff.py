"""Unknown tags, staff mode (tag and PIN), overrides, evacuation, closing, staff-confirmed handovers."""

from __future__ import annotations

import io
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future

import pytest

from device.app import DeviceApp
from device.display import intents as it
from device.display import theme
from device.display.controller import Controller
from device.display.intents import ScreenId
from device.display.loop import UiLoop
from device.display.ui import Display
from protocol.codec import decode_events
from protocol.tags import hash_pin
from tests.display.conftest import (
    ANNA,
    KARIN,
    STAFF_PIN,
    STAFF_TAG,
    FakeClock,
    MakeController,
    events,
    settle_pin,
)


@pytest.fixture
def mock_pins() -> Iterator[object]:
    gpiozero = pytest.importorskip("gpiozero")
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    factory = MockFactory(pin_class=MockPWMPin)
    gpiozero.Device.pin_factory = factory
    yield factory
    factory.reset()
    gpiozero.Device.pin_factory = None


def test_unknown_tag_shows_message_red_light_and_keeps_digest(
    app: DeviceApp, make_controller: MakeController, surface_for, mock_pins
) -> None:
    feedback_mod = pytest.importorskip("device.hardware.feedback")
    fb = feedback_mod.GpioFeedback(green_pin=17, red_pin=27, buzzer_pin=22, pin_factory=mock_pins)
    try:
        c = make_controller(feedback=fb)
        display = Display(c, surface_for((800, 480)))
        c.on_tap("DEADBEEF")
        assert c.screen == ScreenId.UNKNOWN
        display.render()
        assert display.surface.get_at((400, 60))[:3] == theme.DANGER
        assert any(t == "Okänd bricka" for t, _, _ in display.painter.texts)
        fb.wait(0.01)  # let the worker apply the first step
        assert mock_pins.pin(27).state  # red on
        assert not mock_pins.pin(17).state
        assert events(app) == []
        assert c.last_unknown and len(c.last_unknown) == 64
    finally:
        fb.close()


def test_technician_screen_shows_last_unknown_digest(controller: Controller, display: Display) -> None:
    controller.on_tap("DEADBEEF")
    digest = controller.last_unknown
    controller.on_tap(STAFF_TAG)
    controller.handle(it.Show(ScreenId.TECHNICIAN))
    view = display.render()
    assert view.tech is not None and view.tech.last_unknown == digest
    drawn = [t for t, _, _ in display.painter.texts]
    groups = [t for t in drawn if set(t) <= set("0123456789abcdef ") and len(t) > 30]
    assert "".join(groups).replace(" ", "") == digest, "all 64 hex digits, none cut off, to copy by eye"
    assert any(t == "disp-test" for t, _, _ in display.painter.texts)


def _pin(c: Controller, digits: str, *, open_pad: bool = True) -> None:
    if open_pad:
        c.handle(it.OpenPin())
    for d in digits:
        c.handle(it.PinKey(d))
    c.handle(it.PinKey("ok"))
    settle_pin(c)


def test_staff_pin_right_unlocks(controller: Controller) -> None:
    _pin(controller, STAFF_PIN)
    assert controller.screen == ScreenId.STAFF
    assert controller.staff is not None and controller.staff.staff_id == "s-lena"


def test_staff_pin_wrong_stays_locked_and_locks_out(controller: Controller, clock: FakeClock) -> None:
    _pin(controller, "1111")
    assert controller.screen == ScreenId.PIN and controller.pin.message == "wrong"
    assert controller.feedback.history[-1] == "error"  # type: ignore[attr-defined]
    for _ in range(controller.config.pin_attempts):
        _pin(controller, "1111", open_pad=False)
    _pin(controller, STAFF_PIN, open_pad=False)
    assert controller.screen == ScreenId.PIN and controller.pin.message == "locked"


def test_staff_mode_locks_after_inactivity(controller: Controller, clock: FakeClock) -> None:
    controller.on_tap(STAFF_TAG)
    assert controller.screen == ScreenId.STAFF
    clock.advance(controller.config.staff_lock_s + 1)
    controller.tick()
    assert controller.screen == ScreenId.IDLE and controller.staff is None


def test_staff_override_records_as_staff(app: DeviceApp, controller: Controller) -> None:
    controller.on_tap(STAFF_TAG)
    controller.handle(it.Override("c-liam"))
    controller.handle(it.Override("c-liam"))
    assert events(app) == [
        ("check_in", "c-liam", "staff", "staff_override"),
        ("check_out", "c-liam", "staff", "staff_override"),
    ]


def test_staff_list_shows_deviations(make_controller: MakeController, surface_for) -> None:
    c = make_controller(at="16:45")
    c.on_tap(KARIN)  # Ines checked in, planned pickup 15:30
    c.on_tap(STAFF_TAG)
    view = Display(c, surface_for((800, 480))).render()
    rows = {r.child_id: r for r in view.rows}
    assert [d.kind for d in rows["c-ines"].deviations] == ["still_here"]
    assert [d.kind for d in rows["c-liam"].deviations] == ["not_arrived"]
    assert rows["c-omar"].deviations == ()  # on leave and not here: as planned
    assert rows["c-alva"].pickup_by == "Mormor Eva"


def test_evacuation_lists_present_children(controller: Controller, display: Display) -> None:
    controller.on_tap(KARIN)
    controller.on_tap(ANNA)
    controller.handle(it.ChooseChild("c-noah"))
    controller.on_tap(STAFF_TAG)
    controller.handle(it.Show(ScreenId.EVACUATION))
    view = display.render()
    assert {r.child_id for r in view.rows} == {"c-ines", "c-noah"}
    texts = [t for t, _, _ in display.painter.texts]
    assert "☐ Ines B." in texts and "☐ Noah S." in texts and "☐ Alva S." not in texts


def test_closing_time_lists_children_still_in_and_checks_nobody_out(
    app: DeviceApp, make_controller: MakeController, clock: FakeClock
) -> None:
    c = make_controller(at="18:15")
    c.on_tap(KARIN)
    c.handle(it.Done())
    clock.advance(3600)
    c.tick()
    assert app.terminal.status_of("c-ines") == "present"  # no silent automatic check-out
    assert c.view().closing and c.view().still_in == 1
    c.on_tap(STAFF_TAG)
    assert c.screen == ScreenId.CLOSING
    assert [r.child_id for r in c.view().rows] == ["c-ines"]
    c.handle(it.Override("c-ines"))
    assert events(app)[-1] == ("check_out", "c-ines", "staff", "staff_override")


def test_staff_confirmed_handover_records_only_after_confirmation(
    app: DeviceApp, make_controller: MakeController
) -> None:
    c = make_controller(mode="staff_confirmed")
    c.on_tap(KARIN)
    assert events(app) == [] and "c-ines" in c.pending
    assert c.view().pending_count == 1
    c.on_tap(STAFF_TAG)
    assert c.screen == ScreenId.PENDING
    c.handle(it.ConfirmHandover("c-ines"))
    assert events(app) == [("check_in", "c-ines", "guardian", "tag")]
    (item,) = app.store.pending(10)
    assert decode_events(item.payload)[0].confirmed_by == "s-lena", "the record shows who owned the handover"
    assert c.pending == {}


def test_unconfirmed_handover_expires_unrecorded(
    app: DeviceApp, make_controller: MakeController, clock: FakeClock
) -> None:
    c = make_controller(mode="staff_confirmed")
    c.on_tap(ANNA)
    c.handle(it.ChooseChild("c-alva"))
    c.handle(it.Done())
    clock.advance(c.config.pending_expiry_s + 1)
    c.tick()
    assert c.pending == {} and events(app) == []


def test_rejected_handover_records_nothing(app: DeviceApp, make_controller: MakeController) -> None:
    c = make_controller(mode="staff_confirmed")
    c.on_tap(KARIN)
    c.on_tap(STAFF_TAG)
    c.handle(it.RejectHandover("c-ines"))
    assert c.pending == {} and events(app) == []


def _slow_pin_hash(app: DeviceApp, iterations: int = 1_000_000) -> None:
    """Give the staff member a PIN hash that takes a while to check, as on a Pi."""
    roster = app.terminal.roster
    assert roster is not None
    slow = hash_pin(STAFF_PIN, iterations=iterations, salt="slow")
    staff = [s.model_copy(update={"pin_hash": slow}) for s in roster.staff]
    newer = roster.model_copy(update={"staff": staff, "version": roster.version + 1})
    assert app.store.save_roster(newer)  # the terminal reads what the store kept
    app.terminal.apply_roster(newer)
    assert app.terminal.roster is not None and app.terminal.roster.staff[0].pin_hash == slow


class GatedPinCheck:
    """The terminal's real PIN check, held until the test lets it finish: "the answer comes
    late" without racing a clock."""

    def __init__(self, app: DeviceApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.gate = threading.Event()
        real = app.terminal.staff_by_pin

        def gated(pin: str) -> tuple[str, str] | None:
            self.started.set()
            assert self.gate.wait(30), "the test never released the PIN check"
            return real(pin)

        monkeypatch.setattr(app.terminal, "staff_by_pin", gated)

    def release(self, c: Controller, check: Future[tuple[str, str] | None]) -> tuple[str, str] | None:
        """Let the check finish, then one frame: what the worker answered."""
        self.gate.set()
        answer = check.result(timeout=30)
        c.tick()
        return answer


@pytest.fixture
def gated(app: DeviceApp, monkeypatch: pytest.MonkeyPatch) -> GatedPinCheck:
    return GatedPinCheck(app, monkeypatch)


def _type_pin(c: Controller, digits: str = STAFF_PIN) -> Future[tuple[str, str] | None]:
    """Open the pad, type ``digits``, press OK: the check now running."""
    c.handle(it.OpenPin())
    for d in digits:
        c.handle(it.PinKey(d))
    c.handle(it.PinKey("ok"))  # returns at once: the check runs on a worker thread
    assert c.pin.check is not None
    return c.pin.check


def test_the_screen_keeps_drawing_while_a_pin_is_checked(app: DeviceApp, display: Display) -> None:
    _slow_pin_hash(app)  # the real PBKDF2, slow as on a Pi
    c = display.controller
    check = _type_pin(c)
    assert not check.done()
    display.render()  # frames go on meanwhile
    assert display.painter is not None
    assert any(t == "Kontrollerar…" for t, _, _ in display.painter.texts)
    c.handle(it.PinKey("1"))  # keys wait for the answer
    assert c.pin.digits == ""
    settle_pin(c)
    assert c.screen == ScreenId.STAFF and c.staff is not None and c.staff.staff_id == "s-lena"


def test_frames_keep_coming_while_a_pin_is_checked(
    app: DeviceApp, display: Display, gated: GatedPinCheck
) -> None:
    """Through the real UI loop, touching the real buttons: the loop goes round (screen,
    watchdog) while the worker checks, and the answer unlocks when it comes."""
    c = display.controller
    where = {"staff": button_at(display, it.OpenPin())}
    c.handle(it.OpenPin())
    for key in (*STAFF_PIN, "ok"):
        where[key] = button_at(display, it.PinKey(key))
    c.handle(it.Done())
    script: queue.Queue[str | None] = queue.Queue()
    for key in ("staff", *STAFF_PIN, "ok"):
        script.put(f"touch {where[key][0]} {where[key][1]}")
    script.put("wait 1.0")
    script.put("quit")
    checking_frames = []
    tick = c.tick

    def counting_tick() -> None:
        if c.pin.check is not None:
            checking_frames.append(time.monotonic())
        tick()

    c.tick = counting_tick  # type: ignore[method-assign]

    def answer_later() -> None:
        if gated.started.wait(10):
            time.sleep(0.3)
        gated.gate.set()

    threading.Thread(target=answer_later, daemon=True).start()
    UiLoop(display, script=script, out=io.StringIO()).run()
    assert len(checking_frames) >= 3, checking_frames  # ~6 at 20 fps in 0.3 s; none if blocked
    assert c.screen == ScreenId.STAFF and c.staff is not None and c.staff.staff_id == "s-lena"


def button_at(display: Display, intent: it.Intent) -> tuple[int, int]:
    display.render()
    (rect,) = [b.rect for b in display.buttons if b.intent == intent]
    return rect.center


def test_a_late_answer_after_cancel_unlocks_nothing(controller: Controller, gated: GatedPinCheck) -> None:
    c = controller
    check = _type_pin(c)
    c.handle(it.Done())  # the staff member walks away mid-check
    assert c.screen == ScreenId.IDLE
    c.handle(it.OpenPin())  # someone opens a fresh pad: the old answer counts for nothing there
    assert gated.release(c, check) == ("s-lena", "Lena P."), "the PIN was right all along"
    assert c.screen == ScreenId.PIN and c.staff is None
    _pin(c, STAFF_PIN, open_pad=False)  # and the pad still works
    assert c.screen == ScreenId.STAFF


def test_a_late_answer_after_a_guardian_tap_unlocks_nothing(
    app: DeviceApp, controller: Controller, gated: GatedPinCheck
) -> None:
    c = controller
    check = _type_pin(c)
    c.on_tap(KARIN)  # a guardian taps while the pad is checking: their screen now
    assert c.screen == ScreenId.GUARDIAN
    assert gated.release(c, check) is not None
    assert c.screen == ScreenId.GUARDIAN and c.staff is None
    c.handle(it.Done())
    c.tick()
    assert c.screen == ScreenId.IDLE and c.staff is None
    assert events(app) == [("check_in", "c-ines", "guardian", "tag")]


def test_a_late_wrong_answer_after_a_staff_tag_changes_nothing(
    controller: Controller, gated: GatedPinCheck
) -> None:
    c = controller
    check = _type_pin(c, "1111")
    c.on_tap(STAFF_TAG)
    assert c.screen == ScreenId.STAFF
    history = list(c.feedback.history)  # type: ignore[attr-defined]
    assert gated.release(c, check) is None
    assert c.screen == ScreenId.STAFF and c.staff is not None
    assert c.pin.failures == 0 and c.feedback.history == history  # type: ignore[attr-defined]


def test_waiting_for_the_answer_is_not_walking_away(
    controller: Controller, clock: FakeClock, gated: GatedPinCheck
) -> None:
    """A big department on a Pi Zero may take longer than the pad's timeout to check: the
    staff member waiting for it must not be sent back to idle to start again."""
    c = controller
    check = _type_pin(c, "1111")
    clock.advance(c.config.guardian_timeout_s + 5)
    c.tick()
    assert c.screen == ScreenId.PIN and c.pin.message == "checking"
    gated.release(c, check)
    assert c.pin.message == "wrong"
    clock.advance(c.config.guardian_timeout_s - 1)  # "wrong PIN" stays long enough to read
    c.tick()
    assert c.screen == ScreenId.PIN
    clock.advance(2)
    c.tick()
    assert c.screen == ScreenId.IDLE
