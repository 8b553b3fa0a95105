"""Sign-in, sign-out and the set-password page."""

from __future__ import annotations

import math

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot.console import scope
from bot.console.paths import SET_PASSWORD_PATH
from bot.console.view import console_of, local_path, now_of, redirect, render, view
from bot.services import signin
from bot.services import staff as accounts
from bot.services.passwords import MIN_LENGTH, WeakPassword

bp = Blueprint("auth")

REFUSED = "Wrong email or password."
THROTTLED = "Too many sign-in attempts from here. Wait a minute, then try again."
NOTICES = {
    "signed_out": "You have signed out.",
    "ended": "Your session ended after a while without use. Sign in again to continue.",
    "password_set": "Your password is set. Sign in with it now.",
}


def _locked(minutes: int) -> str:
    # Said for any email, with or without an account, so it reveals none.
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "This account is locked after too many failed sign-ins. "
        f"Try again in {minutes} {unit}, or ask your clinic's owner for a new set-password link."
    )


@bp.get("/sign-in", name="sign_in")
@view(public=True)
def sign_in_form(request: Request, db: Session) -> HTTPResponse:
    target = local_path(request.args.get("next"))
    if getattr(request.ctx, "staff", None) is not None:
        return redirect(target)
    notice = next((text for key, text in NOTICES.items() if request.args.get(key)), None)
    return render(request, "sign_in.html", next=target, email="", error=None, notice=notice)


@bp.post("/sign-in", name="sign_in_submit")
@view(public=True)
def sign_in_submit(request: Request, db: Session) -> HTTPResponse:
    console = console_of(request)
    email = (request.form.get("email") or "").strip()
    password = request.form.get("password") or ""
    target = local_path(request.form.get("next"))

    def again(status: int, error: str) -> HTTPResponse:
        return render(request, "sign_in.html", status=status, next=target, email=email, error=error, notice=None)

    if not console.throttle.allow(request.remote_addr or request.ip, email):
        return again(429, THROTTLED)
    attempt = signin.sign_in(db, email, password, now_of(request), console.policy)
    if attempt.outcome is signin.Outcome.locked:
        assert attempt.locked_until is not None
        minutes = max(1, math.ceil((attempt.locked_until - now_of(request)).total_seconds() / 60))
        return again(423, _locked(minutes))
    if attempt.outcome is signin.Outcome.refused:
        return again(401, REFUSED)
    previous = getattr(request.ctx, "session", None)
    if previous is not None:  # signing in again, perhaps as someone else: one session a browser
        signin.sign_out(db, previous, now_of(request))
    response = redirect(target)
    assert attempt.token is not None
    console.cookies.set(response, console.cookies.session, attempt.token)
    console.cookies.clear(response, console.cookies.pre_session)
    return response


@bp.post("/sign-out", name="sign_out")
@view()
def sign_out(request: Request, db: Session) -> HTTPResponse:
    console = console_of(request)
    signin.sign_out(db, scope.current_session(request), now_of(request))
    request.ctx.session = request.ctx.staff = None
    response = redirect(request.app.url_for("auth.sign_in", signed_out=1))
    console.cookies.clear(response, console.cookies.session)
    return response


@bp.get(SET_PASSWORD_PATH, name="set_password")
@view(public=True)
def set_password_form(request: Request, db: Session) -> HTTPResponse:
    token = request.args.get("token") or ""
    try:
        account = accounts.staff_for_link(db, token, now_of(request))
    except accounts.InvalidLink as refused:
        return render(
            request,
            "set_password.html",
            status=400,
            link_error=str(refused),
            token="",
            email="",
            error=None,
            min_length=MIN_LENGTH,
        )
    return render(
        request,
        "set_password.html",
        link_error=None,
        token=token,
        email=account.email,
        error=None,
        min_length=MIN_LENGTH,
    )


@bp.post(SET_PASSWORD_PATH, name="set_password_submit")
@view(public=True)
def set_password_submit(request: Request, db: Session) -> HTTPResponse:
    token = request.form.get("token") or ""
    password = request.form.get("password") or ""
    try:
        account = accounts.staff_for_link(db, token, now_of(request))
    except accounts.InvalidLink as refused:
        return render(
            request,
            "set_password.html",
            status=400,
            link_error=str(refused),
            token="",
            email="",
            error=None,
            min_length=MIN_LENGTH,
        )

    def again(error: str) -> HTTPResponse:
        return render(
            request,
            "set_password.html",
            status=400,
            link_error=None,
            token=token,
            email=account.email,
            error=error,
            min_length=MIN_LENGTH,
        )

    if password != (request.form.get("confirm") or ""):
        return again("The two passwords are not the same.")
    try:
        accounts.set_password(db, token, password, now_of(request))
    except WeakPassword as weak:
        return again(str(weak))
    return redirect(request.app.url_for("auth.sign_in", password_set=1))
