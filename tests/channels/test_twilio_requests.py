"""Requests exactly as Twilio sends them: the documented parameter set with its empty
fields, form-encoded, signed over the bytes that go on the wire (the signature computed
here the way Twilio documents it, not by the validator under test). Each is accepted and
drives the handling; any change made after signing gets 403 and changes nothing."""

import json

import pytest
from sqlalchemy import select

from bot.devtools import twilio_server
from bot.devtools.twilio_server import FORM_TYPE, form_body, status_params
from bot.store.db import session_scope
from bot.store.messaging_models import Direction, SmsMessage
from bot.store.models import Alert, Client
from tests.fakes import sms_world
from tests.fakes.sms_world import CLIENT_PHONE, PUBLIC_URL, STATUS, WEBHOOK

EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# What is checked here is the request, not the store: production's database is enough.
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
SERVICE = "MG" + "5" * 32
MANHATTAN = ("NEW YORK", "NY", "10013", "US")
ADD_ONS = json.dumps(
    {
        "status": "successful",
        "message": None,
        "code": None,
        "results": {
            "ibm_watson_sentiment": {
                "request_sid": "XR" + "7" * 32,
                "status": "successful",
                "message": None,
                "code": None,
                "result": {"docSentiment": {"type": "neutral", "score": "0.0"}, "language": "en"},
            }
        },
    }
)


def alerts(line):
    with session_scope(line.engine) as session:
        return [(a.kind, a.message) for a in session.scalars(select(Alert).order_by(Alert.id))]


def replies(line):
    """(status, error code) of each text we sent, in order."""
    with session_scope(line.engine) as session:
        rows = session.scalars(
            select(SmsMessage).where(SmsMessage.direction == Direction.outbound).order_by(SmsMessage.id)
        )
        return [(r.status, r.error_code) for r in rows]


def state(line):
    """Everything a request could have changed."""
    with session_scope(line.engine) as session:
        opted_out = session.get(Client, line.client_id).opted_out
        logged = [(r.direction, r.sid, r.status, r.error_code) for r in session.scalars(select(SmsMessage))]
    return len(line.recorder.messages), line.twilio.attempts, logged, alerts(line), opted_out


def media(line, count):
    sid = "MM" + "a" * 32
    base = f"https://api.twilio.com/2010-04-01/Accounts/{line.twilio.account_sid}/Messages/{sid}/Media/ME"
    return [("image/jpeg" if n % 2 == 0 else "image/png", f"{base}{n:032x}") for n in range(count)]


def assert_answered(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml") and response.text == EMPTY


# Accepted, and read as Twilio meant it

TEXTS = {
    "empty location fields": ("can I wear makeup yet?", {}, WEBHOOK),
    "Messaging Service, the clinic's number located, an AddOns JSON value": (
        "is peeling normal on day 3?",
        {"service_sid": SERVICE, "to_place": MANHATTAN, "add_ons": ADD_ONS},
        WEBHOOK,
    ),
    "non-ASCII and + & = % in the body": ("día 2 😊 peeling + itchy = normal? 50% better & SPF=30, a+b", {}, WEBHOOK),
    "a webhook URL with a query string": ("can I exercise?", {}, WEBHOOK + "?clinic=glow&via=sms%20in"),
}


@ON_POSTGRESQL
@pytest.mark.parametrize("case", list(TEXTS))
def test_a_text_as_twilio_sends_it_is_answered(line, case):
    body, shape, path = TEXTS[case]
    params = line.inbound(body, **shape)
    assert ("FromCity", "") in params and ("FromZip", "") in params
    assert_answered(line.post(params, path=path))
    [message] = line.recorder.messages
    assert message.text == body
    assert message.metadata == {"message_sid": dict(params)["MessageSid"]}
    [sent] = line.twilio.messages
    assert (sent["to"], sent["body"]) == (CLIENT_PHONE, f"You said: {body}")


@ON_POSTGRESQL
@pytest.mark.parametrize("count", [1, 3])
def test_a_photo_without_words_is_acknowledged_and_reaches_the_staff(line, count):
    photos = media(line, count)
    params = line.inbound("", media=photos)
    assert ("Body", "") in params and ("NumMedia", str(count)) in params
    assert_answered(line.post(params))
    assert line.recorder.messages == []  # a photo, not a question for the assistant
    [(kind, note)] = alerts(line)
    assert kind == "photo" and "received by SMS" in note and "with the text" not in note
    assert not any(url in note for _, url in photos)  # the photos are in the message log, not in alerts
    [ack] = line.twilio.messages
    assert ack["to"] == CLIENT_PHONE and "got your photo" in ack["body"]


@ON_POSTGRESQL
def test_a_status_callback_with_empty_fields_updates_the_delivery_status(line):
    line.twilio.status_callbacks = False  # posted here, one by one
    assert_answered(line.post(line.inbound("hello")))
    [reply] = line.twilio.messages
    sent = status_params(reply, "sent")
    assert ("ErrorCode", "") in sent
    assert line.post(sent, path=STATUS).status_code == 204
    assert replies(line) == [("sent", None)]
    assert line.post(status_params(reply, "delivered"), path=STATUS).status_code == 204
    assert replies(line) == [("delivered", None)]
    assert line.post(status_params(reply, "undelivered", "30003"), path=STATUS).status_code == 204
    assert replies(line) == [("undelivered", 30003)]


@ON_POSTGRESQL
@pytest.mark.parametrize("error_code, final", [(None, ("delivered", None)), (30003, ("undelivered", 30003))])
def test_the_local_twilio_calls_back_as_twilio_does_and_is_heard(line, error_code, final):
    if error_code:
        line.twilio.undeliverable[CLIENT_PHONE] = error_code
    assert_answered(line.post(line.inbound("hello")))
    line.twilio.settle()
    calls = line.twilio.callbacks
    assert [dict(c["params"])["MessageStatus"] for c in calls] == ["sent", final[0]]
    assert [c["status"] for c in calls] == [204, 204]
    assert {name for name, _ in calls[0]["params"]} == {
        "ErrorCode",
        "SmsSid",
        "SmsStatus",
        "MessageStatus",
        "ChannelToAddress",
        "To",
        "MessageSid",
        "AccountSid",
        "From",
        "ApiVersion",
    }
    assert dict(calls[0]["params"])["ErrorCode"] == "" and "RawDlrDoneDate" in dict(calls[1]["params"])
    assert replies(line) == [final]


@ON_POSTGRESQL
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded;charset=utf-8"]
)
def test_other_spellings_of_the_form_content_type_are_accepted(line, content_type):
    params = line.inbound("can I wear makeup?")
    signature = sms_world.sign(PUBLIC_URL + WEBHOOK, params, line.token)
    assert_answered(line.send(form_body(params), signature, content_type=content_type))


# Refused: changed after signing


def _set(name, value):
    return lambda pairs: [(k, value if k == name else v) for k, v in pairs]


TAMPERINGS = {
    "a parameter added": lambda pairs, read, empty: pairs + [("OptOutType", "STOP")],
    "a parameter it reads blanked": lambda pairs, read, empty: _set(read, "")(pairs),
    "an empty parameter filled": lambda pairs, read, empty: _set(empty, "21610" if empty == "ErrorCode" else "STOP")(
        pairs
    ),
    "an empty parameter dropped": lambda pairs, read, empty: [(k, v) for k, v in pairs if k != empty],
    # The signature cannot tell: the validator counts a repeated value once.
    "a parameter it reads sent twice": lambda pairs, read, empty: pairs + [(read, dict(pairs)[read])],
}


def signed_requests(line):
    """Each kind of request as signed: (pairs, path, a parameter the handling reads, a
    parameter Twilio sent empty)."""
    line.twilio.status_callbacks = False
    assert_answered(line.post(line.inbound("hello")))
    reply = line.twilio.messages[0]
    return {
        "text": (line.inbound("can I wear makeup?", service_sid=SERVICE, add_ons=ADD_ONS), WEBHOOK, "Body", "FromCity"),
        "photo": (line.inbound("", media=media(line, 2)), WEBHOOK, "MediaUrl1", "Body"),
        "status callback": (status_params(reply, "delivered"), STATUS, "MessageStatus", "ErrorCode"),
        "text to a URL with a query": (line.inbound("can I exercise?"), WEBHOOK + "?clinic=glow", "From", "ToZip"),
    }


@ON_POSTGRESQL
def test_requests_changed_after_signing_get_403_and_change_nothing(line):
    requests_ = signed_requests(line)
    before = state(line)
    accepted = {}
    for kind, (pairs, path, read, empty) in requests_.items():
        signature = sms_world.sign(PUBLIC_URL + path, pairs, line.token)
        for name, tamper in TAMPERINGS.items():
            code = line.send(form_body(tamper(pairs, read, empty)), signature, path).status_code
            if code != 403:
                accepted[f"{kind}: {name}"] = code
        other_query = path.replace("clinic=glow", "clinic=other") if "?" in path else path + "?clinic=glow"
        code = line.send(form_body(pairs), signature, other_query).status_code
        if code != 403:
            accepted[f"{kind}: another query string"] = code
    assert accepted == {}
    assert state(line) == before
    # As signed, each is heard: the refusals were the changes' doing.
    for kind, (pairs, path, _, _) in requests_.items():
        signature = sms_world.sign(PUBLIC_URL + path, pairs, line.token)
        assert line.send(form_body(pairs), signature, path).status_code in (200, 204), kind
    assert state(line) != before


@ON_POSTGRESQL
def test_a_repeated_parameter_it_reads_is_refused_in_either_order(line):
    # Twilio never repeats Body. If a signed request did, its values could be swapped
    # without changing the signature (they are signed sorted), so neither order is read.
    pairs = line.inbound("can I wear makeup?", sender_place=MANHATTAN, to_place=MANHATTAN) + [("Body", "STOP")]
    swapped = [
        ("Body", "STOP")
        if (k, v) == ("Body", "can I wear makeup?")
        else ("Body", "can I wear makeup?")
        if (k, v) == ("Body", "STOP")
        else (k, v)
        for k, v in pairs
    ]
    url = PUBLIC_URL + WEBHOOK
    signature = sms_world.sign(url, pairs, line.token)
    assert sms_world.sign(url, swapped, line.token) == signature
    before = state(line)
    assert [line.send(form_body(p), signature).status_code for p in (pairs, swapped)] == [403, 403]
    assert state(line) == before


# Refused: not a body Twilio sends (never a server error)


@ON_POSTGRESQL
def test_bodies_twilio_does_not_send_are_refused(line):
    params = line.inbound("día 2, can I wear makeup?")
    url = PUBLIC_URL + WEBHOOK
    signature = sms_world.sign(url, params, line.token)
    many = params + [(f"Extra{n}", "") for n in range(2000)]
    attempts = {  # name: (body, content type, signature)
        "JSON": (json.dumps(dict(params)).encode(), "application/json", signature),
        "no content type": (form_body(params), None, signature),
        "plain text": (form_body(params), "text/plain", signature),
        "multipart": (form_body(params), "multipart/form-data; boundary=x", signature),
        "Latin-1 declared": (form_body(params), "application/x-www-form-urlencoded; charset=ISO-8859-1", signature),
        "raw Latin-1 bytes": (form_body(params).replace(b"d%C3%ADa", "día".encode("latin-1")), FORM_TYPE, signature),
        "escapes that are not UTF-8": (form_body(params).replace(b"d%C3%ADa", b"d%EDa"), FORM_TYPE, signature),
        "2,000 fields": (form_body(many), FORM_TYPE, sms_world.sign(url, many, line.token)),
    }
    before = state(line)
    codes = {name: line.send(body, sig, content_type=kind).status_code for name, (body, kind, sig) in attempts.items()}
    assert codes == dict.fromkeys(attempts, 403)
    assert state(line) == before
    assert_answered(line.send(form_body(params), signature))


def test_the_signature_is_twilios_documented_one():
    # The worked example of Twilio's webhook security documentation.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    assert (
        twilio_server.signature("https://mycompany.com/myapp.php?foo=1&bar=2", params, "12345")
        == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )
