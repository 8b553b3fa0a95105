"""Running `aftercare` in-process against the test database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select

from bot.cli import main
from bot.store.db import make_engine
from bot.store.models import Base


@pytest.fixture
def cli(db_url, tmp_path):
    """cli("clinic", "list") -> click Result, with DATABASE_URL pointing at the test database
    (and generated secrets in a data dir of the test's own)."""
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    def with_input(typed: str, *args: str):
        return runner.invoke(main, list(args), env=env, input=typed, catch_exceptions=False)

    run.with_input = with_input  # type: ignore[attr-defined]
    return run


@pytest.fixture
def row_counts(db_url):
    """row_counts() -> {table: rows}; tables not created yet count as 0."""

    def counts() -> dict[str, int]:
        engine = make_engine(db_url)
        try:
            existing = set(inspect(engine).get_table_names())
            with engine.connect() as connection:
                return {
                    name: connection.scalar(select(func.count()).select_from(table)) if name in existing else 0
                    for name, table in Base.metadata.tables.items()
                }
        finally:
            engine.dispose()

    return counts


@pytest.fixture
def one_line_error():
    """one_line_error(result) -> the single `error: ...` line of a refused command (exit 2)."""

    def check(result, exit_code: int = 2) -> str:
        assert result.exit_code == exit_code, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert result.stdout == ""
        return lines[0]

    return check
