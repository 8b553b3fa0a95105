"""The staff console served for real in tests, and a browser-like HTTP client for it.

Shared by tests/console (HTTP) and tests/browser (Chromium). `running_console(...)`
seeds two clinics with a client each, staff of both and an operator, and serves the
real app (bot.console.app.create_app) on a free localhost port from a background thread.
`ConsoleClient` keeps cookies like a browser and reads the CSRF token from the pages it
gets, as a form would send it.
"""

from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Iterator, Optional

import requests
from sanic import Blueprint, Sanic
from sqlalchemy.engine import Engine

from bot import config
from bot.console.app import create_app
from bot.services import clients, clinics, treatments
from bot.services import staff as accounts
from bot.store.db import ensure_schema, session_scope
from bot.store.staff_models import StaffRole
from tests.fakes.sanic_server import serving

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Seeded:
    glow_id: int
    lumen_id: int
    ana_id: int  # a client of glow
    ben_id: int  # a client of lumen
    glow_staff: str  # emails; every account's password is PASSWORD
    glow_owner: str
    lumen_staff: str
    operator: str


def seed(engine: Engine, now: datetime) -> Seeded:
    with session_scope(engine) as db:
        glow = clinics.add(db, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")
        ana = clients.add(db, glow, "Ana Diaz", "+12125550123")
        treatments.add(db, ana, now - timedelta(hours=6), now=now)
        lumen = clinics.add(db, "lumen", "Lumen Clinic", "+442079460000", "Europe/London")
        ben = clients.add(db, lumen, "Ben Okafor", "+447911123456")
        people = [
            ("sam@glow.example", "Sam Rivera", StaffRole.staff, "glow"),
            ("olivia@glow.example", "Olivia Grant", StaffRole.owner, "glow"),
            ("lee@lumen.example", "Lee Park", StaffRole.staff, "lumen"),
            ("ops@aftercare.example", "Ops Desk", StaffRole.operator, None),
        ]
        for email, name, role, slug in people:
            issued = accounts.add_staff(db, email=email, name=name, role=role, clinic_slug=slug, now=now)
            accounts.set_password(db, issued.token, PASSWORD, now)
        db.flush()
        return Seeded(glow.id, lumen.id, ana.id, ben.id, *(p[0] for p in people))


@dataclass(frozen=True)
class Template:
    """A seeded SQLite database made once per test session; each test gets a copy (no
    migrations, no password hashing per test)."""

    path: Path
    seeded: Seeded

    @classmethod
    def make(cls, folder: Path) -> "Template":
        path = folder / "seeded.db"
        engine = ensure_schema(f"sqlite:///{path}")
        try:
            seeded = seed(engine, datetime.now(timezone.utc))
        finally:
            engine.dispose()  # the last connection closed: the WAL is folded into the file
        return cls(path, seeded)

    def copy(self, folder: Path) -> str:
        target = folder / "console.db"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


@dataclass
class RunningConsole:
    base: str
    app: Sanic
    engine: Engine
    settings: config.Settings
    seeded: Seeded

    def client(self) -> "ConsoleClient":
        return ConsoleClient(self.base)


def console_settings(db_url: str, data_dir: Path, **env: str) -> config.Settings:
    values = {"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(data_dir), **env}
    return config.from_env(values)


@contextmanager
def running_console(
    db_url: str,
    data_dir: Path,
    blueprints: Iterable[Blueprint] = (),
    engine: Optional[Engine] = None,
    seeded: Optional[Seeded] = None,
    **env: str,
) -> Iterator[RunningConsole]:
    """The console on `db_url` (seeded unless `seeded` is given), with any extra
    `blueprints` a test needs; env: extra settings (CONSOLE_URL=..., ...)."""
    own_engine = engine is None
    engine = engine or ensure_schema(db_url)
    try:
        seeded = seeded or seed(engine, datetime.now(timezone.utc))
        settings = console_settings(db_url, data_dir, **env)
        Sanic.test_mode = True  # several apps may start in one process
        app = create_app(settings, engine)
        for blueprint in blueprints:
            app.blueprint(blueprint)
        with serving(app) as base:
            yield RunningConsole(base, app, engine, settings, seeded)
    finally:
        if own_engine:
            engine.dispose()


class ConsoleClient(requests.Session):
    """A browser without JavaScript: cookies kept, redirects not followed unless asked."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.last_token: Optional[str] = None

    def get(self, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("allow_redirects", False)  # requests' own get() follows them
        return super().get(url, **kwargs)

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        response = super().request(method, self.base + url if url.startswith("/") else url, *args, **kwargs)
        found = CSRF_INPUT.search(response.text or "")
        if found:
            self.last_token = found.group(1)
        return response

    def token(self, page: str = "/") -> str:
        """The CSRF token a form on `page` carries."""
        response = self.get(page, allow_redirects=True)
        found = CSRF_INPUT.search(response.text)
        assert found, f"no CSRF token on {page}: {response.status_code}"
        return found.group(1)

    def submit(self, path: str, data: Optional[dict] = None, page: Optional[str] = None) -> requests.Response:
        """POST `data` as the form on `page` (default: `path`) would, CSRF token included."""
        return self.post(path, data={**(data or {}), "csrf_token": self.token(page or path)})

    def sign_in(self, email: str, password: str = PASSWORD, next_page: str = "/") -> requests.Response:
        return self.submit("/sign-in", {"email": email, "password": password, "next": next_page})


def set_cookie_headers(response: requests.Response, name: str) -> list[str]:
    """The raw Set-Cookie headers of `response` for cookie `name`."""
    return [h for h in response.raw.headers.getlist("Set-Cookie") if h.split("=", 1)[0] == name]
