"""Builders shared by the supply-lot, fulfilment and earnings tests (no tests here)."""
from datetime import date

from shop.checkout.services import new_checkout_token, place_order
from shop.extensions import db
from shop.payments.services import mark_paid
from tests.factories import make_address, make_cart, make_coop, make_household, make_product, make_user

EN = {"Accept-Language": "en"}
HARVEST = date(2025, 10, 1)


class CoopWorld:
    """A cooperative with a manager, member households and one product whose variant has no lots yet."""

    def __init__(self, households: int = 3, price_fen: int = 6800, **coop_kw):
        self.coop = make_coop(**coop_kw)
        self.manager = make_user(coop_id=self.coop.id)
        self.households = [make_household(self.coop, poor=i == 0) for i in range(households)]
        self.product = make_product(coop=self.coop, units=0, price_fen=price_fen)
        self.variant = self.product.variants[0]


def place_paid_order(variant, quantity: int = 1, buyer=None, locale: str = "zh", pay: bool = True):
    """Place (and pay, with the demo provider's service) an order for quantity units of variant."""
    buyer = buyer or make_user()
    cart = make_cart(buyer, (variant, quantity))
    order = place_order(buyer, cart, make_address(buyer), new_checkout_token(), locale)
    if pay:
        mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
    db.session.flush()
    return order
