"""Phone numbers in, E.164 out: the one form the store, SMS and lookups use; and back
out the way people read them."""

from __future__ import annotations

import re

import phonenumbers

# Only what people type into a phone field. phonenumbers itself is lenient ("call 212...",
# "212-555-0123abc", vanity letters), which would let a typo become someone else's number.
_ALLOWED = re.compile(r"^\+?[\d\s().\-/]+$")
MESSAGING_SERVICE = re.compile(r"^MG[0-9a-f]{32}$")  # a Twilio Messaging Service SID


class InvalidPhone(ValueError):
    """A phone number that is malformed or cannot exist; the message says which."""


def _shown(raw: str) -> str:
    """The input as quoted in messages, cut short: an import can hold a 10,000-character field."""
    raw = raw or ""
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("phone number is empty")
    if not _ALLOWED.match(text):
        raise InvalidPhone(f"phone number {_shown(raw)} has characters other than digits, spaces and + ( ) - .")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        reason = re.sub(r"^\(\d+\)\s*", "", str(exc)).rstrip(".")
        raise InvalidPhone(f"phone number {_shown(raw)} is not a phone number ({reason})") from exc
    # A number without '+' was read as a local number of `region`: say so, it is the usual slip.
    where = "" if text.startswith("+") else f" (read as a {region} number; add +country code otherwise)"
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone(f"phone number {_shown(raw)} has the wrong number of digits{where}")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"phone number {_shown(raw)} is not a valid phone number{where}")
    return number


def normalize_phone(raw: str, region: str = "US") -> str:
    """`raw` as E.164 (+12125550123); a number without '+' is read as one from `region`."""
    number = _parse(raw, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str:
    """The ISO country code of a number ("US", "GB"), e.g. to read a clinic's local numbers."""
    number = _parse(e164, "ZZ")
    return phonenumbers.region_code_for_number(number) or "ZZ"


def display_phone(e164: str) -> str:
    """A number the way people read it in its own country: "(212) 555-0100", "020 7183 8750"."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# What phonenumbers knows of a number that may receive texts; a fixed line, toll-free,
# premium or shared-cost number never does (US and Canadian numbers are "fixed line or
# mobile": the plan says nothing of which).
_TEXTABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    phonenumbers.PhoneNumberType.UNKNOWN,
}


def may_be_mobile(e164: str) -> bool:
    """False for a number its country's plan says is not a mobile (a landline ...)."""
    return phonenumbers.number_type(_parse(e164, "ZZ")) in _TEXTABLE


def is_messaging_service(sender: str) -> bool:
    """What a clinic may send from besides a number: a Twilio Messaging Service ("MG" + 32 hex)."""
    return bool(sender) and MESSAGING_SERVICE.match(sender) is not None


def normalize_sender(raw: str, region: str = "US") -> str:
    """A Messaging Service SID as it is, anything else as an E.164 phone number."""
    text = (raw or "").strip()
    return text if is_messaging_service(text) else normalize_phone(text, region)
