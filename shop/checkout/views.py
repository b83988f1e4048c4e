"""Checkout: choose an address, review one shipment per cooperative, place the order."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from shop.accounts.services import list_addresses
from shop.cart.services import get_cart, load_cart_view
from shop.checkout.forms import CheckoutPlaceForm
from shop.checkout.services import (CheckoutError, DuplicateCheckout, TotalChanged, get_order_by_token,
                                    new_checkout_token, place_order)
from shop.extensions import db
from shop.i18n import lang
from shop.web import first_error

bp = Blueprint("checkout", __name__, url_prefix="/checkout")


@bp.route("", methods=["GET", "POST"])
@login_required
def review():
    cart, addresses = get_cart(), list_addresses(current_user.id)
    form = CheckoutPlaceForm()
    form.address_id.choices = [SelectChoice(a.id, a.one_line()) for a in addresses]
    if form.validate_on_submit():
        return _place(form, cart, addresses)
    if form.errors:
        flash(first_error(form), "error")
    if not form.checkout_token.data:
        form.checkout_token.data = new_checkout_token()
    if addresses and not form.address_id.data:
        form.address_id.data = addresses[0].id
    view = load_cart_view(cart)
    form.seen_total.data = str(view.total_fen)  # the total this page shows is the one ordered
    return render_template("checkout/review.html", cart=view, form=form, addresses=addresses)


def _place(form: CheckoutPlaceForm, cart, addresses):
    address = next((a for a in addresses if a.id == form.address_id.data), None)  # the buyer's own only
    token = form.checkout_token.data
    if address is None:
        flash(_("Please choose a delivery address."), "error")
        return redirect(url_for("checkout.review"))
    try:
        seen = int(form.seen_total.data) if form.seen_total.data else None
        number = place_order(current_user, cart, address, token, lang(), seen_total_fen=seen).number
        db.session.commit()
    except DuplicateCheckout:
        db.session.rollback()
        order = get_order_by_token(current_user.id, token)
        number = order.number if order else None
    except TotalChanged as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("checkout.review"))
    except CheckoutError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("cart.view"))
    if number is None:
        flash(_("This checkout was already used. Please review your order again."), "error")
        return redirect(url_for("checkout.review"))
    return redirect(url_for("payments.start", number=number))  # read before the commit: no query after it
