"""`aftercare import` with a mapping, `aftercare mapping`, `aftercare acuity`,
`aftercare clinic webhook-secret` and `aftercare bookings events`."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from bot import config
from bot.sealing import sealer_for
from bot.services import booking_events, booking_sources
from bot.store import queries
from bot.store.booking_models import BookingSource, SourceKind
from bot.store.db import make_engine, session_scope
from tests.services.test_import_exports import REPORT, REPORT_HEADER, REPORT_MAP


@pytest.fixture
def glow(cli):
    result = cli(
        "clinic", "add", "--slug", "glow", "--name", "Glow", "--timezone", "America/New_York", "--phone", "+12125550100"
    )
    assert result.exit_code == 0, result.output


def write(tmp_path, rows, name="appointments.csv"):
    path = tmp_path / name
    path.write_text("\n".join([REPORT_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_an_export_imports_through_map_and_lists_what_it_skipped_and_refused(cli, glow, tmp_path, row_counts):
    result = cli("import", str(write(tmp_path, REPORT)), "--clinic", "glow", "--map", REPORT_MAP)
    assert result.exit_code == 1  # two rows refused
    skipped = [line for line in result.stdout.splitlines() if line.startswith("line ")]
    assert skipped == [
        "line 4: skipped: service 'Botox - Forehead' is not microneedling",
        "line 5: skipped: cancelled, and not on file",
        "line 6: skipped: service 'HydraFacial' is not microneedling",
        "line 9: skipped: cancelled, and not on file",
    ]
    refused = [line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("line ")]
    assert refused == ["line 7", "line 8"]
    assert "9 rows: 3 treatments added, 0 updated, 0 already there, 4 skipped, 2 rejected; 3 new clients" in (
        result.stdout
    )
    assert (row_counts()["clients"], row_counts()["treatments"]) == (3, 3)


def test_a_saved_mapping_is_used_by_name(cli, glow, tmp_path, row_counts):
    saved = cli("mapping", "save", "mangomint", "--clinic", "glow", "--map", REPORT_MAP, "--dates", "month-first")
    assert saved.exit_code == 0, saved.output
    listed = cli("mapping", "list", "--clinic", "glow")
    assert "mangomint: Appointment ID=booking_id,Client Name=name" in listed.stdout
    assert "dates: month-first" in listed.stdout
    result = cli("import", str(write(tmp_path, REPORT[:2])), "--clinic", "glow", "--mapping", "mangomint")
    assert result.exit_code == 0, result.output
    assert "2 treatments added" in result.stdout
    assert cli("mapping", "delete", "mangomint", "--clinic", "glow").exit_code == 0
    assert "no mappings saved" in cli("mapping", "list", "--clinic", "glow").stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("--map", REPORT_MAP), "add --clinic"),
        (("--clinic", "glow", "--map", "Client=name"), "needs a phone column"),
        (("--clinic", "glow", "--map", REPORT_MAP, "--mapping", "x"), "not both"),
        (("--clinic", "glow", "--mapping", "nope"), "no saved mapping 'nope'"),
        (("--clinic", "glow", "--map", REPORT_MAP, "--service", "micro("), "not a regular expression"),
        (("--clinic", "nowhere", "--map", REPORT_MAP), "unknown clinic 'nowhere'"),
    ],
)
def test_bad_options_exit_2_with_one_line(cli, glow, tmp_path, one_line_error, row_counts, args, fragment):
    before = row_counts()
    assert fragment in one_line_error(cli("import", str(write(tmp_path, REPORT)), *args))
    assert row_counts() == before


def test_acuity_connect_show_and_disconnect_never_show_the_key(cli, glow, db_url, tmp_path):
    key = "c0ffee-acuity-key-5678"
    connected = cli.with_input(
        f"{key}\n", "acuity", "connect", "--clinic", "glow", "--user-id", "21712345", "--types", "31001, 31002"
    )
    assert connected.exit_code == 0, connected.output
    assert "appointment types: 31001, 31002" in connected.stdout
    assert "/webhooks/bookings/acuity/glow" in connected.stdout
    shown = cli("acuity", "show", "--clinic", "glow")
    assert "user id: 21712345" in shown.stdout and "API key: set (not shown)" in shown.stdout
    assert key not in connected.stdout + shown.stdout

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            (source,) = session.scalars(select(BookingSource))
            assert key not in source.sealed_secret  # sealed at rest
            settings = config.from_env({"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(tmp_path / "data")})
            account = booking_sources.acuity(session, queries.clinic_by_slug(session, "glow"), sealer_for(settings))
            assert (account.api_key, account.appointment_types) == (key, (31001, 31002))
            assert key not in str(session.execute(text("SELECT * FROM booking_sources")).all())
    finally:
        engine.dispose()

    assert "disconnected Acuity from glow" in cli("acuity", "disconnect", "--clinic", "glow").stdout
    assert "has no Acuity account" in cli("acuity", "show", "--clinic", "glow").stdout


def test_acuity_connect_refuses_bad_values(cli, glow, one_line_error):
    assert "user id is a number" in one_line_error(
        cli.with_input("key-12345678\n", "acuity", "connect", "--clinic", "glow", "--user-id", "abc")
    )
    assert "numeric type ids" in one_line_error(
        cli.with_input("key-12345678\n", "acuity", "connect", "--clinic", "glow", "--user-id", "1", "--types", "mn")
    )


def test_the_webhook_secret_is_shown_once_and_rotating_replaces_it(cli, glow, db_url, tmp_path):
    first = cli("clinic", "webhook-secret", "--clinic", "glow")
    assert first.exit_code == 0, first.output
    assert "webhook URL: http://localhost:5005/webhooks/bookings/glow" in first.stdout
    secret = next(line.split()[-1] for line in first.stdout.splitlines() if line.startswith("secret:"))
    second = cli("clinic", "webhook-secret", "--clinic", "glow")
    rotated = next(line.split()[-1] for line in second.stdout.splitlines() if line.startswith("secret:"))
    assert secret.startswith("whsec_") and rotated != secret
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            settings = config.from_env({"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(tmp_path / "data")})
            glow_clinic = queries.clinic_by_slug(session, "glow")
            assert booking_sources.webhook_secret(session, glow_clinic, sealer_for(settings)) == rotated
    finally:
        engine.dispose()
    assert secret not in cli("bookings", "events", "--clinic", "glow").stdout


def test_bookings_events_lists_what_arrived(cli, glow, db_url):
    assert "no booking events for glow yet" in cli("bookings", "events", "--clinic", "glow").stdout
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            clinic = queries.clinic_by_slug(session, "glow")
            now = datetime.now(timezone.utc)
            booking_events.failed(session, clinic, SourceKind.acuity, "scheduled", "900000001", "acuity_503", now)
    finally:
        engine.dispose()
    listed = cli("bookings", "events", "--clinic", "glow").stdout.splitlines()
    assert listed[0].split() == ["received", "(UTC)", "source", "action", "booking", "outcome", "reason"]
    assert listed[1].split()[2:] == ["acuity", "scheduled", "900000001", "failed", "acuity_503"]
