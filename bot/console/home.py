"""The signed-in home page: the clinic's inbox (its list of conversations comes later)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot.console import scope
from bot.console.view import render, view

bp = Blueprint("home")


@bp.get("/", name="inbox")
@view()
def inbox(request: Request, db: Session) -> HTTPResponse:
    scope.current_clinic(request)  # an operator who has not chosen a clinic is sent to choose
    return render(request, "home.html")
