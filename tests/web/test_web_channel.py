"""The web channel over real HTTP: who a request talks as is decided by the server alone;
both sides are logged, a take-over keeps the assistant quiet, and the widget's `updates`
bring a verified client what staff wrote."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import select
from webchat import SECRET, Recorder, chat_app, make_settings, seed, serving

from bot import links
from bot.channels.web import MAX_MESSAGE_CHARS, WebChatInput
from bot.identity import Channel
from bot.services import conversations, transcripts
from bot.services import staff as accounts
from bot.store.conversation_models import Conversation, LoggedMessage
from bot.store.db import session_scope
from bot.store.models import Alert, Client
from bot.store.staff_models import StaffRole

TIMEOUT = 10


@pytest.fixture
def setup(sqlite_engine, tmp_path):
    url, engine = sqlite_engine
    world = seed(engine, datetime.now(timezone.utc))
    channel = WebChatInput(settings=make_settings(url, tmp_path / "data"), engine=engine)
    return world, channel, engine


@pytest.fixture
def chat(setup):
    """(base URL of /webhooks/web, the recorder, the seeded world, the engine)"""
    world, channel, engine = setup
    recorder = Recorder()
    with serving(chat_app(channel, recorder)) as base:
        yield f"{base}/webhooks/web", recorder, world, engine


def post(base, path, body, raw=False):
    data = body if raw else json.dumps(body)
    # As the widget sends it: JSON as text/plain, a CORS "simple request".
    return requests.post(
        f"{base}/{path}", data=data, headers={"Content-Type": "text/plain;charset=UTF-8"}, timeout=TIMEOUT
    )


def link(world, client_id=None, slug="glow", now=None):
    return links.issue_link_token(SECRET, client_id or world.ana_id, slug, now or datetime.now(timezone.utc), 14)


def test_the_sender_comes_from_the_token_not_from_the_body(chat):
    base, recorder, world, _ = chat
    spoofed = {
        "clinic": "glow",
        "message": "can I wear makeup?",
        "token": link(world),
        "sender": f"web:{world.ben_id}",
        "sender_id": f"web:{world.ben_id}",
        "session_id": f"web:{world.ben_id}",
        "metadata": {"now": "2030-01-01T00:00:00+00:00", "sender": f"web:{world.ben_id}"},
        "input_channel": "twilio",
    }
    response = post(base, "webhook", spoofed)
    assert response.status_code == 200, response.text
    assert response.json() == {"mode": "client", "messages": [{"text": "You said: can I wear makeup?"}]}
    [message] = recorder.messages
    assert message.sender_id == f"web:{world.ana_id}"
    assert message.metadata is None  # the browser's metadata never reaches the actions
    assert message.input_channel == "web"


def test_without_a_token_a_browser_chosen_sender_is_ignored(chat):
    base, recorder, world, _ = chat
    first = post(base, "webhook", {"clinic": "glow", "message": "hello", "sender": f"web:{world.ana_id}"}).json()
    assert first["mode"] == "anonymous" and first["session"]
    assert recorder.senders[0].startswith("anon:glow:")
    # The session token the server issued keeps the same conversation ...
    second = post(base, "webhook", {"clinic": "glow", "message": "again", "session": first["session"]}).json()
    assert "session" not in second
    assert recorder.senders[1] == recorder.senders[0]
    # ... and a made-up one does not join anybody's.
    post(base, "webhook", {"clinic": "glow", "message": "x", "session": recorder.senders[0]})
    assert recorder.senders[2] not in (recorder.senders[0], f"web:{world.ana_id}")
    assert recorder.senders[2].startswith("anon:glow:")


def test_a_session_from_another_clinic_is_not_reused(chat):
    base, recorder, _, _ = chat
    lumen = post(base, "session", {"clinic": "lumen"}).json()
    post(base, "webhook", {"clinic": "glow", "message": "hi", "session": lumen["session"]})
    assert recorder.senders[0].startswith("anon:glow:")


@pytest.mark.parametrize(
    "make_token, notice",
    [
        (
            lambda w: links.issue_link_token("forged-" + "z" * 40, w.ana_id, "glow", datetime.now(timezone.utc), 14),
            "invalid",
        ),
        (
            lambda w: links.issue_link_token(
                SECRET, w.ana_id, "glow", datetime.now(timezone.utc) - timedelta(days=20), 14
            ),
            "expired",
        ),
        (lambda w: links.issue_link_token(SECRET, w.ben_id, "glow", datetime.now(timezone.utc), 14), "invalid"),
        (lambda w: links.issue_link_token(SECRET, 999_999, "glow", datetime.now(timezone.utc), 14), "invalid"),
        (lambda w: "not-a-token", "invalid"),
    ],
    ids=["forged", "expired", "other-clinic", "unknown-client", "garbage"],
)
def test_a_refused_link_is_anonymous_and_says_nothing_about_anyone(chat, make_token, notice):
    base, recorder, world, _ = chat
    response = post(base, "webhook", {"clinic": "glow", "message": "hi", "token": make_token(world)})
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "anonymous" and body["notice"] == notice and body["session"]
    assert recorder.senders[0].startswith("anon:glow:")
    # The session token is random base64 and may spell "Ben" by chance: look at the rest.
    shown = json.dumps({key: value for key, value in body.items() if key != "session"})
    for secret_detail in ("Ana", "Diaz", "Ben", "Okafor", "+1212555012", str(world.ana_id) + '"'):
        assert secret_detail not in shown


def test_a_revoked_link_falls_back_to_anonymous(chat):
    base, recorder, world, engine = chat
    token = link(world, now=datetime.now(timezone.utc) - timedelta(minutes=1))
    assert post(base, "session", {"clinic": "glow", "token": token}).json() == {"mode": "client"}
    with session_scope(engine) as session:
        links.revoke_links(session, session.get(Client, world.ana_id), datetime.now(timezone.utc))
    body = post(base, "webhook", {"clinic": "glow", "message": "hi", "token": token}).json()
    assert body["mode"] == "anonymous" and body["notice"] == "revoked"
    assert recorder.senders[0].startswith("anon:glow:")


def test_a_link_for_one_clinic_does_not_open_on_another_clinics_widget(chat):
    base, recorder, world, _ = chat
    body = post(base, "webhook", {"clinic": "lumen", "message": "hi", "token": link(world)}).json()
    assert body["mode"] == "anonymous"
    assert recorder.senders[0].startswith("anon:lumen:")


def test_an_oversize_message_gets_a_clear_413(chat):
    base, recorder, world, _ = chat
    response = post(base, "webhook", {"clinic": "glow", "message": "a" * (MAX_MESSAGE_CHARS + 1), "token": link(world)})
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "message_too_long"
    assert f"at most {MAX_MESSAGE_CHARS} characters" in body["message"]
    assert recorder.messages == []
    at_limit = post(base, "webhook", {"clinic": "glow", "message": "é" * MAX_MESSAGE_CHARS, "token": link(world)})
    assert at_limit.status_code == 200


def test_an_oversize_body_is_refused_before_parsing(chat):
    base, recorder, _, _ = chat
    response = post(base, "webhook", "x" * 100_000, raw=True)
    assert response.status_code == 413 and recorder.messages == []


@pytest.mark.parametrize(
    "body, status, error",
    [
        ('{"clinic": "glow", "message": "   "}', 400, "empty_message"),
        ('{"clinic": "glow"}', 400, "empty_message"),
        ('{"clinic": "glow", "message": 12}', 400, "empty_message"),
        ("not json", 400, "bad_request"),
        ('["a list"]', 400, "bad_request"),
        ('{"message": "hi"}', 400, "bad_request"),
        ('{"clinic": "Bad Slug!", "message": "hi"}', 400, "bad_request"),
        ('{"clinic": "glow", "message": "hi", "token": 5}', 400, "bad_request"),
        ('{"clinic": "nowhere", "message": "hi"}', 404, "unknown_clinic"),
    ],
)
def test_bad_requests(chat, body, status, error):
    base, recorder, _, _ = chat
    response = post(base, "webhook", body, raw=True)
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert recorder.messages == []


def test_when_the_assistant_fails_the_widget_gets_a_503(setup):
    world, channel, _ = setup

    def broken(message):
        raise RuntimeError("the action server is down")

    with serving(chat_app(channel, Recorder(broken))) as base:
        response = post(f"{base}/webhooks/web", "webhook", {"clinic": "glow", "message": "hi"})
    assert response.status_code == 503 and response.json()["error"] == "unavailable"


def test_clinic_card_is_public_info_only(chat):
    base, _, _, _ = chat
    card = requests.get(f"{base}/clinic", params={"clinic": "glow"}, timeout=TIMEOUT).json()
    assert card == {
        "slug": "glow",
        "name": "Glow Skin Studio",
        "color": "#7c3aed",
        "phone": "(212) 555-0100",
        "phone_e164": "+12125550100",
    }
    lumen = requests.get(f"{base}/clinic", params={"clinic": "lumen"}, timeout=TIMEOUT).json()
    assert lumen["color"] == "#0f766e"  # no colour set: the default
    assert requests.get(f"{base}/clinic", params={"clinic": "nowhere"}, timeout=TIMEOUT).status_code == 404


@pytest.mark.parametrize("cors", [None, "*"], ids=["rasa-default", "rasa-cors-star"])
def test_cross_origin_reads_get_exactly_one_allow_origin(setup, cors):
    """The widget runs on the clinic's site: its reads must be allowed cross-origin,
    whatever `rasa run --cors` says, and with one header (two would make browsers refuse)."""
    world, channel, _ = setup
    with serving(chat_app(channel, Recorder(), cors=cors)) as base:
        headers = {"Origin": "https://glow.example", "Content-Type": "text/plain;charset=UTF-8"}
        response = requests.post(
            f"{base}/webhooks/web/webhook", data='{"clinic": "glow", "message": "hi"}', headers=headers, timeout=TIMEOUT
        )
        card = requests.get(
            f"{base}/webhooks/web/clinic?clinic=glow", headers={"Origin": "https://glow.example"}, timeout=TIMEOUT
        )
    for answer in (response, card):
        assert answer.status_code == 200
        assert answer.raw.headers.getlist("Access-Control-Allow-Origin") == ["*"]
        assert "Access-Control-Allow-Credentials" not in answer.headers


def test_the_widget_script_is_served(chat):
    base, _, _, _ = chat
    response = requests.get(f"{base}/widget.js", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
    assert "textContent" in response.text and "innerHTML" not in response.text


def test_the_demo_page_has_the_widget_and_a_strict_policy(chat):
    base, _, _, _ = chat
    page = requests.get(f"{base}/demo", params={"clinic": "glow"}, timeout=TIMEOUT)
    assert page.status_code == 200
    assert '<script src="widget.js" data-clinic="glow" async></script>' in page.text
    assert "Glow Skin Studio" in page.text
    assert "https://chat.example/webhooks/web/widget.js" in page.text  # the tag to copy
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    missing = requests.get(f"{base}/demo", params={"clinic": "<script>alert(1)</script>"}, timeout=TIMEOUT)
    assert missing.status_code == 404 and "<script>alert" not in missing.text


def test_a_clinic_name_with_markup_is_escaped_on_the_demo_page(chat):
    base, _, world, engine = chat
    from bot.store.models import Clinic

    with session_scope(engine) as session:
        session.get(Clinic, world.glow_id).name = '<img src=x onerror="alert(1)">'
    page = requests.get(f"{base}/demo", params={"clinic": "glow"}, timeout=TIMEOUT)
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text


# The message log


def logged(engine):
    with session_scope(engine) as session:
        return [
            (m.kind.value, m.channel.value, m.body)
            for m in session.scalars(select(LoggedMessage).order_by(LoggedMessage.id))
        ]


def staff_of_glow(session, now):
    return accounts.add_staff(
        session, email="sam@glow.example", name="Sam Rivera", role=StaffRole.staff, clinic_slug="glow", now=now
    ).staff


def test_a_verified_clients_chat_is_logged_both_sides(chat):
    base, recorder, world, engine = chat
    assert post(base, "webhook", {"clinic": "glow", "token": link(world), "message": "can I wear makeup?"}).ok
    assert logged(engine) == [
        ("client", "web", "can I wear makeup?"),
        ("assistant", "web", "You said: can I wear makeup?"),
    ]
    with session_scope(engine) as session:
        [talk] = session.scalars(select(Conversation)).all()
        assert (talk.key, talk.client_id, talk.channel.value) == (f"client:{world.ana_id}", world.ana_id, "web")


def test_an_anonymous_visitor_has_a_conversation_of_their_own(chat):
    base, recorder, world, engine = chat
    first = post(base, "webhook", {"clinic": "glow", "message": "hello"}).json()
    post(base, "webhook", {"clinic": "glow", "session": first["session"], "message": "again"})
    post(base, "webhook", {"clinic": "glow", "message": "someone else"})
    with session_scope(engine) as session:
        talks = session.scalars(select(Conversation).order_by(Conversation.id)).all()
        assert [t.client_id for t in talks] == [None, None] and all(t.key.startswith("anon:glow:") for t in talks)
        counts = [len(transcripts.transcript(session, t)) for t in talks]
    assert counts == [4, 2]


def test_during_a_take_over_the_widget_gets_no_assistant_answer_and_staff_see_it(chat):
    base, recorder, world, engine = chat
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        talk = transcripts.of_client(session, session.get(Client, world.ana_id), now, Channel.web)
        conversations.take_over(session, talk, staff_of_glow(session, now), now, timedelta(hours=24))
    answer = post(base, "webhook", {"clinic": "glow", "token": link(world), "message": "there is pus and fever"})
    assert answer.status_code == 200 and answer.json()["messages"] == []
    assert recorder.messages == []
    with session_scope(engine) as session:
        kinds = [a.kind.value for a in session.scalars(select(Alert).order_by(Alert.id))]
    assert kinds == ["during_takeover", "red_flag"]


def test_updates_bring_staff_replies_and_notices_to_the_verified_client_only(chat):
    base, recorder, world, engine = chat
    token = link(world)
    start = post(base, "updates", {"clinic": "glow", "token": token, "after": None}).json()
    assert start["messages"] == [] and start["mode"] == "client"
    post(base, "webhook", {"clinic": "glow", "token": token, "message": "can someone help me?"})
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        talk = transcripts.of_client(session, session.get(Client, world.ana_id), now)
        sam = staff_of_glow(session, now)
        conversations.take_over(session, talk, sam, now)
        conversations.staff_reply(session, talk, sam, "Hi Ana, Sam here.", now)
    got = post(base, "updates", {"clinic": "glow", "token": token, "after": start["last"]}).json()
    assert [(m["kind"], m["text"], m["from"]) for m in got["messages"]] == [
        ("notice", "Sam from Glow Skin Studio has joined the chat and will answer you.", None),
        ("staff", "Hi Ana, Sam here.", "Sam"),
    ]
    assert got["staff"] is True
    again = post(base, "updates", {"clinic": "glow", "token": token, "after": got["last"]}).json()
    assert again["messages"] == []
    # Without a link (an anonymous visitor) nothing of anyone's comes back.
    anonymous = post(base, "updates", {"clinic": "glow", "after": 0}).json()
    assert anonymous["messages"] == [] and anonymous["mode"] == "anonymous"
    # Ben's link on Lumen's widget sees nothing of Ana's.
    bens = post(base, "updates", {"clinic": "lumen", "token": link(world, world.ben_id, "lumen"), "after": 0}).json()
    assert bens["messages"] == []
    assert post(base, "updates", {"clinic": "glow", "token": token, "after": "x"}).status_code == 400
