"""Shared fixtures and the test lanes.

`db_url` runs a test on SQLite and on PostgreSQL, each time on a database of its own at the
latest schema and empty. Migrating takes most of a small test's time, so it is done once
per run: SQLite files are copies of one migrated file; PostgreSQL schemas (one per test,
via search_path) come from a pool, emptied (TRUNCATE ... RESTART IDENTITY) when a test
hands one back, and dropped instead when the test changed the schema itself (a migration
test). tests/store/test_migrations.py builds every schema from the migrations anyway.

PostgreSQL: postgresql://postgres@127.0.0.1:5432/test, or TEST_POSTGRES_URL. An
unreachable server fails the test: it is never skipped.

Lanes (markers registered in pyproject.toml): `e2e` for what drives the trained model,
trains one, or runs the real servers and processes; `browser` for Chromium; `postgres`
for the PostgreSQL half of `db_url`. `make test-fast` runs `-m "not e2e and not browser"`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot.store.db import alembic_config, ensure_schema, make_engine
from bot.store.models import Base

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TESTS = Path(__file__).resolve().parent

# What runs the trained model, trains one, or starts the real servers or processes.
E2E_PATHS = (
    "e2e/",
    "channels/test_twilio_e2e.py",
    "browser/test_widget_assistant.py",
    "actions/test_action_server.py",
    "messaging/test_worker_processes.py",
    "nlp/test_training_data.py",
    "nlp/test_classifier.py",
)
BROWSER_PATHS = ("browser/",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        where = Path(str(item.fspath)).resolve().relative_to(TESTS).as_posix()
        if where.startswith(E2E_PATHS) or "assistant_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
        if where.startswith(BROWSER_PATHS):
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


def _admin() -> Engine:
    return create_engine(POSTGRES_URL, future=True, isolation_level="AUTOCOMMIT")


def _schema_url(schema: str) -> str:
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections use a new, empty schema, dropped afterwards."""
    admin = _admin()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL unreachable at {POSTGRES_URL} (set TEST_POSTGRES_URL): {exc.orig}", pytrace=False)
    try:
        yield _schema_url(schema)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


class SchemaPool:
    """Migrated PostgreSQL schemas, each used by one test at a time."""

    def __init__(self) -> None:
        self.admin = _admin()
        self.free: list[str] = []
        self.head = ScriptDirectory.from_config(alembic_config(POSTGRES_URL)).get_current_head()
        self.tables = sorted(Base.metadata.tables)

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        schema = f"test_{uuid.uuid4().hex[:16]}"
        try:
            with self.admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        except OperationalError as exc:
            pytest.fail(f"PostgreSQL unreachable at {POSTGRES_URL} (set TEST_POSTGRES_URL): {exc.orig}", pytrace=False)
        ensure_schema(_schema_url(schema)).dispose()
        return schema

    def give_back(self, schema: str) -> None:
        """Empty it for the next test, or drop it when the test left it changed."""
        with self.admin.connect() as connection:
            # A test that left a transaction open would otherwise hang the run here.
            connection.exec_driver_sql("SET lock_timeout = '30s'")
            if self._as_migrated(connection, schema):
                tables = ", ".join(f'"{schema}"."{table}"' for table in self.tables)
                connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
                self.free.append(schema)
            else:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')

    def _as_migrated(self, connection, schema: str) -> bool:
        try:
            found = (
                connection.exec_driver_sql(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %(schema)s",
                    {"schema": schema},
                )
                .scalars()
                .all()
            )
            version: Optional[str] = connection.exec_driver_sql(
                f'SELECT version_num FROM "{schema}".alembic_version'
            ).scalar()
        except SQLAlchemyError:
            return False
        return version == self.head and sorted(set(found) - {"alembic_version"}) == self.tables

    def close(self) -> None:
        with self.admin.connect() as connection:
            for schema in self.free:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        self.admin.dispose()


@pytest.fixture(scope="session")
def schema_pool() -> Iterator[SchemaPool]:
    pool = SchemaPool()
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One SQLite file at the latest schema; every test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite_template") / "aftercare.db"
    ensure_schema(f"sqlite:///{path}").dispose()  # disposing checkpoints the WAL into the file
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "aftercare.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        pool: SchemaPool = request.getfixturevalue("schema_pool")
        schema = pool.take()
        try:
            yield _schema_url(schema)
        finally:
            pool.give_back(schema)


@pytest.fixture
def engine(db_url):
    """An engine on a database migrated to the latest schema."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session for the test to commit as it likes; closed (rolled back) afterwards."""
    with Session(bind=engine, future=True, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def assistant_server(tmp_path_factory):
    """The trained assistant running for real: `.base_url`, `.database_url`, `.env`."""
    from tests import assistant

    running = assistant.start(tmp_path_factory.mktemp("assistant"))
    yield running
    running.stop()
