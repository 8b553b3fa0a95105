"""The signed JSON webhook, as a Zap (or Make, or n8n) posts it: create, update and cancel
work; a wrong signature, a stale timestamp and a replay are refused; a malformed body gets
a 400 that says what to fix; nothing half-applied stays behind."""

import json
import re
import subprocess
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.booking_systems.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER
from bot.store.booking_models import EventOutcome
from bot.store.messaging_models import JobStatus
from bot.store.models import TreatmentStatus


def iso(days: float, hour: int = 14) -> str:
    """A time `days` from now at `hour`:30 New York time, with its offset, as a Zap sends it."""
    from zoneinfo import ZoneInfo

    moment = datetime.now(ZoneInfo("America/New_York")) + timedelta(days=days)
    return moment.replace(hour=hour, minute=30, second=0, microsecond=0).isoformat()


def event(**fields):
    base = {
        "event_id": "evt_001",
        "booking_id": "BLVD-8812",
        "status": "Confirmed",
        "start": iso(3),
        "end": iso(3, hour=15),
        "name": "Ana Diaz",
        "phone": "(212) 555-0123",
        "service": "Microneedling with PRP",
    }
    return {key: value for key, value in {**base, **fields}.items() if value is not None}


def test_signed_create_update_and_cancel(booking_line):
    created = booking_line.send(event())
    assert created.status_code == 200, created.text
    assert created.json() == {"outcome": "applied"}
    (treatment,) = booking_line.treatments()
    assert (treatment.status, treatment.external_ref) == (TreatmentStatus.booked, "BLVD-8812")
    assert treatment.performed_at == datetime.fromisoformat(iso(3, hour=15)).astimezone(timezone.utc)
    (client,) = booking_line.clients()
    assert (client.name, client.phone) == ("Ana Diaz", "+12125550123")
    due_before = {f.step_key: f.due_at for f in booking_line.followups(treatment.id)}

    moved = booking_line.send(event(event_id="evt_002", start=iso(6), end=None, status="Rescheduled"))
    assert moved.json() == {"outcome": "applied"}
    (treatment,) = booking_line.treatments()
    assert treatment.performed_at == datetime.fromisoformat(iso(6)).astimezone(timezone.utc)
    due_after = {f.step_key: f.due_at for f in booking_line.followups(treatment.id)}
    assert all(due_after[key] > due_before[key] for key in due_before)

    cancelled = booking_line.send(
        event(event_id="evt_003", start=iso(6), end=None, status="Cancelled", name=None, phone=None)
    )
    assert cancelled.json() == {"outcome": "applied"}
    (treatment,) = booking_line.treatments()
    assert treatment.status is TreatmentStatus.cancelled
    assert {f.status for f in booking_line.followups(treatment.id)} == {JobStatus.cancelled}
    assert [e.outcome for e in booking_line.events()] == [EventOutcome.applied] * 3


def test_a_wrong_signature_is_refused_and_changes_nothing(booking_line):
    body = json.dumps(event()).encode()
    forged = booking_line.signed(body, secret="whsec_not-the-clinics-secret")
    answers = [
        booking_line.post(body, forged),
        booking_line.post(body, {**booking_line.signed(body), SIGNATURE_HEADER: ""}),
        booking_line.post(body, {"Content-Type": "application/json"}),
        booking_line.post(body + b" ", booking_line.signed(body)),  # the body changed after signing
    ]
    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    assert [a.json()["error"] for a in answers] == ["bad_signature", "unsigned", "unsigned", "bad_signature"]
    assert booking_line.counts() == (0, 0, 0, 0)


def test_a_stale_timestamp_is_refused(booking_line):
    answer = booking_line.send(event(), timestamp=int(time.time()) - 6 * 60)
    assert answer.status_code == 403 and answer.json()["error"] == "stale"
    future = booking_line.send(event(), timestamp=int(time.time()) + 6 * 60)
    assert future.status_code == 403
    assert booking_line.counts() == (0, 0, 0, 0)


def test_a_replay_is_refused_and_the_event_applied_once(booking_line):
    body = json.dumps(event()).encode()
    headers = booking_line.signed(body)
    assert booking_line.post(body, headers).status_code == 200
    replay = booking_line.post(body, headers)
    assert replay.status_code == 409 and replay.json()["error"] == "replayed"
    resigned = booking_line.send(event())  # the same event id, signed again later
    assert resigned.status_code == 409
    assert booking_line.counts()[1:] == (1, len(booking_line.followups(booking_line.treatments()[0].id)), 1)


def test_without_an_event_id_the_signature_is_the_event(booking_line):
    body = json.dumps(event(event_id=None)).encode()
    headers = booking_line.signed(body)
    assert booking_line.post(body, headers).status_code == 200
    assert booking_line.post(body, headers).status_code == 409
    # Sent again by the sender (signed at another second): a new event, idempotent.
    resent = booking_line.send(event(event_id=None), timestamp=int(headers[TIMESTAMP_HEADER]) - 1)
    assert resent.json() == {"outcome": "unchanged"}


def test_a_malformed_body_gets_a_clear_400(booking_line):
    cases = {
        b"not json": "JSON object",
        json.dumps(event(booking_id=None)).encode(): "booking_id is required",
        json.dumps(event(start="2026-11-21 14:30")).encode(): "has no offset",
        json.dumps(event(name=None)).encode(): "name required",
        json.dumps(event(phone="call me")).encode(): "phone number",
        json.dumps(event(status="lost")).encode(): "unknown treatment status",
    }
    for number, (body, fragment) in enumerate(cases.items()):
        answer = booking_line.send(json.loads(body) | {"event_id": f"bad_{number}"} if body != b"not json" else body)
        assert answer.status_code == 400, (body, answer.text)
        assert fragment in answer.json()["message"], answer.json()
    assert booking_line.counts()[:3] == (0, 0, 0)
    assert {e.outcome for e in booking_line.events()} == {EventOutcome.rejected}


def test_a_done_treatment_in_the_future_is_refused(booking_line):
    answer = booking_line.send(event(status="Completed"))
    assert answer.status_code == 400 and answer.json()["error"] == "done_in_future"
    assert booking_line.counts()[:2] == (0, 0)


def test_other_services_and_unknown_cancellations_are_skipped(booking_line):
    botox = booking_line.send(event(service="Botox - 20 units"))
    assert botox.json()["outcome"] == "skipped" and "not microneedling" in botox.json()["message"]
    unknown = booking_line.send(event(event_id="evt_x", status="No-Show"))
    assert unknown.json() == {"outcome": "skipped", "reason": "cancelled_not_on_file"}
    assert booking_line.counts()[:2] == (0, 0)


def test_a_past_appointment_arrives_done(booking_line):
    assert booking_line.send(event(start=iso(-1), end=None, status="Confirmed")).json() == {"outcome": "applied"}
    assert booking_line.treatments()[0].status is TreatmentStatus.done


def test_an_unknown_clinic_and_a_clinic_without_a_secret_are_refused(booking_line):
    body = json.dumps(event()).encode()
    answer = booking_line.post(body, booking_line.signed(body), path="/webhooks/bookings/nowhere")
    assert answer.status_code == 403


def test_a_body_over_the_limit_is_refused(booking_line):
    body = json.dumps(event(notes="x" * 20_000)).encode()
    assert booking_line.post(body, booking_line.signed(body)).status_code == 413
    chunked = booking_line.post(iter([body]), {TIMESTAMP_HEADER: "1", SIGNATURE_HEADER: "v1=0"})
    assert chunked.status_code == 413


# The README's recipes, run as written against the served channel

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE_URL = "https://chat.example.com/webhooks/bookings/glow"


def readme_block(marker: str, language: str) -> str:
    """The first ```language block after `marker` in the README, dedented."""
    text = README.read_text(encoding="utf-8")
    start = text.index(marker)
    opening = re.compile(rf"^( *)```{language}\n", re.MULTILINE).search(text, start)
    assert opening is not None, marker
    indent = opening.group(1)
    end = text.index(f"{indent}```\n", opening.end())
    return textwrap.dedent(text[opening.end() : end])


def test_the_readme_curl_example_is_accepted(booking_line):
    script = readme_block("With curl:", "sh").replace("'whsec_…'", f"'{booking_line.secret}'")
    script = script.replace(EXAMPLE_URL, booking_line.base_url + "/webhooks/bookings/glow")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert json.loads(done.stdout) == {"outcome": "applied"}, done.stdout + done.stderr
    assert booking_line.treatments()[0].external_ref == "A-1001"


def test_the_readme_python_example_and_zap_code_step_are_accepted(booking_line, capsys):
    example = readme_block("In Python:", "python").replace('"whsec_…"', repr(booking_line.secret))
    exec(example.replace(EXAMPLE_URL, booking_line.base_url + "/webhooks/bookings/glow"), {})
    assert json.loads(capsys.readouterr().out) == {"outcome": "applied"}

    code = readme_block("**Code by Zapier**", "python")
    namespace: dict = {}
    exec("def code_step(input_data):\n" + textwrap.indent(code, "    "), namespace)
    fields = event(booking_id="Z-77", status="Confirmed", secret=booking_line.secret)
    step = namespace["code_step"]({key: value for key, value in fields.items() if key != "event_id"})
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: step["timestamp"],
        SIGNATURE_HEADER: step["signature"],
    }
    answer = booking_line.post(step["body"].encode(), headers)
    assert answer.json() == {"outcome": "applied"}, answer.text
    assert {t.external_ref for t in booking_line.treatments()} == {"A-1001", "Z-77"}
