"""The bookings routes on the real Rasa server, registered through credentials.yml like the
SMS and web chat channels: a signed event sent to `rasa run` records its treatment."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import select

from bot.booking_systems.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature
from bot.store.db import make_engine, session_scope
from bot.store.models import Treatment, TreatmentStatus

ROOT = Path(__file__).resolve().parents[2]
AFTERCARE = str(Path(sys.executable).with_name("aftercare"))


def test_a_signed_booking_reaches_the_rasa_server(assistant_server):
    made = subprocess.run(
        [AFTERCARE, "clinic", "webhook-secret", "--clinic", "glow"],
        env=assistant_server.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    secret = next(line.split()[-1] for line in made.stdout.splitlines() if line.startswith("secret:"))

    start = (datetime.now(timezone.utc) + timedelta(days=4)).replace(microsecond=0)
    event = {"booking_id": "E2E-1", "start": start.isoformat(), "name": "Rae Moss", "phone": "+12125550188"}
    body = json.dumps(event).encode()
    stamp = str(int(time.time()))
    headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: webhook_signature(secret, stamp, body)}
    url = f"{assistant_server.base_url}/webhooks/bookings/glow"
    answer = requests.post(url, data=body, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"outcome": "applied"}
    assert requests.post(url, data=body, timeout=30).status_code == 403  # unsigned
    acuity = requests.post(f"{assistant_server.base_url}/webhooks/bookings/acuity/glow", data=b"action=x", timeout=30)
    assert acuity.status_code == 403  # mounted, and Glow has no Acuity account

    engine = make_engine(assistant_server.database_url)
    try:
        with session_scope(engine) as session:
            (treatment,) = session.scalars(select(Treatment).where(Treatment.external_ref == "E2E-1"))
            assert (treatment.status, treatment.performed_at) == (TreatmentStatus.booked, start)
    finally:
        engine.dispose()
