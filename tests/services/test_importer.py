"""Importing a booking system's CSV export, on SQLite and PostgreSQL."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.services import importer
from bot.services.clinics import add as add_clinic
from bot.services.importer import ImportFileError, Outcome
from bot.store import queries
from bot.store.db import session_scope
from bot.store.models import Client, Treatment, TreatmentStatus

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
HEADER = "clinic,name,phone,treatment_at,area,status,booking_id"


@pytest.fixture
def clinics(engine):
    with session_scope(engine) as session:
        add_clinic(session, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")
        add_clinic(session, "bright", "Bright Skin", "+442071838750", "Europe/London")
    return engine


def run(engine, text):
    with session_scope(engine) as session:
        return importer.import_csv(session, text, NOW)


def count(engine, model):
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def csv(*rows, header=HEADER):
    return "\n".join([header, *rows]) + "\n"


def test_good_rows_are_imported(clinics):
    report = run(
        clinics,
        csv(
            "glow,Ana Diaz,(212) 555-0123,2024-05-01 14:00,face,done,B-1",
            "bright,Zoe Quinn,07911 123456,2024-05-02 09:30,neck,,B-2",  # local UK number
            "glow,Ana Diaz,212-555-0123,2024-07-01T10:00:00-04:00,,booked,",
        ),
    )
    assert [r.outcome for r in report.results] == [Outcome.added, Outcome.added, Outcome.added]
    assert report.new_clients == 2
    with session_scope(clinics) as session:
        ana = queries.client_by_phone(session, "+12125550123")
        zoe = queries.client_by_phone(session, "+447911123456")
        assert [(t.performed_at, t.status, t.area, t.external_ref) for t in ana.treatments] == [
            (datetime(2024, 5, 1, 18, 0, tzinfo=timezone.utc), TreatmentStatus.done, "face", "B-1"),
            (datetime(2024, 7, 1, 14, 0, tzinfo=timezone.utc), TreatmentStatus.booked, "face", None),
        ]
        assert zoe.treatments[0].performed_at == datetime(2024, 5, 2, 8, 30, tzinfo=timezone.utc)  # BST


def test_bad_rows_are_reported_with_line_numbers_and_good_rows_kept(clinics):
    text = csv(
        "glow,Ana Diaz,2125550123,2024-05-01 14:00,face,done,B-1",  # 2 good
        "nope,Bea,2125550124,2024-05-01 14:00,,,",  # 3 unknown clinic
        "glow,Cy,12345,2024-05-01 14:00,,,",  # 4 bad phone
        "glow,Dee,2125550126,May 1st,,,",  # 5 bad time
        "glow,Eve,2125550127,2024-07-01 10:00,,done,",  # 6 future done treatment
        "glow,,2125550128,2024-05-01 14:00,,,",  # 7 missing name
        "glow,Fay,2125550129,2024-05-01 14:00",  # 8 wrong column count
        'glow,"Gus,2125550130,2024-05-01 14:00,,,',  # 9 broken CSV (unclosed quote)
        "glow,Hal,2125550131,2024-03-10 02:30,,,",  # 10 inside the spring DST gap
        "glow,Ivy,2125550132,2024-05-01 15:00,,lost,",  # 11 unknown status
        "",  # blank lines are skipped, numbering continues
        "glow,Jo,2125550133,2024-05-01 16:00,,,B-9",  # 13 good
    )
    report = run(clinics, text)
    rejected = {r.line: r.reason for r in report.rejected}
    assert sorted(rejected) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "unknown clinic 'nope'" in rejected[3]
    assert "phone number '12345'" in rejected[4]
    assert "cannot read the time 'May 1st'" in rejected[5]
    assert "future" in rejected[6]
    assert "missing name" in rejected[7]
    assert "expected 7 fields, found 4" in rejected[8]
    assert "broken CSV" in rejected[9]
    assert "does not exist" in rejected[10]
    assert "unknown treatment status 'lost'" in rejected[11]
    assert all("\n" not in reason for reason in rejected.values())
    assert [r.line for r in report.results if r.ok] == [2, 13]
    assert (count(clinics, Client), count(clinics, Treatment)) == (2, 2)


def test_importing_the_same_file_twice_adds_nothing(clinics):
    text = csv(
        "glow,Ana Diaz,2125550123,2024-05-01 14:00,face,done,B-1",
        "glow,Ana Diaz,2125550123,2024-05-20 14:00,face,done,",  # deduped on (client, time)
        "glow,Bea,2125550124,2023-11-05 01:30,,,",  # in the autumn fold
        "bright,Zoe,+447911123456,2024-05-02 09:30,,,B-1",  # same booking id, other clinic
        "nope,X,2125550125,2024-05-01 14:00,,,",
    )
    first = run(clinics, text)
    second = run(clinics, text)
    assert [r.outcome for r in first.results] == [
        Outcome.added,
        Outcome.added,
        Outcome.added,
        Outcome.added,
        Outcome.rejected,
    ]
    assert [r.outcome for r in second.results] == [
        Outcome.unchanged,
        Outcome.unchanged,
        Outcome.unchanged,
        Outcome.unchanged,
        Outcome.rejected,
    ]
    assert second.new_clients == 0
    assert (count(clinics, Client), count(clinics, Treatment)) == (3, 4)


def test_a_later_export_updates_a_booking(clinics):
    run(clinics, csv("glow,Ana,2125550123,2024-06-10 14:00,face,booked,B-1"))
    report = run(clinics, csv("glow,Ana,2125550123,2024-05-30 15:00,face,done,B-1"))
    assert [r.outcome for r in report.results] == [Outcome.updated]
    with session_scope(clinics) as session:
        (treatment,) = queries.client_by_phone(session, "+12125550123").treatments
        assert (treatment.status, treatment.performed_at) == (
            TreatmentStatus.done,
            datetime(2024, 5, 30, 19, 0, tzinfo=timezone.utc),
        )


def test_a_booking_id_of_another_client_is_refused(clinics):
    run(clinics, csv("glow,Ana,2125550123,2024-05-01 14:00,,,B-1"))
    report = run(clinics, csv("glow,Bea,2125550124,2024-05-01 14:00,,,B-1"))
    assert report.results[0].outcome == Outcome.rejected
    assert "another client" in report.results[0].reason
    assert count(clinics, Client) == 1  # Bea, created within the row, went with it


def test_a_duplicate_row_within_one_file(clinics):
    row = "glow,Ana,2125550123,2024-05-01 14:00,,,B-1"
    report = run(clinics, csv(row, row))
    assert [r.outcome for r in report.results] == [Outcome.added, Outcome.unchanged]


def test_a_10000_character_field_rejects_only_its_row(clinics):
    long = "x" * 10_000
    report = run(
        clinics,
        csv(
            f"glow,{long},2125550123,2024-05-01 14:00,,,",
            f"glow,Bea,2125550124,2024-05-01 14:00,,,{long}",
            f"glow,Cy,{long},2024-05-01 14:00,,,",
            "glow,Dee,2125550126,2024-05-01 14:00,,,",
        ),
    )
    assert [r.outcome for r in report.results] == [Outcome.rejected, Outcome.rejected, Outcome.rejected, Outcome.added]
    assert "name is too long (10000 characters, at most 200)" in report.results[0].reason
    assert "external_ref is too long" in report.results[1].reason
    assert all(len(r.reason) <= 300 for r in report.results)


def test_emoji_and_accents_in_names_round_trip(clinics):
    report = run(clinics, csv("glow,Zoë 🌸 Núñez,2125550123,2024-05-01 14:00,,,"))
    assert report.results[0].outcome == Outcome.added
    with session_scope(clinics) as session:
        client = queries.client_by_phone(session, "+12125550123")
        assert (client.name, client.first_name) == ("Zoë 🌸 Núñez", "Zoë")


def test_columns_in_any_order_with_optional_ones_left_out(clinics):
    report = run(clinics, csv("2024-05-01 14:00,+12125550123,Ana,glow", header=" Treatment_At ,PHONE,name,clinic"))
    assert report.results[0].outcome == Outcome.added


def test_a_nul_byte_breaks_only_its_row(clinics):
    report = run(clinics, csv("glow,A\x00na,2125550123,2024-05-01 14:00,,,", "glow,Bea,2125550124,2024-05-01 14:00,,,"))
    assert [r.outcome for r in report.results] == [Outcome.rejected, Outcome.added]
    assert "broken CSV" in report.results[0].reason


# The file as a whole (no database needed)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("glow,Ana,2125550123,2024-05-01 14:00\n", "must be the header"),
        ("clinic,name,phone\nglow,Ana,2125550123\n", "lacks treatment_at"),
        ("clinic,name,phone,treatment_at,notes\n", "unknown column(s) 'notes'"),
        ("clinic,name,phone,treatment_at,phone\n", "appear twice"),
        ('clinic,"name,phone,treatment_at\n', "header is not valid CSV"),
    ],
)
def test_files_without_a_usable_header_are_refused(text, fragment):
    with pytest.raises(ImportFileError) as info:
        importer.read_csv(text)
    assert fragment in str(info.value)


def test_decode_accepts_a_bom_and_refuses_other_encodings():
    assert importer.decode("\ufeffclinic,name".encode("utf-8")) == "clinic,name"
    with pytest.raises(ImportFileError, match="not UTF-8"):
        importer.decode("clinic,name\nglow,Zoë".encode("latin-1"))


def test_line_numbers_count_physical_lines_with_crlf():
    rows = importer.read_csv("\r\n" + HEADER + "\r\n\r\nglow,Ana,1,2,,,\r\n")
    assert [row.line for row in rows] == [4]


def test_report_summary():
    report = importer.ImportReport(
        [
            importer.RowResult(2, Outcome.added, new_client=True),
            importer.RowResult(3, Outcome.unchanged),
            importer.RowResult(4, Outcome.rejected, "bad"),
        ]
    )
    assert report.summary() == "3 rows: 1 treatments added, 0 updated, 1 already there, 1 rejected; 1 new clients"
