"""Placing an order takes its stock last: from a plan of the free lots read without a lock, by conditional
UPDATEs. When another order emptied a planned lot in between, the planned part is rolled back and the units
are taken again with the lots locked, so the order is still traced to the lots it really took from."""
import pytest
from sqlalchemy import func, select

from shop.checkout import services as checkout
from shop.checkout.services import CheckoutError, new_checkout_token, place_order
from shop.extensions import db
from shop.orders.models import Allocation, LineShare, OrderLine, Shipment
from shop.supply.models import SupplyLot
from shop.supply.stock import OutOfStock
from tests.factories import add_lot, make_address, make_cart, make_coop, make_household, make_product, make_user


def _stale(monkeypatch, lot_id: int, remaining: int) -> None:
    """Make the plan read `remaining` units free in the lot, as if another order took them just after."""
    real = checkout._free_lots

    def stale(cart):
        lots, shares = real(cart)
        for held in lots.values():
            held[:] = [(lot, remaining if lot == lot_id else units) for lot, units in held]
        return lots, shares

    monkeypatch.setattr(checkout, "_free_lots", stale)


def _two_lots():
    coop = make_coop(commission_bp=0, retention_bp=0)
    old_hh, new_hh = make_household(coop), make_household(coop)
    product = make_product(coop=coop, price_fen=1000, units=0)
    variant = product.variants[0]
    old = add_lot(variant, 2, [old_hh], days_ago=9)
    new = add_lot(variant, 5, [new_hh], days_ago=1)
    db.session.commit()
    return variant, old, new, old_hh, new_hh


def _place(user, cart):
    return place_order(user, cart, make_address(user), new_checkout_token(), "en")


def test_a_plan_that_went_stale_is_taken_again_under_lock(ctx, outbox, monkeypatch):
    variant, old, new, old_hh, new_hh = _two_lots()
    _stale(monkeypatch, old.id, 5)  # the plan thinks the old lot alone has the 3 units; it has 2
    user = make_user()
    order = _place(user, make_cart(user, (variant, 3)))
    db.session.commit()

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Shipment).where(Shipment.order_id == order.id)) == 1
    (line,) = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    assert sorted((a.lot_id, a.units) for a in line.allocations) == [(old.id, 2), (new.id, 1)]
    assert {s.household_id: s.amount_fen for s in line.shares} == {old_hh.id: 2000, new_hh.id: 1000}
    assert [db.session.get(SupplyLot, lot.id).units_remaining for lot in (old, new)] == [0, 4]
    assert [m["Subject"] for m in outbox] == [f"We received your order {order.number}"]


def test_a_stale_plan_for_units_that_are_gone_sells_nothing(ctx, outbox, monkeypatch):
    variant, old, new, _old_hh, _new_hh = _two_lots()
    _stale(monkeypatch, old.id, 10)
    user = make_user()
    cart = make_cart(user, (variant, 8))
    address = make_address(user)
    db.session.commit()
    with pytest.raises(CheckoutError) as refused:
        place_order(user, cart, address, new_checkout_token(), "en")
    assert isinstance(refused.value.__cause__, OutOfStock) and refused.value.__cause__.available == 7
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 0
    assert len(cart.items) == 1  # the cart stays as it was
    assert db.session.scalar(select(func.count()).select_from(LineShare)) == 0
    assert [db.session.get(SupplyLot, lot.id).units_remaining for lot in (old, new)] == [2, 5]
    assert outbox == []


def test_a_fresh_plan_takes_the_oldest_lot_first_without_a_lock(ctx, outbox, monkeypatch):
    variant, old, new, old_hh, new_hh = _two_lots()
    locked = []
    monkeypatch.setattr(checkout, "reserve_units", lambda *a: locked.append(a))
    user = make_user()
    order = _place(user, make_cart(user, (variant, 4)))
    db.session.commit()
    assert locked == []
    db.session.expire_all()
    line = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    assert sorted((a.lot_id, a.units) for a in line.allocations) == [(old.id, 2), (new.id, 2)]
    assert [db.session.get(SupplyLot, lot.id).units_remaining for lot in (old, new)] == [0, 3]
    assert [m["Subject"] for m in outbox] == [f"We received your order {order.number}"]
