"""The clients and import pages keep to the console's guarantees: staff of one clinic
get 404 for every URL with another clinic's client or treatment id (ids enumerated, GET
and POST) and change nothing; every POST needs the CSRF token; an operator works in
the clinic they chose; the pages carry no inline script or style."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.services import treatments
from bot.store.db import session_scope
from bot.store.messaging_models import SmsMessage
from bot.store.models import Client, Treatment
from bot.store.staff_models import AuditEntry

CLIENT_GETS = ["/clients/{client}"]
CLIENT_POSTS = [
    "/clients/{client}/treatments",
    "/clients/{client}/treatments/{treatment}/reschedule",
    "/clients/{client}/treatments/{treatment}/cancel",
    "/clients/{client}/chat-link",
    "/clients/{client}/chat-link/revoke",
]
POSTS = ["/clients/new", "/import", *CLIENT_POSTS]


def snapshot(engine) -> tuple:
    """Everything a staff action could change."""
    with session_scope(engine) as db:
        clients = [(c.id, c.clinic_id, c.name, c.phone, c.links_valid_after) for c in db.scalars(select(Client))]
        done = [(t.id, t.client_id, t.performed_at, t.status, t.area) for t in db.scalars(select(Treatment))]
        texts = db.scalars(select(SmsMessage.id)).all()
        return clients, done, texts


def audit_count(engine) -> int:
    with session_scope(engine) as db:
        return len(db.scalars(select(AuditEntry.id)).all())


@pytest.fixture
def ids(console):
    """Both clinics' clients with a treatment each; the ids of each clinic's rows."""
    now = datetime.now(timezone.utc)
    with session_scope(console.engine) as db:
        ben = db.get(Client, console.seeded.ben_id)
        treatments.add(db, ben, now - timedelta(hours=3), now=now)
        rows = db.execute(select(Treatment.id, Treatment.client_id, Treatment.clinic_id)).all()
    glow = {"clients": {console.seeded.ana_id}, "treatments": {t for t, _, c in rows if c == console.seeded.glow_id}}
    lumen = {"clients": {console.seeded.ben_id}, "treatments": {t for t, _, c in rows if c == console.seeded.lumen_id}}
    return glow, lumen


def test_staff_get_404_for_every_url_of_another_clinics_clients_and_treatments(console, ids):
    glow_ids, lumen_ids = ids
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    token = browser.token("/clients")
    top = max(lumen_ids["clients"] | glow_ids["clients"] | lumen_ids["treatments"] | glow_ids["treatments"]) + 3
    before, audited = snapshot(console.engine), audit_count(console.engine)
    probed = 0
    for client in range(0, top):
        for treatment in range(0, top):
            own = client in glow_ids["clients"] and treatment in glow_ids["treatments"]
            if own:
                continue
            for path in CLIENT_POSTS:
                if "{treatment}" not in path and client in glow_ids["clients"]:
                    continue  # the client's own URL, tested elsewhere
                url = path.format(client=client, treatment=treatment)
                form = {"csrf_token": token, "at": "2026-11-18T14:30", "status": "done", "area": "face"}
                response = browser.post(url, data=form)
                assert response.status_code == 404, url
                assert "Ben Okafor" not in response.text
                probed += 1
        if client not in glow_ids["clients"]:
            response = browser.get(f"/clients/{client}")
            assert response.status_code == 404 and "Ben Okafor" not in response.text
    assert probed > 50
    assert snapshot(console.engine) == before  # nothing changed, nothing texted
    assert audit_count(console.engine) == audited  # nothing was seen, so nothing to record

    # And each lumen row is really there: lumen's staff reach it.
    lumen = console.client()
    lumen.sign_in(console.seeded.lumen_staff)
    (ben,) = lumen_ids["clients"]
    assert lumen.get(f"/clients/{ben}").status_code == 200
    (treatment,) = lumen_ids["treatments"]
    assert lumen.submit(f"/clients/{ben}/treatments/{treatment}/cancel", page=f"/clients/{ben}").status_code == 303


def test_a_clients_treatment_is_reached_only_through_that_client(console, ids):
    """A treatment id of the clinic under another client of the same clinic is 404 too."""
    from bot.services import clients
    from bot.store import queries

    with session_scope(console.engine) as db:
        cy = clients.add(db, queries.clinic_by_slug(db, "glow"), "Cy Ng", "+12125550125").id
    (ana_treatment,) = ids[0]["treatments"]
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    before = snapshot(console.engine)
    response = browser.submit(f"/clients/{cy}/treatments/{ana_treatment}/cancel", page=f"/clients/{cy}")
    assert response.status_code == 404
    assert snapshot(console.engine) == before


def test_the_client_list_and_search_never_show_another_clinics_client(console):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    for query in ("", "Ben", "Okafor", "07911 123456", "+447911123456", "4479"):
        page = browser.get("/clients", params={"q": query})
        assert page.status_code == 200 and "Ben Okafor" not in page.text, query


@pytest.mark.parametrize("path", POSTS)
def test_a_post_without_the_csrf_token_gets_403_and_changes_nothing(console, ids, path):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    (treatment,) = ids[0]["treatments"]
    url = path.format(client=console.seeded.ana_id, treatment=treatment)
    before = snapshot(console.engine)
    form = {"name": "Eve Stone", "phone": "2125550127", "at": "2026-11-18T14:30", "status": "done"}
    response = browser.post(url, data=form, files={"file": ("a.csv", b"name,phone\n", "text/csv")})
    assert response.status_code == 403
    assert browser.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    assert snapshot(console.engine) == before


def test_an_operator_works_in_the_clinic_they_chose(console):
    browser = console.client()
    browser.sign_in(console.seeded.operator)
    for path in ("/clients", "/clients/new", "/import", f"/clients/{console.seeded.ana_id}"):
        response = browser.get(path)
        assert response.status_code == 303 and response.headers["Location"] == "/clinics", path
    browser.submit("/clinics", {"clinic": "lumen"})
    assert "Ben Okafor" in browser.get("/clients").text
    assert browser.get(f"/clients/{console.seeded.ana_id}").status_code == 404
    added = browser.submit("/clients/new", {"name": "Di Evans", "phone": "07911 123457"})
    assert added.status_code == 303
    with session_scope(console.engine) as db:
        di = db.scalar(select(Client).where(Client.name == "Di Evans"))
        assert (di.clinic_id, di.phone) == (console.seeded.lumen_id, "+447911123457")  # read as a UK number
        entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.clinic_id, entry.client_id) == (console.seeded.lumen_id, di.id)


def test_the_pages_have_no_inline_script_or_style(console):
    browser = console.client()
    browser.sign_in(console.seeded.glow_staff)
    pages = [browser.get(p).text for p in ("/clients", "/clients/new", "/import", f"/clients/{console.seeded.ana_id}")]
    pages.append(browser.submit("/clients/new", {"name": "", "phone": "x"}).text)
    for html in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
        assert "<style" not in html and " style=" not in html and " on" + "click=" not in html
