"""What every page shares: the signed-in viewer, rendering in the viewer's language, CSRF.

A page handler asks :func:`viewer` who is calling (from the server-side session) and gets a
:class:`Viewer` whose :attr:`~Viewer.principal` is the same :class:`~central.auth.Principal`
the JSON API works with, resolved through :mod:`central.access` (staff departments from the
staff table).  Handlers then call the same domain functions as the API.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import re
import secrets
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from central import access
from central.api.deps import ApiContext
from central.auth import Principal
from central.db.schema import Guardian, Staff, WebSession
from central.rules.timeutil import STOCKHOLM
from central.web import sessions
from central.web.config import WebConfig
from central.web.i18n import DEFAULT, LANGUAGES, N_, Words
from central.web.ratelimit import RateLimiter

logger = logging.getLogger(__name__)

LANG_COOKIE = "lh_lang"
STATE_CSRF = "csrf"


class Redirect(Exception):
    """Stop the handler and send the browser to ``url`` (e.g. to sign in)."""

    def __init__(self, url: str) -> None:
        self.url = url


class PageError(Exception):
    """Show the error page with ``status`` (403, 404, 429...) and a translated message id."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Web:
    """The web's shared state (``app.state.web``)."""

    ctx: ApiContext
    config: WebConfig
    env: Environment
    limiter: RateLimiter
    oauth: Any = None

    @property
    def idle(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.config.idle_minutes)

    @property
    def absolute(self) -> dt.timedelta:
        return dt.timedelta(hours=self.config.absolute_hours)


_NOTE_KINDS = {
    "schedule": N_("Schedule"),
    "early_pickup": N_("Picked up earlier"),
    "pickup_by": N_("Picked up by"),
    "walk_home_alone": N_("Walks home alone"),
    "late_dropoff": N_("Dropped off later"),
    "note": N_("Message"),
    "leave": N_("Leave"),
}
WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def _note(note: Any, words: Words) -> str:
    """A plan note in the viewer's words, with who stands behind it:
    "Picked up by: Mormor Eva 15:00 (agreement by Anna S.)"."""
    if note.kind == "schedule":
        return words("From the schedule")
    parts = [words(_NOTE_KINDS.get(note.kind, note.kind))]
    details = []
    if note.person is not None:
        details.append(note.person.display)
    if note.time is not None:
        details.append(note.time.strftime("%H:%M"))
    if note.text:
        details.append(note.text)
    text = ": ".join([parts[0], " ".join(details)]) if details else parts[0]
    author = getattr(note, "author", None)
    if author is not None:
        by = (
            words("agreement by %(name)s", name=author.display_name)
            if note.kind != "leave"
            else words("registered by %(name)s", name=author.display_name)
        )
        text += f" ({by})"
    return text


def tel_href(phone: str) -> str:
    """A ``tel:`` link's target for a number as people write it (RFC 3966: no spaces)."""
    return re.sub(r"[^\d+]", "", phone)


def make_env() -> Environment:
    path = str(resources.files("central.web").joinpath("templates"))
    env = Environment(loader=FileSystemLoader(path), autoescape=select_autoescape(["html"]))
    env.filters["hhmm"] = lambda t: t.strftime("%H:%M") if t else ""
    env.filters["localtime"] = lambda t: t.astimezone(STOCKHOLM).strftime("%H:%M") if t else ""
    env.filters["weekday"] = lambda d, words: words(WEEKDAY_NAMES[d.weekday()])
    env.filters["note"] = _note
    env.filters["tel"] = tel_href
    return env


def web_of(request: Request) -> Web:
    w: Web = request.app.state.web
    return w


@dataclass
class Viewer:
    """The person behind a request: signed in (``row``) or not, their language and CSRF token."""

    request: Request
    web: Web
    lang: str
    row: WebSession | None = None
    principal: Principal | None = None
    name: str = ""
    acting_for_name: str = ""
    csrf: str = ""
    set_state_csrf: bool = False
    words: Words = field(init=False)

    def __post_init__(self) -> None:
        self.words = Words(self.lang)

    @property
    def role(self) -> str | None:
        return self.row.role if self.row else None


def _lang(request: Request, row: WebSession | None) -> str:
    if row is not None and row.lang in LANGUAGES:
        return row.lang
    lang = request.cookies.get(LANG_COOKIE, DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def viewer(request: Request, s: Session) -> Viewer:
    """Who is calling, from the session cookie (an expired session counts as signed out)."""
    web = web_of(request)
    now = web.ctx.now()
    row = sessions.load(
        s, request.cookies.get(sessions.COOKIE), now=now, idle=web.idle, absolute=web.absolute
    )
    s.commit()
    v = Viewer(request, web, _lang(request, row), row)
    if row is None:
        token = request.session.get(STATE_CSRF)
        if not token:
            token = request.session[STATE_CSRF] = secrets.token_urlsafe(24)
        v.csrf = token
        return v
    v.csrf = row.csrf
    if row.role == "guardian" and row.guardian_id:
        v.principal = Principal(row.guardian_id, "guardian", guardian_id=row.guardian_id)
        g = s.get(Guardian, row.guardian_id)
        v.name = g.name if g else ""
    elif row.role == "staff" and row.staff_id:
        try:
            p = access.resolve(s, Principal(row.staff_id, "staff"))
        except access.Forbidden:
            p = None  # removed from the staff table since signing in
        if p is not None:
            acting = request.session.get("acting_for")
            if acting and access.may_act_for(s, p, acting):
                p = Principal(p.subject, "staff", guardian_id=acting, department_ids=p.department_ids)
                g = s.get(Guardian, acting)
                v.acting_for_name = g.name if g else ""
            v.principal = p
            st = s.get(Staff, row.staff_id)
            v.name = st.name if st else ""
    return v


def require(v: Viewer, role: str) -> Principal:
    """The viewer's principal if they are signed in as ``role``; else off to sign in (or 403)."""
    if v.row is None:
        raise Redirect("/")
    if v.row.role is None:
        raise Redirect("/role")
    if v.principal is None or v.principal.role != role:
        raise PageError(403, N_("This page is not available in the role you chose."))
    return v.principal


def check_csrf(v: Viewer, form: Any) -> None:
    sent = str(form.get("csrf", ""))
    if not v.csrf or not hmac.compare_digest(sent, v.csrf):
        raise PageError(400, N_("The form had expired. Go back, reload the page and try again."))


def render(v: Viewer, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = v.web.env.get_template(template).render(
        v=v, _=v.words, ngettext=v.words.ngettext, lang=v.lang, csrf=v.csrf, path=v.request.url.path, **values
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


SECURITY_HEADERS = {
    # Everything is served from central itself; no inline script, no third party.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self' http: https:; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def set_cookie(web: Web, response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=web.config.cookie_secure,
        samesite="lax",
        path="/",
    )


def start_session(v: Viewer, s: Session, who: sessions.Identity) -> RedirectResponse:
    """Sign ``who`` in: a new server-side session (the old one, if any, ends), then onwards."""
    sessions.end(s, v.request.cookies.get(sessions.COOKIE))
    token = sessions.create(s, who, lang=v.lang, now=v.web.ctx.now())
    s.commit()
    v.request.session.pop("acting_for", None)
    v.request.session.pop(STATE_CSRF, None)
    response = see_other("/role" if len(who.roles) > 1 else "/")
    set_cookie(v.web, response, sessions.COOKIE, token)
    return response


def client_key(request: Request) -> str:
    return _client(request)
