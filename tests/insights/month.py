"""A scripted month of one clinic, written through the real services, and the figures it
must give, counted here from the script itself (not from the database).

Each `Exchange` is one client message and what followed it, declared: answered, a staff
reply (within or after 24 hours), an alert of some kind (handled after so many minutes
or not), a clarification the client resolved or not, a message written during a
take-over, or one the assistant never answered. Follow-ups are declared with their
delivery and whether (and when) the client replied. Around them: messages and alerts
just outside the period (the evening before it in the clinic's time zone, which is
already the period's first day in UTC), a second clinic whose figures must not leak in,
opt-outs, and staff verdicts from the review queue.

The clinic is in New York and the period crosses the start of daylight-saving time.
"""

from __future__ import annotations

import statistics
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.alerts import AlertKind
from bot.identity import Channel, Sender
from bot.services import clients, clinics, conversations, correspondents, transcripts, treatments
from bot.services import staff as accounts
from bot.services.transcripts import Reading
from bot.store.conversation_models import LoggedMessage, MessageKind
from bot.store.db import ensure_schema, session_scope
from bot.store.messaging_models import FollowUp, JobStatus
from bot.store.models import Client
from bot.store.review_models import MessageReview
from bot.store.staff_models import StaffRole
from tests.console.console_world import PASSWORD, RunningConsole, running_console
from tests.console.console_world import Seeded as ConsoleSeeded

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 31, 16, 0, tzinfo=timezone.utc)  # noon in New York
DAYS = 30
PERIOD_START = datetime(2026, 3, 2, tzinfo=NEW_YORK)  # 30 local days, today included

# answered: the assistant answered, nobody else did. staff: a staff reply 2 h later.
# late_staff: a staff reply 30 h later (outside the 24-hour window). alert: an alert
# about the message. clarified: the assistant asked what was meant; `resolved` says
# whether the client's next message 5 minutes later was understood. takeover: written
# while a person had taken over. silent: the assistant never answered.
ALONE = {"answered", "late_staff"}


@dataclass(frozen=True)
class Exchange:
    client: int  # index into CLIENTS
    day: Optional[int]  # recovery day (None: the client has no treatment yet)
    hour: float  # hours into that day of recovery (or since the client's start)
    text: str
    intent: Optional[str]
    outcome: str
    topics: tuple[str, ...] = ()
    alert: Optional[str] = None  # an AlertKind value
    handled_after: Optional[int] = None  # minutes
    resolved: bool = False
    review: Optional[tuple[Optional[str]]] = None  # (intent,) or (None,) = not a question


@dataclass(frozen=True)
class Followup:
    client: int
    day: int
    hour: float
    status: Optional[str]  # the text's delivery status
    reply_after: Optional[float] = None  # hours until the client's reply (an answered exchange)


# (name, phone, treated at in New York; None: no treatment)
CLIENTS = [
    ("Ana Diaz", "+12125550101", datetime(2026, 3, 3, 14, 0, tzinfo=NEW_YORK)),
    ("Ben Cho", "+12125550102", datetime(2026, 3, 6, 10, 0, tzinfo=NEW_YORK)),  # DST starts on day 2
    ("Cara Lee", "+12125550103", datetime(2026, 3, 12, 16, 30, tzinfo=NEW_YORK)),
    ("Dev Shah", "+12125550104", datetime(2026, 3, 18, 9, 0, tzinfo=NEW_YORK)),
    ("Eve Moss", "+12125550105", datetime(2026, 2, 10, 11, 0, tzinfo=NEW_YORK)),  # day 20 and later
    ("Fay Wong", "+12125550106", datetime(2026, 3, 24, 13, 0, tzinfo=NEW_YORK)),
    ("Gus Park", "+12125550107", None),
    ("Hal Ruiz", "+12125550108", datetime(2026, 2, 27, 15, 0, tzinfo=NEW_YORK)),
]

EXCHANGES = [
    Exchange(0, 0, 3, "can i put makeup on tonight", "ask_makeup", "answered"),
    Exchange(0, 0, 6, "is it normal to be this red", "ask_redness_swelling", "answered"),
    Exchange(0, 1, 2, "can I wash my face with cerave", "ask_washing", "answered"),
    Exchange(0, 1, 9, "makeup tomorrow and is the beach ok sat", "ask_makeup", "answered", ("ask_makeup", "ask_sun")),
    Exchange(0, 3, 1, "Hmm ok so what now?", "nlu_fallback", "clarified"),  # next message 25 h later
    Exchange(0, 4, 2, "it's flaking a lot", "ask_peeling", "answered"),
    Exchange(0, 5, 4, "my face is so red still", "ask_redness_swelling", "staff"),
    Exchange(0, 6, 5, "can i go to the gym", "ask_exercise", "answered"),
    Exchange(0, 9, 2, "when do i book the next one", "ask_next_treatment", "late_staff"),
    Exchange(1, 0, 1, "there's yellow crust", "report_red_flag", "alert", alert="red_flag", handled_after=12),
    Exchange(1, 0, 8, "can i use my retinol", "ask_skincare_restart", "answered"),
    Exchange(1, 1, 3, "hmm ok so what now", "nlu_fallback", "clarified", resolved=True),
    Exchange(1, 2, 2, "can someone call me", "request_human", "alert", alert="human_request", handled_after=45),
    Exchange(1, 2, 20, "makeup ok now?", "ask_makeup", "answered"),
    Exchange(1, 5, 6, "peeling and itchy", "ask_peeling", "answered", ("ask_peeling", "ask_itching")),
    Exchange(1, 7, 1, "when will i see results", "ask_results", "answered"),
    Exchange(1, 12, 3, "what about the thing", "out_of_scope", "clarified", review=("ask_next_treatment",)),
    Exchange(2, 0, 2, "HMM OK so what now!!", "nlu_fallback", "clarified"),
    Exchange(2, 1, 4, "here is a photo", None, "alert", alert="photo", handled_after=90),
    Exchange(2, 1, 8, "advil ok?", "ask_medication", "answered"),
    Exchange(2, 2, 1, "is this normal lol", "out_of_scope", "clarified", review=("ask_peeling",)),
    Exchange(2, 3, 3, "sun today?", "ask_sun", "answered"),
    Exchange(2, 4, 3, "wine tonight?", "ask_uncovered_topic", "alert", alert="uncovered_topic"),
    Exchange(2, 5, 6, "Is this normal lol", "out_of_scope", "clarified"),
    Exchange(2, 8, 6, "still a bit pink", "ask_redness_swelling", "takeover"),
    Exchange(2, 8, 7, "ok thanks", "thank", "takeover"),
    Exchange(3, 0, 2, "my lips are swelling up", "report_red_flag", "alert", alert="red_flag", handled_after=30),
    Exchange(3, 0, 4, "can i wear makeup", "ask_makeup", "answered", review=(None,)),
    Exchange(3, 1, 5, "sunscreen?", "ask_sun", "silent"),
    Exchange(3, 2, 1, "it burns", "ask_pain", "answered"),
    Exchange(3, 3, 3, "??", "nlu_fallback", "clarified", alert="not_understood"),
    Exchange(3, 6, 2, "gym?", "ask_exercise", "answered"),
    Exchange(4, 20, 2, "when should i come back", "ask_next_treatment", "answered"),
    Exchange(4, 30, 3, "when do results show", "ask_results", "answered"),
    Exchange(5, 0, 1, "can i shower", "ask_washing", "answered"),
    Exchange(5, 1, 2, "hi", "greet", "answered"),
    Exchange(5, 2, 3, "hello? anyone", "request_human", "alert", alert="human_request"),
    Exchange(5, 3, 3, "sore today", "ask_pain", "answered"),
    Exchange(6, None, 2, "how much is it", "ask_cost", "answered"),
    Exchange(6, None, 30, "what is microneedling", "ask_about_treatment", "staff"),
    Exchange(7, 4, 2, "still peeling", "ask_peeling", "answered"),
    Exchange(7, 10, 2, "is it ok to exfoliate", "ask_skincare_restart", "answered"),
]
# The script keeps staff replies clear of other messages: none lies within the 24 hours
# before a staff reply but the one it answers.

# Only the declared replies come within 24 hours of a follow-up.
FOLLOWUPS = [
    Followup(0, 1, 4, "delivered", reply_after=3),
    Followup(1, 8, 4, "delivered"),
    Followup(2, 6, 8, "undelivered"),
    Followup(3, 4, 4, "delivered", reply_after=30),
    Followup(5, 4, 6, "sent"),
    Followup(7, 3, 4, "read", reply_after=1),
]

# Outside the period or the clinic, to be left out: Hal's messages on the evening before
# the period (already the period's first day in UTC), alerts and a follow-up then too.
BEFORE = datetime(2026, 3, 1, 22, 30, tzinfo=NEW_YORK)


@dataclass
class Seeded:
    clinic_id: int
    clarified_ids: list[int] = field(default_factory=list)


def _treated(index: int) -> Optional[datetime]:
    return CLIENTS[index][2]


def _start(index: int) -> datetime:
    return _treated(index) or datetime(2026, 3, 20, 8, 0, tzinfo=NEW_YORK)


def when(client: int, day: Optional[int], hour: float) -> datetime:
    """Elapsed time since the treatment (UTC arithmetic: the clocks change on the way)."""
    return _start(client).astimezone(timezone.utc) + timedelta(days=day or 0, hours=hour)


def _who(session: Session, client_id: int, at: datetime):
    return correspondents.resolve(session, Sender(Channel.web, client_id=client_id), at)


def _reading(exchange: Exchange) -> Reading:
    action = "action_clarify" if exchange.outcome == "clarified" else "action_answer"
    topics = exchange.topics or ((exchange.intent,) if (exchange.intent or "").startswith("ask_") else ())
    return Reading(
        intent=exchange.intent, confidence=0.4 if action == "action_clarify" else 0.9, topics=topics, action=action
    )


def seed(session: Session) -> Seeded:
    glow = clinics.add(session, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")
    other = clinics.add(session, "lumen", "Lumen Clinic", "+442079460000", "Europe/London")
    person = accounts.add_staff(
        session, email="olivia@glow.example", name="Olivia Grant", role=StaffRole.owner, clinic_slug="glow", now=NOW
    ).staff
    ids = []
    for name, phone, treated in CLIENTS:
        client = clients.add(session, glow, name, phone)
        if treated is not None:
            treatments.add(session, client, treated.astimezone(timezone.utc), now=NOW)
        ids.append(client.id)
    seeded = Seeded(glow.id)

    def client_says(index: int, at: datetime, text: str) -> LoggedMessage:
        logged = transcripts.client_message(session, _who(session, ids[index], at), text, at)
        assert logged is not None
        return logged

    def assistant_answers(index: int, at: datetime, message: LoggedMessage, reading: Reading) -> None:
        transcripts.assistant_reply(session, _who(session, ids[index], at), ["An answer."], at, message, reading)

    for exchange in EXCHANGES:
        at = when(exchange.client, exchange.day, exchange.hour)
        talk = transcripts.of_client(session, session.get(Client, ids[exchange.client]), at, Channel.web)
        if exchange.outcome == "takeover" and not talk.taken_over(at):
            conversations.take_over(session, talk, person, at - timedelta(minutes=10))
        message = client_says(exchange.client, at, exchange.text)
        if exchange.outcome not in ("takeover", "silent"):
            assistant_answers(exchange.client, at + timedelta(seconds=2), message, _reading(exchange))
        if exchange.outcome == "staff":
            transcripts.said(
                session,
                talk,
                MessageKind.staff,
                "Hi, it's Olivia.",
                Channel.web,
                at + timedelta(hours=2),
                staff_id=person.id,
            )
        if exchange.outcome == "late_staff":
            transcripts.said(
                session,
                talk,
                MessageKind.staff,
                "Hi, it's Olivia.",
                Channel.web,
                at + timedelta(hours=30),
                staff_id=person.id,
            )
        if exchange.alert:
            item = conversations.record_alert(
                session,
                glow,
                talk.client,
                AlertKind(exchange.alert),
                "about it",
                at=at + timedelta(seconds=3),
                conversation=talk,
            )
            assert item.message_id == message.id
            if exchange.handled_after is not None:
                conversations.mark_handled(
                    session, item, person, at + timedelta(seconds=3, minutes=exchange.handled_after)
                )
        if exchange.outcome == "clarified":
            seeded.clarified_ids.append(message.id)
            if exchange.resolved:
                later = at + timedelta(minutes=5)
                followed = client_says(exchange.client, later, "i meant can i wear makeup")
                assistant_answers(
                    exchange.client,
                    later + timedelta(seconds=2),
                    followed,
                    Reading("ask_makeup", 0.92, ("ask_makeup",), "action_answer"),
                )
        if exchange.review is not None:
            session.add(
                MessageReview(
                    message_id=message.id,
                    clinic_id=glow.id,
                    intent=exchange.review[0],
                    reviewed_by_id=person.id,
                    reviewed_at=NOW,
                )
            )
        session.flush()
    for talk_client in {e.client for e in EXCHANGES if e.outcome == "takeover"}:
        talk = transcripts.of_client(session, session.get(Client, ids[talk_client]), NOW, Channel.web)
        conversations.hand_back(session, talk, when(talk_client, 9, 0))

    for followup in FOLLOWUPS:
        at = when(followup.client, followup.day, followup.hour)
        row = _followup_row(session, ids[followup.client])
        logged = transcripts.followup(session, row, at)
        logged.delivery_status = followup.status
        if followup.reply_after is not None:
            later = at + timedelta(hours=followup.reply_after)
            reply = client_says(followup.client, later, "yes all good thanks")
            assistant_answers(
                followup.client, later + timedelta(seconds=2), reply, Reading("thank", 0.95, (), "action_answer")
            )
    # A follow-up that failed before any text left, due in the period; one due before it.
    failed = _followup_row(session, ids[3])
    failed.status, failed.due_at = JobStatus.failed, when(3, 5, 0)
    failed_before = _followup_row(session, ids[7])
    failed_before.status, failed_before.due_at = JobStatus.failed, BEFORE
    # A follow-up failure alert is about the follow-up, not the last client message.
    conversations.record_alert(
        session, glow, session.get(Client, ids[0]), AlertKind.followup_failed, "could not text", at=when(0, 9, 3)
    )

    # Opt-outs: Dev in the period; Eve before it; Fay in it but back in since.
    clients.set_opted_out(session, session.get(Client, ids[3]), True, when(3, 7, 0))
    clients.set_opted_out(session, session.get(Client, ids[4]), True, BEFORE)
    fay = session.get(Client, ids[5])
    clients.set_opted_out(session, fay, True, when(5, 4, 0))
    clients.set_opted_out(session, fay, False, when(5, 5, 0))

    # Left out: before the period (New York time), and another clinic's.
    early = client_says(7, BEFORE, "can i wash my face")
    assistant_answers(
        7, BEFORE + timedelta(seconds=2), early, Reading("ask_washing", 0.9, ("ask_washing",), "action_answer")
    )
    hal = transcripts.of_client(session, session.get(Client, ids[7]), BEFORE, Channel.web)
    conversations.record_alert(
        session, glow, hal.client, AlertKind.human_request, "before", at=BEFORE, conversation=hal
    )
    transcripts.followup(
        session, _followup_row(session, ids[7]), BEFORE - timedelta(hours=1)
    ).delivery_status = "delivered"
    stranger = clients.add(session, other, "Zed Ortiz", "+447911123456")
    treatments.add(session, stranger, datetime(2026, 3, 20, 10, tzinfo=timezone.utc), now=NOW)
    elsewhere = client_says_elsewhere(session, stranger.id, datetime(2026, 3, 21, 10, tzinfo=timezone.utc))
    conversations.record_alert(session, other, stranger, AlertKind.red_flag, "elsewhere", at=elsewhere.at)
    clients.set_opted_out(session, stranger, True, datetime(2026, 3, 22, tzinfo=timezone.utc))
    session.flush()
    return seeded


@contextmanager
def running_month_console(folder: Path) -> Iterator[RunningConsole]:
    """The console on a SQLite database holding the month, with an owner and a staff
    member of glow and an owner of lumen (password: console_world.PASSWORD)."""
    url = f"sqlite:///{folder / 'month.db'}"
    engine = ensure_schema(url)
    with session_scope(engine) as db:
        seeded = seed(db)
        for email, role, slug in (
            ("olivia@glow.example", None, None),
            ("sam@glow.example", StaffRole.staff, "glow"),
            ("lee@lumen.example", StaffRole.owner, "lumen"),
        ):
            if role is not None:
                name = email.split("@")[0].title()
                accounts.add_staff(db, email=email, name=name, role=role, clinic_slug=slug, now=NOW)
            link = accounts.issue_password_link(db, email, datetime.now(timezone.utc))
            accounts.set_password(db, link.token, PASSWORD, datetime.now(timezone.utc))
    info = ConsoleSeeded(seeded.clinic_id, 0, 0, 0, "sam@glow.example", "olivia@glow.example", "lee@lumen.example", "")
    try:
        with running_console(url, folder / "data", engine=engine, seeded=info) as running:
            running.clarified_ids = seeded.clarified_ids  # type: ignore[attr-defined]
            yield running
    finally:
        engine.dispose()


def client_says_elsewhere(session: Session, client_id: int, at: datetime) -> LoggedMessage:
    logged = transcripts.client_message(session, _who(session, client_id, at), "is it normal lol", at)
    assert logged is not None
    transcripts.assistant_reply(
        session, _who(session, client_id, at), ["?"], at, logged, Reading("nlu_fallback", 0.3, (), "action_clarify")
    )
    return logged


def _followup_row(session: Session, client_id: int) -> FollowUp:
    """One of the client's scheduled follow-ups not used yet by the script."""
    taken = session.info.setdefault("month_followups", set())
    rows = session.query(FollowUp).filter(FollowUp.client_id == client_id).order_by(FollowUp.id).all()
    row = next(r for r in rows if r.id not in taken)
    taken.add(row.id)
    return row


# What the figures must be, from the script alone.


def _in_period(at: datetime) -> bool:
    return PERIOD_START <= at <= NOW


def expected() -> dict:
    messages = []  # (client, at, alone, clarified, text, topics-with-day)
    for e in EXCHANGES:
        at = when(e.client, e.day, e.hour)
        clarified = e.outcome == "clarified"
        alone = e.outcome in ALONE and e.alert is None
        if clarified:
            alone = e.resolved and e.alert is None
        if e.outcome == "answered" and e.alert:
            alone = False
        if e.outcome in ("takeover", "silent"):
            topics = ()  # the assistant did not read it
        elif e.review is not None:
            topics = (e.review[0],) if e.review[0] and e.review[0].startswith("ask_") else ()
        else:
            topics = e.topics or ((e.intent,) if (e.intent or "").startswith("ask_") else ())
        messages.append((e.client, at, alone, clarified, e.text, topics, e.day))
        if clarified and e.resolved:
            messages.append((e.client, at + timedelta(minutes=5), True, False, "", ("ask_makeup",), e.day))
    for f in FOLLOWUPS:
        if f.reply_after is not None:
            at = when(f.client, f.day, f.hour) + timedelta(hours=f.reply_after)
            day = int((at - _treated(f.client)).total_seconds() // 86400)
            messages.append((f.client, at, True, False, "", (), day))
    in_period = [m for m in messages if _in_period(m[1])]
    topics: dict[str, list[int]] = {}
    outside = 0
    for _, _, _, _, _, asked, day in in_period:
        for topic in asked:
            if day is None or day > 14:
                outside += 1
            else:
                topics.setdefault(topic, [0] * 15)[day] += 1
    topic_rows = sorted(
        (
            {"topic": t, "label": t[4:].replace("_", " "), "by_day": days, "total": sum(days)}
            for t, days in topics.items()
        ),
        key=lambda row: (-row["total"], row["topic"]),
    )
    clarified = [m for m in in_period if m[3]]
    counts: dict[str, list] = {}
    for m in clarified:
        key = m[4].lower().strip(" .!?")
        if not key:
            continue
        counts.setdefault(key, [m[4], 0])[1] += 1
    repeated = sorted(counts.items(), key=lambda item: (-item[1][1], item[0]))
    escalations = []
    waits_all = []
    labels = {
        "red_flag": "Red flag",
        "human_request": "Person requested",
        "photo": "Photo sent",
        "not_understood": "Not understood",
        "uncovered_topic": "Topic not covered",
    }
    for kind, label in labels.items():
        found = [e for e in EXCHANGES if e.alert == kind and _in_period(when(e.client, e.day, e.hour))]
        waits = [e.handled_after for e in found if e.handled_after is not None]
        waits_all += waits
        escalations.append(
            {
                "kind": kind,
                "label": label,
                "count": len(found),
                "handled": len(waits),
                "median_minutes_to_handled": round(statistics.median(waits), 1) if waits else None,
            }
        )
    sent = [f for f in FOLLOWUPS if _in_period(when(f.client, f.day, f.hour))]
    replied = sum(1 for f in sent if f.reply_after is not None and f.reply_after <= 24)
    alone = sum(1 for m in in_period if m[2])
    return {
        "clinic": "glow",
        "clinic_name": "Glow Skin Studio",
        "days": DAYS,
        "first_day": "2026-03-02",
        "last_day": "2026-03-31",
        "conversations": len({m[0] for m in in_period}),
        "client_messages": len(in_period),
        "answered_alone": alone,
        "answered_alone_share": round(alone / len(in_period), 4),
        "escalations": escalations,
        "escalations_total": sum(e["count"] for e in escalations),
        "median_minutes_to_handled": round(statistics.median(waits_all), 1),
        "followups": {
            "sent": len(sent),
            "delivered": sum(1 for f in sent if f.status in ("delivered", "read")),
            "failed": sum(1 for f in sent if f.status in ("failed", "undelivered")) + 1,
            "replied": replied,
            "reply_share": round(replied / len(sent), 4),
        },
        "opt_outs": 1,
        "topics": topic_rows,
        "questions_outside_days": outside,
        "clarified": len(clarified),
        "clarification_rate": round(len(clarified) / len(in_period), 4),
        "not_understood": [{"text": shown, "count": n} for _, (shown, n) in repeated],
    }
