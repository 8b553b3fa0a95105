"""The Insights page and the review queue over HTTP: the scripted month's figures exactly,
who may see what, verdicts kept with who and when, and audited."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from bot.store.db import session_scope
from bot.store.review_models import MessageReview
from bot.store.staff_models import AuditAction, AuditEntry
from tests.insights.month import expected, running_month_console


def cells(html: str, table_id: str) -> dict[str, list[str]]:
    """{row header: [cells]} of the table `table_id`."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert table, table_id
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S):
        header = re.search(r"<th[^>]*>(.*?)</th>", row, re.S)
        values = [unescape(re.sub("<[^>]+>", "", v)).strip() for v in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if header and values:
            rows[unescape(header.group(1)).strip()] = values
    return rows


@pytest.fixture
def month_console(tmp_path):
    with running_month_console(tmp_path) as running:
        yield running


def signed_in(console, email):
    client = console.client()
    assert client.sign_in(email).status_code == 303
    return client


def test_the_page_shows_exactly_the_figures_counted_from_the_script(month_console):
    want = expected()
    page = signed_in(month_console, "olivia@glow.example").get("/insights?days=30&until=2026-03-31")
    assert page.status_code == 200
    html = page.text
    assert "Mar 2 to Mar 31, 2026" in html
    summary = cells(html, "summary")
    share = f"{want['answered_alone_share'] * 100:.1f}%"
    assert summary["Conversations"] == [str(want["conversations"])]
    assert summary["Client messages"] == [str(want["client_messages"])]
    assert summary["Answered alone"] == [f"{want['answered_alone']} ({share})"]
    assert summary["Clarifications"] == [f"{want['clarified']} ({want['clarification_rate'] * 100:.1f}%)"]
    assert summary["Opt-outs"] == [str(want["opt_outs"])]
    escalations = cells(html, "escalations")
    for row in want["escalations"]:
        median = row["median_minutes_to_handled"]
        assert escalations[row["label"]] == [
            str(row["count"]),
            str(row["handled"]),
            "–" if median is None else f"{median:g} min",
        ]
    assert escalations["All"][0] == str(want["escalations_total"])
    assert escalations["All"][2] == f"{want['median_minutes_to_handled']:g} min"
    followups = cells(html, "followups")
    f = want["followups"]
    assert [followups[k][0] for k in ("Sent", "Delivered", "Failed")] == [
        str(f["sent"]),
        str(f["delivered"]),
        str(f["failed"]),
    ]
    assert followups["Replied to within a day"] == [f"{f['replied']} ({f['reply_share'] * 100:.1f}%)"]
    topics = cells(html, "topics")
    assert list(topics) == [row["label"] for row in want["topics"]]
    for row in want["topics"]:
        assert topics[row["label"]] == [str(n) for n in row["by_day"]] + [str(row["total"])]
    shown = re.findall(r'<table[^>]*id="not-understood".*?</table>', html, re.S)[0]
    pairs = re.findall(r"<tr><td>(.*?)</td><td>(\d+)</td></tr>", shown)
    assert [(unescape(t), int(n)) for t, n in pairs] == [(r["text"], r["count"]) for r in want["not_understood"]]
    assert html.count('role="img"') == 4 and html.count("<title id=") == 4


def test_insights_are_for_owners_and_audited(month_console):
    staff = signed_in(month_console, "sam@glow.example")
    refused = staff.get("/insights")
    assert refused.status_code == 403
    assert "is my face" not in refused.text and "Hmm ok so what now" not in refused.text
    assert 'href="/insights"' not in staff.get("/review").text  # no menu entry either
    owner = signed_in(month_console, "olivia@glow.example")
    assert owner.get("/insights?days=7").status_code == 200
    assert owner.get("/insights?days=abc").status_code == 200  # the default period, not an error
    with session_scope(month_console.engine) as db:
        actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions.count(AuditAction.insights_viewed) == 2


def test_a_verdict_in_one_click_is_kept_with_who_and_when_and_audited(month_console):
    sam = signed_in(month_console, "sam@glow.example")
    queue = sam.get("/review").text
    target = month_console.clarified_ids[0]
    assert f'action="/review/{target}"' in queue
    assert "Hmm ok so what now?" in queue and "(40% sure)" in queue
    answer = sam.submit(f"/review/{target}", {"intent": "ask_results"}, page="/review")
    assert answer.status_code == 303
    with session_scope(month_console.engine) as db:
        verdict = db.scalar(select(MessageReview).where(MessageReview.message_id == target))
        assert verdict.intent == "ask_results" and verdict.reviewed_by.email == "sam@glow.example"
        entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action is AuditAction.message_reviewed and entry.client_id == verdict.message.client_id
    after = sam.get("/review").text
    assert f'action="/review/{target}"' not in after  # out of the queue, into "reviewed lately"
    assert "ask_results" in after and "Sam" in after
    sam.submit(f"/review/{target}", {"intent": "-"}, page="/review")
    with session_scope(month_console.engine) as db:
        assert db.scalar(select(MessageReview.intent).where(MessageReview.message_id == target)) is None


def test_a_verdict_must_name_a_known_intent_and_a_message_of_the_clinic(month_console):
    target = month_console.clarified_ids[0]
    sam = signed_in(month_console, "sam@glow.example")
    bad = sam.submit(f"/review/{target}", {"intent": "ask_anything"}, page="/review")
    assert bad.status_code == 400 and "Choose one of the topics" in bad.text
    lee = signed_in(month_console, "lee@lumen.example")  # another clinic's owner
    assert target and f"/review/{target}" not in lee.get("/review").text
    assert "Hmm ok so what now" not in lee.get("/review").text
    assert lee.submit(f"/review/{target}", {"intent": "ask_results"}, page="/review").status_code == 404
    with session_scope(month_console.engine) as db:
        assert db.scalar(select(MessageReview).where(MessageReview.message_id == target)) is None
