"""Placing, paying, cancelling and expiring orders, through the services."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from shop.checkout.services import CheckoutError, new_checkout_token, place_order
from shop.extensions import db
from shop.orders.models import Allocation, LineShare, Order
from shop.orders.services import cancel_order, confirm_receipt, expire_due_orders, expire_if_due
from shop.payments.services import PaymentMismatch, mark_paid
from shop.payments.models import Payment
from shop.supply.models import LotShare, SupplyLot
from shop.types import utcnow
from tests.factories import add_lot, make_address, make_cart, make_coop, make_household, make_product, make_user


def _place(user, cart, token=None):
    return place_order(user, cart, make_address(user), token or new_checkout_token(), "zh")


def test_worked_example_freezes_the_household_split(ctx):
    coop = make_coop(commission_bp=500, retention_bp=1000, shipping_fee_fen=1000)
    a, b, c = (make_household(coop) for _ in range(3))
    product = make_product(coop=coop, price_fen=6800, units=0)
    variant = product.variants[0]
    lot = SupplyLot(variant=variant, trace_code="L7", units_received=100, units_remaining=100,
                    harvested_on=date(2025, 9, 20))
    lot.shares = [LotShare(household=hh, units=u) for hh, u in ((a, 50), (b, 30), (c, 20))]
    ctx.add(lot)
    ctx.flush()
    user = make_user()
    order = _place(user, make_cart(user, (variant, 2)))
    line = order.lines[0]
    assert (line.gross_fen, line.commission_fen, line.retention_fen, line.household_pool_fen) == \
        (13600, 680, 1292, 11628)
    assert {s.household_id: s.amount_fen for s in line.shares} == {a.id: 5814, b.id: 3488, c.id: 2326}
    assert order.total_fen == 13600 + 1000
    assert order.total_fen == sum(x.commission_fen + x.retention_fen + x.household_pool_fen
                                  for x in order.lines) + sum(s.shipping_fee_fen for s in order.shipments)


def test_one_shipment_per_cooperative_with_its_own_fee(ctx):
    first = make_product(coop=make_coop(shipping_fee_fen=800), price_fen=5000)
    second = make_product(coop=make_coop(shipping_fee_fen=1200, free_shipping_over_fen=9000), price_fen=4500)
    user = make_user()
    order = _place(user, make_cart(user, (first.variants[0], 1), (second.variants[0], 2)))
    fees = sorted((s.subtotal_fen, s.shipping_fee_fen) for s in order.shipments)
    assert fees == [(5000, 800), (9000, 0)]
    assert order.total_fen == 5000 + 9000 + 800
    assert order.status == "pending_payment"


def test_units_come_from_the_oldest_lot_first(ctx):
    product = make_product(units=0)
    variant = product.variants[0]
    old = add_lot(variant, 3, [], days_ago=30)
    new = add_lot(variant, 5, [], days_ago=1)
    user = make_user()
    order = _place(user, make_cart(user, (variant, 4)))
    taken = {a.lot_id: a.units for a in order.lines[0].allocations}
    assert taken == {old.id: 3, new.id: 1}
    ctx.refresh(old), ctx.refresh(new)
    assert (old.units_remaining, new.units_remaining) == (0, 4)


def test_order_lines_keep_the_price_they_were_sold_at(ctx):
    product = make_product(price_fen=6800)
    user = make_user()
    order = _place(user, make_cart(user, (product.variants[0], 1)))
    product.variants[0].price_fen = 9900
    ctx.flush()
    ctx.refresh(order.lines[0])
    assert order.lines[0].unit_price_fen == 6800


def test_more_than_is_left_is_refused_and_nothing_changes(ctx):
    product = make_product(units=3)
    user = make_user()
    cart = make_cart(user, (product.variants[0], 4))
    ctx.commit()
    with pytest.raises(CheckoutError):
        _place(user, cart)
    ctx.rollback()
    assert ctx.scalar(select(func.count()).select_from(Order)) == 0
    assert ctx.scalar(select(func.sum(SupplyLot.units_remaining))) == 3


def test_same_checkout_token_twice_makes_one_order(ctx):
    product = make_product(units=5)
    user = make_user()
    token = new_checkout_token()
    first = _place(user, make_cart(user, (product.variants[0], 2)), token)
    again = place_order(user, None, make_address(user), token, "zh")
    assert again.id == first.id
    assert ctx.scalar(select(func.count()).select_from(Order)) == 1


def test_cancel_returns_units_exactly_once(ctx):
    product = make_product(units=5)
    user = make_user()
    order = _place(user, make_cart(user, (product.variants[0], 2)))
    assert cancel_order(order, "buyer") is True
    assert cancel_order(order, "buyer") is False
    assert expire_if_due(order, utcnow() + timedelta(days=1)) is False
    ctx.expire_all()
    assert ctx.scalar(select(func.sum(SupplyLot.units_remaining))) == 5
    assert all(a.released_at is not None for a in ctx.scalars(select(Allocation)))
    assert order.status == "cancelled" and all(s.status == "cancelled" for s in order.shipments)


def test_expiry_releases_units_of_due_orders_only(ctx):
    product = make_product(units=10)
    user = make_user()
    due = _place(user, make_cart(user, (product.variants[0], 3)))
    other = make_user()
    fresh = _place(other, make_cart(other, (product.variants[0], 1)))
    due.expires_at = utcnow() - timedelta(minutes=1)
    ctx.flush()
    later = utcnow()
    assert expire_due_orders(later) == 1
    assert expire_due_orders(later) == 0
    ctx.refresh(due)
    assert due.status == "cancelled" and due.cancel_reason == "expired"
    assert ctx.scalar(select(func.sum(SupplyLot.units_remaining))) == 9
    assert fresh.status == "pending_payment"


def test_unpaid_orders_live_at_least_31_minutes(ctx, app):
    product = make_product(units=2)
    user = make_user()
    order = _place(user, make_cart(user, (product.variants[0], 1)))
    assert order.expires_at - order.placed_at >= timedelta(minutes=31)
    assert expire_due_orders(order.placed_at + timedelta(minutes=30)) == 0


def test_mark_paid_once_and_refuses_wrong_amounts(ctx):
    product = make_product(units=2, price_fen=5000)
    user = make_user()
    order = _place(user, make_cart(user, (product.variants[0], 1)))
    with pytest.raises(PaymentMismatch):
        mark_paid(order, "demo", "x1", order.total_fen - 1, "CNY")
    with pytest.raises(PaymentMismatch):
        mark_paid(order, "demo", "x1", order.total_fen, "USD")
    assert mark_paid(order, "demo", "x1", order.total_fen, "cny") is True
    assert mark_paid(order, "demo", "x2", order.total_fen, "CNY") is False
    assert order.status == "paid"
    assert ctx.scalar(select(func.count()).select_from(Payment)) == 1
    assert cancel_order(order, "buyer") is False  # a paid order is never released


def test_confirming_every_shipment_completes_the_order(ctx):
    one, two = make_product(coop=make_coop()), make_product(coop=make_coop())
    user = make_user()
    order = _place(user, make_cart(user, (one.variants[0], 1), (two.variants[0], 1)))
    mark_paid(order, "demo", "p", order.total_fen, "CNY")
    first, second = order.shipments
    assert confirm_receipt(order, first.id) is False  # not shipped yet
    for s in order.shipments:
        s.status = "shipped"
    ctx.flush()
    assert confirm_receipt(order, first.id) is True
    assert order.status == "paid"
    assert confirm_receipt(order, second.id) is True
    assert order.status == "completed"


def test_every_line_share_sums_to_the_household_pool(ctx):
    coop = make_coop(commission_bp=777, retention_bp=333)
    households = [make_household(coop) for _ in range(3)]
    product = make_product(coop=coop, price_fen=3333, units=0)
    add_lot(product.variants[0], 7, households, days_ago=9)
    add_lot(product.variants[0], 11, households[:2], days_ago=3)
    user = make_user()
    order = _place(user, make_cart(user, (product.variants[0], 9)))
    line = order.lines[0]
    shares = ctx.scalars(select(LineShare).where(LineShare.line_id == line.id)).all()
    assert sum(s.amount_fen for s in shares) == line.household_pool_fen
    assert line.commission_fen + line.retention_fen + line.household_pool_fen == line.gross_fen
    db.session.rollback()
