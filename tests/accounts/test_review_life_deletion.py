"""Review (life): an unpaid order whose payment time ran out does not keep its buyer from deleting the account."""
from datetime import timedelta

from sqlalchemy import func, select

from shop.accounts.services import delete_account
from shop.checkout.services import new_checkout_token, place_order
from shop.extensions import db
from shop.orders.models import Order
from shop.supply.models import SupplyLot
from shop.types import utcnow
from tests.factories import make_address, make_cart, make_coop, make_product, make_user


def test_an_expired_but_not_yet_released_order_is_cancelled_and_the_account_deleted(ctx):
    buyer = make_user(password="secret-pass-1")
    variant = make_product(coop=make_coop(), units=5).variants[0]
    order = place_order(buyer, make_cart(buyer, (variant, 2)), make_address(buyer), new_checkout_token(), "zh")
    order.expires_at = utcnow() - timedelta(minutes=1)  # the expiry job has not run yet
    db.session.commit()
    assert delete_account(buyer.id, "secret-pass-1")
    db.session.commit()
    order = db.session.get(Order, order.id, populate_existing=True)
    assert (order.status, order.cancel_reason) == ("cancelled", "expired")
    assert db.session.scalar(select(func.sum(SupplyLot.units_remaining))
                             .where(SupplyLot.variant_id == variant.id)) == 5  # its units went back
