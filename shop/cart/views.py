"""The cart: view it, add to it, change quantities. Works without JavaScript."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from shop.cart.forms import CartAddForm, CartQuantityForm
from shop.cart.services import CartError, add_to_cart, get_cart, load_cart_view, set_quantity
from shop.extensions import csrf, db
from shop.web import first_error, guest_same_origin, safe_next

bp = Blueprint("cart", __name__, url_prefix="/cart")


@bp.get("")
def view():
    return render_template("cart/cart.html", cart=load_cart_view(get_cart()), form=CartQuantityForm())


@bp.post("/add")
@csrf.exempt  # checked here: a token, or a same-origin POST from a guest (guest_same_origin)
def add():
    if guest_same_origin():
        form = CartAddForm(meta={"csrf": False})
    else:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        form = CartAddForm()
    back = safe_next(request.form.get("next"), url_for("cart.view"))
    if not form.validate():
        flash(first_error(form), "error")
        return redirect(back)
    try:
        add_to_cart(get_cart(create=True), form.variant_id.data, form.quantity.data)
    except CartError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(back)
    db.session.commit()
    flash(_("Added to your cart."), "success")
    return redirect(url_for("cart.view"))


@bp.post("/items/<int:item_id>")
def update(item_id: int):
    form = CartQuantityForm()
    cart = get_cart()
    if not form.validate() or cart is None:
        flash(first_error(form) or _("Your cart is empty."), "error")
        return redirect(url_for("cart.view"))
    try:
        set_quantity(cart, item_id, form.quantity.data)
    except CartError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("cart.view"))
    db.session.commit()
    return redirect(url_for("cart.view"))
