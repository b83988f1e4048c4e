"""Placing an order takes its stock last: from a plan of the free lots read without a lock, by conditional
UPDATEs. When another order emptied a planned lot in between, the planned part is rolled back and the units
are taken again with the lots locked, so the order is still traced to the lots it really took from."""
import threading

import pytest
from sqlalchemy import func, select

from shop.accounts.models import Address, User
from shop.cart.models import Cart, CartItem
from shop.checkout import services as checkout
from shop.checkout.services import CheckoutError, new_checkout_token, place_order
from shop.extensions import db
from shop.orders import emails
from shop.orders.models import Allocation, LineShare, Order, OrderLine, Shipment
from shop.orders.services import cancel_order
from shop.payments.refunds import request_refund, settle_refund
from shop.supply.models import SupplyLot
from shop.supply.services import adjust_lot
from shop.supply.stock import OutOfStock
from tests.factories import add_lot, make_address, make_cart, make_coop, make_household, make_product, make_user
from tests.ledger.ledger_world import buy
from tests.querycount import count_queries


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


def test_the_placed_mail_is_written_without_a_query(ctx, outbox, monkeypatch):
    """It is written inside the checkout's savepoint: a failing query there would cost the buyer the order."""
    variant, _old, _new, _old_hh, _new_hh = _two_lots()
    seen = []
    real = emails._placed

    def counted(order):
        with count_queries(db.engine) as statements:
            mail = real(order)
        seen.append(len(statements))
        return mail

    monkeypatch.setattr(emails, "_placed", counted)
    user = make_user()
    _place(user, make_cart(user, (variant, 3)))
    db.session.commit()
    assert seen == [0] and len(outbox) == 1


def test_a_replayed_token_finds_its_order_even_if_the_cart_was_filled_again(ctx, outbox):
    """The first form sent again (back button, a retry) after the cart got more than is left: the buyer is
    sent to the order this token made, not told about the new cart's problems."""
    product = make_product(units=3)
    variant = product.variants[0]
    user = make_user()
    address = make_address(user)
    cart = make_cart(user, (variant, 2))
    token = new_checkout_token()
    first = place_order(user, cart, address, token, "en")
    db.session.commit()
    db.session.add(CartItem(cart_id=cart.id, variant_id=variant.id, quantity=5))  # only 1 left
    db.session.commit()
    again = place_order(user, cart, address, token, "en")
    assert again.id == first.id


def test_units_still_come_from_the_oldest_lot_when_it_was_refilled_after_the_plan_was_read(ctx, monkeypatch):
    """The plan is read without a lock. The old lot was empty then, and a cancellation (or a restocking
    refund) gave it units back before this order took its stock: the newer lot must not give them."""
    coop = make_coop(commission_bp=0, retention_bp=0)
    variant = make_product(coop=coop, price_fen=1000, units=0).variants[0]
    old = add_lot(variant, 2, [make_household(coop)], days_ago=9)
    new = add_lot(variant, 5, [make_household(coop)], days_ago=1)
    db.session.commit()
    real = checkout._free_lots

    def read_while_old_was_empty(cart):
        lots, shares = real(cart)
        for held in lots.values():
            held[:] = [(lot, units) for lot, units in held if lot != old.id]
        return lots, shares

    monkeypatch.setattr(checkout, "_free_lots", read_while_old_was_empty)
    user = make_user()
    order = place_order(user, make_cart(user, (variant, 2)), make_address(user), new_checkout_token(), "en")
    db.session.commit()
    got = sorted((a.lot_id, a.units) for a in db.session.scalars(
        select(Allocation).join(Allocation.line).where(Allocation.line.has(order_id=order.id))))
    assert got == [(old.id, 2)]


def _buyers(variants, count):
    out = []
    for i in range(count):
        user = make_user(password="x")
        items = [(v, 1) for v in (variants if i % 2 else list(reversed(variants)))]
        make_cart(user, *items)
        out.append((user.id, make_address(user).id))
    return out


@pytest.mark.usefixtures("needs_postgres")
def test_checkouts_refund_restocks_adjustments_and_cancels_do_not_deadlock(app):
    with app.app_context():
        coop = make_coop(commission_bp=0, retention_bp=0)
        hh = [make_household(coop) for _ in range(2)]
        variants = []
        lots = []
        for _ in range(2):
            p = make_product(coop=coop, price_fen=1000, units=0)
            v = p.variants[0]
            variants.append(v)
            lots.append(add_lot(v, 30, hh, days_ago=9))
            lots.append(add_lot(v, 40, hh, days_ago=1))
        db.session.commit()
        # paid orders to refund with restock, pending orders to cancel
        refunds, pending = [], []
        for i in range(6):
            order = buy(make_user(password="x"), *[(v, 2) for v in variants])
            refunds.append(request_refund(order, mode="whole", key=f"r{i}", staff_id=None, restock=True).id)
        for _ in range(6):
            pending.append(buy(make_user(password="x"), *[(v, 2) for v in variants], pay=False).id)
        for lot in lots:
            adjust_lot(lot, -2, "spoiled", None)
        lot_ids = [lot.id for lot in lots]
        buyers = _buyers(variants, 12)
        db.session.commit()

    jobs = [("buy", b) for b in buyers] + [("refund", r) for r in refunds] + [("cancel", o) for o in pending] \
        + [("adjust", lid) for lid in lot_ids]
    barrier = threading.Barrier(len(jobs))
    results = [""] * len(jobs)

    def run(i, kind, arg):
        with app.app_context():
            try:
                if kind == "buy":
                    user, address = db.session.get(User, arg[0]), db.session.get(Address, arg[1])
                    cart = db.session.scalar(select(Cart).where(Cart.user_id == arg[0]))
                    barrier.wait()
                    place_order(user, cart, address, new_checkout_token(), "en")
                elif kind == "refund":
                    barrier.wait()
                    assert settle_refund(arg)
                elif kind == "cancel":
                    order = db.session.get(Order, arg)
                    barrier.wait()
                    assert cancel_order(order, "buyer")
                else:
                    lot = db.session.get(SupplyLot, arg)
                    barrier.wait()
                    adjust_lot(lot, 1, "found", None)
                db.session.commit()
                results[i] = "ok"
            except CheckoutError as e:
                db.session.rollback()
                results[i] = "sold out" if isinstance(e.__cause__, OutOfStock) else str(e)
            except Exception as e:  # noqa: BLE001
                db.session.rollback()
                results[i] = f"ERROR {kind} {type(e).__name__}: {str(e)[:300]}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, k, a)) for i, (k, a) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    errors = [r for r in results if r.startswith("ERROR")]
    assert not errors, errors
    with app.app_context():
        for lot in db.session.scalars(select(SupplyLot)):
            held = db.session.scalar(select(func.coalesce(func.sum(Allocation.units), 0))
                                     .where(Allocation.lot_id == lot.id, Allocation.released_at.is_(None)))
            assert lot.units_remaining + held <= lot.units_received


def test_placing_an_order_has_a_fixed_query_budget(ctx, outbox):
    """The same statements whatever the cart holds, plus one stock UPDATE per lot the units come from: the
    order's rows go in by one INSERT per table, however many cooperatives and lines."""
    def statements_for(*items):
        user = make_user()
        cart, address = make_cart(user, *items), make_address(user)
        db.session.commit()
        _loaded = (user.email, cart.id, address.street)  # as the checkout page has them
        with count_queries(db.engine) as statements:
            place_order(user, cart, address, new_checkout_token(), "en")
            db.session.commit()
        return [s.split(" ", 1)[0] for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]

    def product():
        coop = make_coop()
        return make_product(coop=coop, units=5, households=[make_household(coop)]).variants[0]

    small = statements_for((product(), 1))
    variant, _old, _new, _old_hh, _new_hh = _two_lots()  # 3 units: 2 from the old lot, 1 from the new
    big = statements_for((variant, 3), (product(), 2), (product(), 1))  # three cooperatives, four lots
    # the buyer and the token, the cooperatives, the free lots, the cart; its emptying; order, shipments, lines,
    # household shares, allocations; the stock
    assert small == ["SELECT"] * 4 + ["DELETE"] + ["INSERT"] * 5 + ["UPDATE"]
    # One UPDATE for each lot beyond the first. SQLite gives no order to the rows of a multi-row RETURNING, so
    # there SQLAlchemy inserts the three shipments and three lines one by one; PostgreSQL takes each in one.
    one_by_one = 4 if db.engine.dialect.name == "sqlite" else 0
    assert big == small[:5] + ["INSERT"] * (5 + one_by_one) + ["UPDATE"] * 4
