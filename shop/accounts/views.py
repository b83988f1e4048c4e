"""Buyer accounts: register, log in and out, reset a forgotten password, profile and addresses."""
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from shop.accounts.forms import (AccountDeleteForm, AddressEditForm, PasswordChangeForm, PasswordForgotForm, PasswordResetForm,
                                 ProfileEditForm, UserLoginForm, UserRegisterForm)
from shop.accounts.services import (MAX_ADDRESSES, AddressLimitReached, DeletionRefused, EmailTaken, add_address,
                                    authenticate, change_password, delete_account, delete_address, end_sessions, get_address,
                                    get_user_for_reset_token, list_addresses, register_user, request_password_reset,
                                    set_new_password, update_address, update_profile)
from shop.extensions import db, limiter
from shop.i18n import lang
from shop.web import safe_next

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _sign_in(user) -> None:
    """Log the user in and move this session's guest cart into theirs; the caller commits. The session gets a
    new CSRF secret: one planted in the browser before (session fixation) makes no token the account accepts."""
    from shop.cart.services import merge_guest_cart  # cart depends on accounts, not the other way

    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)
    login_user(user)
    merge_guest_cart(user)


def _next_param() -> str | None:
    """Return the request's `next` if it is a local path, else None."""
    return safe_next(request.args.get("next"), "") or None


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(_next_param() or url_for("main.home"))
    form = UserRegisterForm()
    if form.validate_on_submit():
        try:
            user = register_user(form.email.data, form.display_name.data, form.password.data, locale=lang())
        except (EmailTaken, IntegrityError):  # IntegrityError: a concurrent registration won the race
            db.session.rollback()
            form.email.errors.append(_("An account with this email already exists. Log in, or reset the password."))
        else:
            _sign_in(user)
            db.session.commit()
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
            return redirect(_next_param() or url_for("main.home"))
    return render_template("accounts/register.html", form=form, next=_next_param())


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_next_param() or url_for("main.home"))
    form = UserLoginForm()
    failed = False
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            _sign_in(user)
            db.session.commit()
            return redirect(_next_param() or url_for("main.home"))
        failed = True
    return render_template("accounts/login.html", form=form, failed=failed, next=_next_param())


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        end_sessions(current_user._get_current_object())  # a copied cookie must not open the account afterwards
        db.session.commit()
    logout_user()
    # Nothing the account left behind (a manager's last lot) stays in this browser: only the language, and
    # Flask-Login's note to clear a remember cookie.
    kept = {key: session[key] for key in ("lang", "_remember") if key in session}
    session.clear()
    session.update(kept)
    flash(_("You are logged out."), "success")
    return redirect(url_for("main.home"))


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    user = current_user._get_current_object()
    end_sessions(user)
    db.session.commit()
    login_user(user)  # this browser carries the new session version; every other one is out
    flash(_("You are signed out on every other phone and computer."), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot_password():
    form = PasswordForgotForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        # The same answer whether or not the account exists.
        flash(_("If an account exists for that email, we have sent it a link to choose a new password. "
                "The link works for one hour."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = get_user_for_reset_token(token)
    if user is None:
        return render_template("accounts/reset_invalid.html"), 400
    form = PasswordResetForm()
    if form.validate_on_submit():
        set_new_password(user, form.password.data)
        _sign_in(user)
        db.session.commit()
        flash(_("Your new password is saved and you are logged in."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/reset_password.html", form=form, token=token)


@bp.route("", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileEditForm(obj=current_user)
    if form.validate_on_submit():
        update_profile(current_user, form.display_name.data, form.locale.data)
        db.session.commit()
        session["lang"] = form.locale.data  # the language switch wins over the account: keep them in step
        refresh()
        flash(_("Your details are saved."), "success")
        return redirect(url_for("accounts.profile"))
    if not form.is_submitted():
        form.locale.data = current_user.locale or lang()
    return render_template("accounts/profile.html", form=form, addresses=list_addresses(current_user.id),
                           max_addresses=MAX_ADDRESSES)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if change_password(current_user, form.current_password.data, form.password.data):
            db.session.commit()
            login_user(current_user._get_current_object())  # every other session ends; this one stays in
            flash(_("Your password is changed."), "success")
            return redirect(url_for("accounts.profile"))
        form.current_password.errors.append(_("That is not your current password."))
    return render_template("accounts/password.html", form=form)


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])
def delete():
    form = AccountDeleteForm()
    refused = None
    if form.validate_on_submit():
        try:
            deleted = delete_account(current_user.id, form.current_password.data)
        except DeletionRefused as error:
            db.session.rollback()
            refused = error
        else:
            if deleted:
                db.session.commit()
                logout_user()
                flash(_("Your account is deleted. Thank you for buying from the villages."), "success")
                return redirect(url_for("main.home"))
            db.session.rollback()
            form.current_password.errors.append(_("That is not your password."))
    return render_template("accounts/delete.html", form=form, refused=refused), \
        400 if (form.errors or refused) else 200


@bp.route("/addresses/new", methods=["GET", "POST"])
@login_required
def address_new():
    form = AddressEditForm()
    full = False
    if form.validate_on_submit():
        try:
            add_address(current_user.id, **form.address_data())
            db.session.commit()
        except AddressLimitReached:
            db.session.rollback()
            full = True
        else:
            flash(_("The address is saved."), "success")
            return redirect(_next_param() or url_for("accounts.profile"))
    return render_template("accounts/address_form.html", form=form, address=None, full=full,
                           max_addresses=MAX_ADDRESSES, next=_next_param())


@bp.route("/addresses/<int(max=2147483647):address_id>/edit", methods=["GET", "POST"])
@login_required
def address_edit(address_id: int):
    address = get_address(current_user.id, address_id) or abort(404)
    form = AddressEditForm(obj=address)
    if form.validate_on_submit():
        update_address(address, **form.address_data())
        db.session.commit()
        flash(_("The address is saved."), "success")
        return redirect(_next_param() or url_for("accounts.profile"))
    return render_template("accounts/address_form.html", form=form, address=address, full=False,
                           max_addresses=MAX_ADDRESSES, next=_next_param())


@bp.post("/addresses/<int(max=2147483647):address_id>/delete")
@login_required
def address_delete(address_id: int):
    address = get_address(current_user.id, address_id) or abort(404)
    delete_address(address)
    db.session.commit()
    flash(_("The address is deleted."), "success")
    return redirect(url_for("accounts.profile"))
