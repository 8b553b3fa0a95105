"""The clients pages over HTTP against the real app: the list and its search, adding a
client, a client's page, recording, moving and cancelling a treatment, texting and
revoking the chat link; each error shown next to its field with what was typed, nothing
written by a refused change, every page and change audited."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from sqlalchemy import func, select

from bot import links
from bot.messaging import followups
from bot.services import clients, treatments
from bot.store.db import session_scope
from bot.store.messaging_models import JobStatus, SmsMessage, Transport
from bot.store.models import Client, Treatment, TreatmentStatus
from bot.store.staff_models import AuditAction, AuditEntry


@pytest.fixture
def glow(console):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    return browser


def text_of(response) -> str:
    """The page's text without tags, as a person reads it."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def audit_actions(console, client_id=None) -> list[tuple[AuditAction, int | None, int | None]]:
    with session_scope(console.engine) as db:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if client_id is not None:
            query = query.where(AuditEntry.client_id == client_id)
        return [(e.action, e.clinic_id, e.client_id) for e in db.execute(query).scalars()]


def count(console, model) -> int:
    with session_scope(console.engine) as db:
        return db.scalar(select(func.count()).select_from(model))


def add_client(console, name: str, phone: str, slug: str = "glow", opted_out: bool = False) -> int:
    from bot.store import queries

    with session_scope(console.engine) as db:
        client = clients.add(db, queries.clinic_by_slug(db, slug), name, phone)
        if opted_out:
            clients.set_opted_out(db, client, True, datetime.now(timezone.utc))
        return client.id


def treatment_ids(console, client_id: int) -> list[int]:
    with session_scope(console.engine) as db:
        return list(db.scalars(select(Treatment.id).where(Treatment.client_id == client_id).order_by(Treatment.id)))


# The list and its search


def test_the_list_shows_the_clinics_clients_only_and_is_audited(console, glow):
    page = glow.get("/clients")
    assert page.status_code == 200
    assert "Ana Diaz" in page.text and "(212) 555-0123" in page.text
    assert "Ben Okafor" not in page.text  # lumen's
    assert f'href="/clients/{console.seeded.ana_id}"' in page.text
    assert (AuditAction.clients_listed, console.seeded.glow_id, None) in audit_actions(console)


@pytest.mark.parametrize("query", ["ana", "DIAZ", "555-0123", "(212) 555 0123", "+1 212 555 0123", "5550123"])
def test_search_finds_by_name_or_by_the_number_as_typed(console, glow, query):
    add_client(console, "Cy Ng", "+12125550199")
    page = glow.get("/clients", params={"q": query})
    assert "Ana Diaz" in page.text and "Cy Ng" not in page.text
    assert "1 client matching" in text_of(page)


def test_search_by_a_local_number_in_the_clinics_country(console):
    lumen = console.client()
    lumen.sign_in(console.seeded.lumen_staff)
    assert "Ben Okafor" in lumen.get("/clients", params={"q": "07911 123456"}).text
    assert "Ben Okafor" not in lumen.get("/clients", params={"q": "07000 000000"}).text


@pytest.mark.parametrize(
    "query",
    ["%", "_", "x" * 2_000, "\x00x", "'; drop table clients; --", "😀"],
    ids=["%", "_", "long", "nul", "sql", "emoji"],
)
def test_a_strange_search_is_a_search_that_finds_nothing(glow, query):
    page = glow.get("/clients", params={"q": query})
    assert page.status_code == 200
    assert "Ana Diaz" not in page.text and "No client matches" in page.text


def test_control_characters_in_a_search_are_ignored(glow):
    assert "Ana Diaz" in glow.get("/clients", params={"q": "\x00an\x07a\x1b"}).text


def test_an_address_too_long_to_read_is_a_clear_4xx(glow):
    page = glow.get("/clients", params={"q": "x" * 10_000})
    assert page.status_code == 413 and "<h1>Too large</h1>" in page.text


def test_an_opted_out_client_is_shown_as_such(console, glow):
    stopped = add_client(console, "Dee Park", "+12125550126", opted_out=True)
    listing = glow.get("/clients", params={"q": "Dee"})
    assert "Opted out (STOP)" in listing.text
    assert "Opted out (STOP)" not in glow.get("/clients", params={"q": "Ana"}).text
    page = glow.get(f"/clients/{stopped}")
    assert "Opted out (STOP)" in page.text and "until they text START" in page.text
    assert re.search(r"<button[^>]*disabled[^>]*>Text the chat link", page.text)


# Adding a client


def test_adding_a_client_through_the_service_is_audited(console, glow):
    response = glow.submit("/clients/new", {"name": "  Eve Stone ", "phone": "(212) 555-0127"})
    assert response.status_code == 303
    with session_scope(console.engine) as db:
        added = db.scalar(select(Client).where(Client.name == "Eve Stone"))
        assert (added.phone, added.clinic_id) == ("+12125550127", console.seeded.glow_id)
    assert response.headers["Location"] == f"/clients/{added.id}?notice=added"
    assert (AuditAction.client_added, console.seeded.glow_id, added.id) in audit_actions(console)
    page = glow.get(response.headers["Location"])
    assert "Client added." in page.text and "Eve Stone" in page.text


@pytest.mark.parametrize(
    "name, phone, field, message",
    [
        ("Eve Stone", "212-555-01", "phone", "Phone number '212-555-01' has the wrong number of digits"),
        ("Eve Stone", "call me", "phone", "has characters other than digits"),
        ("Eve Stone", "", "phone", "Phone number is empty"),
        ("Eve Stone", "+12125550123", "phone", "+12125550123 is already a client of glow"),
        ("   ", "2125550127", "name", "Name is empty"),
        ("E" * 10_000, "2125550127", "name", "Name is too long (10000 characters, at most 200)"),
        ("Eve Stone", "9" * 10_000, "phone", "Phone number '99999"),
    ],
)
def test_a_refused_client_shows_the_error_at_its_field_and_keeps_what_was_typed(
    console, glow, name, phone, field, message
):
    before = count(console, Client)
    page = glow.submit("/clients/new", {"name": name, "phone": phone})
    assert page.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page.text)
    assert error and message in unescape(error.group(1))
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*{field}-error', page.text)
    if name.strip():
        assert f'value="{name}"' in page.text
    if phone:
        assert f'value="{phone}"' in page.text
    assert count(console, Client) == before


def test_an_empty_form_shows_both_errors_at_once(console, glow):
    page = glow.submit("/clients/new", {"name": "", "phone": ""})
    assert page.status_code == 422
    assert '<p class="error" id="name-error">Name is empty</p>' in page.text
    assert '<p class="error" id="phone-error">Phone number is empty</p>' in page.text


# A client's page and their treatments


def test_the_client_page_shows_treatments_in_the_clinics_time_and_is_audited(console, glow):
    ana = console.seeded.ana_id
    with session_scope(console.engine) as db:
        client = db.get(Client, ana)
        treatments.add(
            db,
            client,
            datetime(2026, 7, 1, 18, 30, tzinfo=timezone.utc),
            "neck",
            "done",
            now=datetime(2026, 7, 2, tzinfo=timezone.utc),
        )
    page = glow.get(f"/clients/{ana}")
    assert page.status_code == 200
    assert "Wed 1 Jul 2026, 2:30 pm EDT" in page.text  # New York's clocks, summer time
    assert "America/New_York" in page.text
    assert audit_actions(console, ana)[-1] == (AuditAction.client_viewed, console.seeded.glow_id, ana)


def local_field(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return f"{moment.astimezone(ZoneInfo('America/New_York')):%Y-%m-%dT%H:%M}"


def test_recording_a_treatment_schedules_its_follow_ups(console, glow):
    ana = console.seeded.ana_id
    before = treatment_ids(console, ana)
    at = datetime.now(timezone.utc) - timedelta(hours=2)
    response = glow.submit(
        f"/clients/{ana}/treatments", {"at": local_field(at), "area": "Neck", "status": "done"}, page=f"/clients/{ana}"
    )
    assert response.status_code == 303 and "notice=recorded" in response.headers["Location"]
    (new,) = set(treatment_ids(console, ana)) - set(before)
    with session_scope(console.engine) as db:
        treatment = db.get(Treatment, new)
        assert (treatment.area, treatment.status) == ("neck", TreatmentStatus.done)
        assert treatment.performed_at == at.replace(second=0, microsecond=0)
        assert any(f.treatment_id == new for f in followups.for_client(db, ana))
    assert (AuditAction.treatment_recorded, console.seeded.glow_id, ana) in audit_actions(console)


def in_days(days: int) -> str:
    return local_field(datetime.now(timezone.utc) + timedelta(days=days))


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"at": in_days(3), "status": "done"}, "at", "A done treatment cannot be in the future (record it as booked)"),
        ({"at": "", "status": "done"}, "at", "Enter when the treatment ended"),
        ({"at": "next tuesday", "status": "done"}, "at", "Cannot read the time 'next tuesday'"),
        ({"at": "2026-02-30T10:00", "status": "done"}, "at", "is not a real date or time"),
        ({"at": "2026-03-08T02:30", "status": "done"}, "at", "does not exist in America/New_York"),
        ({"at": "2026-11-21T14:30:00", "status": "done"}, "at", "has no offset"),
        ({"at": in_days(-1), "status": "done", "area": "a" * 10_000}, "area", "Area is too long"),
        ({"at": in_days(-1), "status": "maybe"}, "status", "maybe"),
    ],
)
def test_a_refused_treatment_shows_the_services_error_at_its_field(console, glow, form, field, message):
    ana = console.seeded.ana_id
    before = treatment_ids(console, ana)
    page = glow.submit(f"/clients/{ana}/treatments", form, page=f"/clients/{ana}")
    assert page.status_code == 422
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page.text)
    assert error and message in unescape(error.group(1)), error and error.group(1)
    if form["at"] and "T" in form["at"] and len(form["at"]) == 16:
        assert f'value="{form["at"]}"' in page.text  # what was typed stays
    assert treatment_ids(console, ana) == before
    assert AuditAction.treatment_recorded not in {a for a, _, _ in audit_actions(console)}


def test_a_time_the_autumn_clocks_give_twice_is_the_first_and_the_page_says_which(console, glow):
    ana = console.seeded.ana_id
    form = {"at": "2026-11-01T01:30", "status": "done"}
    assert glow.submit(f"/clients/{ana}/treatments", form, page=f"/clients/{ana}").status_code == 303
    with session_scope(console.engine) as db:
        times = {t.performed_at for t in db.get(Client, ana).treatments}
    assert datetime(2026, 11, 1, 5, 30, tzinfo=timezone.utc) in times  # 1:30 EDT, not EST
    assert "Sun 1 Nov 2026, 1:30 am EDT" in glow.get(f"/clients/{ana}").text


def test_a_booked_treatment_in_the_future_is_recorded(console, glow):
    ana = console.seeded.ana_id
    response = glow.submit(f"/clients/{ana}/treatments", {"at": in_days(5), "status": "booked"}, page=f"/clients/{ana}")
    assert response.status_code == 303
    page = glow.get(response.headers["Location"])
    assert "Treatment recorded" in page.text and 'badge-booked">booked' in page.text


def test_rescheduling_moves_the_treatment_and_its_follow_ups(console, glow):
    ana = console.seeded.ana_id
    (treatment_id,) = treatment_ids(console, ana)
    with session_scope(console.engine) as db:
        due_before = {f.step_key: f.due_at for f in followups.for_client(db, ana) if f.status is JobStatus.pending}
    earlier = datetime.now(timezone.utc) - timedelta(hours=20)
    response = glow.submit(
        f"/clients/{ana}/treatments/{treatment_id}/reschedule", {"at": local_field(earlier)}, page=f"/clients/{ana}"
    )
    assert response.status_code == 303 and "notice=moved" in response.headers["Location"]
    with session_scope(console.engine) as db:
        assert db.get(Treatment, treatment_id).performed_at == earlier.replace(second=0, microsecond=0)
        due_after = {f.step_key: f.due_at for f in followups.for_client(db, ana)}
    assert any(due_after[key] != due for key, due in due_before.items())
    assert (AuditAction.treatment_rescheduled, console.seeded.glow_id, ana) in audit_actions(console)


def test_a_refused_move_is_shown_at_that_treatments_field(console, glow):
    ana = console.seeded.ana_id
    (treatment_id,) = treatment_ids(console, ana)
    page = glow.submit(
        f"/clients/{ana}/treatments/{treatment_id}/reschedule", {"at": in_days(2)}, page=f"/clients/{ana}"
    )
    assert page.status_code == 422
    error = re.search(rf'<p class="error" id="at-{treatment_id}-error">([^<]*)</p>', page.text)
    assert error and "A done treatment cannot be in the future" in error.group(1)
    assert f'value="{in_days(2)}"' in page.text and "<details open>" in page.text


def test_cancelling_stops_the_follow_ups_not_sent_yet(console, glow):
    ana = console.seeded.ana_id
    (treatment_id,) = treatment_ids(console, ana)
    response = glow.submit(f"/clients/{ana}/treatments/{treatment_id}/cancel", page=f"/clients/{ana}")
    assert response.status_code == 303 and "notice=cancelled" in response.headers["Location"]
    with session_scope(console.engine) as db:
        assert db.get(Treatment, treatment_id).status is TreatmentStatus.cancelled
        assert JobStatus.pending not in {f.status for f in followups.for_client(db, ana)}
    assert (AuditAction.treatment_cancelled, console.seeded.glow_id, ana) in audit_actions(console)
    page = glow.get(f"/clients/{ana}")
    assert "Reschedule" not in page.text  # a cancelled treatment is not moved; a new one is recorded
    moved = glow.submit(
        f"/clients/{ana}/treatments/{treatment_id}/reschedule", {"at": in_days(-1)}, page=f"/clients/{ana}"
    )
    assert moved.status_code == 422 and "is cancelled; record a new one instead" in moved.text


# The personal chat link


def outbox(console) -> list[SmsMessage]:
    with session_scope(console.engine) as db:
        rows = list(db.scalars(select(SmsMessage).order_by(SmsMessage.id)))
        db.expunge_all()
        return rows


def test_texting_the_chat_link_puts_a_working_link_in_the_outbox(console, glow):
    ana = console.seeded.ana_id
    response = glow.submit(f"/clients/{ana}/chat-link", page=f"/clients/{ana}")
    assert response.status_code == 303 and "notice=link_sent" in response.headers["Location"]
    (sms,) = outbox(console)
    assert (sms.transport, sms.purpose, sms.to_number, sms.from_number) == (
        Transport.outbox,
        "chat_link",
        "+12125550123",
        "+12125550100",
    )
    assert sms.body.startswith("Hi Ana, it's Glow Skin Studio.")
    token = re.search(r"#t=(\S+)", sms.body).group(1)
    with session_scope(console.engine) as db:
        assert links.verify_link_token(db, links.secret_for(console.settings), token).client_id == ana
    assert (AuditAction.chat_link_sent, console.seeded.glow_id, ana) in audit_actions(console)
    assert "Chat link texted" in glow.get(response.headers["Location"]).text


def test_no_link_is_texted_to_a_client_who_opted_out(console, glow):
    stopped = add_client(console, "Dee Park", "+12125550126", opted_out=True)
    page = glow.submit(f"/clients/{stopped}/chat-link", page=f"/clients/{stopped}")
    assert page.status_code == 422
    assert "Dee Park has opted out of texts (STOP): nothing is sent until they text START" in unescape(page.text)
    assert outbox(console) == []
    assert AuditAction.chat_link_sent not in {a for a, _, _ in audit_actions(console)}


def test_revoking_stops_every_link_sent_so_far(console, glow):
    ana = console.seeded.ana_id
    glow.submit(f"/clients/{ana}/chat-link", page=f"/clients/{ana}")
    token = re.search(r"#t=(\S+)", outbox(console)[0].body).group(1)
    response = glow.submit(f"/clients/{ana}/chat-link/revoke", page=f"/clients/{ana}")
    assert response.status_code == 303
    with session_scope(console.engine) as db:
        assert links.verify_link_token(db, links.secret_for(console.settings), token).reason == links.REVOKED
    assert (AuditAction.chat_links_revoked, console.seeded.glow_id, ana) in audit_actions(console)
    assert "Links sent before" in glow.get(f"/clients/{ana}").text
