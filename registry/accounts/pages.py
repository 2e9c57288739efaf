"""Sign in and out, and personal API tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from registry.accounts.access import PLANNER, VOLUNTEER
from registry.accounts.service import authenticate, create_token, revoke_token, tokens_of
from registry.auth import (
    client,
    page_account,
    remember_device,
    sign_in_session,
    sign_out_session,
    throttle,
    trusted_device,
    unwritten_failures,
)
from registry.db import db
from registry.errors import AuthenticationError, TooManyRequestsError, ValidationError
from registry.local_paths import local_path
from registry.message_text import error_text

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: the requested page when it is one of ours, else the
    account's own work."""
    path = local_path(target)
    if path is not None:
        return path
    return landing_page(current_user.role if current_user.is_authenticated else None)


def landing_page(role: str | None) -> str:
    """Where each role's work is: planners on coverage, volunteers on their survey list,
    officials and administrators on their area."""
    if role == PLANNER:
        return url_for("planner.coverage_page")
    if role == VOLUNTEER:
        return url_for("survey.entries")  # volunteers keep no sites: their work is the survey
    return url_for("official.my_area")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page; throttled per account and per client after repeated failures."""
    error, status, headers = None, 200, {}
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            user = authenticate(
                db.session,
                username,
                request.form.get("password", ""),
                client(),
                throttle(),
                device=trusted_device(username),
                unwritten=unwritten_failures(),
            )
        except (AuthenticationError, TooManyRequestsError) as exc:
            db.session.commit()  # keep the recorded failure
            too_many = isinstance(exc, TooManyRequestsError)
            error = (
                _("Too many failed sign-ins. Wait a few minutes and try again.")
                if too_many
                else _("Wrong user name or password, or the account is disabled.")
            )
            status = exc.status_code
            if "retry_after" in exc.details:
                headers["Retry-After"] = str(exc.details["retry_after"])
        else:
            # A fresh session (no fixation), in the cookie only: signing in writes nothing,
            # so it never waits for another writer, such as an import's final write.
            sign_in_session(user)
            target = _safe_next(request.form.get("next"))
            return remember_device(redirect(target), user.username)
    return (
        render_template("accounts/login.html", error=error, next=request.values.get("next", "")),
        status,
        headers,
    )


@bp.post("/logout")
def logout():
    """Sign out (a POST with a CSRF token, so no page can sign a person out)."""
    sign_out_session()
    db.session.commit()
    return redirect(url_for("public.index"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """Personal API tokens: create (the secret is shown once), list, revoke."""
    user = page_account()
    secret, error = None, None
    if request.method == "POST":
        try:
            _token, secret = create_token(db.session, user, request.form.get("name", ""))
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            error = error_text(exc)
    return render_template(
        "accounts/tokens.html", tokens=tokens_of(db.session, user), secret=secret, error=error
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    """Revoke one of one's own tokens; it stops working at once."""
    revoke_token(db.session, page_account(), token_id)
    db.session.commit()
    flash(_("Token revoked."))
    return redirect(url_for("auth.tokens"))
