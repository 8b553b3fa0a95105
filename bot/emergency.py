"""The emergency number of a clinic's country, read from the region of its phone number.

A short table of the countries clinics are in; elsewhere 112, the number GSM phones
route to the local emergency service in most of the world.
"""

from __future__ import annotations

from bot.phones import InvalidPhone, region_of

DEFAULT = "112"
_BY_REGION = {
    # North American Numbering Plan countries and territories that use 911
    **dict.fromkeys(("US", "CA", "PR", "VI", "GU", "AS", "MP"), "911"),
    "MX": "911",
    "GB": "999",
    "AU": "000",
    "NZ": "111",
    "ZA": "112",
    "IN": "112",
    "JP": "119",
    "KR": "119",
    "CN": "120",
    "BR": "192",
}


def number_for(clinic_phone: str) -> str:
    """'+12125550100' -> '911'; '+442071838750' -> '999'."""
    try:
        return _BY_REGION.get(region_of(clinic_phone), DEFAULT)
    except InvalidPhone:
        return DEFAULT
