import pytest

from bot.phones import InvalidPhone, normalize_phone, region_of


@pytest.mark.parametrize(
    "raw, region, expected",
    [
        ("+12125550123", "US", "+12125550123"),
        ("(212) 555-0123", "US", "+12125550123"),
        ("212.555.0123", "US", "+12125550123"),
        ("1 212 555 0123", "US", "+12125550123"),
        ("  +1 212-555-0123  ", "US", "+12125550123"),
        ("020 7183 8750", "GB", "+442071838750"),
        ("+44 20 7183 8750", "US", "+442071838750"),  # an explicit country wins over the region
        ("07911 123456", "GB", "+447911123456"),
    ],
)
def test_normalize_gives_e164(raw, region, expected):
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("call 212-555-0123", "characters other than digits"),
        ("212-555-0123abc", "characters other than digits"),
        ("1-800-FLOWERS", "characters other than digits"),
        ("212 555 0123 ext 5", "characters other than digits"),
        ("12345", "wrong number of digits"),
        ("+1212555012", "wrong number of digits"),
        ("+15555555555", "not a valid phone number"),  # area code 555 does not exist
        ("+999123", "not a phone number"),
        ("020 7183 8750", "read as a US number"),  # a UK number without +44
    ],
)
def test_malformed_or_impossible_numbers_are_refused(raw, fragment):
    with pytest.raises(InvalidPhone) as info:
        normalize_phone(raw)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_invalid_phone_is_a_value_error():
    assert issubclass(InvalidPhone, ValueError)


def test_long_input_is_cut_short_in_the_message():
    with pytest.raises(InvalidPhone) as info:
        normalize_phone("1" * 10_000)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("e164, region", [("+12125550123", "US"), ("+442071838750", "GB"), ("+33142685300", "FR")])
def test_region_of(e164, region):
    assert region_of(e164) == region


def test_region_of_refuses_a_non_number():
    with pytest.raises(InvalidPhone):
        region_of("2125550123x")
