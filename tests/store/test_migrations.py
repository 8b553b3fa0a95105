"""The hand-written migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, inspect

from bot.store.db import alembic_config, downgrade, make_engine, migrate
from bot.store.models import Base

TABLES = {
    "clinics",
    "clients",
    "treatments",
    "alerts",
    "followups",
    "alert_deliveries",
    "sms_messages",
    "staff",
    "staff_password_links",
    "staff_sessions",
    "sign_in_locks",
    "audit_log",
    "booking_sources",
    "booking_events",
    "import_mappings",
    "conversations",
    "messages",
    "message_media",
    "message_reviews",
}


def differences(url, metadata=Base.metadata):
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def tables(url):
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_match_the_models(db_url):
    migrate(db_url)
    assert differences(db_url) == []


def test_the_comparison_would_see_a_drift(db_url):
    """A control: the empty diff above means something only if a change shows up."""
    migrate(db_url)
    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["clients"].append_column(Column("nickname", String(40)))
    assert any(diff[0] == "add_column" for diff in differences(db_url, drifted))


def test_migrating_twice_changes_nothing_and_reaches_head(db_url):
    migrate(db_url)
    migrate(db_url)
    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
    engine.dispose()
    assert tables(db_url) == TABLES


def test_downgrade_to_base_and_back(db_url):
    migrate(db_url)
    downgrade(db_url, "base")
    assert tables(db_url) == set()
    migrate(db_url)
    assert tables(db_url) == TABLES
    assert differences(db_url) == []


def test_sqlite_folder_is_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'aftercare.db'}"
    migrate(url)
    assert (tmp_path / "deep" / "er" / "aftercare.db").exists()
