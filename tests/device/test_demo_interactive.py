"""Issue 10, task 8: the interactive demo.  A ``device>`` prompt after each answer; screenshot
and touch work (the device runs with its screen); before the roster a tap says it is waiting
for it; ``quit`` says how many events remain unsent."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from device.config import DeviceConfig
from device.core import Terminal
from device.demo import DEMO_TAG_KEY, demo_roster
from device.demo.plan import with_demo_plan
from device.runner import run_device
from device.script import HeadlessTapper
from device.store import DeviceStore
from tests.broker import free_port

ANNA = "04A1B2C3"


def test_a_tap_before_the_roster_says_it_waits_for_it(tmp_path: Path) -> None:
    store = DeviceStore(tmp_path / "d.sqlite3", device_id="dev-a")
    try:
        out = io.StringIO()
        HeadlessTapper(Terminal(store, DEMO_TAG_KEY), out).tap(ANNA)
        assert (
            out.getvalue() == "tap: waiting for the roster (none from central yet): try again in a moment\n"
        )
    finally:
        store.close()


@pytest.mark.parametrize("headless", [True, False])
def test_quit_says_how_many_events_are_unsent(tmp_path: Path, headless: bool) -> None:
    cfg = DeviceConfig(
        device_id="demo",
        store={"path": tmp_path / "d.sqlite3"},
        mqtt={"url": f"mqtt://127.0.0.1:{free_port()}"},  # nobody there: nothing can be sent
    )
    out = io.StringIO()
    script = "tap 04AABBCC\n" if headless else "tap 04AABBCC\ntouch 595 433\n"  # Karin: one child
    run_device(
        cfg,
        simulate=True,
        headless=headless,
        tag_key=DEMO_TAG_KEY,
        seed_roster=with_demo_plan(demo_roster()),
        connect=True,
        script=io.StringIO(script + "status\nquit\n"),
        out=out,
    )
    text = out.getvalue()
    assert "status: outbox 1 " in text, text
    assert f"quit: 1 event(s) not yet acknowledged by central; they stay in {tmp_path / 'd.sqlite3'}" in text


def test_the_demo_prompts_after_each_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """scripts/demo's ``interact`` against a stand-in device that answers each line."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    try:
        import demo
    finally:
        sys.path.pop(0)
    fake = (
        "import sys\n"
        "print('ready: first frame', flush=True)\n"
        "for line in sys.stdin:\n"
        "    print('answer: ' + line.strip(), flush=True)\n"
        "    if line.strip() == 'quit': break\n"
    )
    typed = iter(["help", "screenshot x.png", "touch 1 2", ""])
    prompts: list[str] = []

    def fake_input(prompt: str) -> str:
        prompts.append(prompt)
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", fake_input)
    demo.interact([sys.executable, "-c", fake], dict())
    out = capsys.readouterr().out
    assert prompts and set(prompts) == {"device> "}
    assert out.index("ready: first frame") < out.index("device commands")  # help after the first frame
    assert "answer: help" not in out  # help is the demo's own
    for line in ("answer: screenshot x.png", "answer: touch 1 2", "answer: quit"):
        assert line in out
