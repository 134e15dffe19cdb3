"""JSON Schemas of protocol v1, generated from :mod:`protocol.messages`.

``python -m protocol.schemas`` rewrites the files; a test fails if they are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from protocol.messages import Ack, CentralStatus, DeviceStatus, Event, Roster

HERE = Path(__file__).parent

MODELS: dict[str, type[BaseModel]] = {
    "event": Event,
    "ack": Ack,
    "roster": Roster,
    "device_status": DeviceStatus,
    "central_status": CentralStatus,
}


def events_payload_schema() -> dict[str, Any]:
    """The events topic takes one event or a non-empty array of them."""
    ref = "event.schema.json"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "events-payload.schema.json",
        "title": "EventsPayload",
        "oneOf": [{"$ref": ref}, {"type": "array", "items": {"$ref": ref}, "minItems": 1}],
    }


def render() -> dict[str, str]:
    """File name -> content of every schema file."""
    out: dict[str, str] = {}
    for name, model in MODELS.items():
        schema = model.model_json_schema(by_alias=True, mode="serialization")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{name}.schema.json",
            **schema,
        }
        out[f"{name}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    out["events-payload.schema.json"] = json.dumps(events_payload_schema(), indent=2, sort_keys=True) + "\n"
    return out


def write(directory: Path = HERE) -> list[Path]:
    written = []
    for name, text in render().items():
        path = directory / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written
