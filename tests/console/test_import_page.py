"""Uploading a bookings CSV in the console: the importer of `aftercare import`, through a
saved mapping or our own columns, a report of every row (created, updated, skipped or
an error, with the reason), and bad files refused at the file field without a 500."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html import unescape

import pytest
from sqlalchemy import func, select

from bot.booking_systems.mapping import ColumnMapping
from bot.booking_systems.service_filter import ServiceFilter
from bot.services import import_mappings
from bot.store import queries
from bot.store.db import session_scope
from bot.store.models import Client, Treatment
from bot.store.staff_models import AuditAction, AuditEntry
from tests.services.test_import_exports import REPORT, REPORT_HEADER, REPORT_MAP, export


@pytest.fixture
def glow(console):
    with session_scope(console.engine) as db:
        clinic = queries.clinic_by_slug(db, "glow")
        import_mappings.save(
            db, clinic, "boulevard", ColumnMapping.parse(REPORT_MAP), None, None, datetime.now(timezone.utc)
        )
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    return browser


def upload(browser, data: bytes, mapping: str = "boulevard", name: str = "appointments.csv"):
    token = browser.token("/import")
    return browser.post(
        "/import", data={"csrf_token": token, "mapping": mapping}, files={"file": (name, data, "text/csv")}
    )


def report_rows(page) -> list[tuple[str, str, str, str]]:
    """(line, client, outcome, why) of each row of the report table."""
    body = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [
            " ".join(unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        rows.append(tuple(cells))
    return rows


def counts(console) -> tuple[int, int]:
    with session_scope(console.engine) as db:
        return (
            db.scalar(select(func.count()).select_from(Client)),
            db.scalar(select(func.count()).select_from(Treatment)),
        )


def test_the_form_offers_the_clinics_saved_mappings(glow):
    page = glow.get("/import")
    assert page.status_code == 200
    assert re.search(r'<option value="boulevard" selected>boulevard</option>', page.text)
    assert '<option value="">Our own columns</option>' in page.text
    assert 'enctype="multipart/form-data"' in page.text


def test_an_export_through_a_saved_mapping_gets_a_report_of_every_row(console, glow):
    page = upload(glow, export(REPORT_HEADER, REPORT).encode())
    assert page.status_code == 200
    assert (
        "9 rows: 3 treatments added, 0 updated, 0 already there, 4 skipped, 2 rejected; 2 new clients" in page.text
    )  # Ana was a client
    rows = report_rows(page)
    assert [r[:3] for r in rows] == [
        ("2", "Ana Diaz", "Created"),
        ("3", "Bea Lopez", "Created"),
        ("4", "Cy Ng", "Skipped"),
        ("5", "Dee Park", "Skipped"),
        ("6", "Eve Stone", "Skipped"),
        ("7", "Fay Wong", "Error"),
        ("8", "Gus Hale", "Error"),
        ("9", "Ruiz, Hal", "Skipped"),
        ("10", "Ivy Chen", "Created"),
    ]
    assert rows[2][3] == "service 'Botox - Forehead' is not microneedling"
    assert rows[3][3] == "cancelled, and not on file"
    assert "phone number '555-0128'" in rows[5][3]
    assert "13/27/2026" in rows[6][3]
    with session_scope(console.engine) as db:
        entries = db.scalars(select(AuditEntry).where(AuditEntry.action == AuditAction.bookings_imported)).all()
        assert [(e.clinic_id, e.client_id) for e in entries] == [(console.seeded.glow_id, None)]

    again = upload(glow, export(REPORT_HEADER, [REPORT[1].replace("10:00 AM", "11:30 AM"), *REPORT[2:]]).encode())
    outcomes = {r[0]: r[2] for r in report_rows(again)}
    assert outcomes["2"] == "Updated"  # Bea moved; matched on the appointment id
    assert outcomes["9"] == "Already there"  # Ivy


def test_a_broken_row_costs_no_other_row(console, glow):
    before = counts(console)
    rows = [
        REPORT[0],
        'A-2001,11/02/2026,"Broken, Quote,2125550140,,11/18/2026 2:30 PM,Microneedling,Kim,Completed,$1',
        "A-2002,11/02/2026,Nul\x00Byte,2125550141,,11/18/2026 2:30 PM,Microneedling,Kim,Completed,$1",
        "A-2003,11/02/2026," + "N" * 10_000 + ",2125550142,,11/18/2026 2:30 PM,Microneedling,Kim,Completed,$1",
        "A-2004,11/02/2026,Short,Row",
        REPORT[1],
    ]
    page = upload(glow, export(REPORT_HEADER, rows).encode())
    assert page.status_code == 200
    said = {r[0]: (r[2], r[3]) for r in report_rows(page)}
    assert said["2"][0] == said["7"][0] == "Created"
    assert said["3"][0] == said["4"][0] == said["5"][0] == said["6"][0] == "Error"
    assert "broken CSV" in said["3"][1] or "expected 10 fields" in said["3"][1]
    assert "NUL" in said["4"][1] or "broken" in said["4"][1]
    assert said["5"][1].startswith("name is too long (10000 characters, at most 200)")
    assert said["6"][1] == "expected 10 fields, found 4"
    assert counts(console) == (before[0] + 1, before[1] + 2)  # Ana was a client; Bea is new


def test_our_own_columns(console, glow):
    text = "name,phone,treatment_at,status\nZoe Park,2125550150,2026-11-18 14:30,done\n"
    page = upload(glow, text.encode(), mapping="")
    assert [r[:3] for r in report_rows(page)] == [("2", "Zoe Park", "Created")]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty (expected a header line)"),
        (b"\n\n  \n", "The file is empty (expected a header line)"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
            "The file is not UTF-8 text (byte 0); export it as UTF-8 CSV",
        ),
        ("Client Name,Mobile\nJosé Núñez,2125550160\n".encode("latin-1"), "The file is not UTF-8 text"),
        (b"Client Name,Mobile,Start Time\nAna,2125550123,11/18/2026 2:30 PM\n", "Service"),
    ],
    ids=["empty", "blank-lines", "binary", "latin-1", "columns-missing"],
)
def test_a_file_that_cannot_be_imported_is_refused_at_the_file_field(console, glow, data, message):
    before = counts(console)
    page = upload(glow, data)
    assert page.status_code == 422
    error = re.search(r'<p class="error" id="file-error">([^<]*)</p>', page.text)
    assert error and message in unescape(error.group(1))
    assert "You chose appointments.csv" in page.text
    assert re.search(r'<option value="boulevard" selected>', page.text)  # the choice is kept
    assert counts(console) == before


def test_no_file_and_an_unknown_mapping(glow):
    token = glow.token("/import")
    page = glow.post("/import", data={"csrf_token": token, "mapping": "boulevard"})
    assert page.status_code == 422 and "Choose the CSV file to import." in page.text
    page = upload(glow, export(REPORT_HEADER, REPORT).encode(), mapping="vagaro")
    assert page.status_code == 422
    assert "Glow has no saved mapping 'vagaro'" in unescape(page.text)


def test_another_clinics_mapping_is_not_offered_nor_used(console):
    with session_scope(console.engine) as db:
        lumen = queries.clinic_by_slug(db, "lumen")
        import_mappings.save(
            db, lumen, "cliniko", ColumnMapping.parse(REPORT_MAP), ServiceFilter(".*"), None, datetime.now(timezone.utc)
        )
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    assert "cliniko" not in browser.get("/import").text
    page = upload(browser, export(REPORT_HEADER, REPORT).encode(), mapping="cliniko")
    assert page.status_code == 422 and "no saved mapping 'cliniko'" in unescape(page.text)


def test_a_file_over_the_row_limit_is_refused_whole(console, glow):
    from bot.console.imports import MAX_ROWS

    rows = [
        f"B-{i},11/02/2026,Client {i},212555{2000 + i:04d},,11/18/2026 2:30 PM,Microneedling,Kim,Completed,$1"
        for i in range(MAX_ROWS + 1)
    ]
    before = counts(console)
    page = upload(glow, export(REPORT_HEADER, rows).encode())
    assert page.status_code == 422
    error = re.search(r'<p class="error" id="file-error">([^<]*)</p>', page.text)
    assert error and error.group(1) == (
        f"The file has {MAX_ROWS + 1} rows, more than the {MAX_ROWS} imported at a time: split it into smaller files"
    )
    assert counts(console) == before


def test_the_form_says_the_row_limit(glow):
    assert "UTF-8 CSV, up to 1,000 rows at a time." in glow.get("/import").text
