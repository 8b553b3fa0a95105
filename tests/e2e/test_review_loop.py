"""The review loop closes: messages the trained model misreads are corrected in the review
queue, exported with `aftercare nlu export`, an NLU model is trained on data/nlu plus the
export (in a temporary folder, the NLU part only: the classifier trains in seconds), and
those messages now read right.

The misread messages are found, not chosen: the trained model reads the blind held-out
set (tests/nlu/heldout_blind.yml, messages written apart from the training data), and
those it gets wrong are what clients "sent". A reading the red-flag guard forced is left
out: the guard, not the classifier, decides those.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from rasa.core.agent import Agent

from bot.cli import main
from bot.identity import Channel, Sender
from bot.nlp.reviewed import examples_in
from bot.services import clients, clinics, correspondents, transcripts, treatments
from bot.services import staff as accounts
from bot.services.transcripts import Reading
from bot.store.conversation_models import MessageKind
from bot.store.db import ensure_schema, session_scope
from bot.store.staff_models import StaffRole
from tests.console.console_world import PASSWORD, Seeded, running_console
from tests.fakes import event_loop

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "aftercare.tar.gz"
HELD_OUT = ROOT / "tests" / "nlu" / "heldout_blind.yml"


def readings(model: Path, texts: list[str]) -> list[dict]:
    agent = Agent.load(str(model))

    async def read() -> list[dict]:
        return [(await agent.parse_message(text))["intent"] for text in texts]

    return event_loop.run(read())


def train_nlu(data: Path, out: Path) -> Path:
    rasa = str(Path(sys.executable).with_name("rasa"))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
    subprocess.run(
        [
            rasa,
            "train",
            "nlu",
            "--config",
            "config.yml",
            "--nlu",
            str(data),
            "--out",
            str(out),
            "--fixed-model-name",
            "reviewed",
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=900,
    )
    return out / "reviewed.tar.gz"


@pytest.fixture(scope="module")
def misread() -> list[tuple[str, str, dict]]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: `make train` first", pytrace=False)
    held_out = examples_in([HELD_OUT])
    read = readings(MODEL, [text for _, text in held_out])
    wrong = [
        (intent, text, got)
        for (intent, text), got in zip(held_out, read, strict=True)
        if got["name"] != intent and got["name"] != "report_red_flag"
    ]
    assert len(wrong) >= 5, "the trained model reads the held-out set too well to test the loop"
    return wrong


def test_corrected_messages_read_right_after_export_and_training(misread, tmp_path):
    now = datetime.now(timezone.utc)
    url = f"sqlite:///{tmp_path / 'loop.db'}"
    engine = ensure_schema(url)
    ids = {}
    with session_scope(engine) as db:
        glow = clinics.add(db, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")
        ana = clients.add(db, glow, "Ana Diaz", "+12125550123")
        treatments.add(db, ana, now - timedelta(days=2), now=now)
        sam = accounts.add_staff(
            db, email="sam@glow.example", name="Sam Rivera", role=StaffRole.staff, clinic_slug="glow", now=now
        )
        accounts.set_password(db, sam.token, PASSWORD, now)
        talk = None
        for index, (_, text, got) in enumerate(misread):
            at = now - timedelta(hours=len(misread) - index)
            who = correspondents.resolve(db, Sender(Channel.web, client_id=ana.id), at)
            message = transcripts.client_message(db, who, text, at)
            clarified = got["name"] == "nlu_fallback"
            reading = Reading(got["name"], got["confidence"], (), "action_clarify" if clarified else "action_answer")
            transcripts.assistant_reply(db, who, ["An answer."], at, message, reading)
            talk = transcripts.of(db, who, at)
            # The answer missed the point: a person answered instead.
            transcripts.said(
                db,
                talk,
                MessageKind.staff,
                "Let me help.",
                Channel.web,
                at + timedelta(minutes=5),
                staff_id=sam.staff.id,
            )
            ids[text] = message.id
        info = Seeded(glow.id, ana.id, 0, 0, "sam@glow.example", "", "", "")

    with running_console(url, tmp_path / "data", engine=engine, seeded=info) as console:
        browser = console.client()
        assert browser.sign_in("sam@glow.example").status_code == 303
        queue = browser.get("/review").text
        for intent, text, _ in misread:
            assert f'action="/review/{ids[text]}"' in queue, text
            assert browser.submit(f"/review/{ids[text]}", {"intent": intent}, page="/review").status_code == 303
    engine.dispose()

    data = tmp_path / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", data)
    result = CliRunner().invoke(
        main,
        ["nlu", "export", "--data", str(data)],
        env={"DATABASE_URL": url, "AFTERCARE_DATA_DIR": str(tmp_path)},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert f"{len(misread)} new examples" in result.stdout
    exported = examples_in([data / "reviewed.yml"])
    assert sorted(exported) == sorted((intent, text) for intent, text, _ in misread)

    model = train_nlu(data, tmp_path / "models")
    after = readings(model, [text for _, text, _ in misread])
    assert [got["name"] for got in after] == [intent for intent, _, _ in misread]
