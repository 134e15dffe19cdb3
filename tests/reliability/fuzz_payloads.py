"""Hypothesis strategies for hostile MQTT payloads (issue 11, task 3).

Malformed bytes, oversized payloads, wrong types, wrong schema, deep nesting, hostile
strings: the building blocks of test_fuzz_central.py and test_fuzz_device.py.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import strategies as st

#: Hypothesis examples per fuzz test. A central example is a batch of 4-8 hostile messages
#: plus 0-6 valid ones (>= 4 hostile payloads per batch, asserted in total): 250 in CI
#: (>= 1,000 payloads per database), the documented full form LH_FUZZ_EXAMPLES=2500 (>= 10,000).
EXAMPLES = int(os.environ.get("LH_FUZZ_EXAMPLES", "250"))

HOSTILE = [
    "",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "\udfff\ud800",
    "\u202e\u0645\u0631\u062d\u0628\u0627",  # right-to-left override
    "\ufeff",
    "💥" * 50,
    "'; DROP TABLE events; --",
    "%s%s%n%x",
    "../../../etc/passwd",
    "<script>alert(1)</script>",
    "Ω" * 300,
    "A" * 5000,
    "null",
    "NaN",
    "lh/v1/dev/+/events",
    "$share/central/#",
    "\r\n\t\x1b[31m",
]

hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.text(min_size=60, max_size=80))

json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)),
    max_leaves=12,
)


def dumps(obj: Any) -> bytes:
    """JSON the way a hostile client may send it (NaN, lone surrogates escaped, anything)."""
    return json.dumps(obj, allow_nan=True).encode()


@st.composite
def deep_nesting(draw: st.DrawFn) -> bytes:
    depth = draw(st.sampled_from([50, 500, 990, 1500, 5000, 100_000]))
    kind = draw(st.sampled_from(["array", "object", "in_event"]))
    if kind == "array":
        return b"[" * depth + b"]" * depth
    if kind == "object":
        return b'{"a":' * depth + b"1" + b"}" * depth
    # Deep inside an otherwise plausible event: actor = {"id": {"id": ...}}
    return b'{"schema":"lh.event/1","actor":' + b'{"id":' * depth + b"1" + b"}" * depth + b"}"


@st.composite
def oversized(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["blank", "string", "batch"]))
    if kind == "blank":
        return b" " * 1_000_001
    if kind == "string":
        return dumps({"event_id": "x", "pad": "x" * 1_000_000})
    return dumps([{"event_id": "x"}] * 1001)


malformed = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"\xff\xfe\x00",
            b"{",
            b"[",
            b"]",
            b'{"a":',
            b"NaN",
            b"Infinity",
            b"null",
            b"true",
            b"0",
            b'"a string"',
            b"[]",
            b"[null]",
            b"[[]]",
            b"{}",
            b'{"__proto__": {"admin": true}}',
            b"\xef\xbb\xbf{}",  # a BOM
        ]
    ),
)
