"""Refunded units put back on sale keep every lot's arithmetic whole: received = free + reserved + sold + written off."""
from shop.checkout.services import new_checkout_token, place_order
from shop.orders.services import mark_paid
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
