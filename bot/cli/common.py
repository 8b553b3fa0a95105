"""What every command shares: one-line errors, the database, a unit of work."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator, NoReturn, Optional

import click
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import config, protocols
from bot.phones import InvalidPhone
from bot.recovery.protocol import ProtocolError
from bot.services.importer import ImportFileError
from bot.store.db import ensure_schema, session_scope
from bot.store.errors import StoreError
from bot.timeparse import InvalidTime

# Errors that mean "the input was wrong", as opposed to a bug (which keeps its traceback).
USER_ERRORS = (StoreError, InvalidPhone, InvalidTime, ProtocolError, ImportFileError)


class BadInput(click.ClickException):
    """Printed as one line `error: ...` on stderr; exit code 2, like click's usage errors."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))

    def show(self, file: Optional[IO[Any]] = None) -> None:
        click.echo(f"error: {self.message}", err=True)


class Unavailable(BadInput):
    """The database could not be reached or migrated: not the user's input, exit code 1."""

    exit_code = 1


def fail(message: str) -> NoReturn:
    raise BadInput(message)


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except USER_ERRORS as exc:
        raise BadInput(str(exc)) from exc


@contextmanager
def database() -> Iterator[Engine]:
    """The configured database, migrated to the latest schema first."""
    url = config.from_env().database_url
    try:
        engine = ensure_schema(url)
    except (SQLAlchemyError, OSError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise Unavailable(f"cannot open the database: {detail}") from exc
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A migrated database and one session: committed on success, nothing written on error."""
    with database() as engine, user_errors(), session_scope(engine) as session:
        yield session


def read_protocol(path: Path) -> str:
    """A clinic's protocol override file, validated; its text is what the store keeps."""
    try:
        with user_errors():
            return protocols.validate_file(path)
    except OSError as exc:
        fail(f"cannot read protocol file {path}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"protocol file {path} is not UTF-8 text")
