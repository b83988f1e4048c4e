"""The buyer's orders: list, detail, cancel while unpaid, confirm receipt."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from shop.extensions import db
from shop.orders.carriers import carrier_name, tracking_url
from shop.orders.services import (cancel_order, confirm_receipt, expire_if_due, get_buyer_order, hold_seconds_left,
                                  list_buyer_orders, list_line_thumbnails, summarize_support)
from shop.trace.services import line_trace_codes
from shop.web import page_arg

bp = Blueprint("orders", __name__, url_prefix="/orders")
bp.add_app_template_filter(carrier_name, "carrier_name")
bp.add_app_template_global(tracking_url, "tracking_url")
bp.add_app_template_global(hold_seconds_left, "hold_seconds_left")


def _own_order(number: str):
    order = get_buyer_order(current_user.id, number) or abort(404)
    if expire_if_due(order):  # touched after its time ran out: release its units now
        db.session.commit()
    return order


@bp.get("")
@login_required
def index():
    orders = list_buyer_orders(current_user.id, page_arg(), current_app.config["PER_PAGE"])
    return render_template("orders/index.html", orders=orders, thumbs=list_line_thumbnails(orders.items))


@bp.get("/<number>")
@login_required
def detail(number: str):
    from shop.payments.stripe_checkout import last_payment_failed

    order = _own_order(number)
    failed = order.status == "pending_payment" and last_payment_failed(order.id)
    return render_template("orders/detail.html", order=order, form=FlaskForm(), support=summarize_support(order.id),
                           payment_failed=failed, trace_codes=line_trace_codes([line.id for s in order.shipments for line in s.lines]))


@bp.post("/<number>/cancel")
@login_required
def cancel(number: str):
    order = _own_order(number)
    if FlaskForm().validate_on_submit() and cancel_order(order, "buyer"):
        db.session.commit()
        flash(_("Your order was cancelled. Nothing was charged."), "success")
    elif order.status == "cancelled":  # its payment time ran out a moment ago, or another tab cancelled it
        flash(_("This order is cancelled. Nothing was charged."), "success")
    else:
        flash(_("This order can no longer be cancelled."), "error")
    return redirect(url_for("orders.detail", number=number))


@bp.post("/<number>/shipments/<int:shipment_id>/received")
@login_required
def received(number: str, shipment_id: int):
    order = _own_order(number)
    if FlaskForm().validate_on_submit() and confirm_receipt(order, shipment_id):
        db.session.commit()
        flash(_("Thank you for confirming that your parcel arrived."), "success")
    else:
        flash(_("This parcel cannot be confirmed as received now."), "error")
    return redirect(url_for("orders.detail", number=number))
