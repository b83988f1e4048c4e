"""Payment fixtures: the local Stripe-compatible server, and the app switched to Stripe for one test."""
import pytest
from sqlalchemy import func, select

from shop.checkout.services import new_checkout_token, place_order
from shop.extensions import db
from shop.orders.models import Order
from shop.supply.models import SupplyLot
from tests.factories import make_address, make_cart, make_coop, make_product, make_user
from tests.payments.fake_stripe import FakeStripe

WEBHOOK_SECRET = "whsec_test_longnan"


@pytest.fixture(scope="session")
def stripe_server():
    server = FakeStripe(WEBHOOK_SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def fake_stripe(app, stripe_server):
    """The fake Stripe with fresh state; the app uses Stripe (both keys set) for this test only."""
    stripe_server.reset()

    def post_webhook(payload, headers):
        return app.test_client().post("/payments/stripe/webhook", data=payload, headers=headers).status_code

    stripe_server.webhook_target = post_webhook
    saved = {k: app.config.get(k) for k in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE",
                                            "STRIPE_TIMEOUT_SECONDS", "STRIPE_WALLETS", "SERVER_NAME")}
    app.config.update(STRIPE_SECRET_KEY=stripe_server.api_key, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                      STRIPE_API_BASE=stripe_server.url, STRIPE_TIMEOUT_SECONDS=1)
    yield stripe_server
    stripe_server.wait_for_deliveries()
    app.config.update(saved)
    if saved["STRIPE_TIMEOUT_SECONDS"] is None:
        app.config.pop("STRIPE_TIMEOUT_SECONDS")


def make_pending_order(app, quantity: int = 2, units: int = 5, price_fen: int = 6800, locale: str = "zh",
                       products: int = 1) -> dict:
    """Place a real order (units reserved) and commit; return its ids for tests outside the context."""
    with app.app_context():
        buyer = make_user()
        variants = [make_product(coop=make_coop(), price_fen=price_fen, units=units).variants[0]
                    for _ in range(products)]
        cart = make_cart(buyer, *[(v, quantity) for v in variants])
        order = place_order(buyer, cart, make_address(buyer), new_checkout_token(), locale)
        db.session.commit()
        return {"order_id": order.id, "number": order.number, "buyer_id": buyer.id, "total": order.total_fen,
                "variant_ids": [v.id for v in variants]}


def units_left(variant_id: int) -> int:
    """Units still on sale for a variant (every lot)."""
    return db.session.scalar(select(func.sum(SupplyLot.units_remaining)).where(SupplyLot.variant_id == variant_id)
                             .execution_options(populate_existing=True))


def get_order(number: str) -> Order:
    return db.session.scalar(select(Order).where(Order.number == number).execution_options(populate_existing=True))
