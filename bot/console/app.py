"""The console's Sanic app: its page groups, the navigation, errors and headers.

`aftercare console` runs it (`aftercare serve` starts that next to the assistant); tests
serve `create_app(...)` on a free port.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Optional

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from bot import local_secret
from bot.config import Settings
from bot.console import auth, clients, clinics, conversation, home, imports, insights, security
from bot.console.throttle import SignInThrottle
from bot.console.view import STATIC_PREFIX, Console, NavItem, console_of, render_error
from bot.services.signin import SignInPolicy
from bot.store.db import ensure_schema

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# Each group of pages is a blueprint in a module of its own; register it here.
BLUEPRINTS = (auth.bp, home.bp, clinics.bp, clients.bp, imports.bp, conversation.bp, insights.bp)
# The navigation bar of a signed-in page, in order: a page group adds its entry here.
NAV = (
    NavItem("Inbox", "home.inbox"),
    NavItem("Clients", "clients.index"),
    NavItem("Import bookings", "imports.form"),
    NavItem("Review", "insights.review"),
    NavItem("Insights", "insights.page", roles=insights.ROLES),
)

MAX_REQUEST_BYTES = 2 * 1024 * 1024
# Seconds a page may take: an uploaded bookings file is imported while staff wait, and
# Sanic's default (60) would answer 503 while the import still runs to its end.
RESPONSE_TIMEOUT = 300

log = logging.getLogger(__name__)

ERRORS = {
    400: ("Bad request", "The request could not be read. Go back and try again."),
    403: (
        "Not allowed",
        "The form was open too long or came from another site. Go back, reload the page and try again.",
    ),
    404: ("Not found", "There is no such page, or it belongs to another clinic."),
    405: ("Not allowed", "That address does not take this kind of request."),
    413: ("Too large", "What was sent is too large."),
    500: ("Something went wrong", "The console could not answer. Try again in a moment."),
}


class ConsoleErrors(ErrorHandler):
    """Every error as a page of the console, saying what to do; never a traceback."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        status = exception.status_code if isinstance(exception, SanicException) else 500
        if status >= 500:
            # The type and where, not the message: it could quote personal data.
            log.error("console error %s", type(exception).__name__, exc_info=exception)
        title, message = ERRORS.get(status, ERRORS[500] if status >= 500 else ERRORS[400])
        return render_error(request, status, title, message)


def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def create_app(settings: Settings, engine: Optional[Engine] = None, name: Optional[str] = None) -> Sanic:
    """The console app on `engine` (default: the configured database, migrated)."""
    engine = engine or ensure_schema(settings.database_url)
    app = Sanic(name or f"aftercare_console_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.config.RESPONSE_TIMEOUT = RESPONSE_TIMEOUT
    if settings.console_proxies:
        app.config.PROXIES_COUNT = settings.console_proxies  # the address from X-Forwarded-For
    app.ctx.console = Console(
        settings=settings,
        # SQLite: take the write lock when a unit of work begins, so concurrent requests
        # queue (busy timeout) instead of failing to upgrade a read lock. No-op elsewhere.
        engine=engine.execution_options(sqlite_begin="IMMEDIATE"),
        templates=templates(),
        throttle=SignInThrottle(settings.console_rate_limit_url),
        secret=local_secret.configured_or_generated(
            settings.console_secret, "AFTERCARE_CONSOLE_SECRET", settings.data_dir / "console_secret"
        ),
        policy=SignInPolicy(idle=timedelta(minutes=settings.console_idle_minutes)),
        cookies=security.Cookies.for_settings(settings),
        nav=NAV,
    )
    app.static(STATIC_PREFIX, str(STATIC), name="static")
    for blueprint in BLUEPRINTS:
        app.blueprint(blueprint)
    app.error_handler = ConsoleErrors()

    @app.on_response
    async def headers(request: Request, response: HTTPResponse) -> None:
        security.add_headers(response, console_of(request).settings.console_https)

    return app
