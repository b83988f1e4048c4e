"""Lot arithmetic under any sequence of operations: received = remaining + reserved + sold + written off."""
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shop.checkout.services import CheckoutError
from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.orders.models import Allocation
from shop.orders.services import cancel_order
from shop.payments.services import mark_paid
from shop.supply.models import SupplyLot
from shop.supply.services import LotError, adjust_lot, list_lot_stock, record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order

RECORD = st.tuples(st.just("record"), st.integers(1, 12), st.integers(0, 3))
ORDER = st.tuples(st.just("order"), st.integers(1, 8), st.booleans())
OPERATIONS = st.tuples(RECORD, ORDER, st.lists(st.one_of(
    RECORD, ORDER, ORDER,
    st.tuples(st.just("pay"), st.integers(0, 5)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("ship"), st.integers(0, 5)),
    st.tuples(st.just("adjust"), st.integers(0, 5), st.integers(-6, 6).filter(bool)),
), max_size=10)).map(lambda ops: [ops[0], ops[1], *ops[2]])


def _run(world, operation, lots, orders):
    kind, *args = operation
    if kind == "record":
        units, households = args
        contributors = world.households[:households]
        each = units // (len(contributors) + 1)
        shares = [(hh.id, each) for hh in contributors if each] + [(None, units - each * len(contributors))]
        shares = [s for s in shares if s[1]]
        lots.append(record_supply_lot(world.coop, world.variant.id, units, HARVEST, shares, world.manager.id))
    elif kind == "order":
        quantity, pay = args
        try:
            orders.append(place_paid_order(world.variant, quantity, pay=pay))
        except CheckoutError:
            pass  # more than is free: refused, nothing changed
    elif orders and kind == "pay":
        order = orders[args[0] % len(orders)]
        if order.status == "pending_payment":
            mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
    elif orders and kind == "cancel":
        cancel_order(orders[args[0] % len(orders)], "buyer")
    elif orders and kind == "ship":
        ship_shipment(orders[args[0] % len(orders)].shipments[0], "中国邮政", "EMS1234567")
    elif lots and kind == "adjust":
        try:
            adjust_lot(lots[args[0] % len(lots)], args[1], "hypothesis", world.manager.id)
        except LotError:
            pass


def _check(world):
    for stock in list_lot_stock(world.coop.id):
        assert stock.remaining >= 0 and stock.reserved >= 0 and stock.sold >= 0 and stock.written_off >= 0
        assert stock.received == stock.remaining + stock.reserved + stock.sold + stock.written_off
        held = db.session.scalar(select(func.coalesce(func.sum(Allocation.units), 0))
                                 .where(Allocation.lot_id == stock.lot.id, Allocation.released_at.is_(None)))
        assert held == stock.reserved + stock.sold


def test_units_received_always_equal_remaining_reserved_sold_and_written_off(ctx):
    world = CoopWorld()

    @settings(max_examples=30, deadline=None, database=None)
    @given(OPERATIONS)
    def run(operations):
        savepoint = db.session.begin_nested()
        try:
            lots, orders = [], []
            for operation in operations:
                _run(world, operation, lots, orders)
                _check(world)
        finally:
            savepoint.rollback()
            db.session.expire_all()

    run()
    assert db.session.scalar(select(func.count()).select_from(SupplyLot)) == 0  # every example was rolled back
