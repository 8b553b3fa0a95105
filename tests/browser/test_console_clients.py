"""Clients, treatments, the chat link and a bookings upload in a real Chromium: a staff
member adds a client, records a treatment, texts the chat link (received by the local
Twilio-compatible server, To the client, From the clinic's number) and uploads an export
written the way a booking system writes it, then reads the report of every row; the same
with the keyboard alone; no WCAG 2.1 AA violation at desktop and phone width; and the
README's screenshots of the clients page and the upload report."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest
from axe import assert_no_violations
from console_page import sign_in
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bot.booking_systems.mapping import ColumnMapping
from bot.devtools.twilio_server import FakeTwilio
from bot.services import import_mappings, treatments
from bot.store import queries
from bot.store.db import session_scope
from bot.store.models import Client
from tests.console.console_world import RunningConsole, running_console
from tests.services.test_import_exports import REPORT, REPORT_HEADER, REPORT_MAP

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCREENSHOTS = os.environ.get("AFTERCARE_SCREENSHOT") == "1"  # as in test_console.py
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(status_callbacks=False) as fake:
        yield fake


@pytest.fixture
def clinic_console(console_template, tmp_path, twilio) -> Iterator[RunningConsole]:
    """The console sending texts through the local Twilio-compatible server, with the
    mapping glow saved for its booking system's export (`aftercare mapping save`)."""
    url = console_template.copy(tmp_path)
    with running_console(url, tmp_path / "data", seeded=console_template.seeded, **twilio.env()) as running:
        with session_scope(running.engine) as db:
            glow = queries.clinic_by_slug(db, "glow")
            columns = ColumnMapping.parse(REPORT_MAP)
            import_mappings.save(db, glow, "boulevard", columns, None, None, datetime.now(timezone.utc))
        yield running


def booking_export(tmp_path: Path) -> Path:
    """The appointments report as the booking system downloads it: a BOM, CRLF line ends."""
    path = tmp_path / "Appointments Report.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([REPORT_HEADER, *REPORT]) + "\r\n").encode("utf-8"))
    return path


def wall_clock(moment: datetime) -> str:
    return f"{moment.astimezone(NEW_YORK):%Y-%m-%dT%H:%M}"


def test_a_staff_member_adds_a_client_records_a_treatment_texts_the_link_and_imports(
    clinic_console, page, twilio, tmp_path
):
    base = clinic_console.base
    sign_in(page, base, clinic_console.seeded.glow_staff, then="/clients")
    expect(page.get_by_role("heading", level=1)).to_have_text("Clients")
    expect(page.get_by_role("link", name="Ana Diaz")).to_be_visible()

    # A client, with a typing slip first: the error is at the field, what was typed stays.
    page.get_by_role("link", name="Add a client").click()
    page.get_by_label("Name").fill("Maya Chen")
    page.get_by_label("Mobile number").fill("212 555 01")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_label("Mobile number")).to_have_accessible_description(
        re.compile(r"has the wrong number of digits")
    )
    expect(page.get_by_label("Mobile number")).to_be_focused()
    expect(page.get_by_label("Name")).to_have_value("Maya Chen")
    page.get_by_label("Mobile number").fill("(212) 555-0188")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maya Chen")
    expect(page.get_by_role("status")).to_contain_text("Client added.")

    # A treatment that ended two hours ago, on the clinic's clocks.
    ended = datetime.now(timezone.utc) - timedelta(hours=2)
    page.get_by_label("When it ended").fill(wall_clock(ended))
    page.get_by_label("Area").fill("face and neck")
    page.get_by_label("Done: it happened").check()
    page.get_by_role("button", name="Record treatment").click()
    expect(page.get_by_role("status")).to_contain_text("Treatment recorded")
    local = ended.astimezone(NEW_YORK)
    treatment = page.locator(".treatment").first
    expect(treatment).to_contain_text(f"{local.day} {local:%b %Y}")
    expect(treatment).to_contain_text(local.tzname())
    expect(treatment).to_contain_text("face and neck")

    # The chat link, texted from the clinic's number.
    page.get_by_role("button", name="Text the chat link").click()
    expect(page.get_by_role("status")).to_contain_text("Chat link texted to the client.")
    (text,) = twilio.messages
    assert (text["to"], text["from"]) == ("+12125550188", "+12125550100")
    assert text["body"].startswith("Hi Maya, it's Glow Skin Studio.") and "#t=" in text["body"]

    # The booking system's export, through the clinic's saved mapping.
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Import bookings").click()
    expect(page.get_by_label("Columns")).to_have_value("boulevard")
    page.get_by_label("CSV file").set_input_files(str(booking_export(tmp_path)))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Report for Appointments Report.csv")).to_be_visible()
    report = page.get_by_role("table")
    rows = report.locator("tbody tr")
    expect(rows).to_have_count(9)
    expect(rows.nth(0)).to_contain_text("Ana Diaz")
    expect(rows.nth(0)).to_contain_text("Created")
    expect(rows.nth(2)).to_contain_text("Skipped")
    expect(rows.nth(2)).to_contain_text("service 'Botox - Forehead' is not microneedling")
    expect(rows.nth(5)).to_contain_text("Error")
    expect(rows.nth(5)).to_contain_text("phone number '555-0128'")
    expect(page.get_by_role("status")).to_contain_text("3 treatments added")
    with session_scope(clinic_console.engine) as db:
        names = set(db.scalars(select(Client.name).where(Client.clinic_id == clinic_console.seeded.glow_id)))
    assert {"Maya Chen", "Bea Lopez", "Ivy Chen"} <= names and "Fay Wong" not in names

    if SCREENSHOTS:
        page.screenshot(path=str(DOCS / "console-import-report.png"), full_page=True)
        page.goto(base + "/clients")
        expect(page.get_by_role("link", name="Maya Chen")).to_be_visible()
        page.screenshot(path=str(DOCS / "console-clients.png"), full_page=True)


def focused(page: Page) -> str:
    return page.evaluate(
        "() => { const a = document.activeElement;"
        " return (a.id || a.getAttribute('name') || a.textContent).trim().replace(/\\s+/g, ' '); }"
    )


def tab_to(page: Page, name: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == name:
            return
    raise AssertionError(f"Tab never reached {name!r}; last focused: {focused(page)!r}")


def test_the_keyboard_alone_adds_a_client_records_moves_and_cancels(console, page):
    sign_in(page, console.base, console.seeded.glow_owner, then="/clients")
    tab_to(page, "Add a client")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Name")).to_be_focused()
    page.keyboard.type("Noor Haddad")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Mobile number")).to_be_focused()
    page.keyboard.type("2125550177")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Noor Haddad")
    client_page = page.url.split("?")[0]

    # "When it ended" starts at the present minute: a treatment just done needs no typing.
    tab_to(page, "Record treatment")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Treatment recorded")

    # A summary opens with Enter; a refused move keeps focus at its field with the error.
    tab_to(page, "Reschedule the treatment of " + page.locator(".treatment time").first.inner_text())
    page.keyboard.press("Enter")
    field = page.locator(".treatment input[type=datetime-local]").first
    field.focus()
    field.fill(wall_clock(datetime.now(timezone.utc) + timedelta(days=2)))
    page.keyboard.press("Enter")
    expect(page.locator(".treatment input[type=datetime-local]").first).to_be_focused()
    expect(page.locator(".treatment .error").first).to_contain_text("A done treatment cannot be in the future")

    page.goto(client_page)
    tab_to(page, "Cancel the treatment of " + page.locator(".treatment time").first.inner_text())
    page.keyboard.press("Enter")
    tab_to(page, "Cancel this treatment")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Treatment cancelled")
    expect(page.locator(".treatment .badge").first).to_have_text("cancelled")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_no_wcag_21_aa_violation_on_the_clients_and_import_pages(console, request, width, tmp_path):
    page: Page = request.getfixturevalue("page" if width == "desktop" else "phone_page")
    now = datetime.now(timezone.utc)
    with session_scope(console.engine) as db:
        ana = db.get(Client, console.seeded.ana_id)
        treatments.add(db, ana, now + timedelta(days=3), status="booked", now=now)
        import_mappings.save(db, ana.clinic, "boulevard", ColumnMapping.parse(REPORT_MAP), None, None, now)
        from bot.services import clients

        clients.set_opted_out(db, clients.add(db, ana.clinic, "Dee Park", "+12125550126"), True, now)
    sign_in(page, console.base, console.seeded.glow_staff, then="/clients")
    checked = []

    def check(name: str) -> None:
        assert_no_violations(page)
        if width == "phone":  # nothing wider than the screen: no sideways scrolling
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, name
        checked.append(name)

    check("list")
    page.get_by_label("Search by name or phone").fill("555 0126")
    page.get_by_label("Search by name or phone").press("Enter")
    expect(page.get_by_text("Opted out (STOP)")).to_be_visible()
    check("search")
    page.get_by_role("link", name="Dee Park").click()
    expect(page.get_by_role("button", name="Text the chat link")).to_be_disabled()
    check("opted-out client")

    page.goto(f"{console.base}/clients/new")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    check("add client with errors")

    page.goto(f"{console.base}/clients/{console.seeded.ana_id}")
    page.locator(".treatment summary").first.click()
    page.get_by_role("button", name="Record treatment").click()  # a done treatment now: fine
    expect(page.get_by_role("status")).to_contain_text("Treatment recorded")
    page.get_by_label("When it ended").fill(wall_clock(now + timedelta(days=1)))
    page.get_by_role("button", name="Record treatment").click()
    expect(page.get_by_role("alert")).to_contain_text("The treatment was not recorded")
    check("client with an error")

    page.goto(f"{console.base}/import")
    check("import form")
    page.get_by_label("CSV file").set_input_files(str(booking_export(tmp_path)))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("table")).to_be_visible()
    check("import report")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    page.get_by_label("CSV file").set_input_files(str(empty))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_label("CSV file")).to_have_accessible_description(re.compile("The file is empty"))
    check("import with an error")
    assert len(checked) == 8
