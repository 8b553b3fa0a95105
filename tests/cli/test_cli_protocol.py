"""`aftercare protocol show|check`."""

import re

import pytest

from bot import protocols


def test_show_the_default_protocol_as_a_timeline(cli):
    result = cli("protocol", "show")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    default = protocols.default()
    assert lines[0] == default.name
    for name, topic in default.topics.items():
        rows = [line for line in lines if line.split(" ", 1)[0] == name]
        assert len(rows) == len(topic.windows)
        first = topic.windows[0]
        assert first.guidance in rows[0]
        if first.sources:
            assert rows[0].endswith(f"[{' '.join(first.sources)}]")
    makeup = next(line for line in lines if line.startswith("makeup"))
    assert re.match(r"makeup +0h-24h +No makeup", makeup)
    assert "quiet hours" in result.stdout
    warmth = next(line for line in lines if line.startswith("warmth "))
    assert re.match(r"warmth +0h-2d +escalate; answered as redness_swelling +\[001 002\]", warmth)


def test_show_at_hours_gives_one_line_per_topic(cli):
    result = cli("protocol", "show", "--at-hours", "30")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "30h after treatment (day 1)" in lines[0]
    default = protocols.default()
    body = [line for line in lines[2:] if line]
    assert [line.split()[0] for line in body] == list(default.topics)
    makeup = body[0]
    assert default.topic("makeup").window_at(30).guidance in makeup
    skincare = next(line for line in body if line.startswith("skincare_restart"))
    assert "(from 2d:" in skincare  # when it next changes


def test_show_a_clinic_protocol(cli):
    example = protocols.example_path("seed004_late_sunscreen.yml")
    assert (
        cli(
            "clinic",
            "add",
            "--slug",
            "bright",
            "--name",
            "Bright",
            "--timezone",
            "Europe/London",
            "--phone",
            "+442071838750",
            "--protocol",
            str(example),
        ).exit_code
        == 0
    )
    result = cli("protocol", "show", "--clinic", "bright", "--at-hours", "6")
    assert result.exit_code == 0, result.output
    sun = next(line for line in result.stdout.splitlines() if line.startswith("sun "))
    assert re.match(r"sun +0h-12h ", sun)


def test_show_an_unknown_clinic(cli, one_line_error):
    assert "unknown clinic 'nope'" in one_line_error(cli("protocol", "show", "--clinic", "nope"))


def test_check_a_good_file(cli):
    example = protocols.example_path("seed004_late_sunscreen.yml")
    result = cli("protocol", "check", str(example))
    assert result.exit_code == 0
    assert result.stdout.startswith(f"ok: {example}")
    assert "topics overridden: sun" in result.stdout


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("topics:\n  sun:\n    windows:\n      - until: 12h\n        guidance: Stay in.\n", "no window covers"),
        ("topics:\n  tanning_beds:\n    windows:\n      - guidance: No.\n", "unknown topic"),
        ("topics: [\n", "not valid YAML"),
        ("- just\n- a list\n", "a protocol is a mapping"),
    ],
)
def test_check_a_bad_file(cli, tmp_path, one_line_error, content, fragment):
    path = tmp_path / "clinic.yml"
    path.write_text(content)
    assert fragment in one_line_error(cli("protocol", "check", str(path)))


def test_check_a_missing_file(cli, tmp_path, one_line_error):
    assert "cannot read protocol file" in one_line_error(cli("protocol", "check", str(tmp_path / "none.yml")))


def test_show_marks_what_an_included_extension_adds(cli, tmp_path):
    path = tmp_path / "glow.yml"
    path.write_text(
        "include: [common-questions]\n"
        "topics:\n  alcohol:\n    windows:\n      - {guidance: None at all at our clinic., sources: [clinic]}\n"
    )
    assert (
        cli(
            "clinic",
            "add",
            "--slug",
            "glow",
            "--name",
            "Glow",
            "--timezone",
            "America/New_York",
            "--phone",
            "+12125550100",
            "--protocol",
            str(path),
        ).exit_code
        == 0
    )
    for args in ((), ("--at-hours", "30")):
        result = cli("protocol", "show", "--clinic", "glow", *args)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        marked = {line.split()[0] for line in lines if line.split("  ")[0].endswith(" (+common-questions)")}
        assert marked == {"swimming", "sauna", "shaving", "flying", "self_tanner", "hair_dye"}
        alcohol = next(line for line in lines if line.startswith("alcohol"))
        assert "(+common-questions)" not in alcohol and "None at all at our clinic." in alcohol  # its own line
        assert not any(line.startswith("makeup") and "(+" in line for line in lines)
        assert any(line.startswith("(+common-questions): added by the extension") for line in lines)
    default = cli("protocol", "show")
    assert "(+" not in default.stdout  # off by default


def test_check_names_what_an_include_adds(cli, tmp_path):
    path = tmp_path / "glow.yml"
    path.write_text("include: [common-questions]\n")
    result = cli("protocol", "check", str(path))
    assert result.exit_code == 0, result.output
    assert (
        "included common-questions: alcohol, swimming, sauna, shaving, flying, self_tanner, hair_dye" in result.stdout
    )


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("include: [common-question]\n", "unknown extension 'common-question' (available: common-questions"),
        ("include: common-questions\n", "include: must be a list of extension names"),
    ],
)
def test_check_a_bad_include(cli, tmp_path, one_line_error, content, fragment):
    path = tmp_path / "clinic.yml"
    path.write_text(content)
    assert fragment in one_line_error(cli("protocol", "check", str(path)))
