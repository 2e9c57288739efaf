"""Administrators manage the accounts of their own area."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from importers.messages import Rule
from registry.accounts.access import ROLES, area_name, require_user_manager
from registry.accounts.service import create_user, set_active
from registry.auth import page_account
from registry.db import db
from registry.errors import ForbiddenError, NotFoundError, ValidationError
from registry.i18n import current_language
from registry.message_text import error_text
from registry.models import User

bp = Blueprint("admin", __name__, url_prefix="/admin")
NO_ACCOUNT = Rule("account.none", "there is no account with id %(id)s")
OWN_ACCOUNT = Rule("account.own", "you cannot disable your own account")


@bp.before_request
@login_required
def _signed_in():
    """Every administrator page needs a signed-in account."""


def _users_of(admin: User) -> list[User]:
    query = select(User).order_by(User.area_code, User.username)
    if admin.area_code is not None:
        query = query.where(User.area_code.startswith(admin.area_code, autoescape=True))
    return list(db.session.scalars(query))


def _page(error: str | None = None, status: int = 200, confirm: User | None = None):
    admin = page_account()
    require_user_manager(db.session, admin, "planner", admin.area_code)
    # Least powerful first, so the form starts on the role that can do least (ROLES lists
    # the most powerful first); a choice already made stays chosen when the form comes back.
    assignable = [r for r in reversed(ROLES.values()) if r.rank <= ROLES[admin.role].rank]
    return render_template(
        "accounts/users.html",
        users=_users_of(admin),
        roles=ROLES,
        assignable=assignable,
        admin=admin,
        area=area_name(db.session, admin.area_code, current_language()),
        error=error,
        form=request.form,
        confirm=confirm,
    ), status


@bp.get("/users")
def users():
    """Accounts of my area, and a form to add one."""
    return _page()


@bp.post("/users")
def add_user():
    """Create an account of my rank or lower inside my area."""
    admin = page_account()
    role = request.form.get("role", "")
    area_code = (request.form.get("area_code") or "").strip().upper() or None
    if area_code and not area_code.startswith("TH"):
        area_code = "TH" + area_code
    require_user_manager(db.session, admin, role, area_code)
    try:
        user = create_user(
            db.session,
            username=request.form.get("username", ""),
            password=request.form.get("password", ""),
            role=role,
            area_code=area_code,
            display_name=request.form.get("display_name"),
            created_by=admin.username,
        )
    except ValidationError as error:
        db.session.rollback()
        return _page(error_text(error), 400)
    db.session.commit()
    flash(_("Account %(name)s created.", name=user.username))
    return redirect(url_for(".users"), 303)


@bp.post("/users/<int:user_id>/active")
def set_user_active(user_id: int):
    """Disable an account (its sessions and API tokens stop at once) or enable it again."""
    admin = page_account()
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError(NO_ACCOUNT(id=user_id))
    require_user_manager(db.session, admin, user.role, user.area_code)
    if user.id == admin.id:
        raise ForbiddenError(OWN_ACCOUNT())
    active = request.form.get("active") == "1"
    if not active and user.active and request.form.get("confirmed") != "1":
        return _page(confirm=user)  # disabling stops the person's work: ask first
    set_active(db.session, user, active, by=admin.username)
    db.session.commit()
    flash(_("Account %(name)s updated.", name=user.username))
    return redirect(url_for(".users"), 303)
