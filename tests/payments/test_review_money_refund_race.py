"""Review: two partial refunds that together give back the whole order, settling at the same moment (two
refund.updated webhooks at once): the order ends refunded, and its unshipped shipments are cancelled."""
import threading
import time

from sqlalchemy import select

from shop.checkout.services import new_checkout_token, place_order
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.orders.models import Order, Shipment
from shop.payments import refunds
from shop.payments.refunds import request_refund, settle_refund
from shop.payments.services import mark_paid
from tests.factories import make_address, make_cart, make_product, make_user


def test_two_partial_refunds_settling_at_once_refund_the_whole_order(app, needs_postgres, monkeypatch):
    with app.app_context():
        variant = make_product(units=5).variants[0]
        buyer = make_user()
        order = place_order(buyer, make_cart(buyer, (variant, 2)), make_address(buyer), new_checkout_token(), "en")
        mark_paid(order, "demo", "p-race", order.total_fen, "CNY")
        db.session.commit()
        half = order.total_fen // 2
        first = request_refund(order, mode="amount", amount_fen=half, key="race-1", staff_id=None)
        second = request_refund(order, mode="amount", amount_fen=order.total_fen - half, key="race-2", staff_id=None)
        db.session.commit()
        order_id, ids = order.id, (first.id, second.id)

    real = refunds.mark_refunded

    def slow_mark_refunded(*args):  # widen the moment between reading what was refunded and moving the order
        time.sleep(0.5)
        return real(*args)

    monkeypatch.setattr(refunds, "mark_refunded", slow_mark_refunded)
    barrier, errors = threading.Barrier(2), []

    def settle(refund_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                assert settle_refund(refund_id)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=settle, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == "refunded"
        assert set(db.session.scalars(select(Shipment.status).where(Shipment.order_id == order_id))) == {"cancelled"}
        assert check_ledger() == []
