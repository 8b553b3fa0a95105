"""`aftercare clinic|client|treatment` against SQLite and PostgreSQL."""

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from bot import protocols
from bot.cli import main
from bot.store import queries
from bot.store.db import make_engine, session_scope

GLOW = [
    "clinic",
    "add",
    "--slug",
    "glow",
    "--name",
    "Glow Skin Studio",
    "--timezone",
    "America/New_York",
    "--phone",
    "+12125550100",
]


def stored(db_url, action):
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            return action(session)
    finally:
        engine.dispose()


@pytest.fixture
def glow(cli):
    assert cli(*GLOW).exit_code == 0
    assert cli("client", "add", "--clinic", "glow", "--name", "Ana Diaz", "--phone", "212 555 0123").exit_code == 0


def test_clinic_add_and_list(cli, db_url):
    example = protocols.example_path("seed004_late_sunscreen.yml")
    result = cli(*GLOW, "--booking-url", "https://glow.example/book", "--sms-number", "2125550199")
    assert result.exit_code == 0, result.output
    assert result.stdout == "added clinic glow: Glow Skin Studio, America/New_York, +12125550100, protocol default\n"
    result = cli(
        "clinic",
        "add",
        "--slug",
        "bright",
        "--name",
        "Bright Skin",
        "--timezone",
        "Europe/London",
        "--phone",
        "+442071838750",
        "--protocol",
        str(example),
    )
    assert result.exit_code == 0, result.output
    assert "protocol custom (Seed 004 clinic (late sunscreen))" in result.stdout

    listing = cli("clinic", "list").stdout.splitlines()
    assert listing[0].split() == [
        "slug",
        "name",
        "timezone",
        "phone",
        "sms",
        "from",
        "alerts",
        "to",
        "protocol",
        "clients",
    ]
    assert listing[1].startswith("bright") and listing[2].startswith("glow")
    assert "+12125550199" in listing[2]
    bright = stored(db_url, lambda s: queries.clinic_by_slug(s, "bright"))
    assert bright.protocol_yaml == example.read_text()


def test_the_alert_phone_is_set_checked_and_removed(cli, db_url):
    added = cli(
        *["clinic", "add", "--slug", "glow", "--name", "Glow", "--timezone", "America/New_York"],
        "--phone",
        "+12125550100",
    )
    assert added.exit_code == 0, added.output
    result = cli("clinic", "alert-phone", "--clinic", "glow", "(212) 555-0177")
    assert result.exit_code == 0 and "alerts of glow are texted to +12125550177" in result.stdout
    assert "+12125550177" in cli("clinic", "list").stdout.splitlines()[1]
    own = cli("clinic", "alert-phone", "--clinic", "glow", "+12125550100")
    assert own.exit_code == 2 and "the number the clinic's texts come from" in own.output
    assert cli("clinic", "alert-phone", "--clinic", "glow").exit_code == 2
    removed = cli("clinic", "alert-phone", "--clinic", "glow", "--none")
    assert removed.exit_code == 0 and "in the console only" in removed.stdout
    glow = stored(db_url, lambda s: queries.clinic_by_slug(s, "glow"))
    assert glow.alert_phone is None
    audit = cli("audit", "--clinic", "glow").stdout
    assert audit.count("alert_phone_set") == 2


def test_clinic_list_when_empty(cli):
    result = cli("clinic", "list")
    assert result.exit_code == 0
    assert "no clinics yet" in result.stdout


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"--timezone": "Mars/Base"}, "unknown timezone 'Mars/Base'"),
        ({"--phone": "555"}, "phone number '555'"),
        ({"--slug": "Glow Studio"}, "slug 'Glow Studio'"),
        ({"--booking-url": "glow.example"}, "booking URL"),
        ({"--sms-number": "call me"}, "phone number 'call me'"),
        ({"--protocol": "/nonexistent/protocol.yml"}, "cannot read protocol file"),
    ],
)
def test_clinic_add_refuses_bad_input_and_writes_nothing(cli, row_counts, change, fragment, one_line_error):
    args = list(GLOW)
    for option, value in change.items():
        if option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
    assert fragment in one_line_error(cli(*args))
    assert set(row_counts().values()) == {0}


def test_clinic_add_refuses_a_bad_protocol_file(cli, row_counts, tmp_path, one_line_error):
    bad = tmp_path / "bad.yml"
    bad.write_text("topics:\n  sun:\n    windows:\n      - until: 12h\n        guidance: Stay in.\n")
    error = one_line_error(cli(*GLOW, "--protocol", str(bad)))
    assert "topic 'sun': no window covers the time after 12h" in error
    broken = tmp_path / "broken.yml"
    broken.write_text("topics: [\n")
    assert "not valid YAML" in one_line_error(cli(*GLOW, "--protocol", str(broken)))
    assert set(row_counts().values()) == {0}


def test_duplicate_clinic(cli, glow, row_counts, one_line_error):
    assert "already exists" in one_line_error(cli(*GLOW))
    assert row_counts()["clinics"] == 1


def test_client_add(cli, glow, db_url):
    ana = stored(db_url, lambda s: queries.client_by_phone(s, "+12125550123"))
    assert (ana.name, ana.clinic_id) == ("Ana Diaz", 1)
    result = cli("client", "add", "--clinic", "glow", "--name", "Bea", "--phone", "+1 212 555 0124")
    assert result.stdout == "added client Bea (+12125550124) at glow\n"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--clinic", "nope", "--name", "Bea", "--phone", "2125550124"], "unknown clinic 'nope'"),
        (["--clinic", "glow", "--name", "Bea", "--phone", "12"], "phone number '12'"),
        (["--clinic", "glow", "--name", "Ana Again", "--phone", "(212) 555-0123"], "already a client of glow"),
        (["--clinic", "glow", "--name", " ", "--phone", "2125550124"], "name is empty"),
    ],
)
def test_client_add_refuses_bad_input(cli, glow, row_counts, args, fragment, one_line_error):
    before = row_counts()
    assert fragment in one_line_error(cli("client", "add", *args))
    assert row_counts() == before


def test_treatment_add(cli, glow, db_url):
    result = cli("treatment", "add", "--phone", "2125550123", "--at", "2024-05-01 14:00")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "recorded done treatment (face) for Ana Diaz (+12125550123) at glow: 2024-05-01 14:00 EDT (18:00 UTC)\n"
    )
    later = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:00+00:00")
    result = cli(
        "treatment",
        "add",
        "--phone",
        "+12125550123",
        "--at",
        later,
        "--status",
        "booked",
        "--area",
        "Neck",
        "--clinic",
        "glow",
    )
    assert result.exit_code == 0, result.output
    treatments = stored(db_url, lambda s: queries.client_by_phone(s, "+12125550123").treatments)
    assert [(t.status.value, t.area) for t in treatments] == [("done", "face"), ("booked", "neck")]
    assert treatments[0].performed_at == datetime(2024, 5, 1, 18, 0, tzinfo=timezone.utc)


def test_treatment_add_in_the_autumn_fold_takes_the_first_occurrence(cli, glow, db_url):
    result = cli("treatment", "add", "--phone", "2125550123", "--at", "2023-11-05 01:30")
    assert result.exit_code == 0, result.output
    assert "2023-11-05 01:30 EDT (05:30 UTC)" in result.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--phone", "2125550123", "--at", "2099-05-01 14:00"], "a done treatment cannot be in the future"),
        (["--phone", "2125550123", "--at", "tomorrow-ish"], "cannot read the time 'tomorrow-ish'"),
        (["--phone", "2125550123", "--at", "2024-03-10 02:30"], "does not exist in America/New_York"),
        (["--phone", "2125550123", "--at", "2024-05-01T14:00:00"], "has no offset"),
        (["--phone", "2125550199", "--at", "2024-05-01 14:00"], "no client with phone +12125550199"),
        (["--phone", "not a phone", "--at", "2024-05-01 14:00"], "phone number 'not a phone'"),
        (["--phone", "2125550123", "--at", "2024-05-01 14:00", "--clinic", "nope"], "unknown clinic 'nope'"),
    ],
)
def test_treatment_add_refuses_bad_input_and_writes_nothing(cli, glow, row_counts, args, fragment, one_line_error):
    before = row_counts()
    assert fragment in one_line_error(cli("treatment", "add", *args))
    assert row_counts() == before


def test_treatment_add_for_a_number_at_two_clinics_needs_the_clinic(cli, glow, row_counts, one_line_error):
    assert (
        cli(
            "clinic",
            "add",
            "--slug",
            "bright",
            "--name",
            "Bright",
            "--timezone",
            "Europe/London",
            "--phone",
            "+442071838750",
        ).exit_code
        == 0
    )
    assert cli("client", "add", "--clinic", "bright", "--name", "Ana", "--phone", "+12125550123").exit_code == 0
    before = row_counts()
    error = one_line_error(cli("treatment", "add", "--phone", "+12125550123", "--at", "2024-05-01 14:00"))
    assert "several clinics (bright, glow)" in error
    assert row_counts() == before
    result = cli("treatment", "add", "--phone", "+12125550123", "--at", "2024-05-01 14:00", "--clinic", "bright")
    assert "2024-05-01 14:00 BST (13:00 UTC)" in result.stdout


def test_an_unreachable_database_is_one_line_with_exit_code_1(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = CliRunner().invoke(main, ["clinic", "list"], env={"DATABASE_URL": f"sqlite:///{blocker}/x/db.sqlite"})
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot open the database") and result.stderr.count("\n") == 1
