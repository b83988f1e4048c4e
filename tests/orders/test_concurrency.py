"""Buyers racing for the same units, on PostgreSQL with real parallel transactions."""
import threading

import pytest
from sqlalchemy import func, select

from shop.accounts.models import Address, User
from shop.cart.models import Cart
from shop.checkout.services import CheckoutError, new_checkout_token, place_order
from shop.extensions import db
from shop.orders.models import Allocation, OrderLine
from shop.supply.models import SupplyLot
from shop.supply.stock import OutOfStock
from tests.factories import add_lot, make_address, make_cart, make_product, make_user

pytestmark = pytest.mark.usefixtures("needs_postgres")


def _race(app, buyers: list[tuple[int, int]]) -> list[str]:
    """Each (user id, address id) places its cart at the same moment; return 'ok' or the error."""
    barrier = threading.Barrier(len(buyers))
    results: list[str] = [""] * len(buyers)

    def buy(i: int, user_id: int, address_id: int) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            cart = db.session.scalar(select(Cart).where(Cart.user_id == user_id))
            address = db.session.get(Address, address_id)
            barrier.wait()
            try:
                place_order(user, cart, address, new_checkout_token(), "en")
                db.session.commit()
                results[i] = "ok"
            except CheckoutError as e:
                db.session.rollback()
                results[i] = "sold out" if isinstance(e.__cause__, OutOfStock) else str(e)
            except Exception as e:  # noqa: BLE001 - the test reports any other failure
                db.session.rollback()
                results[i] = f"ERROR {type(e).__name__}: {e}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=buy, args=(i, u, a)) for i, (u, a) in enumerate(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_thirty_buyers_race_for_the_last_ten_units(app):
    with app.app_context():
        product = make_product(units=0)
        variant = product.variants[0]
        add_lot(variant, 4, [], days_ago=5)
        add_lot(variant, 6, [], days_ago=2)
        buyers = []
        for _ in range(30):
            user = make_user(password="x")
            make_cart(user, (variant, 1))
            buyers.append((user.id, make_address(user).id))
        db.session.commit()

    results = _race(app, buyers)

    assert results.count("ok") == 10
    losers = [r for r in results if r != "ok"]
    assert len(losers) == 20 and all(r == "sold out" for r in losers), losers[:3]
    with app.app_context():
        lots = db.session.scalars(select(SupplyLot)).all()
        assert [lot.units_remaining for lot in lots] == [0, 0]
        assert db.session.scalar(select(func.sum(Allocation.units))) == 10
        lines = db.session.scalars(select(OrderLine)).all()
        assert len(lines) == 10
        for line in lines:  # every unit sold is traced to exactly one lot
            assert sum(a.units for a in line.allocations) == line.quantity == 1


def test_opposite_carts_never_deadlock(app):
    with app.app_context():
        first, second = make_product(units=0), make_product(units=0)
        a, b = first.variants[0], second.variants[0]
        add_lot(a, 8, [])
        add_lot(b, 8, [])
        buyers = []
        for i in range(16):
            user = make_user(password="x")
            make_cart(user, *(((a, 1), (b, 1)) if i % 2 else ((b, 1), (a, 1))))
            buyers.append((user.id, make_address(user).id))
        db.session.commit()

    results = _race(app, buyers)

    assert not [r for r in results if r.startswith("ERROR")], results
    assert results.count("ok") == 8
    with app.app_context():
        assert db.session.scalar(select(func.sum(SupplyLot.units_remaining))) == 0
