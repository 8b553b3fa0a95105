"""Phone numbers never reach a log line whole; database errors never quote their values."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.log_privacy import mask
from bot.store.db import make_engine


@pytest.mark.parametrize(
    "line, shown",
    [
        ("refused sms:+12125550123:+12125550100", "refused sms:+*********23:+*********00"),
        ("The 'To' number +1 (212) 555-0123 is not valid", "The 'To' number +*********23 is not valid"),
        ("call (212) 555-0123 or 212.555.0199", "call ********23 or ********99"),
        ("+447911123456 wrote", "+**********56 wrote"),
    ],
)
def test_numbers_are_masked_to_their_last_two_digits(line, shown):
    assert mask(line) == shown


@pytest.mark.parametrize(
    "line",
    ["2026-12-04 15:21:39", "job 12345 of followups", "took 0.25 s", "SM" + "0" * 32, "at 2026-11-20T14:30:00+00:00"],
)
def test_dates_times_and_ids_are_left_alone(line):
    assert mask(line) == line


def test_every_record_is_masked_in_its_message_and_traceback(caplog):
    log = logging.getLogger("aftercare.test")
    with caplog.at_level(logging.INFO):
        log.info("texting %s", "+12125550123")
        try:
            raise ValueError("bad number +12125550123")
        except ValueError:
            log.exception("failed for %s", "+12125550123")
    assert "+12125550123" not in caplog.text
    assert "+*********23" in caplog.text and "ValueError" in caplog.text


def test_a_database_error_names_no_value(tmp_path, caplog):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (phone TEXT UNIQUE)"))
        connection.execute(text("INSERT INTO t VALUES (:p)"), {"p": "Ana Diaz said my lips are swelling"})
    with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (:p)"), {"p": "Ana Diaz said my lips are swelling"})
    assert "lips" not in str(raised.value) and "hidden" in str(raised.value)
