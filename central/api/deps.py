"""FastAPI dependencies: the app's context, the caller (one authentication seam), scope checks.

Every scope check answers the same bare ``403 {"detail": "forbidden"}`` whether the child or
department belongs to someone else or does not exist at all, so a refusal tells the caller
nothing about other families or departments.
"""

from __future__ import annotations

import datetime as dt
import logging
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from central import access
from central.auth import Authenticator, AuthError, Principal, Role
from central.notify import LoggingNotifier, Notifier
from central.rules import local_date
from central.store import CentralStore

logger = logging.getLogger(__name__)

ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
ChildIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
DepartmentIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class ApiContext:
    """What the endpoints share: the store, the authenticator, the notifier, a change hook, a clock."""

    store: CentralStore
    authenticator: Authenticator
    notifier: Notifier = field(default_factory=LoggingNotifier)
    on_change: Callable[[str | None], None] | None = None
    clock: Callable[[], dt.datetime] = _utcnow

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return local_date(self.clock())

    def changed(self, department_id: str | None) -> None:
        """Tell the roster publisher (same process) that a department's plan changed."""
        if self.on_change is None:
            return
        try:
            self.on_change(department_id)
        except Exception:
            logger.exception("roster change hook failed for department %s", department_id)


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(context)]
_bearer = HTTPBearer(auto_error=False, description="a JWT from `lh-central token` (later: OIDC)")


def principal(ctx: Ctx, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """The caller, from the bearer token; 401 without a valid one.  A staff member's
    departments are read from the staff table (:func:`central.access.resolve`), never the token."""
    if cred is None:
        raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
    try:
        p = ctx.authenticator.authenticate(cred.credentials)
    except AuthError:
        raise HTTPException(401, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"}) from None
    if p.role != "staff":
        return p
    with ctx.store.session() as s:
        try:
            return access.resolve(s, p)
        except access.Forbidden:
            raise forbidden() from None


_query_rules: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def _is_sequence(annotation: object) -> bool:
    """Whether a query parameter's annotation takes several values (``list[str] | None`` etc.)."""
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    return any(_is_sequence(a) for a in typing.get_args(annotation)) if origin is not None else False


def reject_unknown_query(request: Request) -> None:
    """422 for a query parameter the endpoint does not take, or a one-value parameter given twice:
    a typo must not silently do nothing, and ``?department_id=a&department_id=b`` must not
    silently mean b."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    rules = _query_rules.get(id(route))
    if rules is None:
        names: set[str] = set()
        multi: set[str] = set()
        stack = [dependant]
        while stack:  # the endpoint's own query parameters and those of its dependencies
            d = stack.pop()
            for p in d.query_params:
                names.add(p.alias)
                if _is_sequence(p.field_info.annotation):
                    multi.add(p.alias)
            stack.extend(d.dependencies)
        rules = _query_rules[id(route)] = (frozenset(names), frozenset(multi))
    allowed, multi_valued = rules
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise HTTPException(422, f"unknown query parameter(s): {', '.join(unknown)}")
    keys = [k for k, _ in request.query_params.multi_items()]
    repeated = sorted({k for k in keys if keys.count(k) > 1} - multi_valued)
    if repeated:
        raise HTTPException(422, f"query parameter(s) given more than once: {', '.join(repeated)}")


def forbidden() -> HTTPException:
    return HTTPException(403, "forbidden")


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only the given roles."""

    def check(p: Annotated[Principal, Depends(principal)]) -> Principal:
        if p.role not in roles:
            raise forbidden()
        return p

    return check


def db(ctx: Ctx) -> Iterator[Session]:
    with ctx.store.session() as s:
        yield s


DB = Annotated[Session, Depends(db)]
GuardianP = Annotated[Principal, Depends(require("guardian"))]
StaffP = Annotated[Principal, Depends(require("staff"))]
AdminP = Annotated[Principal, Depends(require("admin"))]


def guardian_child(child_id: ChildIdPath, p: GuardianP, s: DB) -> str:
    """The path's child, if the calling guardian is one of its guardians; 403 otherwise."""
    try:
        return access.guardian_child(s, p, child_id)
    except access.Forbidden:
        raise forbidden() from None


def staff_department(department_id: DepartmentIdPath, p: StaffP) -> str:
    """The path's department, if it is one of the calling staff member's; 403 otherwise."""
    try:
        return access.staff_department(p, department_id)
    except access.Forbidden:
        raise forbidden() from None


def staff_child(child_id: ChildIdPath, p: StaffP, s: DB) -> tuple[str, str]:
    """The path's child and its department, if that is one of the caller's; 403 otherwise."""
    try:
        return access.staff_child(s, p, child_id)
    except access.Forbidden:
        raise forbidden() from None


GuardianChild = Annotated[str, Depends(guardian_child)]
StaffDepartment = Annotated[str, Depends(staff_department)]
StaffChild = Annotated[tuple[str, str], Depends(staff_child)]
