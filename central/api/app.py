"""The FastAPI application: routers per audience and errors turned into clear 4xx answers."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from central import __version__
from central.api import admin, guardians, staff
from central.api.deps import ApiContext, reject_unknown_query
from central.auth import Authenticator
from central.notify import LoggingNotifier, Notifier
from central.planning.changes import ChangeError
from central.rules import RuleError, ScheduleConflictError
from central.store import CentralStore, StoreError

if TYPE_CHECKING:
    from central.web.config import WebConfig


def _rule_error(_r: Request, exc: Exception) -> JSONResponse:
    status = 409 if isinstance(exc, ScheduleConflictError) else 422
    return JSONResponse({"detail": str(exc)}, status_code=status)


def _change_error(_r: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ChangeError)
    detail = "forbidden" if exc.status == 403 and not str(exc) else str(exc)
    return JSONResponse({"detail": detail}, status_code=exc.status)


def _store_error(_r: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


_WHERE = ("body", "query", "path", "header", "cookie")


def field_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """pydantic's errors as ``{"field": "weeks.0.2.leave", "message": "..."}``: the field a
    form can put the message next to (dotted, list indexes from 0; a query or path parameter
    by its name; "body" for the body as a whole)."""
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        where = loc[0] if loc and loc[0] in _WHERE else ""
        parts = loc[1:] if where else loc
        message = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        out.append({"field": ".".join(parts) or where or "body", "message": message})
    return out


def _validation_error(_r: Request, exc: Exception) -> JSONResponse:
    """Malformed input: one sentence in ``detail`` like every other error, and per-field
    ``errors`` (docs/api.md) instead of FastAPI's list of pydantic dicts."""
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc.errors())
    shown = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    detail = f"invalid input: {shown}{more}; nothing was changed"
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


def _integrity_error(_r: Request, _exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "the change conflicts with stored data; nothing was changed"}, status_code=409
    )


def create_app(
    store: CentralStore,
    authenticator: Authenticator,
    *,
    notifier: Notifier | None = None,
    on_change: Callable[[str | None], None] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    web: WebConfig | None = None,
    state_secret: str | None = None,
) -> FastAPI:
    """The API over ``store``, and the web pages (:mod:`central.web`) beside it;
    ``on_change(department_id)`` is called after every plan change.  ``web`` defaults to the
    environment's settings (``LH_OIDC_*``, ``LH_WEB_*``); the state cookie is signed with a key
    derived from ``state_secret`` (default: the token authority's secret)."""
    # Swagger UI and ReDoc load their files from a public CDN: off unless LH_API_DOCS=1
    # (issue 10); /openapi.json is served either way.
    docs = os.environ.get("LH_API_DOCS", "") == "1"
    app = FastAPI(
        title="Lämna & Hämta central API",
        version=__version__,
        description="Guardians, staff and administrators. See docs/api.md.",
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    ctx = ApiContext(store, authenticator, notifier or LoggingNotifier(), on_change)
    if clock is not None:
        ctx.clock = clock
    app.state.ctx = ctx
    app.add_exception_handler(RuleError, _rule_error)
    app.add_exception_handler(ChangeError, _change_error)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    # Unknown query parameters are refused on the JSON API; the web takes what identity
    # providers add to their redirects (code, state, session_state, iss...).
    strict = [Depends(reject_unknown_query)]
    app.include_router(guardians.router, dependencies=strict)
    app.include_router(staff.router, dependencies=strict)
    app.include_router(admin.router, dependencies=strict)
    from central.web import mount  # the web builds on the API's context: import it late
    from central.web.config import WebConfig

    secret = state_secret or getattr(getattr(authenticator, "config", None), "secret", None)
    if secret is None:
        raise ValueError("the web needs a secret for its state cookie (state_secret)")
    mount(app, ctx, web if web is not None else WebConfig.from_env(), state_secret=secret)
    return app
