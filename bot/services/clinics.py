"""Adding a clinic and changing what it shows."""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from bot import protocols
from bot.phones import display_phone, may_be_mobile, normalize_phone, normalize_sender, region_of
from bot.store import queries
from bot.store.errors import DuplicateClinic, InvalidValue
from bot.store.models import Clinic


def _check_url(url: Optional[str]) -> Optional[str]:
    if url is None:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidValue(f"booking URL {url!r} must start with http:// or https://")
    return url


def add(
    session: Session,
    slug: str,
    name: str,
    phone: str,
    timezone: str,
    booking_url: Optional[str] = None,
    protocol_yaml: Optional[str] = None,
    sms_number: Optional[str] = None,
    alert_phone: Optional[str] = None,
) -> Clinic:
    """A new clinic; phones are normalized (the SMS number in the clinic's country), the
    protocol override validated."""
    phone = normalize_phone(phone)
    if protocol_yaml is not None:
        protocols.for_clinic(protocol_yaml, source=f"clinic {slug}")  # raises ProtocolError
    clinic = Clinic(
        slug=slug,
        name=(name or "").strip(),
        phone=phone,
        timezone=timezone,
        booking_url=_check_url(booking_url),
        protocol_yaml=protocol_yaml,
        sms_number=normalize_sender(sms_number, region_of(phone)) if sms_number else None,
    )
    if alert_phone:
        set_alert_phone(session, clinic, alert_phone, flush=False)
    duplicate = DuplicateClinic(f"a clinic with slug {slug!r} already exists")
    if queries.slug_taken(session, slug):
        raise duplicate
    return queries.insert(session, clinic, duplicate)


def set_brand_color(session: Session, clinic: Clinic, color: Optional[str]) -> Clinic:
    """The web chat's colour ("#0f766e"), or None for the default."""
    clinic.brand_color = color
    session.flush()
    return clinic


def set_alert_phone(session: Session, clinic: Clinic, raw: Optional[str], flush: bool = True) -> Clinic:
    """The mobile texted about alerts (None: the console only). Never a landline, and
    never the number the clinic's texts go out from (Twilio cannot text a number from itself)."""
    if raw is None or not raw.strip():
        clinic.alert_phone = None
    else:
        phone = normalize_phone(raw, region_of(clinic.phone))
        if not may_be_mobile(phone):
            raise InvalidValue(f"alert phone {display_phone(phone)} is not a mobile number: texts cannot reach it")
        if phone == clinic.sms_from:
            raise InvalidValue(
                f"alert phone {display_phone(phone)} is the number the clinic's texts come from: use a staff mobile"
            )
        clinic.alert_phone = phone
    if flush:
        session.flush()
    return clinic
