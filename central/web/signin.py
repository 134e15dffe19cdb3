"""Signing in and out: the front page, OpenID Connect for guardians (BankID/Freja through the
municipality's provider) and staff, local staff passwords, choosing a role, the language.

An ID token is checked by Authlib (signature against the provider's JWKS, issuer, audience,
nonce, expiry; PKCE on the code).  A guardian's personal identity number is turned into the
site-keyed digest at once and only that is looked up: the number is never stored or logged.
Every failure a person could cause answers the same way whether an account exists or not.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error
from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.db.schema import Guardian, Staff, WebSession
from central.identity import IdentityNumberError, pnr_digest
from central.web import core, sessions
from central.web.core import PageError, render, see_other
from central.web.i18n import LANGUAGES, N_

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
_hasher = PasswordHasher()
# Verified when the user name is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


def db(request: Request) -> Any:
    with core.web_of(request).ctx.store.session() as s:
        yield s


DB = Annotated[Session, Depends(db)]


@router.get("/")
def front(request: Request, s: DB) -> Response:
    v = core.viewer(request, s)
    if v.row is not None:
        if v.row.role is None:
            return see_other("/role")
        return see_other("/g" if v.row.role == "guardian" else "/s")
    return render(v, "front.html", idps=v.web.config)


@router.get("/tillganglighet")
def accessibility(request: Request, s: DB) -> Response:
    return render(core.viewer(request, s), "accessibility.html")


@router.post("/lang")
def set_language(
    request: Request,
    s: DB,
    lang: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/",
) -> Response:
    v = core.viewer(request, s)
    core.check_csrf(v, {"csrf": csrf})
    if lang not in LANGUAGES:
        raise PageError(422, N_("Unknown language."))
    if v.row is not None:
        v.row.lang = lang
        s.commit()
    response = see_other(back if back.startswith("/") and not back.startswith("//") else "/")
    core.set_cookie(v.web, response, core.LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return response


# -- OpenID Connect --------------------------------------------------------------------


def _client(request: Request, kind: str) -> Any:
    web = core.web_of(request)
    idp = web.config.guardian_idp if kind == "guardian" else web.config.staff_idp if kind == "staff" else None
    if idp is None or web.oauth is None:
        raise PageError(404, N_("That way of signing in is not set up here."))
    return web.oauth.create_client(kind)


@router.get("/login/{kind}")
async def login(request: Request, kind: str) -> Response:
    client = _client(request, kind)
    if not core.web_of(request).limiter.hit("oidc:" + core.client_key(request)):
        raise PageError(429, N_("Too many attempts. Wait a few minutes and try again."))
    redirect_uri = str(request.url_for("oidc_callback", kind=kind))
    response: Response = await client.authorize_redirect(request, redirect_uri)
    return response


def _identity_for_guardian_claims(
    s: Session, key: bytes | None, claims: dict[str, Any], claim: str
) -> sessions.Identity:
    number = claims.get(claim)
    who = sessions.Identity()
    if key is None or not isinstance(number, str):
        return who
    try:
        digest = pnr_digest(key, number)
    except IdentityNumberError:
        return who
    finally:
        del number  # the plain number goes no further than this function
    who.guardian_id = s.scalar(select(Guardian.id).where(Guardian.pnr_digest == digest))
    who.staff_id = s.scalar(select(Staff.id).where(Staff.pnr_digest == digest))
    return who


def _identity_for_staff_claims(s: Session, claims: dict[str, Any], claim: str) -> sessions.Identity:
    who = sessions.Identity()
    staff_id = claims.get(claim)
    if not isinstance(staff_id, str) or not staff_id:
        return who
    staff = s.get(Staff, staff_id)
    if staff is None:
        return who
    who.staff_id = staff.id
    if staff.pnr_digest:
        who.guardian_id = s.scalar(select(Guardian.id).where(Guardian.pnr_digest == staff.pnr_digest))
    return who


@router.get("/auth/{kind}", name="oidc_callback")
async def oidc_callback(request: Request, kind: str) -> Response:
    client = _client(request, kind)
    web = core.web_of(request)
    if not web.limiter.hit("oidc:" + core.client_key(request)):
        raise PageError(429, N_("Too many attempts. Wait a few minutes and try again."))
    if "error" in request.query_params:  # the person cancelled at the identity provider
        return see_other("/")
    try:
        token = await client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise ValueError("no ID token")
    except Exception as exc:  # Authlib raises OAuthError, JoseError and friends; all mean "no"
        logger.warning("sign-in (%s) refused: %s", kind, type(exc).__name__)
        raise PageError(400, N_("The sign-in could not be completed. Please try again.")) from None
    idp = web.config.guardian_idp if kind == "guardian" else web.config.staff_idp
    assert idp is not None
    return await run_in_threadpool(_finish_oidc, request, kind, claims, idp.claim)


def _finish_oidc(request: Request, kind: str, claims: dict[str, Any], claim: str) -> Response:
    web = core.web_of(request)
    with web.ctx.store.session() as s:
        if kind == "guardian":
            who = _identity_for_guardian_claims(s, web.ctx.store.tag_key(), claims, claim)
        else:
            who = _identity_for_staff_claims(s, claims, claim)
        claims.clear()
        v = core.viewer(request, s)
        if not who.roles:
            logger.info("sign-in (%s) by a person central does not know", kind)
            return render(v, "unknown.html", status=403, contact=web.config.contact_text)
        logger.info("signed in: guardian=%s staff=%s", who.guardian_id, who.staff_id)
        return core.start_session(v, s, who)


# -- local staff passwords -------------------------------------------------------------


@router.get("/login")
def password_form(request: Request, s: DB) -> Response:
    return render(core.viewer(request, s), "login_password.html", errors={}, username="")


@router.post("/login")
def password_login(
    request: Request,
    s: DB,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    v = core.viewer(request, s)
    core.check_csrf(v, {"csrf": csrf})
    limiter = v.web.limiter
    if not limiter.hit("pw:" + core.client_key(request)) or not limiter.hit("user:" + username.casefold()):
        raise PageError(
            429,
            N_("Too many attempts. Wait a few minutes and try again."),
            headers={"Retry-After": str(limiter.retry_after("pw:" + core.client_key(request)))},
        )
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = v.words("Enter your user name.")
    if not password:
        errors["password"] = v.words("Enter your password.")
    if errors:
        return render(v, "login_password.html", status=422, errors=errors, username=username)
    staff = s.scalar(select(Staff).where(Staff.username == username.strip()))
    try:
        _hasher.verify(staff.password_hash if staff and staff.password_hash else _DUMMY_HASH, password)
        ok = staff is not None and staff.password_hash is not None
    except Argon2Error:
        ok = False
    if not ok or staff is None:
        # The same words whether the name exists or not.
        errors["password"] = v.words("The user name or password is wrong.")
        return render(v, "login_password.html", status=401, errors=errors, username=username)
    if staff.password_hash and _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    who = sessions.Identity(staff_id=staff.id)
    if staff.pnr_digest:
        who.guardian_id = s.scalar(select(Guardian.id).where(Guardian.pnr_digest == staff.pnr_digest))
    return core.start_session(v, s, who)


# -- role, log-out ---------------------------------------------------------------------


@router.get("/role")
def role_form(request: Request, s: DB) -> Response:
    v = core.viewer(request, s)
    if v.row is None:
        return see_other("/")
    return render(v, "role.html", roles=_roles(v.row))


def _roles(row: WebSession) -> list[str]:
    return sessions.Identity(row.guardian_id, row.staff_id).roles


@router.post("/role")
def choose_role(
    request: Request, s: DB, role: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""
) -> Response:
    v = core.viewer(request, s)
    if v.row is None:
        return see_other("/")
    core.check_csrf(v, {"csrf": csrf})
    roles = _roles(v.row)
    if role not in roles:
        return render(
            v, "role.html", status=422, roles=roles, error=v.words("Choose how you want to continue.")
        )
    # The role holds for the whole session: to change it, sign out and in again.
    if v.row.role is None:
        v.row.role = role
        s.commit()
    return see_other("/")


@router.post("/logout")
def logout(request: Request, s: DB, csrf: Annotated[str, Form()] = "") -> Response:
    v = core.viewer(request, s)
    core.check_csrf(v, {"csrf": csrf})
    sessions.end(s, request.cookies.get(sessions.COOKIE))
    s.commit()
    request.session.clear()
    response = see_other("/?signed_out=1")
    response.delete_cookie(sessions.COOKIE, path="/")
    return response
