"""Back office, for admins only: users (find them, invite staff, change roles, disable or enable a login)
and a read-only view of the operating settings (routes on the staff blueprint). Every change is audited."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from shop.accounts import services as svc
from shop.accounts.forms import StaffInviteForm, UserRoleForm, UserSearchForm
from shop.accounts.models import User
from shop.extensions import db
from shop.money import format_fen
from shop.staff.views import admin_required, bp
from shop.web import first_error, page_arg, search_args

ID = "int(max=2147483647)"


def _page(invite: StaffInviteForm | None = None, code: int = 200):
    form = UserSearchForm(request.args)
    found = svc.list_users(form.q.data or "", form.role.data or "", page_arg(),
                           current_app.config["PER_PAGE"] * 2) if form.validate() else None
    args = search_args(form)
    return render_template("staff/users.html", form=form, users=found, args=args, action=FlaskForm(),
                           invite=invite or StaffInviteForm(formdata=None)), code


@bp.get("/users")
@admin_required
def users():
    return _page()


@bp.post("/users/invite")
@admin_required
def users_invite():
    form = StaffInviteForm()
    if not form.validate_on_submit():
        flash(first_error(form) or _("Please check the form."), "error")
        return _page(form, 400)
    try:
        user = svc.invite_staff(form.email.data, form.display_name.data, current_user.id)
        db.session.commit()
    except svc.EmailTaken:
        db.session.rollback()
        flash(_("An account with this e-mail already exists: change its roles in the list instead."), "error")
        return _page(form, 400)
    sent = svc.send_staff_invitation(user)
    flash(_("%(email)s is invited as staff.", email=user.email)
          + ("" if sent else " " + _("The invitation mail could not be sent; ask them to use “Forgot password”.")),
          "success" if sent else "warning")
    return redirect(url_for("staff.users"))


def _change(user_id: int, change) -> tuple[bool, str]:
    """Apply one change to a user in one transaction; return whether it changed and the error, if any."""
    user = db.session.get(User, user_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        return False, _("The form expired. Please go back, reload the page and try again.")
    try:
        changed = change(user)
        db.session.commit()
    except svc.RoleError as error:
        db.session.rollback()
        return False, str(error)
    return changed, ""


def _said(changed: bool, error: str, done: str):
    if error:
        flash(error, "error")
    else:
        flash(done if changed else _("Nothing changed."), "success" if changed else "warning")
    return redirect(url_for("staff.users"))


@bp.post(f"/users/<{ID}:user_id>/roles")
@admin_required
def user_roles(user_id: int):
    form = UserRoleForm()
    entering = []  # the account, if it enters the back office: it is sent the invitation

    def change(user) -> bool:
        was_in = user.can_staff
        changed = svc.change_roles(user, form.is_staff.data, form.is_admin.data, current_user.id)
        if changed and not was_in and user.can_staff:
            entering.append(user)
        return changed

    changed, error = _change(user_id, change)
    done = _("The roles are saved.")
    if entering and not error:
        sent = svc.send_staff_invitation(entering[0])
        done += " " + (_("%(email)s was mailed a link to choose a password for the back office.",
                         email=entering[0].email) if sent else
                       _("The invitation mail could not be sent; ask them to use “Forgot password”."))
    return _said(changed, error, done)


@bp.post(f"/users/<{ID}:user_id>/disable")
@admin_required
def user_disable(user_id: int):
    changed, error = _change(user_id, lambda u: svc.set_login_enabled(u, False, current_user.id))
    return _said(changed, error, _("The login is disabled and its sessions are ended."))


@bp.post(f"/users/<{ID}:user_id>/enable")
@admin_required
def user_enable(user_id: int):
    changed, error = _change(user_id, lambda u: svc.set_login_enabled(u, True, current_user.id))
    return _said(changed, error, _("The login is enabled again."))


def operating_settings() -> list[tuple[str, str]]:
    """The settings the shop runs with, in words; a secret is only ever said to be configured or missing."""
    cfg = current_app.config
    configured = lambda name: _("configured") if cfg.get(name) else _("missing")  # noqa: E731
    if cfg.get("MAIL_BACKEND") == "console" or not cfg.get("MAIL_SERVER"):
        mail = _("console: mails are only logged, never sent")
    else:
        mail = _("SMTP, %(server)s:%(port)s", server=cfg["MAIL_SERVER"], port=cfg["MAIL_PORT"])
    return [
        (_("Refund window"), _("%(n)d days", n=cfg["REFUND_WINDOW_DAYS"])),
        (_("Minimum payout"), format_fen(cfg["PAYOUT_MINIMUM_FEN"])),
        (_("Payout schedule"), _("none in the shop: payouts run when staff click “Run payouts now”, or from cron "
                                 "with flask --app shop payouts run")),
        (_("Unpaid orders expire after"), _("%(n)d minutes", n=cfg["ORDER_EXPIRY_MINUTES"])),
        (_("Parcels count as delivered after"), _("%(n)d days", n=cfg["AUTO_DELIVER_DAYS"])),
        (_("Mail"), mail),
        (_("Stripe secret key"), configured("STRIPE_SECRET_KEY")),
        (_("Stripe webhook secret"), configured("STRIPE_WEBHOOK_SECRET")),
        (_("Default language"), cfg["BABEL_DEFAULT_LOCALE"]),
        (_("Time zone"), cfg["BABEL_DEFAULT_TIMEZONE"]),
    ]


@bp.get("/settings")
@admin_required
def settings():
    return render_template("staff/settings.html", settings=operating_settings())
