"""The inbox, needs-attention items, a conversation, take-over and replies, over HTTP
against the real console app (no Twilio account: texts go to the local outbox)."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from bot.alerts import AlertKind
from bot.identity import Channel
from bot.services import clients as client_service
from bot.services.transcripts import Reading
from bot.store.conversation_models import Conversation, LoggedMessage, MessageKind, MessageMedia
from bot.store.db import session_scope
from bot.store.messaging_models import SmsMessage, Transport
from bot.store.models import Alert, Client
from bot.store.staff_models import AuditAction, AuditEntry
from tests.console.inbox_world import client_writes, now, visitor_writes


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def audit(console, action):
    with session_scope(console.engine) as db:
        return [
            (e.staff.email, e.clinic_id, e.client_id)
            for e in db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        ]


@pytest.fixture
def glow(console):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    return browser


def test_the_inbox_lists_conversations_newest_first_with_recovery_point_and_items(console, glow):
    seeded = console.seeded
    visitor_writes(console.engine, "glow", "do you do microneedling on weekends?")
    ana_talk = client_writes(
        console.engine, seeded.ana_id, "my face is swollen and there is pus", alert=AlertKind.red_flag
    )
    client_writes(console.engine, seeded.ben_id, "hello from Lumen", alert=AlertKind.human_request)
    page = text_of(glow.get("/").text)
    attention, conversations, visitors = (
        page.split("Needs attention")[1].split("Conversations")[0],
        page.split("Conversations")[1].split("Visitors and unknown numbers")[0],
        page.split("Visitors and unknown numbers")[1],
    )
    assert "Red flag Ana Diaz" in attention and "my face is swollen and there is pus" in attention
    assert "Ana Diaz" in conversations and "Web chat" in conversations and "An answer." in conversations
    assert re.search(r"day 0 · [56] h", conversations)  # treated six hours ago
    assert "do you do microneedling on weekends?" in visitors and "Ana" not in visitors
    assert "Lumen" not in page and "Ben" not in page  # another clinic's
    assert f'href="/conversations/{ana_talk}"' in glow.get("/").text


def test_an_item_stays_until_marked_handled_and_who_and_when_are_kept(console, glow):
    client_writes(console.engine, console.seeded.ana_id, "can someone call me", alert=AlertKind.human_request)
    with session_scope(console.engine) as db:
        item_id = db.scalar(select(Alert.id))
    assert "can someone call me" in text_of(glow.get("/").text).split("Conversations")[0]
    done = glow.submit(f"/attention/{item_id}/handled", page="/")
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert "Nothing needs attention" in glow.get("/").text
    with session_scope(console.engine) as db:
        item = db.get(Alert, item_id)
        assert item.handled_at is not None and item.handled_by.email == console.seeded.glow_staff
    assert audit(console, AuditAction.item_handled) == [
        (console.seeded.glow_staff, console.seeded.glow_id, console.seeded.ana_id)
    ]


def test_search_by_name_or_phone(console, glow):
    with session_scope(console.engine) as db:
        from bot.store.models import Clinic

        clinic = db.get(Clinic, console.seeded.glow_id)
        other = client_service.add(db, clinic, "Carla Moss", "+12125550188").id
    client_writes(console.engine, console.seeded.ana_id, "hi")
    client_writes(console.engine, other, "hello")
    by_name = text_of(glow.get("/?q=carla").text).split("Conversations")[1]
    assert "Carla Moss" in by_name and "Ana Diaz" not in by_name
    by_phone = text_of(glow.get("/?q=(212) 555-0123").text).split("Conversations")[1]
    assert "Ana Diaz" in by_phone and "Carla Moss" not in by_phone
    assert "No client's conversation matches" in glow.get("/?q=nobody").text


def test_the_live_lists_answer_204_until_something_changes(console, glow):
    client_writes(console.engine, console.seeded.ana_id, "hi")
    version = re.search(r"/inbox/live\?v=([0-9a-f]+)", glow.get("/").text).group(1)
    assert glow.get(f"/inbox/live?v={version}").status_code == 204
    client_writes(console.engine, console.seeded.ana_id, "my lips are swelling", alert=AlertKind.red_flag)
    fresh = glow.get(f"/inbox/live?v={version}")
    assert fresh.status_code == 200 and "my lips are swelling" in fresh.text and "<html" not in fresh.text


def test_a_conversation_shows_both_sides_local_times_delivery_treatments_and_follow_ups(console, glow):
    seeded = console.seeded
    reading = Reading("ask_makeup", 0.87, ("makeup",), "action_answer_topic")
    talk = client_writes(
        console.engine,
        seeded.ana_id,
        "can I wear makeup?",
        answer="No makeup yet.",
        channel=Channel.sms,
        reading=reading,
    )
    with session_scope(console.engine) as db:
        answer = db.scalar(select(LoggedMessage).where(LoggedMessage.kind == MessageKind.assistant))
        answer.delivery_status, answer.error_code = "undelivered", 30003
    page = glow.get(f"/conversations/{talk}")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "Ana Diaz" in shown and "(212) 555-0123" in shown
    assert "can I wear makeup?" in shown and "No makeup yet." in shown
    assert "read as ask makeup (87%)" in shown
    assert "Text not delivered (Twilio error 30003)" in shown
    local = now().astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert f"{local.hour % 12 or 12}:{local.minute:02d}" in shown or f"{local.hour % 12 or 12}:" in shown
    assert "EST" in page.text or "EDT" in page.text  # the clinic's zone, not the server's
    treatments = shown.split("Treatments")[1]
    assert re.search(r"face · day 0 · [56] h", treatments)
    assert "day1 morning" in shown.split("Follow-ups to come")[1] or "day 1" in shown.split("Follow-ups to come")[1]
    assert audit(console, AuditAction.conversation_opened) == [(seeded.glow_staff, seeded.glow_id, seeded.ana_id)]


def test_new_messages_of_an_open_conversation_come_from_the_live_route(console, glow):
    talk = client_writes(console.engine, console.seeded.ana_id, "hi", answer=None)
    last = int(re.search(r"live\?after=(\d+)", glow.get(f"/conversations/{talk}").text).group(1))
    assert glow.get(f"/conversations/{talk}/live?after={last}").status_code == 204
    client_writes(console.engine, console.seeded.ana_id, "are you there?", answer=None)
    fresh = glow.get(f"/conversations/{talk}/live?after={last}")
    assert (
        fresh.status_code == 200
        and "are you there?" in fresh.text
        and 'hx-swap-oob="beforeend:#transcript"' in fresh.text
    )
    assert glow.get(f"/conversations/{talk}/live?after=nonsense").status_code == 200  # read as 0


def outbox(console):
    with session_scope(console.engine) as db:
        return [
            (m.to_number, m.from_number, m.body, m.message_id)
            for m in db.scalars(
                select(SmsMessage).where(SmsMessage.transport == Transport.outbox).order_by(SmsMessage.id)
            )
        ]


def test_take_over_reply_and_hand_back_by_sms(console, glow):
    seeded = console.seeded
    talk = client_writes(console.engine, seeded.ana_id, "can I talk to someone?", channel=Channel.sms)
    assert glow.submit(f"/conversations/{talk}/take-over", page=f"/conversations/{talk}").status_code == 303
    page = text_of(glow.get(f"/conversations/{talk}").text)
    assert "Sam has taken over" in page and "Hand back to the assistant" in page
    sent = glow.submit(
        f"/conversations/{talk}/reply",
        {"body": "Hi Ana, Sam here. How are you feeling?"},
        page=f"/conversations/{talk}",
    )
    assert sent.status_code == 303
    texts = outbox(console)
    assert [(to, sender, body) for to, sender, body, _ in texts] == [
        ("+12125550123", "+12125550100", "Sam from Glow Skin Studio has joined the chat and will answer you."),
        ("+12125550123", "+12125550100", "Hi Ana, Sam here. How are you feeling?"),
    ]
    with session_scope(console.engine) as db:
        reply = db.scalar(select(LoggedMessage).where(LoggedMessage.kind == MessageKind.staff))
        assert (reply.staff.email, reply.delivery_status, reply.id) == (seeded.glow_staff, "stored", texts[1][3])
    assert "Sam Rivera (staff)" in text_of(glow.get(f"/conversations/{talk}").text)
    assert glow.submit(f"/conversations/{talk}/hand-back", page=f"/conversations/{talk}").status_code == 303
    assert "assistant again" in outbox(console)[-1][2]
    with session_scope(console.engine) as db:
        assert db.get(Conversation, talk).takeover_until is None
    for action in (AuditAction.taken_over, AuditAction.reply_sent, AuditAction.handed_back):
        assert audit(console, action) == [(seeded.glow_staff, seeded.glow_id, seeded.ana_id)], action


def test_a_reply_takes_over_first_and_an_empty_one_is_refused(console, glow):
    talk = client_writes(console.engine, console.seeded.ana_id, "hello?", channel=Channel.sms)
    empty = glow.submit(f"/conversations/{talk}/reply", {"body": "   "}, page=f"/conversations/{talk}")
    assert empty.status_code == 400 and "Type a reply first." in empty.text and outbox(console) == []
    glow.submit(f"/conversations/{talk}/reply", {"body": "Hello Ana"}, page=f"/conversations/{talk}")
    assert [body for _, _, body, _ in outbox(console)] == [
        "Sam from Glow Skin Studio has joined the chat and will answer you.",
        "Hello Ana",
    ]
    too_long = glow.submit(f"/conversations/{talk}/reply", {"body": "x" * 1601}, page=f"/conversations/{talk}")
    assert too_long.status_code == 400 and "at most 1600 characters" in too_long.text


def test_an_opted_out_clients_reply_box_is_disabled_saying_why(console, glow):
    talk = client_writes(console.engine, console.seeded.ana_id, "hello", channel=Channel.sms)
    with session_scope(console.engine) as db:
        client_service.set_opted_out(db, db.get(Client, console.seeded.ana_id), True, now())
    page = glow.get(f"/conversations/{talk}").text
    assert re.search(r"<textarea[^>]*disabled", page) and "opted out of texts (STOP)" in text_of(page)
    refused = glow.submit(f"/conversations/{talk}/reply", {"body": "are you ok?"}, page=f"/conversations/{talk}")
    assert refused.status_code == 400 and "opted out" in refused.text and outbox(console) == []


def test_a_web_chat_reply_is_logged_for_the_widget_not_texted(console, glow):
    talk = client_writes(console.engine, console.seeded.ana_id, "hi from the widget")
    assert "appears in Ana's web chat" in text_of(glow.get(f"/conversations/{talk}").text)
    glow.submit(f"/conversations/{talk}/reply", {"body": "Hello from Sam"}, page=f"/conversations/{talk}")
    assert outbox(console) == []
    with session_scope(console.engine) as db:
        said = db.scalars(select(LoggedMessage).where(LoggedMessage.kind.in_(["staff", "notice"]))).all()
        assert [(m.kind.value, m.channel.value) for m in said] == [("notice", "web"), ("staff", "web")]


def test_clinic_b_conversations_items_and_photos_are_404_for_clinic_a(console, glow):
    """Every URL of a conversation of Lumen, with every id that exists, answers Glow's
    staff exactly as an id that does not exist; POSTs change nothing."""
    seeded = console.seeded
    client_writes(
        console.engine,
        seeded.ana_id,
        "glow's",
        alert=AlertKind.photo,
        media=(("https://api.twilio.com/x/ME1", "image/png"),),
    )
    lumen_talk = client_writes(
        console.engine,
        seeded.ben_id,
        "lumen's secret",
        alert=AlertKind.red_flag,
        channel=Channel.sms,
        media=(("https://api.twilio.com/x/ME2", "image/png"),),
    )
    visitor_writes(console.engine, "lumen", "lumen visitor", visitor="anon:lumen:abc")
    with session_scope(console.engine) as db:
        talks = db.scalars(select(Conversation.id).where(Conversation.clinic_id == seeded.lumen_id)).all()
        items = db.scalars(select(Alert.id).where(Alert.clinic_id == seeded.lumen_id)).all()
        photos = db.scalars(
            select(MessageMedia.id).join(LoggedMessage).where(LoggedMessage.clinic_id == seeded.lumen_id)
        ).all()
        highest = max(db.scalars(select(Conversation.id)).all()) + 2
    assert len(talks) == 2 and items and photos
    token = glow.token("/")
    for talk in [*talks, highest]:
        for path in (f"/conversations/{talk}", f"/conversations/{talk}/live?after=0"):
            answer = glow.get(path)
            assert answer.status_code == 404 and "lumen" not in answer.text.lower(), path
        for photo in photos:
            assert glow.get(f"/conversations/{talk}/photos/{photo}").status_code == 404
        for action in ("take-over", "hand-back", "reply"):
            answer = glow.post(f"/conversations/{talk}/{action}", data={"csrf_token": token, "body": "hi"})
            assert answer.status_code == 404, action
    for item in items:
        assert glow.post(f"/attention/{item}/handled", data={"csrf_token": token}).status_code == 404
    assert glow.get(f"/clients/{seeded.ben_id}/conversation").status_code == 404
    with session_scope(console.engine) as db:
        assert db.get(Conversation, lumen_talk).takeover_until is None
        assert all(db.get(Alert, item).handled_at is None for item in items)
    assert outbox(console) == []


@pytest.mark.parametrize("action", ["take-over", "hand-back", "reply"])
def test_a_conversation_post_without_the_csrf_token_gets_403(console, glow, action):
    talk = client_writes(console.engine, console.seeded.ana_id, "hi", channel=Channel.sms)
    refused = glow.post(f"/conversations/{talk}/{action}", data={"body": "hello"})
    assert refused.status_code == 403 and outbox(console) == []
    with session_scope(console.engine) as db:
        assert db.get(Conversation, talk).takeover_until is None


def test_marking_handled_without_the_csrf_token_gets_403(console, glow):
    client_writes(console.engine, console.seeded.ana_id, "help", alert=AlertKind.human_request)
    with session_scope(console.engine) as db:
        item_id = db.scalar(select(Alert.id))
    assert glow.post(f"/attention/{item_id}/handled").status_code == 403
    with session_scope(console.engine) as db:
        assert db.get(Alert, item_id).handled_at is None


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100ff5fd4d20000000049454e44ae426082"
)


def test_photos_are_fetched_by_the_server_with_twilios_credentials(console_template, tmp_path):
    from bot.devtools.twilio_server import FakeTwilio
    from tests.console.console_world import running_console

    with FakeTwilio() as twilio:
        url = console_template.copy(tmp_path)
        with running_console(url, tmp_path / "data", seeded=console_template.seeded, **twilio.env()) as console:
            seeded = console.seeded
            photo_url = twilio.add_media("MM" + "1" * 32, "ME" + "1" * 32, PNG)
            elsewhere = "https://example.com/ME2.png"  # not Twilio's: never fetched with its credentials
            talk = client_writes(
                console.engine,
                seeded.ana_id,
                "is this normal?",
                channel=Channel.sms,
                alert=AlertKind.photo,
                media=((photo_url, "image/png"), (elsewhere, "image/png")),
            )
            browser = console.client()
            browser.sign_in(seeded.glow_staff)
            page = browser.get(f"/conversations/{talk}").text
            assert photo_url not in page and "twilio" not in page.lower() and elsewhere not in page
            first, second = re.findall(rf'<img src="(/conversations/{talk}/photos/\d+)"', page)
            shown = browser.get(first)
            assert shown.status_code == 200 and shown.content == PNG
            assert shown.headers["Content-Type"] == "image/png" and shown.headers["Cache-Control"] == "no-store"
            assert browser.get(second).status_code == 502
            assert len(audit(console, AuditAction.photo_viewed)) == 2
            signed_out = console.client().get(first)
            assert signed_out.status_code == 302 and signed_out.headers["Location"].startswith("/sign-in")


def test_a_clients_page_opens_their_conversation_even_before_they_wrote(console, glow):
    page = glow.get(f"/clients/{console.seeded.ana_id}").text
    assert f'href="/clients/{console.seeded.ana_id}/conversation"' in page
    opened = glow.get(f"/clients/{console.seeded.ana_id}/conversation")
    assert opened.status_code == 303 and opened.headers["Location"].startswith("/conversations/")
    shown = text_of(glow.get(opened.headers["Location"]).text)
    assert "No messages yet." in shown and "is texted to (212) 555-0123" in shown


def test_an_owner_sets_the_alert_phone_and_staff_cannot(console, glow):
    owner = console.client()
    owner.sign_in(console.seeded.glow_owner)
    assert "Alerts are shown here only" in owner.get("/").text
    refused = owner.submit("/alert-phone", {"alert_phone": "+1 212 555 0100"}, page="/")
    assert refused.status_code == 400 and "the number the clinic's texts come from" in text_of(refused.text)
    saved = owner.submit("/alert-phone", {"alert_phone": "(212) 555-0177"}, page="/")
    assert saved.status_code == 303
    assert "Alerts are texted to (212) 555-0177" in text_of(owner.get("/").text)
    assert 'id="alert_phone"' not in glow.get("/").text  # a staff member sees it, cannot change it
    assert glow.submit("/alert-phone", {"alert_phone": ""}, page="/").status_code == 404
    with session_scope(console.engine) as db:
        from bot.store.models import Clinic

        assert db.get(Clinic, console.seeded.glow_id).alert_phone == "+12125550177"
    assert audit(console, AuditAction.alert_phone_set) == [(console.seeded.glow_owner, console.seeded.glow_id, None)]
