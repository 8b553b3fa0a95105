"""The signatures on booking events, computed here independently of the code under test."""

import base64
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest

from bot.booking_systems.signatures import Refused, acuity_signed, check_webhook, webhook_signature

BODY = b"action=scheduled&id=900000001&calendarID=4455&appointmentTypeID=31001"
KEY = "acuity-api-key-123456"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
SECRET = "whsec_test-secret"


def acuity_reference(body, key):
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def test_acuity_signature_as_acuity_documents_it():
    good = acuity_reference(BODY, KEY)
    assert acuity_signed(BODY, good, KEY)
    assert not acuity_signed(BODY, acuity_reference(BODY, "another-key-123456"), KEY)
    assert not acuity_signed(BODY + b"&x=1", good, KEY)
    assert not acuity_signed(BODY, "", KEY)
    assert not acuity_signed(BODY, "ünïcode", KEY)


def test_webhook_signature_over_timestamp_and_body():
    timestamp = str(int(NOW.timestamp()))
    expected = "v1=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert webhook_signature(SECRET, timestamp, BODY) == expected
    assert check_webhook(SECRET, timestamp, expected, BODY, NOW) == NOW
    assert check_webhook(SECRET, timestamp, f"v1=00, {expected}", BODY, NOW + timedelta(minutes=4)) == NOW


@pytest.mark.parametrize(
    "timestamp, signature, now, reason",
    [
        ("", "v1=abc", NOW, "unsigned"),
        ("123", "", NOW, "unsigned"),
        ("12:00", "v1=abc", NOW, "bad_timestamp"),
        (str(int(NOW.timestamp())), "v1=" + "0" * 64, NOW, "bad_signature"),
        (str(int(NOW.timestamp())), None, NOW + timedelta(minutes=5, seconds=1), "stale"),
        (str(int(NOW.timestamp())), None, NOW - timedelta(minutes=6), "stale"),
    ],
)
def test_refused(timestamp, signature, now, reason):
    signature = webhook_signature(SECRET, timestamp, BODY) if signature is None else signature
    with pytest.raises(Refused) as refused:
        check_webhook(SECRET, timestamp, signature, BODY, now)
    assert refused.value.reason == reason


def test_a_signature_made_with_another_timestamp_does_not_match():
    old = str(int(NOW.timestamp()) - 30)
    with pytest.raises(Refused, match="does not match"):
        check_webhook(SECRET, str(int(NOW.timestamp())), webhook_signature(SECRET, old, BODY), BODY, NOW)
