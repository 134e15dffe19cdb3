"""The poll loop every reader shares (TagReader.start/stop), and the simulated reader."""

from __future__ import annotations

import threading
import time

import pytest

from device.hardware.errors import InvalidUidError, ReaderError
from device.hardware.reader import base
from device.hardware.reader.base import TagReader
from device.hardware.reader.simulated import SimulatedReader

A, B = "04A23B11", "04112233445566"


class ScriptedReader(TagReader):
    """Plays a list of poll results (values, or exceptions to raise), then None."""

    def __init__(self, script: list[object], **kwargs: float) -> None:
        super().__init__(poll_interval_s=0.001, **kwargs)  # type: ignore[arg-type]
        self.script = list(script)
        self.opened = self.closed = 0
        self.done = threading.Event()

    def open(self) -> None:
        self.opened += 1

    def close(self) -> None:
        self.closed += 1

    def poll_once(self) -> str | None:
        if not self.script:
            self.done.set()
            return None
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item  # type: ignore[return-value]


class Collector:
    def __init__(self) -> None:
        self.taps: list[str] = []
        self.errors: list[Exception] = []
        self.event = threading.Event()

    def on_tap(self, uid: str) -> None:
        self.taps.append(uid)
        self.event.set()

    def on_error(self, exc: Exception) -> None:
        self.errors.append(exc)


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "ERROR_BACKOFF_S", (0.001, 0.002))


def run(reader: ScriptedReader, collector: Collector) -> None:
    reader.start(collector.on_tap, collector.on_error)
    assert reader.done.wait(5)
    reader.stop()


def test_loop_filters_reads_into_taps() -> None:
    reader, out = ScriptedReader([A, A, A, None, A, B, B]), Collector()
    run(reader, out)
    assert out.taps == [A, B]
    assert (reader.opened, reader.closed) == (1, 1)
    assert not reader.is_running


def test_failing_polls_are_reported_and_polling_goes_on() -> None:
    crash = RuntimeError("bug")
    reader, out = ScriptedReader([ReaderError("spi"), OSError(5, "EIO"), crash, A]), Collector()
    run(reader, out)
    assert [type(e) for e in out.errors] == [ReaderError, OSError, RuntimeError]
    assert out.taps == [A]


def test_a_failed_poll_breaks_a_confirmation_streak() -> None:
    reader, out = ScriptedReader([A, ReaderError("x"), A], confirm_reads=2), Collector()
    run(reader, out)
    assert out.taps == []


def test_callback_exceptions_do_not_kill_the_loop() -> None:
    reader, out = ScriptedReader([A, B]), Collector()

    def on_tap(uid: str) -> None:
        out.on_tap(uid)
        raise ValueError("ui bug")

    reader.start(on_tap, lambda exc: (_ for _ in ()).throw(ValueError("also bad")))
    assert reader.done.wait(5)
    reader.stop()
    assert out.taps == [A, B]


def test_start_twice_is_refused_and_stop_is_prompt() -> None:
    reader = ScriptedReader([])
    reader.poll_interval_s = 10.0  # stop() must not wait for the pause to end
    reader.start(lambda uid: None)
    with pytest.raises(ReaderError):
        reader.start(lambda uid: None)
    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < 1.0
    reader.stop()  # idempotent


def test_simulated_reader_delivers_normalised_taps_once() -> None:
    reader, out = SimulatedReader(wait_s=0.01), Collector()
    reader.start(out.on_tap)
    try:
        reader.tap("04:a2:3b:11")
        reader.tap("04A23B11")  # a quick second tap of the same tag
        reader.tap(B)
        deadline = time.monotonic() + 5
        while (reader.pending or len(out.taps) < 2) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        reader.stop()
    assert out.taps == [A, B]


def test_simulated_reader_poll_once_and_bad_uid() -> None:
    reader = SimulatedReader(wait_s=0)
    assert reader.poll_once() is None
    reader.tap(A)
    assert reader.poll_once() == A
    with pytest.raises(InvalidUidError):
        reader.tap("not a uid")
