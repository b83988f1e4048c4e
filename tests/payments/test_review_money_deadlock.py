"""Review: a buyer confirming receipt (shipment, then order) while a refund of the same order settles (order,
then shipments) must not deadlock: both finish, and the books are right."""
import threading
import time

from shop.checkout.services import new_checkout_token, place_order
from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.orders import services as order_services
from shop.orders.models import Order
from shop.orders.services import confirm_receipt
from shop.payments.models import Refund
from shop.payments.refunds import request_refund, settle_refund
from shop.payments.services import mark_paid
from tests.factories import make_address, make_cart, make_product, make_user


def test_confirming_receipt_while_a_refund_settles_does_not_deadlock(app, needs_postgres, monkeypatch):
    with app.app_context():
        variant = make_product(units=5).variants[0]
        buyer = make_user()
        order = place_order(buyer, make_cart(buyer, (variant, 2)), make_address(buyer), new_checkout_token(), "en")
        mark_paid(order, "demo", "p-deadlock", order.total_fen, "CNY")
        db.session.commit()
        ship_shipment(order.shipments[0], "SF", "SF1234567890")
        refund = request_refund(order, mode="amount", amount_fen=100, key="deadlock-1", staff_id=None)
        db.session.commit()
        order_id, shipment_id, refund_id = order.id, order.shipments[0].id, refund.id

    real = order_services.complete_order_if_delivered

    def slow_complete(*args):  # the shipment is delivered (locked); the order is locked a moment later
        time.sleep(0.6)
        return real(*args)

    monkeypatch.setattr(order_services, "complete_order_if_delivered", slow_complete)
    errors = []

    def receive():
        with app.app_context():
            try:
                assert confirm_receipt(db.session.get(Order, order_id), shipment_id)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    def settle():
        with app.app_context():
            time.sleep(0.2)  # the buyer's shipment update goes first
            try:
                assert settle_refund(refund_id)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=receive), threading.Thread(target=settle)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with app.app_context():
        assert db.session.get(Refund, refund_id).status == "succeeded"
        assert db.session.get(Order, order_id).status in ("completed", "partially_refunded")
        assert check_ledger() == []
