"""Resolving who is writing from the sender id, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import identity, protocols
from bot.identity import Correspondent
from bot.services import clients, clinics, conversations, correspondents, treatments
from bot.store import queries
from bot.store.db import session_scope
from bot.store.models import Alert

UTC = timezone.utc
NOW = datetime(2026, 11, 23, 19, 10, tzinfo=UTC)  # 2:10 pm in New York
DONE_AT = NOW - timedelta(days=3)

GLOW_PHONE, GLOW_LINE = "+12125550100", "+12125550199"
BRIGHT_PHONE = "+442071838750"
ANA, BEA, STRANGER = "+12125550123", "+12125550124", "+12125550999"


@pytest.fixture
def store(engine):
    """Two clinics; Ana is a client of both (one number, two clinics), Bea of Glow only."""
    seed004 = protocols.example_path("seed004_late_sunscreen.yml").read_text(encoding="utf-8")
    with session_scope(engine) as session:
        glow = clinics.add(
            session,
            "glow",
            "Glow Skin Studio",
            GLOW_PHONE,
            "America/New_York",
            booking_url="https://glow.example/book",
            sms_number=GLOW_LINE,
        )
        bright = clinics.add(session, "bright", "Bright Skin", BRIGHT_PHONE, "Europe/London", protocol_yaml=seed004)
        ana_glow = clients.add(session, glow, "Ana Diaz", ANA)
        ana_bright = clients.add(session, bright, "Ana D", ANA)
        bea = clients.add(session, glow, "Bea Lopez", BEA)
        treatments.add(session, ana_glow, DONE_AT, now=NOW)
        treatments.add(session, ana_bright, NOW - timedelta(days=10), now=NOW)
        treatments.add(session, bea, NOW - timedelta(days=1), now=NOW)
        ids = {
            "glow": glow.id,
            "bright": bright.id,
            "ana_glow": ana_glow.id,
            "ana_bright": ana_bright.id,
            "bea": bea.id,
        }
    return ids


def load(engine, sender_id: str, now: datetime = NOW) -> Correspondent:
    with Session(bind=engine, future=True) as session:
        return correspondents.resolve(session, identity.parse(sender_id), now)


def known_client(who: Correspondent) -> bool:
    return who.client_id is not None


def test_sms_from_a_known_client(engine, store):
    ctx = load(engine, identity.sms(BEA))
    assert known_client(ctx)
    assert (ctx.clinic_id, ctx.client_id, ctx.first_name) == (store["glow"], store["bea"], "Bea")
    assert ctx.card.name == "Glow Skin Studio"
    assert ctx.card.phone == "(212) 555-0100"  # read the way people in the clinic's country write it
    assert ctx.card.tz == ZoneInfo("America/New_York")
    assert ctx.card.booking_url == "https://glow.example/book"
    assert ctx.treated_at == NOW - timedelta(days=1)
    assert ctx.treated_at.utcoffset() is not None
    assert ctx.protocol is protocols.default()


def test_sms_with_the_clinic_number_picks_the_clinic(engine, store):
    # Ana is a client of both clinics: the number she texted decides which.
    glow = load(engine, identity.sms(ANA, GLOW_LINE))
    assert (glow.clinic_id, glow.client_id) == (store["glow"], store["ana_glow"])
    assert glow.treated_at == DONE_AT

    bright = load(engine, identity.sms(ANA, BRIGHT_PHONE))
    assert (bright.clinic_id, bright.client_id) == (store["bright"], store["ana_bright"])
    assert bright.first_name == "Ana"
    assert bright.treated_at == NOW - timedelta(days=10)
    assert bright.card.tz == ZoneInfo("Europe/London") and bright.card.phone == "020 7183 8750"
    assert bright.protocol.topic("sun").windows[0].end == 12  # the clinic's own override
    assert bright.protocol.topic("makeup") == protocols.default().topic("makeup")


def test_sms_without_the_clinic_number_from_a_shared_number_is_not_guessed(engine, store):
    ctx = load(engine, identity.sms(ANA))
    assert ctx.client_id is None and ctx.clinic_id is None and ctx.treated_at is None
    assert ctx.protocol is protocols.default()


def test_web_link(engine, store):
    ctx = load(engine, identity.web(store["ana_bright"]))
    assert (ctx.clinic_id, ctx.client_id) == (store["bright"], store["ana_bright"])
    assert ctx.treated_at == NOW - timedelta(days=10)
    assert ctx.card.name == "Bright Skin"


def test_web_link_to_a_client_that_does_not_exist(engine, store):
    ctx = load(engine, identity.web(999_999))
    assert ctx.clinic_id is None and ctx.client_id is None


def test_anonymous_visitor_with_a_clinic_slug(engine, store):
    ctx = load(engine, identity.anonymous_sender_id("bright"))
    assert ctx.clinic_id == store["bright"]
    assert not known_client(ctx) and ctx.first_name is None and ctx.treated_at is None
    assert ctx.card.name == "Bright Skin"
    assert ctx.protocol.topic("sun").windows[0].end == 12


def test_anonymous_visitor_with_an_unknown_slug(engine, store):
    ctx = load(engine, identity.anonymous_sender_id("nope"))
    assert ctx.clinic_id is None and ctx.client_id is None
    assert ctx.card.tz == ZoneInfo("UTC")


@pytest.mark.parametrize("line", [GLOW_LINE, GLOW_PHONE])
def test_unknown_number_texting_a_clinic_line(engine, store, line):
    ctx = load(engine, identity.sms(STRANGER, line))
    assert ctx.clinic_id == store["glow"] and ctx.card.name == "Glow Skin Studio"
    assert ctx.client_id is None and ctx.treated_at is None and ctx.first_name is None


def test_client_of_another_clinic_texting_this_clinic(engine, store):
    ctx = load(engine, identity.sms(BEA, BRIGHT_PHONE))  # Bea is Glow's client
    assert ctx.clinic_id == store["bright"] and ctx.client_id is None


def test_unknown_number_to_an_unknown_line(engine, store):
    ctx = load(engine, identity.sms(STRANGER, "+13125550000"))
    assert ctx.clinic_id is None and ctx.client_id is None  # two clinics: no guess
    assert ctx.protocol is protocols.default()


def test_with_a_single_clinic_an_unknown_number_gets_it(engine):
    with session_scope(engine) as session:
        glow = clinics.add(session, "glow", "Glow Skin Studio", GLOW_PHONE, "America/New_York")
        glow_id = glow.id
    assert load(engine, identity.sms(STRANGER)).clinic_id == glow_id
    assert load(engine, identity.anonymous_sender_id(None)).clinic_id == glow_id
    assert load(engine, "something-else").clinic_id == glow_id


def test_empty_store(engine):
    ctx = load(engine, identity.sms(ANA))
    assert ctx.clinic_id is None and ctx.protocol is protocols.default()


def test_booked_and_cancelled_treatments_are_not_used(engine, store):
    with session_scope(engine) as session:
        bea = queries.client_by_phone(session, BEA)
        treatments.add(session, bea, NOW + timedelta(days=2), status="booked", now=NOW)
        treatments.add(session, bea, NOW - timedelta(hours=5), status="cancelled", now=NOW)
        treatments.add(session, bea, NOW - timedelta(hours=2), status="booked", now=NOW)
    ctx = load(engine, identity.sms(BEA))
    assert ctx.treated_at == NOW - timedelta(days=1)


def test_only_treatments_done_by_now_are_used(engine, store):
    # Asked before Bea's treatment (a day ago): the earlier one would be used, there is none.
    assert load(engine, identity.sms(BEA), now=NOW - timedelta(days=2)).treated_at is None
    assert load(engine, identity.sms(ANA, GLOW_LINE), now=DONE_AT).treated_at == DONE_AT


def test_a_client_with_only_a_booking(engine, store):
    with session_scope(engine) as session:
        glow = queries.clinic_by_slug(session, "glow")
        cara = clients.add(session, glow, "Cara", "+12125550125")
        treatments.add(session, cara, NOW + timedelta(days=1), status="booked", now=NOW)
    ctx = load(engine, identity.sms("+12125550125"))
    assert known_client(ctx) and ctx.first_name == "Cara" and ctx.treated_at is None


def test_alerts_for_who_is_writing(engine, store):
    ctx = load(engine, identity.sms(BEA))
    with session_scope(engine) as session:
        conversations.alerts(session, ctx, [("red_flag", "Red flag reported: pus"), ("human_request", "call me")])
    anonymous = load(engine, identity.anonymous_sender_id("glow"))
    with session_scope(engine) as session:
        conversations.alerts(session, anonymous, [("uncovered_topic", "wine?")])
        conversations.alerts(session, Correspondent(card=ctx.card, protocol=ctx.protocol), [("red_flag", "lost")])
    with Session(bind=engine, future=True) as session:
        rows = session.scalars(select(Alert).order_by(Alert.id)).all()
        assert [(a.kind, a.clinic_id, a.client_id) for a in rows] == [
            ("red_flag", store["glow"], store["bea"]),
            ("human_request", store["glow"], store["bea"]),
            ("uncovered_topic", store["glow"], None),
        ]
