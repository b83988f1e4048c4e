"""Paying for an order: start (demo or Stripe Checkout), the page Stripe sends the buyer back to,
and Stripe's webhook (the only route exempt from CSRF: it is authenticated by its signature)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from shop.extensions import csrf, db, limiter
from shop.orders.services import expire_if_due, get_buyer_order
from shop.payments import stripe_gateway as gateway
from shop.payments.providers import get_provider, stripe_enabled
from shop.payments.refunds import send_refund
from shop.payments.stripe_checkout import PaymentUnavailable, confirm_return
from shop.payments.webhooks import is_well_formed, process_event

bp = Blueprint("payments", __name__)


def _buyer_order(number: str):
    return get_buyer_order(current_user.id, number) or abort(404)


def _payable_order(number: str):
    order = _buyer_order(number)
    if expire_if_due(order):
        db.session.commit()
    if order.status != "pending_payment":
        flash(_("This order is not awaiting payment."), "warning")
        return order, redirect(url_for("orders.detail", number=number))
    return order, None


@bp.route("/pay/<number>", methods=["GET", "POST"])
@limiter.limit("20 per minute")  # each visit may ask Stripe for a session
@login_required
def start(number: str):
    order, done = _payable_order(number)
    if done:
        return done
    try:
        return redirect(get_provider().start(order))
    except PaymentUnavailable as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("orders.detail", number=number))


@bp.get("/pay/<number>/return")
@login_required
def stripe_return(number: str):
    if not stripe_enabled():
        abort(404)
    order = _buyer_order(number)
    state, refund = confirm_return(order, request.args.get("session_id", "")[:120] or None)
    if refund is not None:
        send_refund(refund)
    order = get_buyer_order(current_user.id, number)
    return render_template("payments/return.html", order=order, state=state,
                           cancelled=request.args.get("cancelled") == "1")


@bp.post("/payments/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    if not stripe_enabled():
        abort(404)
    try:
        event = gateway.verify_event(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except gateway.BadSignature:
        return {"error": "invalid signature"}, 400
    if not is_well_formed(event):
        return {"error": "not an event we can read"}, 400
    return {"received": True, "outcome": process_event(event)}, 200


@bp.route("/pay/<number>/demo", methods=["GET", "POST"])
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
        if not provider.complete_demo(order):  # cancelled or expired since the page was read
            db.session.rollback()
            flash(_("This order is not awaiting payment."), "warning")
            return redirect(url_for("orders.detail", number=number))
        db.session.commit()
        flash(_("Payment received (demonstration). Thank you!"), "success")
        return redirect(url_for("orders.detail", number=number))
    return render_template("payments/demo.html", order=order, form=form)
