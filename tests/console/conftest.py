"""The console served on a fresh SQLite database per test, with a probe page that uses
the scoping and audit helpers the way every page about a client must."""

from __future__ import annotations

from typing import Iterator

import pytest
from sanic import Blueprint
from sanic.response import text

from bot.console import scope
from bot.console.view import view
from bot.store.staff_models import AuditAction
from tests.console.console_world import RunningConsole, Template, running_console


def probe_blueprint() -> Blueprint:
    """/probe/clients/<id>: a client of the request's clinic, or 404; each view audited."""
    bp = Blueprint("probe")

    @bp.get("/probe/clients/<client_id:int>", name="client")
    @view()
    def client(request, db, client_id: int):
        found = scope.clinic_client(request, client_id)
        scope.audit(request, AuditAction.conversation_opened, client_id=found.id)
        return text(found.name)

    return bp


@pytest.fixture(scope="session")
def console_template(tmp_path_factory) -> Template:
    return Template.make(tmp_path_factory.mktemp("console-template"))


@pytest.fixture
def console(console_template, tmp_path) -> Iterator[RunningConsole]:
    url = console_template.copy(tmp_path)
    with running_console(url, tmp_path / "data", [probe_blueprint()], seeded=console_template.seeded) as running:
        yield running
