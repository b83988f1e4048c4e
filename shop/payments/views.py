"""Paying for an order."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from shop.extensions import db
from shop.orders.services import expire_if_due, get_buyer_order
from shop.payments.providers import get_provider

bp = Blueprint("payments", __name__, url_prefix="/pay")


def _payable_order(number: str):
    order = get_buyer_order(current_user.id, number) or abort(404)
    if expire_if_due(order):
        db.session.commit()
    if order.status != "pending_payment":
        flash(_("This order is not awaiting payment."), "warning")
        return order, redirect(url_for("orders.detail", number=number))
    return order, None


@bp.route("/<number>", methods=["GET", "POST"])
@login_required
def start(number: str):
    order, done = _payable_order(number)
    return done or redirect(get_provider().start(order))


@bp.route("/<number>/demo", methods=["GET", "POST"])
@login_required
def demo(number: str):
    provider = get_provider()
    if not provider.is_demo:
        abort(404)
    order, done = _payable_order(number)
    if done:
        return done
    form = FlaskForm()
    if form.validate_on_submit():
        provider.complete_demo(order)
        db.session.commit()
        flash(_("Payment received (demonstration). Thank you!"), "success")
        return redirect(url_for("orders.detail", number=number))
    return render_template("payments/demo.html", order=order, form=form)
