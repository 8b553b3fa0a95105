"""`@view`: what every console page shares, so a page holds only its own logic.

A view is a plain function `(request, db, **url_params) -> HTTPResponse`. The decorator
runs it in a worker thread (the database and argon2 never block the event loop) inside
one unit of work, after:
- resolving the browser's session into `request.ctx.staff` / `request.ctx.session`
  (`bot.console.scope` reads them);
- checking the CSRF token of every state-changing request (403 without it);
- sending a signed-out browser to the sign-in page (unless `public=True`).
It then marks the response `Cache-Control: no-store` and keeps the cookies in step.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial, wraps
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment
from markupsafe import Markup
from sanic import Request
from sanic.exceptions import Forbidden
from sanic.response import HTTPResponse, html
from sanic.response import redirect as sanic_redirect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.console import security
from bot.console.throttle import SignInThrottle
from bot.services import signin
from bot.store.db import session_scope

SIGN_IN_ROUTE = "auth.sign_in"
STATIC_PREFIX = "/static"


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str  # "blueprint.route_name", as for url_for
    roles: tuple[str, ...] = ()  # StaffRole values shown the entry; () for everyone


@dataclass
class Console:
    """What the pages share, on `app.ctx.console`."""

    settings: Settings
    engine: Engine
    templates: Environment
    throttle: SignInThrottle
    secret: str  # signs CSRF tokens
    policy: signin.SignInPolicy
    cookies: security.Cookies
    nav: tuple[NavItem, ...] = field(default_factory=tuple)


class Redirect(Exception):
    """Raised anywhere in a view to answer with a redirect (the unit of work still commits)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


ViewFunction = Callable[..., HTTPResponse]
Endpoint = Callable[..., Awaitable[HTTPResponse]]


def view(function: Optional[ViewFunction] = None, *, public: bool = False) -> Any:
    """Decorate a console handler; `@view()` or `@view(public=True)`."""

    def decorate(handler: ViewFunction) -> Endpoint:
        @wraps(handler)
        async def endpoint(request: Request, **params: Any) -> HTTPResponse:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, partial(_handle, handler, public, request, params))

        endpoint.console_view = {"public": public}  # type: ignore[attr-defined]
        return endpoint

    return decorate(function) if function is not None else decorate


def console_of(request: Request) -> Console:
    return request.app.ctx.console


def now_of(request: Request) -> datetime:
    return request.ctx.now


def _handle(handler: ViewFunction, public: bool, request: Request, params: dict) -> HTTPResponse:
    console = console_of(request)
    cookies = console.cookies
    request.ctx.now = datetime.now(timezone.utc)
    session_token = request.cookies.get(cookies.session)
    pre_session = request.cookies.get(cookies.pre_session)
    new_pre_session = None
    with session_scope(console.engine) as db:
        request.ctx.db = db
        try:
            session = signin.resume(db, session_token, request.ctx.now, console.policy)
            request.ctx.session = session
            request.ctx.staff = session.staff if session else None
            if session is None and not pre_session:
                new_pre_session = pre_session = secrets.token_urlsafe(32)
            request.ctx.csrf_basis = session_token if session else pre_session
            if request.method not in security.SAFE_METHODS:
                given = request.form.get(security.CSRF_FIELD) if request.form else None
                given = given or request.headers.get(security.CSRF_HEADER)
                # The page that sent the form was made for the session, or (signed out)
                # for the pre-session cookie; either proves the same browser sent it.
                if not any(
                    security.csrf_matches(console.secret, basis, given) for basis in (session_token, pre_session)
                ):
                    raise Forbidden("The form has expired or came from another site.")
            if session is None and not public:
                response = sanic_redirect(_sign_in_url(request, ended=bool(session_token)))
            else:
                try:
                    response = handler(request, db, **params)
                except Redirect as moved:
                    response = redirect(moved.url)
        finally:
            request.ctx.db = None
    response.headers["Cache-Control"] = "no-store"
    if new_pre_session:
        cookies.set(response, cookies.pre_session, new_pre_session)
    if session_token and session is None and cookies.session not in response.cookies:
        cookies.clear(response, cookies.session)  # an ended session's cookie is of no use
    return response


def _sign_in_url(request: Request, ended: bool) -> str:
    query = {}
    if request.method == "GET" and request.path != "/":
        query["next"] = request.path + (f"?{request.query_string}" if request.query_string else "")
    if ended:
        query["ended"] = "1"
    url = request.app.url_for(SIGN_IN_ROUTE)
    return f"{url}?{urlencode(query)}" if query else url


def local_path(target: Optional[str], default: str = "/") -> str:
    """`target` if it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return default
    return target


def redirect(url: str) -> HTTPResponse:
    """303 See Other: after a POST the browser follows with a GET."""
    return sanic_redirect(url, status=303)


def csrf_token_of(request: Request) -> str:
    return security.csrf_token(console_of(request).secret, request.ctx.csrf_basis)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    """A template extending base.html, with what the layout needs: the signed-in staff
    member, the clinic shown, the navigation, the CSRF token and URL helpers."""
    from bot.console import scope  # scope imports this module

    console = console_of(request)
    staff = getattr(request.ctx, "staff", None)
    token = csrf_token_of(request)
    base = {
        "staff": staff,
        "clinic": scope.shown_clinic(request) if staff else None,
        "nav": _nav(request, console) if staff else [],
        "csrf_token": token,
        "csrf_field": lambda: Markup(f'<input type="hidden" name="{security.CSRF_FIELD}" value="{token}">'),
        "url": lambda name, **params: request.app.url_for(name, **params),
        "static": static_url,
    }
    return html(console.templates.get_template(template).render({**base, **context}), status=status)


def render_error(request: Request, status: int, title: str, message: str) -> HTTPResponse:
    """An error page without the database (it may be what failed): no staff bar."""
    console = console_of(request)
    page = console.templates.get_template("error.html").render(
        staff=None,
        clinic=None,
        nav=[],
        csrf_token=None,
        csrf_field=lambda: "",
        url=lambda name, **params: request.app.url_for(name, **params),
        static=static_url,
        status=status,
        title=title,
        message=message,
    )
    response = html(page, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def static_url(path: str) -> str:
    return f"{STATIC_PREFIX}/{path}"


def _nav(request: Request, console: Console) -> list[dict]:
    items = []
    role = request.ctx.staff.role.value
    for item in console.nav:
        if item.roles and role not in item.roles:
            continue
        url = request.app.url_for(item.route)
        items.append({"label": item.label, "url": url, "current": request.path == url})
    return items


def db_of(request: Request) -> Session:
    """The unit of work of the running view."""
    db = getattr(request.ctx, "db", None)
    if db is None:
        raise RuntimeError("no database session: call this inside a @view")
    return db
