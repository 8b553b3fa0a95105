"""`aftercare demo seed`: the demo data, idempotently."""

from datetime import datetime, timedelta, timezone

from bot.store import queries
from bot.store.db import make_engine, session_scope


def demo_state(db_url):
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            clinic = queries.clinic_by_slug(session, "glow")
            ana = queries.client_by_phone(session, "+12125550123")
            return clinic, ana, queries.latest_done_treatment(session, ana, datetime.now(timezone.utc))
    finally:
        engine.dispose()


def test_seed_creates_the_demo_clinic_and_client(cli, db_url):
    result = cli("demo", "seed")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "added demo clinic glow (Glow Skin Studio, America/New_York)",
        "added demo client Ana Diaz (+12125550123)",
    ]
    assert "added a done treatment 6 hours ago" in result.stdout
    clinic, ana, treatment = demo_state(db_url)
    assert (clinic.name, clinic.timezone, clinic.phone, clinic.booking_url) == (
        "Glow Skin Studio",
        "America/New_York",
        "+12125550100",
        "https://glow.example/book",
    )
    assert ana.name == "Ana Diaz" and ana.clinic_id == clinic.id
    age = datetime.now(timezone.utc) - treatment.performed_at
    assert timedelta(hours=5, minutes=59) < age < timedelta(hours=6, minutes=1)


def test_seed_twice_creates_nothing_new(cli, db_url, row_counts):
    cli("demo", "seed")
    counts = row_counts()
    result = cli("demo", "seed")
    assert result.exit_code == 0
    assert "demo clinic glow already exists" in result.stdout
    assert "demo client Ana Diaz (+12125550123) already exists" in result.stdout
    assert "moved the demo treatment to 6 hours ago" in result.stdout
    assert (
        row_counts()
        == counts
        == {
            "clinics": 1,
            "clients": 1,
            "treatments": 1,
            "alerts": 0,
            "followups": 5,
            "alert_deliveries": 0,
            "sms_messages": 0,  # one row per protocol step
            # the demo staff account: its set-password link (used); added, link issued, password set
            "staff": 1,
            "staff_password_links": 1,
            "staff_sessions": 0,
            "sign_in_locks": 0,
            "audit_log": 3,
            "booking_sources": 0,
            "booking_events": 0,
            "import_mappings": 0,
            "conversations": 0,
            "messages": 0,
            "message_media": 0,
            "message_reviews": 0,
        }
    )


def test_seed_prints_a_demo_staff_login_that_works(cli, db_url):
    from bot.services import passwords
    from bot.services import staff as accounts

    result = cli("demo", "seed")
    login = [line for line in result.stdout.splitlines() if line.startswith("demo staff login: ")]
    email, password = login[0].removeprefix("demo staff login: ").split(" / ")
    assert email == "staff@glow.example" and len(password) >= 12

    def stored_hash(db):
        return accounts.find_staff(db, email).password_hash

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            assert passwords.verify(stored_hash(session), password)
            # Someone changed the demo password: the next seed puts the printed one back.
            link = accounts.issue_password_link(session, email, datetime.now(timezone.utc))
            accounts.set_password(session, link.token, "something else entirely", datetime.now(timezone.utc))
        again = cli("demo", "seed")
        assert f"demo staff login: {email} / {password}" in again.stdout
        assert "reset the demo staff account's password" in again.stdout
        with session_scope(engine) as session:
            assert passwords.verify(stored_hash(session), password)
    finally:
        engine.dispose()
