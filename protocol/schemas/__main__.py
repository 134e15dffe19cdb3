"""Regenerate the JSON Schema files: ``python -m protocol.schemas`` (``--check`` only compares)."""

import sys

from protocol.schemas import HERE, render, write

if "--check" in sys.argv:
    stale = [n for n, text in render().items() if not (HERE / n).exists() or (HERE / n).read_text() != text]
    if stale:
        print(f"stale schema file(s): {', '.join(stale)}; run python -m protocol.schemas", file=sys.stderr)
        sys.exit(1)
    print("protocol schemas are current")
else:
    for path in write():
        print(f"wrote {path}")
