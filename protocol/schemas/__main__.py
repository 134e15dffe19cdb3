"""Regenerate the JSON Schema files: ``python -m protocol.schemas``."""

from protocol.schemas import write

for path in write():
    print(f"wrote {path}")
