"""Refunded units put back on sale keep every lot's arithmetic whole: received = free + reserved + sold + written off."""
from shop.checkout.services import new_checkout_token, place_order
from shop.payments.services import mark_paid
from shop.payments.refunds import request_refund, settle_refund
from shop.supply.services import list_lot_stock
from tests.factories import add_lot, make_address, make_cart, make_coop, make_product, make_user


def test_partial_restocking_refunds_keep_lot_arithmetic_and_trace_the_units_still_sold(ctx):
    coop = make_coop()
    variant = make_product(coop=coop, units=0).variants[0]
    old, new = add_lot(variant, 3, [], days_ago=9), add_lot(variant, 4, [], days_ago=2)
    buyer = make_user()
    order = place_order(buyer, make_cart(buyer, (variant, 5)), make_address(buyer), new_checkout_token(), "en")
    mark_paid(order, "demo", "p", order.total_fen, "CNY")
    line = order.lines[0]

    for key in ("first", "second"):  # two refunds of 2 units each, units back on sale
        refund = request_refund(order, mode="lines", key=key, staff_id=None, quantities={line.id: 2}, restock=True)
        assert settle_refund(refund.id)

    ctx.expire_all()
    stock = {s.lot.id: s for s in list_lot_stock(coop.id)}
    for s in stock.values():
        assert s.received == s.remaining + s.reserved + s.sold + s.written_off
    assert sum(s.sold for s in stock.values()) == 1  # one unit is still sold…
    live = [a for a in line.allocations if a.released_at is None]
    assert sum(a.units for a in live) == 1  # …and traced to exactly one lot
    assert stock[old.id].remaining + stock[new.id].remaining == 6


def test_two_staff_refunding_the_whole_order_at_once_refund_it_once(app, needs_postgres):
    import threading

    from sqlalchemy import func, select

    from shop.extensions import db
    from shop.orders.models import Order
    from shop.payments.models import Refund
    from shop.payments.refunds import RefundError

    with app.app_context():
        variant = make_product(units=5).variants[0]
        buyer = make_user()
        order = place_order(buyer, make_cart(buyer, (variant, 2)), make_address(buyer), new_checkout_token(), "en")
        mark_paid(order, "demo", "p", order.total_fen, "CNY")
        db.session.commit()
        order_id = order.id
    barrier, outcomes = threading.Barrier(6), []

    def refund_whole(key: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                request_refund(db.session.get(Order, order_id), mode="whole", key=key, staff_id=None)
                db.session.commit()
                outcomes.append("refunded")
            except RefundError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=refund_whole, args=(f"staff-{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["refunded"] + ["refused"] * 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
