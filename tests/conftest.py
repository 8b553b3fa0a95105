"""Shared fixtures. `db_url` runs a test on a fresh SQLite file and a fresh PostgreSQL schema.

PostgreSQL: postgresql://postgres@127.0.0.1:5432/test, or TEST_POSTGRES_URL. Each test
gets its own schema (via search_path), dropped afterwards. An unreachable server fails
the test: it is never skipped.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.store.db import ensure_schema

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections use a new, empty schema."""
    admin = create_engine(POSTGRES_URL, future=True, isolation_level="AUTOCOMMIT")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL unreachable at {POSTGRES_URL} (set TEST_POSTGRES_URL): {exc.orig}", pytrace=False)
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'aftercare.db'}"
    else:
        with postgres_schema() as url:
            yield url


@pytest.fixture
def engine(db_url):
    """An engine on a database migrated to the latest schema."""
    engine = ensure_schema(db_url)
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
