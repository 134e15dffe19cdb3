"""The one validation path: bytes off the wire to typed messages, and back.

Device and central both decode through here, so a message one side accepts the
other accepts too.  Errors are :class:`ProtocolError` with a message short enough
for a dead-letter row or an ack reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from protocol.messages import Ack, CentralStatus, DeviceStatus, Event, Roster

#: Upper bound on events in one message; a device's drain batches stay far below it.
MAX_BATCH = 1000
MAX_PAYLOAD_BYTES = 1_000_000


class ProtocolError(ValueError):
    """A payload that is not a valid message of the expected kind."""


def _short(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:3]:
        loc = ".".join(str(p) for p in e["loc"]) or "(root)"
        parts.append(f"{loc}: {e['msg']}")
    more = err.error_count() - 3
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _load(payload: bytes | str) -> Any:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    except RecursionError:  # [[[[... : a poison message central would retry for ever
        raise ProtocolError("JSON nested too deeply") from None


def split_events(payload: bytes | str) -> list[Any]:
    """The raw items of an events payload: one object or an array of them."""
    data = _load(payload)
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        if not data:
            raise ProtocolError("empty event batch")
        if len(data) > MAX_BATCH:
            raise ProtocolError(f"batch of {len(data)} events exceeds {MAX_BATCH}")
        return data
    raise ProtocolError("events payload must be an object or an array of objects")


def decode_event(item: Any) -> Event:
    """Validate one raw item of an events payload."""
    try:
        return Event.model_validate(item)
    except ValidationError as exc:
        raise ProtocolError(_short(exc)) from None


def decode_events(payload: bytes | str) -> list[Event]:
    """All events of a payload; raises on the first invalid one."""
    return [decode_event(item) for item in split_events(payload)]


def _decode(model: type[BaseModel], payload: bytes | str) -> Any:
    data = _load(payload)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(_short(exc)) from None


def decode_ack(payload: bytes | str) -> Ack:
    return _decode(Ack, payload)


def decode_roster(payload: bytes | str) -> Roster:
    return _decode(Roster, payload)


def decode_status(payload: bytes | str) -> DeviceStatus:
    return _decode(DeviceStatus, payload)


def decode_central_status(payload: bytes | str) -> CentralStatus:
    return _decode(CentralStatus, payload)


_EVENTS = TypeAdapter(list[Event])


def encode(message: BaseModel) -> bytes:
    """Compact JSON with the wire names (``schema``, not ``schema_``).

    A roster's receivers-first fields (:attr:`Roster.RECEIVERS_FIRST`) are left out while
    None: a device release that does not know them refuses even ``"unit": null``.
    """
    exclude: set[str] | None = None
    if isinstance(message, Roster):
        exclude = {f for f in Roster.RECEIVERS_FIRST if getattr(message, f) is None} or None
    return message.model_dump_json(by_alias=True, exclude_none=False, exclude=exclude).encode()


def _release(version: str | None) -> tuple[int, ...] | None:
    """``"0.2.0"`` (or ``"0.2.0.dev3+g1a2b"``) as ``(0, 2, 0)``; None if it says no release."""
    m = re.match(r"^v?(\d+(?:\.\d+)*)", version or "")
    return tuple(int(p) for p in m.group(1).split(".")) if m else None


def understands(version: str | None, since: str) -> bool:
    """Whether a device reporting release ``version`` accepts a field added in ``since``."""
    have, need = _release(version), _release(since)
    if have is None or need is None:
        return False
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) >= need + (0,) * (width - len(need))


def for_receivers(roster: Roster, versions: Iterable[str | None]) -> Roster:
    """``roster`` without the receivers-first fields some device of ``versions`` would refuse.

    ``versions`` are the releases the department's devices report in their status (None:
    not known yet).  No device at all: nothing to hold back.
    """
    versions = list(versions)
    drop = {
        name: None
        for name, since in Roster.RECEIVERS_FIRST.items()
        if getattr(roster, name) is not None and not all(understands(v, since) for v in versions)
    }
    return roster.model_copy(update=drop) if drop else roster


def encode_events(events: list[Event]) -> bytes:
    """One event as an object, several as an array."""
    if len(events) == 1:
        return encode(events[0])
    return _EVENTS.dump_json(events, by_alias=True)
