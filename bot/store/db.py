"""Engines, sessions and migrations.

One session per unit of work: `with session_scope(engine) as session: ...` commits on
success, rolls back on error and always closes.

Migrations live in bot/store/migrations and run from code (no alembic.ini). To write a
new one, generate a draft and then edit it by hand:

    python -c "from alembic import command; from bot.store.db import alembic_config; \
command.revision(alembic_config('sqlite:///var/aftercare.db'), 'what changed', autogenerate=True)"
"""

from __future__ import annotations

import contextlib
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any constant: serializes concurrent `migrate` calls on PostgreSQL (CLI, servers starting).
_MIGRATION_LOCK_ID = 0x0AF7EC0E


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite it creates the file's folder and enforces foreign keys.
    Errors never quote bound parameters (hide_parameters): they hold phones and messages."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, future=True, pool_pre_ping=True, hide_parameters=True)
    if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
        _private_file(Path(parsed.database).expanduser())
    in_memory = parsed.database in (None, "", ":memory:")
    # One engine is shared by the threads of a server; each thread gets its own connection.
    # `timeout`: how long a writer waits for another process's write lock.
    engine = create_engine(
        parsed, future=True, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30}
    )
    event.listen(engine, "connect", partial(_sqlite_connect, wal=not in_memory))
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (SQLite gives its -wal and -shm
    files the same mode); an existing file is left as its owner set it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_connect(dbapi_connection: Any, _record: Any, wal: bool) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL;
    # SQLAlchemy's documented fix: turn it off and emit BEGIN ourselves (_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if wal:
        # Readers (the action server) and a writer (the worker, an import) then do not
        # block each other. Stored in the file, so this is a no-op after the first time.
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front (used by migrate), so two writers
    # wait for each other instead of failing on a lock upgrade.
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def database_now(session: Session) -> datetime:
    """The database server's clock (UTC, aware): one clock for every worker's leases,
    whichever machine each runs on and however its own clock drifts."""
    if session.get_bind().dialect.name == "sqlite":
        stamp = session.scalar(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
        return datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc)
    return session.scalar(select(func.clock_timestamp())).astimezone(timezone.utc)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work. Objects stay readable after the block (no expiry on commit)."""
    session = Session(bind=engine, future=True, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Config:
    """The Alembic configuration an alembic.ini would hold, built in code."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolates '%': URL-encoded passwords or options must be escaped.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision` (cheap when it is already there)."""
    engine = make_engine(url)
    try:
        _run_migrations(engine, url, lambda config: command.upgrade(config, revision))
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        _run_migrations(engine, url, lambda config: command.downgrade(config, revision))
    finally:
        engine.dispose()


def _run_migrations(engine: Engine, url: str, run: Callable[[Config], None]) -> None:
    config = alembic_config(url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Batch migrations copy and drop tables, which enforced foreign keys would
            # refuse; the pragma only takes effect outside a transaction, so it is set on
            # the raw connection before BEGIN, and the keys are checked before COMMIT.
            cursor = connection.connection.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.close()
            connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
            config.attributes["connection"] = connection  # env.py runs on this transaction
            run(config)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")


def ensure_schema(url: str) -> Engine:
    """Bring the database at `url` to the latest schema and return an engine for it."""
    migrate(url)
    return make_engine(url)
