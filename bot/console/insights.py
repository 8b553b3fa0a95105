"""The Insights page (a clinic's figures, for its owner) and the review queue (staff say
what a message the assistant was unsure of really asked).

Both read through the services (bot/services/insights.py, reviews.py) and show only the
request's clinic: a message of another clinic is 404. Staff see the texts of the queue,
as they may open every conversation of their clinic anyway; the Insights page, which
quotes the messages not understood, is for owners (and operators). Opening either page
and every verdict is audited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from markupsafe import Markup
from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot.console import scope
from bot.console.view import Redirect, now_of, render, render_error, view
from bot.insights import charts
from bot.insights.figures import PERIODS, Figures, ReviewReason, topic_label
from bot.services import insights, reviews
from bot.store import errors
from bot.store.staff_models import AuditAction, StaffRole

bp = Blueprint("insights")

ROLES = (StaffRole.owner.value, StaffRole.operator.value)
NOT_A_QUESTION = "-"
REASONS = {
    ReviewReason.clarified: "The assistant asked what was meant",
    ReviewReason.unsure: "Answered, but unsure",
    ReviewReason.staff: "A person handled it",
}


def _percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _minutes(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:g} min"


def _charts(figures: Figures) -> dict[str, Markup]:
    f, u = figures, figures.followups
    return {
        "alone": Markup(
            charts.bars(
                "chart-alone",
                "Client messages answered by the assistant alone",
                f"{f.answered_alone} of {f.client_messages} client messages ({_percent(f.answered_alone_share)}) "
                "were answered with no staff reply, escalation or unresolved clarification.",
                [
                    ("Answered alone", f.answered_alone),
                    ("Needed a person or more", f.client_messages - f.answered_alone),
                ],
            )
        ),
        "escalations": Markup(
            charts.bars(
                "chart-escalations",
                "Escalations by kind",
                "; ".join(f"{e.label}: {e.count}" for e in f.escalations),
                [(e.label, e.count) for e in f.escalations],
            )
        ),
        "followups": Markup(
            charts.bars(
                "chart-followups",
                "Follow-ups",
                f"{u.sent} sent, {u.delivered} delivered, {u.failed} failed, {u.replied} replied to.",
                [("Sent", u.sent), ("Delivered", u.delivered), ("Failed", u.failed), ("Replied to", u.replied)],
            )
        ),
        "topics": Markup(
            charts.heat_map(
                "chart-topics",
                "Questions by topic and recovery day",
                "Most asked: "
                + (", ".join(f"{t.label} ({t.total})" for t in f.topics[:5]) or "no questions in this period")
                + ". The table below has every number.",
                f.topics,
            )
        ),
    }


def _days(request: Request) -> int:
    try:
        days = int(request.args.get("days", "30"))
    except ValueError:
        return 30
    return days if days in PERIODS else 30


def _until(request: Request) -> Optional[date]:
    """A past period's last day (?until=YYYY-MM-DD); None for today."""
    try:
        return date.fromisoformat(request.args.get("until", ""))
    except ValueError:
        return None


@bp.get("/insights", name="page")
@view()
def page(request: Request, db: Session) -> HTTPResponse:
    staff = scope.current_staff(request)
    if staff.role.value not in ROLES:
        return render_error(request, 403, "Not allowed", "The Insights page is for the clinic's owner.")
    clinic = scope.current_clinic(request)
    days, until = _days(request), _until(request)
    figures = insights.figures(db, clinic, days, now_of(request), until)
    scope.audit(request, AuditAction.insights_viewed)
    return render(
        request,
        "insights.html",
        figures=figures,
        periods=PERIODS,
        until=until.isoformat() if until else "",
        charts=_charts(figures),
        percent=_percent,
        minutes=_minutes,
        day_range=range(len(figures.topics[0].by_day)) if figures.topics else range(15),
    )


def _local(moment: datetime, request: Request) -> str:
    return moment.astimezone(scope.current_clinic(request).tz).strftime("%b %-d, %-I:%M %p")


@bp.get("/review", name="review")
@view()
def review(request: Request, db: Session) -> HTTPResponse:
    clinic = scope.current_clinic(request)
    items = reviews.queue(db, clinic, now_of(request))
    scope.audit(request, AuditAction.review_queue_opened)
    rows = [
        {
            "id": item.message.id,
            "conversation_id": item.message.conversation_id,
            "text": item.message.body,
            "at": _local(item.message.at, request),
            "intent": item.message.intent,
            "topic": topic_label(item.message.intent) if item.message.intent else None,
            "confidence": item.message.confidence,
            "reason": REASONS[item.reason],
            "offered": item.message.intent in reviews.intents(),
        }
        for item in items
    ]
    done = [
        {
            "text": verdict.message.body,
            "intent": verdict.intent,
            "by": verdict.reviewed_by.display_name if verdict.reviewed_by else "a former account",
            "at": _local(verdict.reviewed_at, request),
        }
        for verdict in reviews.recent(db, clinic)
    ]
    return render(
        request,
        "review.html",
        rows=rows,
        done=done,
        intents=reviews.intents(),
        not_a_question=NOT_A_QUESTION,
        saved=request.args.get("saved") == "1",
    )


@bp.post("/review/<message_id:int>", name="verdict")
@view()
def verdict(request: Request, db: Session, message_id: int) -> HTTPResponse:
    clinic = scope.current_clinic(request)
    chosen = (request.form.get("intent") or "").strip()
    if not chosen:
        raise Redirect(request.app.url_for("insights.review"))
    try:
        kept = reviews.review(
            db,
            clinic,
            message_id,
            None if chosen == NOT_A_QUESTION else chosen,
            scope.current_staff(request),
            now_of(request),
        )
    except errors.NotFound:
        raise NotFound("Not found.") from None
    except errors.InvalidValue:
        return render_error(request, 400, "Not a topic", "Choose one of the topics offered, or “Not a question”.")
    scope.audit(request, AuditAction.message_reviewed, client_id=kept.message.client_id)
    raise Redirect(request.app.url_for("insights.review") + "?saved=1")
