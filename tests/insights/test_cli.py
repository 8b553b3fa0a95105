"""`aftercare insights` and `aftercare nlu export` as run from the shell."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.identity import Channel, Sender
from bot.nlp.reviewed import examples_in, normalized
from bot.services import clients, clinics, correspondents, transcripts
from bot.services import staff as accounts
from bot.store.db import make_engine, session_scope
from bot.store.review_models import MessageReview
from bot.store.staff_models import StaffRole
from tests.insights.month import expected, seed

DATA = Path(__file__).resolve().parents[2] / "data" / "nlu"


@pytest.fixture
def cli(db_url, tmp_path):
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "AFTERCARE_DATA_DIR": str(tmp_path / "data")}
    return lambda *args: runner.invoke(main, list(args), env=env, catch_exceptions=False)


def test_insights_json_gives_the_scripted_months_figures(cli, db_url):
    engine = make_engine(db_url)
    with session_scope(engine) as db:
        seed(db)
    engine.dispose()
    result = cli("insights", "--clinic", "glow", "--days", "30", "--until", "2026-03-31", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == expected()
    text = cli("insights", "--clinic", "glow", "--until", "2026-03-31")
    want = expected()
    assert f"client messages             {want['client_messages']}" in text.stdout
    assert "Glow Skin Studio: the 30 days 2026-03-02 to 2026-03-31" in text.stdout
    unknown = cli("insights", "--clinic", "nowhere")
    assert unknown.exit_code == 2 and "nowhere" in unknown.output


# (what the client wrote, the verdict) — personal data a client might well send.
REVIEWED = [
    ("hi its Maria Lopez, can i put foundation on tmrw?", "ask_makeup"),
    ("call me back on (212) 555-0187 pls about the redness", "request_human"),
    ("my email is maria.lopez@example.com can u send the aftercare sheet", "request_human"),
    ("dob 03/14/1988, is it ok to take advil", "ask_medication"),
    ("I was born March 14, 1988 and my skin is peeling a lot", "ask_peeling"),
    ("text +44 7700 900123 if i can swim", "ask_uncovered_topic"),
    ("will it look worse before it gets better", "ask_results"),  # "Will" is a client too
    ("hi", "greet"),  # data/nlu has it already
    ("ok so what now", None),  # not a question: never exported
]


def test_export_writes_scrubbed_new_examples_only(cli, db_url, tmp_path):
    now = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)
    engine = make_engine(db_url)
    with session_scope(engine) as db:
        glow = clinics.add(db, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")
        maria = clients.add(db, glow, "Maria Lopez", "+12125550123")
        clients.add(db, glow, "Will Hart", "+12125550124")
        sam = accounts.add_staff(
            db, email="sam@glow.example", name="Sam Rivera", role=StaffRole.staff, clinic_slug="glow", now=now
        ).staff
        who = correspondents.resolve(db, Sender(Channel.web, client_id=maria.id), now)
        for index, (text, intent) in enumerate(REVIEWED):
            message = transcripts.client_message(db, who, text, now + timedelta(minutes=index))
            db.add(
                MessageReview(
                    message_id=message.id, clinic_id=glow.id, intent=intent, reviewed_by_id=sam.id, reviewed_at=now
                )
            )
        old = transcripts.client_message(db, who, "is the steam room at my gym ok this week", now - timedelta(days=40))
        db.add(
            MessageReview(
                message_id=old.id,
                clinic_id=glow.id,
                intent="ask_uncovered_topic",
                reviewed_by_id=sam.id,
                reviewed_at=now - timedelta(days=40),
            )
        )
    engine.dispose()
    data = tmp_path / "nlu"
    data.mkdir()
    for path in DATA.glob("*.yml"):
        (data / path.name).write_bytes(path.read_bytes())
    out = data / "reviewed.yml"

    result = cli("nlu", "export", "--since", "2026-04-01", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert "7 new examples, 1 already known, 7 in the file" in result.stdout
    written = out.read_text()
    parsed = yaml.safe_load(written)
    assert parsed["version"] == "3.1"
    got = examples_in([out])
    assert got == [
        ("ask_makeup", "hi its <name>, can i put foundation on tmrw?"),
        ("ask_medication", "dob <date>, is it ok to take advil"),
        ("ask_peeling", "I was born <date> and my skin is peeling a lot"),
        ("ask_results", "will it look worse before it gets better"),
        ("ask_uncovered_topic", "text <phone> if i can swim"),
        ("request_human", "call me back on <phone> pls about the redness"),
        ("request_human", "my email is <email> can u send the aftercare sheet"),
    ]
    for secret in ("Maria", "Lopez", "555", "0187", "7700", "example.com", "1988", "03/14"):
        assert secret.lower() not in written.lower()
    training = {normalized(text) for _, text in examples_in(sorted(DATA.glob("*.yml")))}
    assert not training & {normalized(text) for _, text in got}

    # Again, everything since the start: the file keeps its examples, adds the sauna once.
    again = cli("nlu", "export", "--data", str(data))
    assert again.exit_code == 0, again.output
    assert "1 new examples" in again.stdout and "8 in the file" in again.stdout
    assert ("ask_uncovered_topic", "is the steam room at my gym ok this week") in examples_in([out])
