"""TapFilter: held or repeated tags are one tap; single glitchy reads are none."""

from __future__ import annotations

import pytest

from device.hardware.reader.taps import TapFilter

A, B = "04A23B11", "04112233445566"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def feed_all(
    tap_filter: TapFilter, clock: FakeClock, reads: list[str | None], step: float = 0.1
) -> list[str]:
    taps = []
    for uid in reads:
        tap = tap_filter.feed(uid)
        if tap is not None:
            taps.append(tap)
        clock.now += step
    return taps


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_tag_held_for_a_minute_is_one_tap(clock: FakeClock) -> None:
    taps = feed_all(TapFilter(confirm_reads=2, clock=clock), clock, [A] * 600)
    assert taps == [A]


def test_second_read_confirms_the_tap(clock: FakeClock) -> None:
    tap_filter = TapFilter(confirm_reads=2, clock=clock)
    assert tap_filter.feed(A) is None
    assert tap_filter.feed(A) == A


def test_single_read_is_not_a_tap(clock: FakeClock) -> None:
    reads: list[str | None] = [None, A, None, None, A, None, B, A, None]
    assert feed_all(TapFilter(confirm_reads=2, clock=clock), clock, reads) == []


def test_tapped_twice_quickly_is_one_tap(clock: FakeClock) -> None:
    reads: list[str | None] = [A, A, A, None, None, None, None, A, A, A, None]
    assert feed_all(TapFilter(confirm_reads=2, clock=clock), clock, reads) == [A]


def test_window_runs_from_when_the_tag_was_last_seen(clock: FakeClock) -> None:
    tap_filter = TapFilter(repeat_window_s=3.0, clock=clock)
    assert feed_all(tap_filter, clock, [A] * 50, step=0.1) == [A]  # held 5 s
    clock.now += 2.9
    assert tap_filter.feed(A) is None  # back within 3 s of last seen: same tap
    clock.now += 3.1
    assert tap_filter.feed(A) == A  # away longer than the window: a new tap


def test_different_tags_are_independent(clock: FakeClock) -> None:
    reads: list[str | None] = [A, B, A, B]
    assert feed_all(TapFilter(clock=clock), clock, reads) == [A, B]


def test_zero_window_still_merges_a_held_tag(clock: FakeClock) -> None:
    tap_filter = TapFilter(repeat_window_s=0.0, clock=clock)
    assert [tap_filter.feed(A), tap_filter.feed(A)] == [A, None]
    clock.now += 0.5
    assert tap_filter.feed(A) == A


def test_reset_forgets(clock: FakeClock) -> None:
    tap_filter = TapFilter(clock=clock)
    assert tap_filter.feed(A) == A
    tap_filter.reset()
    assert tap_filter.feed(A) == A


@pytest.mark.parametrize("kwargs", [{"repeat_window_s": -1}, {"confirm_reads": 0}])
def test_invalid_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TapFilter(**kwargs)  # type: ignore[arg-type]
