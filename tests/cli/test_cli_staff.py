"""`aftercare staff add|list|disable|reset` and `aftercare audit`, on SQLite and PostgreSQL."""

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.services import passwords
from bot.services import staff as accounts
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


@pytest.fixture
def glow(cli, monkeypatch):
    monkeypatch.setenv("CONSOLE_URL", "https://console.glow.example")
    assert cli(*GLOW).exit_code == 0


def in_db(db_url, action):
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            return action(session)
    finally:
        engine.dispose()


def link_token(result) -> str:
    url = urlsplit(result.stdout.strip())
    assert (url.scheme, url.netloc, url.path) == ("https", "console.glow.example", "/set-password")
    return parse_qs(url.query)["token"][0]


def test_staff_add_prints_a_one_time_link_that_sets_the_password(cli, glow, db_url):
    result = cli(
        "staff", "add", "--clinic", "glow", "--email", "Sam@Glow.example", "--name", "Sam Rivera", "--role", "owner"
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1  # the link alone on stdout, for scripts
    assert "added sam@glow.example (owner at glow); set-password link for sam@glow.example, single use" in result.stderr
    token = link_token(result)

    def use(db):
        accounts.set_password(db, token, "a long new password", datetime.now(timezone.utc))
        return passwords.verify(accounts.find_staff(db, "sam@glow.example").password_hash, "a long new password")

    assert in_db(db_url, use)
    listed = cli("staff", "list", "--clinic", "glow")
    assert listed.stdout == "sam@glow.example  glow  owner  Sam Rivera  active\n"


def test_an_operator_is_added_without_a_clinic(cli, glow):
    result = cli("staff", "add", "--operator", "--email", "ops@aftercare.example")
    assert result.exit_code == 0, result.output
    assert "operator of every clinic" in result.stderr
    assert cli("staff", "list").stdout == "ops@aftercare.example  (all clinics)  operator  -  no password yet\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--email", "a@glow.example"], "give the staff member's --clinic"),
        (["--operator", "--clinic", "glow", "--email", "a@glow.example"], "an operator belongs to no clinic"),
        (["--clinic", "nowhere", "--email", "a@glow.example"], "nowhere"),
        (["--clinic", "glow", "--email", "not an email"], "is not an email address"),
    ],
)
def test_staff_add_refuses_bad_input_in_one_line(cli, glow, one_line_error, row_counts, args, message):
    before = row_counts()
    assert message in one_line_error(cli("staff", "add", *args))
    assert row_counts() == before


def test_a_duplicate_email_is_refused(cli, glow, one_line_error):
    cli("staff", "add", "--clinic", "glow", "--email", "sam@glow.example")
    assert "already exists" in one_line_error(cli("staff", "add", "--clinic", "glow", "--email", "SAM@glow.example"))


def test_disable_and_reset(cli, glow, db_url, one_line_error):
    first = link_token(cli("staff", "add", "--clinic", "glow", "--email", "sam@glow.example"))
    second = link_token(cli("staff", "reset", "--email", "sam@glow.example"))
    assert first != second
    assert cli("staff", "disable", "--email", "sam@glow.example").stdout == "disabled sam@glow.example\n"
    assert cli("staff", "list").stdout == "sam@glow.example  glow  staff  -  disabled\n"
    assert "disabled" in one_line_error(cli("staff", "reset", "--email", "sam@glow.example"))
    assert "no staff account" in one_line_error(cli("staff", "disable", "--email", "nobody@glow.example"))


def test_audit_prints_the_newest_entries_by_clinic(cli, glow):
    bright = cli(
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
    )
    assert bright.exit_code == 0, bright.output
    cli("staff", "add", "--clinic", "glow", "--email", "sam@glow.example")
    cli("staff", "add", "--clinic", "bright", "--email", "bo@bright.example")
    cli("staff", "disable", "--email", "sam@glow.example")
    lines = cli("audit", "--clinic", "glow").stdout.splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == [
        "(command line)  glow  staff_disabled account=sam@glow.example",
        "(command line)  glow  password_link_issued account=sam@glow.example",
        "(command line)  glow  staff_added account=sam@glow.example",
    ]
    assert len(cli("audit", "--limit", "2").stdout.splitlines()) == 2
    assert len(cli("audit").stdout.splitlines()) == 5
    assert cli("audit", "--clinic", "bright").stdout.count("bo@bright.example") == 2
