"""Importing booking systems' exports as they write them: their own header names (read
through a column mapping), US or day-first dates, every service the clinic sells, their
status words; and an updated export moving and cancelling what changed."""

from datetime import datetime, timezone

import pytest

from bot.booking_systems.mapping import ColumnMapping
from bot.booking_systems.service_filter import ServiceFilter
from bot.booking_systems.times import DateOrder
from bot.messaging import followups
from bot.services import importer
from bot.services.bookings import Outcome
from bot.services.clinics import add as add_clinic
from bot.services.importer import ImportFileError
from bot.store import queries
from bot.store.db import session_scope
from bot.store.messaging_models import JobStatus
from bot.store.models import TreatmentStatus

NOW = datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc)

# The columns of an appointments report as salon and med-spa systems export it
# (Mangomint, Boulevard: one row per booked service, the client's name in one column).
REPORT_HEADER = "Appointment ID,Date Booked,Client Name,Mobile,Email,Start Time,Service,Staff,Status,Price"
REPORT_MAP = (
    "Appointment ID=booking_id,Client Name=name,Mobile=phone,Start Time=treatment_at,Service=service,Status=status"
)
REPORT = [
    "A-1001,11/02/2026,Ana Diaz,(212) 555-0123,ana@example.com,11/18/2026 2:30 PM,Microneedling with PRP,Kim,Completed,$450.00",
    "A-1002,11/03/2026,Bea Lopez,212.555.0124,,11/24/2026 10:00 AM,SkinPen Microneedling,Kim,Confirmed,$350.00",
    "A-1003,11/03/2026,Cy Ng,2125550125,,11/19/2026 11:00 AM,Botox - Forehead,Lee,Completed,$280.00",
    "A-1004,11/04/2026,Dee Park,2125550126,,11/25/2026 3:00 PM,Microneedling,Kim,Cancelled,$350.00",
    "A-1005,11/05/2026,Eve Stone,2125550127,,11/26/2026 9:00 AM,HydraFacial,Lee,Booked,$199.00",
    "A-1006,11/05/2026,Fay Wong,555-0128,,11/27/2026 1:00 PM,Microneedling,Kim,Booked,$350.00",
    "A-1007,11/06/2026,Gus Hale,2125550129,,13/27/2026 1:00 PM,Microneedling,Kim,Booked,$350.00",
    'A-1008,11/06/2026,"Ruiz, Hal",2125550130,,11/19/2026 4:15 PM,Collagen Induction Therapy,Kim,No Show,$350.00',
    "A-1009,11/07/2026,Ivy Chen,2125550131,,11/30/2026 10:30 AM,Dermapen 4,Kim,Confirmed,$350.00",
]


def export(header, rows):
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def glow(engine):
    with session_scope(engine) as session:
        add_clinic(session, "glow", "Glow Skin Studio", "+12125550100", "America/New_York")
    return engine


def run(engine, text, slug="glow", **options):
    with session_scope(engine) as session:
        clinic = queries.clinic_by_slug(session, slug)
        return importer.import_csv(session, text, NOW, clinic=clinic, **options)


def treatments(engine):
    with session_scope(engine) as session:
        glow = queries.clinic_by_slug(session, "glow")
        found = {}
        for client in glow.clients:
            for treatment in client.treatments:
                steps = followups.for_client(session, client.id)
                found[treatment.external_ref] = (
                    treatment.status,
                    treatment.performed_at,
                    {f.step_key: (f.status, f.due_at) for f in steps if f.treatment_id == treatment.id},
                )
        return found


def test_an_export_through_a_mapping_imports_the_microneedling_treatments(glow):
    report = run(glow, export(REPORT_HEADER, REPORT), mapping=ColumnMapping.parse(REPORT_MAP))
    by_line = {r.line: r for r in report.results}
    assert {line: r.outcome for line, r in by_line.items()} == {
        2: Outcome.added,
        3: Outcome.added,
        4: Outcome.skipped,  # Botox
        5: Outcome.skipped,  # cancelled, never on file: nobody is created
        6: Outcome.skipped,  # HydraFacial
        7: Outcome.rejected,
        8: Outcome.rejected,
        9: Outcome.skipped,  # a no-show, never on file
        10: Outcome.added,
    }
    assert by_line[4].reason == "service 'Botox - Forehead' is not microneedling"
    assert by_line[5].reason == "cancelled, and not on file"
    assert "phone number '555-0128'" in by_line[7].reason
    assert "13/27/2026" in by_line[8].reason
    assert (
        report.summary()
        == "9 rows: 3 treatments added, 0 updated, 0 already there, 4 skipped, 2 rejected; 3 new clients"
    )

    found = treatments(glow)
    assert set(found) == {"A-1001", "A-1002", "A-1009"}
    assert found["A-1001"][:2] == (TreatmentStatus.done, datetime(2026, 11, 18, 19, 30, tzinfo=timezone.utc))
    assert found["A-1002"][:2] == (TreatmentStatus.booked, datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc))
    assert found["A-1009"][0] is TreatmentStatus.booked


def test_a_second_run_of_an_edited_export_moves_one_and_cancels_one(glow):
    mapping = ColumnMapping.parse(REPORT_MAP)
    run(glow, export(REPORT_HEADER, REPORT), mapping=mapping)
    before = treatments(glow)

    edited = list(REPORT)
    edited[1] = edited[1].replace("11/24/2026 10:00 AM", "11/28/2026 11:00 AM")  # Bea moved
    edited[8] = edited[8].replace("Confirmed", "Cancelled")  # Ivy cancelled
    report = run(glow, export(REPORT_HEADER, edited), mapping=mapping)
    assert [r.outcome for r in report.results if r.ok and r.outcome is not Outcome.skipped] == [
        Outcome.unchanged,
        Outcome.updated,
        Outcome.updated,
    ]
    assert report.new_clients == 0

    after = treatments(glow)
    assert set(after) == set(before)  # nothing duplicated
    assert after["A-1001"] == before["A-1001"]
    status, moved_to, steps = after["A-1002"]
    assert (status, moved_to) == (TreatmentStatus.booked, datetime(2026, 11, 28, 16, 0, tzinfo=timezone.utc))
    assert all(due > before["A-1002"][2][key][1] for key, (_, due) in steps.items())
    status, _, steps = after["A-1009"]
    assert status is TreatmentStatus.cancelled
    assert {step_status for step_status, _ in steps.values()} == {JobStatus.cancelled}

    third = run(glow, export(REPORT_HEADER, edited), mapping=mapping)
    assert Outcome.updated not in {r.outcome for r in third.results} and Outcome.added not in {
        r.outcome for r in third.results
    }


def test_first_and_last_names_and_a_separate_date_and_time(glow):
    # Vagaro-style: the client's name in two columns, the date and the time apart.
    header = "Customer First Name,Customer Last Name,Cell Phone,Appt Date,Appt Time,Service Name,Appt Status,Ticket #"
    rows = ["Ana,Diaz,(212) 555-0123,11/18/2026,2:30 PM,Microneedling,Show,T-77"]
    mapping = ColumnMapping.parse(
        "Customer First Name=first_name,Customer Last Name=last_name,Cell Phone=phone,Appt Date=date,"
        "Appt Time=time,Service Name=service,Appt Status=status,Ticket #=booking_id"
    )
    report = run(glow, export(header, rows), mapping=mapping)
    assert [r.outcome for r in report.results] == [Outcome.added]
    with session_scope(glow) as session:
        (client,) = queries.clinic_by_slug(session, "glow").clients
        assert client.name == "Ana Diaz"
        assert client.treatments[0].status is TreatmentStatus.done  # "Show", and its time has passed


def test_a_day_first_country_reads_day_first_and_refuses_a_month_first_date(engine):
    with session_scope(engine) as session:
        add_clinic(session, "bright", "Bright Skin", "+442071838750", "Europe/London")
    header = "Ref,Client,Phone,When,Treatment"
    rows = [
        "R1,Zoe Quinn,07911 123456,03/11/2026 10:00,Microneedling",  # 3 November
        "R2,Amy Pond,07911 123457,11/21/2026 10:00,Microneedling",  # months first: refused, not swapped
    ]
    mapping = ColumnMapping.parse("Ref=booking_id,Client=name,Phone=phone,When=treatment_at,Treatment=service")
    report = run(engine, export(header, rows), slug="bright", mapping=mapping)
    assert [r.outcome for r in report.results] == [Outcome.added, Outcome.rejected]
    assert "not a day/month/year date" in report.results[1].reason
    with session_scope(engine) as session:
        (zoe,) = list(queries.clinic_by_slug(session, "bright").clients)
        assert zoe.treatments[0].performed_at == datetime(2026, 11, 3, 10, 0, tzinfo=timezone.utc)


def test_where_both_orders_occur_an_ambiguous_date_is_refused_by_line_until_the_order_is_given(engine):
    with session_scope(engine) as session:
        add_clinic(session, "maple", "Maple Skin", "+14165550100", "America/Toronto")
    header = "Ref,Client,Phone,When"
    rows = ["M1,Ana Roy,4165550123,03/04/2026 10:00", "M2,Bo Li,4165550124,21/11/2026 10:00"]
    mapping = ColumnMapping.parse("Ref=booking_id,Client=name,Phone=phone,When=treatment_at")
    report = run(engine, export(header, rows), slug="maple", mapping=mapping)
    assert [(r.line, r.outcome) for r in report.results] == [(2, Outcome.rejected), (3, Outcome.added)]
    assert "03/04/2026 could be day/month or month/day" in report.results[0].reason
    again = run(engine, export(header, rows), slug="maple", mapping=mapping, date_order=DateOrder.month_first)
    assert [r.outcome for r in again.results] == [Outcome.added, Outcome.rejected]  # 21/11 is not month-first


def test_a_service_filter_of_the_clinics_own(glow):
    rows = ["A-1,x,Ana Diaz,2125550123,,11/18/2026 2:30 PM,CIT Full Face,Kim,Completed,$1"]
    mapping = ColumnMapping.parse(REPORT_MAP)
    assert run(glow, export(REPORT_HEADER, rows), mapping=mapping).results[0].outcome is Outcome.skipped
    custom = run(glow, export(REPORT_HEADER, rows), mapping=mapping, services=ServiceFilter("CIT|microneedling"))
    assert custom.results[0].outcome is Outcome.added


def test_our_own_columns_for_one_clinic(glow):
    text = "name,phone,treatment_at,status\nAna Diaz,2125550123,11/18/2026 2:30 PM,checked out\n"
    report = run(glow, text)
    assert [r.outcome for r in report.results] == [Outcome.added]
    other = run(glow, "clinic,name,phone,treatment_at\nbright,Bea,2125550124,2026-11-18 14:30\n")
    assert "the row is for clinic 'bright', the import for 'glow'" in other.results[0].reason


def test_a_mapping_needs_a_clinic_and_its_columns(glow):
    with session_scope(glow) as session, pytest.raises(ImportFileError, match="for one clinic"):
        importer.import_csv(session, export(REPORT_HEADER, REPORT), NOW, mapping=ColumnMapping.parse(REPORT_MAP))
    with pytest.raises(ImportFileError, match="line 1: the header has no column 'Mobile'"):
        importer.read_csv(export(REPORT_HEADER.replace("Mobile", "Phone"), REPORT), ColumnMapping.parse(REPORT_MAP))


def test_an_upload_through_a_saved_mapping_uses_its_filter_and_date_order(glow):
    from bot.services import import_mappings
    from bot.store.errors import UnknownImportMapping

    day_first = "Client Name,Mobile,Start Time,Service\nAna Diaz,2125550123,18/11/2026 14:30,Facial\n"
    with session_scope(glow) as session:
        clinic = queries.clinic_by_slug(session, "glow")
        import_mappings.save(
            session,
            clinic,
            "uk-export",
            ColumnMapping.parse("Client Name=name,Mobile=phone,Start Time=treatment_at,Service=service"),
            ServiceFilter("facial"),
            DateOrder.day_first,
            NOW,
        )
        report = importer.import_upload(session, clinic, day_first.encode("utf-8-sig"), NOW, "uk-export")
        with pytest.raises(UnknownImportMapping):
            importer.import_upload(session, clinic, day_first.encode(), NOW, "nope")
        with pytest.raises(ImportFileError, match="not UTF-8"):
            importer.import_upload(session, clinic, "Zoë".encode("latin-1"), NOW, "uk-export")
    (row,) = report.results
    assert (row.outcome, row.name) == (Outcome.added, "Ana Diaz")
    assert treatments(glow)[None][1] == datetime(2026, 11, 18, 19, 30, tzinfo=timezone.utc)


def test_each_row_result_names_the_client_as_written(glow):
    report = run(glow, export(REPORT_HEADER, REPORT), mapping=ColumnMapping.parse(REPORT_MAP))
    assert [r.name for r in report.results][:3] == ["Ana Diaz", "Bea Lopez", "Cy Ng"]
    assert report.results[7].name == "Ruiz, Hal"
