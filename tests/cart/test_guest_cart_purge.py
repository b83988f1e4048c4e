"""`flask --app shop orders purge-carts`: guest carts abandoned for 30 days go, with their items; a guest cart in use
and every buyer's cart stay."""
from datetime import timedelta

from sqlalchemy import func, select

from shop.cart.models import Cart, CartItem
from shop.cart.services import GUEST_CART_DAYS, add_to_cart, set_quantity
from shop.extensions import db
from shop.types import utcnow
from tests.factories import make_product, make_user


def _cart(variant_id, days_old, user_id=None):
    cart = Cart(user_id=user_id, token=None if user_id else f"guest-{days_old}-{variant_id}".ljust(43, "x"))
    db.session.add(cart)
    db.session.flush()
    add_to_cart(cart, variant_id, 1)
    cart.updated_at = utcnow() - timedelta(days=days_old)
    db.session.flush()
    return cart.id


def test_abandoned_guest_carts_go_with_their_items_and_the_others_stay(app):
    with app.app_context():
        variant_id = make_product(units=10).variants[0].id
        abandoned = _cart(variant_id, GUEST_CART_DAYS + 1)
        recent = _cart(variant_id, GUEST_CART_DAYS - 1)
        old_but_used = _cart(variant_id, GUEST_CART_DAYS + 5)
        cart = db.session.get(Cart, old_but_used)
        set_quantity(cart, cart.items[0].id, 2)  # the guest came back: the cart is in use again
        buyers = _cart(variant_id, 400, user_id=make_user().id)
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["orders", "purge-carts"])
    assert result.exit_code == 0 and "Deleted 1 abandoned guest cart(s)." in result.output, result.output

    with app.app_context():
        assert set(db.session.scalars(select(Cart.id))) == {recent, old_but_used, buyers}
        assert db.session.scalar(select(func.count()).select_from(CartItem).where(CartItem.cart_id == abandoned)) == 0
        assert db.session.scalar(select(func.count()).select_from(CartItem)) == 3
