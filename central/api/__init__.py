"""Central's HTTP API (FastAPI): guardians, staff and administrators, one module each.

:func:`create_app` builds the application; ``lh-central api`` serves it with uvicorn.
"""

from central.api.app import create_app

__all__ = ["create_app"]
