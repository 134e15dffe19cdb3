"""Issue 10, task 1: the device's connection sentence fits its technician screen whole: the
key column's second row says when, the value rows carry every word (nothing ellipsized)."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from device.display.controller import Controller
from device.display.screens.technician import ERROR_CONTINUED
from device.display.ui import Display
from protocol.connection import ConnectHints, explain
from tests.display.test_reader_status import technician

DEVICE_HINTS = ConnectHints(
    host="mqtt.partille.example",
    port=8883,
    username="solen-1",
    tls=True,
    client_cert=False,
    ca_option="mqtt.tls_ca",
    cert_option="mqtt.tls_cert and mqtt.tls_key",
    url_option="mqtt.url",
    password_option="mqtt.password_file",
)


@pytest.mark.parametrize(
    "sentence",
    [
        explain(
            OSError("[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required"),
            DEVICE_HINTS,
        ),
        explain(ConnectionRefusedError(111, "Connection refused"), DEVICE_HINTS),
        "the broker's certificate is for mqtt.partille.example, not 10.0.0.5: connect to "
        "mqtt.partille.example (mqtt.url), or re-issue it with --alt-name 10.0.0.5",
    ],
)
def test_the_whole_sentence_is_on_the_technician_screen(
    controller: Controller, display: Display, sentence: str
) -> None:
    controller.status.link_state = lambda: SimpleNamespace(
        connected=False, central_online=None, last_error=sentence
    )
    controller.tick()
    rows = technician(display)
    keys = list(rows)
    first = keys.index("Senaste fel")
    parts = [rows[keys[first]], rows[keys[first + 1]]]
    assert keys[first + 1].endswith("anslutningen")
    if keys[first + 2] == ERROR_CONTINUED:  # a third row when two cannot hold it
        parts.append(rows[keys[first + 2]])
    shown = " ".join(parts)
    assert shown == sentence and "…" not in shown
    if os.environ.get("LH_SCREENSHOTS"):
        display.screenshot(f"/tmp/technician-{len(sentence)}.png")
