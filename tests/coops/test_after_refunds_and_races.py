"""Found in review: a partial refund must not strand the rest of the order, and two deliveries at once
must still complete it."""
import threading

from sqlalchemy import select

from shop.reports.earnings import build_earnings_report
from shop.coops.fulfilment import list_shipments_to_ship, ship_shipment
from shop.extensions import db
from shop.orders.models import OrderLine, Shipment
from shop.orders.services import complete_order_if_delivered, deliver_shipment
from shop.payments.providers import DemoProvider
from shop.payments.refunds import request_refund, send_refund
from tests.payments.conftest import get_order, make_pending_order


def test_after_a_partial_refund_the_rest_is_still_shipped_and_counted(app):
    app.config["STRIPE_SECRET_KEY"] = ""
    o = make_pending_order(app, quantity=2, units=5, products=2)  # two coops, two shipments
    with app.app_context():
        order = get_order(o["number"])
        DemoProvider().complete_demo(order)
        db.session.commit()
        line = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                                  .order_by(OrderLine.id)).first()
        refund = request_refund(order, mode="lines", key="k1", staff_id=None, quantities={line.id: 1})
        db.session.commit()
        assert send_refund(refund) == "succeeded"
        assert get_order(o["number"]).status == "partially_refunded"
        ships = db.session.scalars(select(Shipment).where(Shipment.order_id == order.id)).all()
        assert [len(list_shipments_to_ship(s.coop_id)) for s in ships] == [1, 1]
        untouched = next(s for s in ships if s.id != line.shipment_id)
        assert build_earnings_report(untouched.coop_id).period.gross_fen == untouched.subtotal_fen
        assert all(ship_shipment(s, "SF", "SF12345") for s in ships)


def test_two_deliveries_at_once_complete_the_order(app, needs_postgres):
    app.config["STRIPE_SECRET_KEY"] = ""
    o = make_pending_order(app, quantity=1, units=5, products=2)
    with app.app_context():
        order = get_order(o["number"])
        DemoProvider().complete_demo(order)
        db.session.commit()
        ids = []
        for s in db.session.scalars(select(Shipment).where(Shipment.order_id == order.id)).all():
            assert ship_shipment(s, "SF", "SF12345")
            ids.append(s.id)
        db.session.commit()
    barrier = threading.Barrier(2)

    def confirm(shipment_id):  # what confirm_receipt and auto-delivery do, one request each
        with app.app_context():
            assert deliver_shipment(shipment_id)
            barrier.wait()
            complete_order_if_delivered(o["order_id"])
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=confirm, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    with app.app_context():
        assert get_order(o["number"]).status == "completed"
