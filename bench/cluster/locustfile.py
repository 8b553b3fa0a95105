"""Locust users for the cluster load run (bench/cluster_bench.py writes the plan).

Runs in its own virtual environment (.build/locust: Locust's dependencies are not Rasa's),
so it imports nothing of the project. Each simulated user is one client of one clinic,
from the plan (AFTERCARE_LOAD_PLAN, JSON): SMS clients post Twilio-signed webhooks to the
balancer, web clients post chat messages with their signed link token. Each user holds a
conversation: an unknown number first goes through the date flow (when was your
treatment? ... just to check ... yes), then everyone asks mixed questions. Every request
is written to AFTERCARE_LOAD_LOG (JSON lines) for the driver to check replies against.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import threading
import time
import uuid
from urllib.parse import urlencode

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["AFTERCARE_LOAD_PLAN"]).read())  # noqa: SIM115
LOG = open(os.environ["AFTERCARE_LOAD_LOG"], "a", buffering=1)  # noqa: SIM115 (open for the run)
_log_lock = threading.Lock()
_next = itertools.count()
QUESTIONS = PLAN["questions"]
DATE_FLOW = PLAN["date_flow"]  # the unknown client's first three messages


def signature(url: str, params: list[tuple[str, str]], token: str) -> str:
    """X-Twilio-Signature: HMAC-SHA1 over the URL and the sorted parameters, base64."""
    payload = url + "".join(f"{k}{v}" for k, v in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def inbound(account: str, sid: str, sender: str, to: str, body: str) -> list[tuple[str, str]]:
    """An inbound SMS with Twilio's parameters, empty ones included."""
    return [
        ("ToCountry", "US"),
        ("ToState", ""),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("ToCity", ""),
        ("FromZip", ""),
        ("SmsSid", sid),
        ("FromState", ""),
        ("SmsStatus", "received"),
        ("FromCity", ""),
        ("Body", body),
        ("FromCountry", "US"),
        ("To", to),
        ("MessagingServiceSid", ""),
        ("ToZip", ""),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", account),
        ("From", sender),
        ("ApiVersion", "2010-04-01"),
    ]


def record(**entry) -> None:
    with _log_lock:
        LOG.write(json.dumps(entry) + "\n")


class Client(HttpUser):
    wait_time = between(PLAN["think_min"], PLAN["think_max"])

    def on_start(self) -> None:
        self.me = PLAN["clients"][next(_next) % len(PLAN["clients"])]
        self.script = list(DATE_FLOW) if self.me["unknown"] else []
        self.session = None

    def next_text(self) -> tuple[str, str]:
        if self.script:
            return "date", self.script.pop(0)
        return "topic", random.choice(QUESTIONS)

    @task
    def say(self) -> None:
        kind, text = self.next_text()
        if self.me["channel"] == "sms":
            self.sms(kind, text)
        else:
            self.web(kind, text)

    def sms(self, kind: str, text: str) -> None:
        sid = "SM" + uuid.uuid4().hex
        params = inbound(PLAN["account_sid"], sid, self.me["phone"], self.me["clinic_number"], text)
        url = PLAN["public_url"] + "/webhooks/twilio/webhook"
        headers = {
            "X-Twilio-Signature": signature(url, params, PLAN["auth_token"]),
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
        }
        began = time.time()
        with self.client.post(
            "/webhooks/twilio/webhook", data=urlencode(params), headers=headers, name="sms", catch_response=True
        ) as answer:
            latency = time.time() - began
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
        record(
            channel="sms",
            who=self.me["key"],
            kind=kind,
            sid=sid,
            text=text,
            status=answer.status_code,
            latency=latency,
            at=began,
        )

    def web(self, kind: str, text: str) -> None:
        body = {"clinic": self.me["clinic"], "token": self.me["token"], "message": text}
        if self.session:
            body["session"] = self.session
        began = time.time()
        with self.client.post("/webhooks/web/webhook", json=body, name="web", catch_response=True) as answer:
            latency = time.time() - began
            replies = []
            if answer.status_code == 200:
                data = answer.json()
                self.session = data.get("session") or self.session
                replies = [m.get("text", "") for m in data.get("messages", [])]
                if not replies:
                    answer.failure("no reply")
            else:
                answer.failure(f"HTTP {answer.status_code}")
        record(
            channel="web",
            who=self.me["key"],
            kind=kind,
            text=text,
            status=answer.status_code,
            latency=latency,
            at=began,
            replies=replies,
        )
