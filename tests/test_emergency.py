"""The emergency number of a clinic's country, from its phone number."""

import pytest

from bot.emergency import DEFAULT, number_for


@pytest.mark.parametrize(
    "phone, number",
    [
        ("+12125550100", "911"),
        ("+14165550100", "911"),
        ("+525512345678", "911"),
        ("+442071838750", "999"),
        ("+61291234567", "000"),
        ("+33142685300", DEFAULT),
        ("not a phone", DEFAULT),
    ],
)
def test_number_for_the_clinics_country(phone, number):
    assert number_for(phone) == number
