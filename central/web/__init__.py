"""The web: guardians' and staff's pages, server-rendered (Jinja2), served by central beside the
JSON API and thin over the same domain functions (:mod:`central.access`,
:mod:`central.planning`).  Works with JavaScript off; ``static/app.js`` only adds the staff
page's self-refresh.  See docs/web.md.
"""

from __future__ import annotations

import hashlib
import logging
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from central.api.deps import ApiContext
from central.web import core, guardian, signin, staff
from central.web.config import WebConfig
from central.web.ratelimit import RateLimiter

logger = logging.getLogger(__name__)


def mount(app: FastAPI, ctx: ApiContext, config: WebConfig, *, state_secret: str) -> None:
    """Add the pages, static files and the state cookie (Authlib's OIDC state, CSRF before
    sign-in) to ``app``."""
    oauth = None
    if config.guardian_idp or config.staff_idp:
        from authlib.integrations.starlette_client import OAuth

        oauth = OAuth()
        for name, idp in (("guardian", config.guardian_idp), ("staff", config.staff_idp)):
            if idp is not None:
                oauth.register(
                    name,
                    client_id=idp.client_id,
                    client_secret=idp.client_secret,
                    server_metadata_url=idp.metadata_url,
                    client_kwargs={"scope": "openid", "code_challenge_method": "S256"},
                )
    app.state.web = core.Web(
        ctx, config, core.make_env(), RateLimiter(config.login_attempts, config.login_window_s), oauth
    )
    # The state cookie is signed with a key derived from the API secret (never the secret itself).
    key = hashlib.sha256(b"lh-web-state:" + state_secret.encode()).hexdigest()
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie="lh_state",
        max_age=3600 * config.absolute_hours,
        same_site="lax",
        https_only=config.cookie_secure,
    )
    static = str(resources.files("central.web").joinpath("static"))
    app.mount("/static", StaticFiles(directory=static), name="static")
    app.include_router(signin.router)
    app.include_router(guardian.router)
    app.include_router(staff.router)
    app.add_exception_handler(core.Redirect, _redirect)
    app.add_exception_handler(core.PageError, _page_error)


def _redirect(_r: Request, exc: Exception) -> Response:
    assert isinstance(exc, core.Redirect)
    return RedirectResponse(exc.url, status_code=303)


def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, core.PageError)
    web = core.web_of(request)
    with web.ctx.store.session() as s:
        v = core.viewer(request, s)
        response = core.render(v, "error.html", status=exc.status, message=v.words(exc.message))
    response.headers.update(exc.headers)
    return response
