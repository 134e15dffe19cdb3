"""The one validation path: bytes off the wire to typed messages, and back.

Device and central both decode through here, so a message one side accepts the
other accepts too.  Errors are :class:`ProtocolError` with a message short enough
for a dead-letter row or an ack reason.
"""

from __future__ import annotations

import json
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
    """Compact JSON with the wire names (``schema``, not ``schema_``)."""
    return message.model_dump_json(by_alias=True, exclude_none=False).encode()


def encode_events(events: list[Event]) -> bytes:
    """One event as an object, several as an array."""
    if len(events) == 1:
        return encode(events[0])
    return _EVENTS.dump_json(events, by_alias=True)
