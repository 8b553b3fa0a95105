"""Reading a Twilio request's parameters from its raw body (no server needed)."""

import pytest
from twilio.request_validator import RequestValidator

from bot.channels.twilio_form import TwilioForm, Unreadable
from bot.devtools.twilio_server import FORM_TYPE, form_body, signature


def test_every_pair_is_kept_in_order_blank_and_repeated_ones_included():
    body = b"ToCity=&Body=d%C3%ADa+2+%2B+SPF%3D30+%26+50%25&Tag=b&FromZip=&Tag=a&Flag"
    form = TwilioForm.parse(body, FORM_TYPE)
    assert form.pairs == (
        ("ToCity", ""),
        ("Body", "día 2 + SPF=30 & 50%"),
        ("Tag", "b"),
        ("FromZip", ""),
        ("Tag", "a"),
        ("Flag", ""),
    )
    assert list(form) == ["ToCity", "Body", "Tag", "FromZip", "Flag"]
    assert form.getall("Tag") == ["b", "a"] and form.get("Body") == "día 2 + SPF=30 & 50%"
    assert form.get("MessageSid") == ""


def test_twilios_validator_checks_exactly_these_pairs():
    url, token = "https://sms.example/webhooks/twilio/webhook?clinic=glow", "token"
    pairs = [("FromCity", ""), ("Body", ""), ("NumMedia", "1"), ("Tag", "b"), ("Tag", "a")]
    form = TwilioForm.parse(form_body(pairs), FORM_TYPE)
    validator = RequestValidator(token)
    assert validator.validate(url, form, signature(url, pairs, token))
    without_blanks = [(k, v) for k, v in pairs if v]
    assert not validator.validate(url, form, signature(url, without_blanks, token))


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"Body=hi", "application/json"),
        (b"Body=hi", None),
        (b"Body=hi", "application/x-www-form-urlencoded; charset=ISO-8859-1"),
        (b"Body=d%EDa", FORM_TYPE),  # escapes that are not UTF-8
        ("Body=día".encode("latin-1"), FORM_TYPE),
        (b"&".join(b"F%d=" % n for n in range(1001)), FORM_TYPE),
        (b"Body=hi&From=%2B1&Body=STOP", FORM_TYPE),  # a parameter the channel reads, repeated
        (b"MediaUrl0=a&NumMedia=1&MediaUrl0=a", FORM_TYPE),
    ],
)
def test_what_twilio_does_not_send_is_unreadable(body, content_type):
    with pytest.raises(Unreadable):
        TwilioForm.parse(body, content_type)
