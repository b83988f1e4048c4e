"""Two managers correcting the same lot at the same moment, on PostgreSQL with real parallel transactions."""
import threading

import pytest

from shop.extensions import db
from shop.supply.models import SupplyLot
from shop.supply.services import LotError, adjust_lot, list_lot_stock, record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("needs_postgres")


def _race(app, lot_id: int, deltas: list[int], user_ids: list[int]) -> list[str]:
    barrier = threading.Barrier(len(deltas))
    results = [""] * len(deltas)

    def correct(i: int) -> None:
        with app.app_context():
            lot = db.session.get(SupplyLot, lot_id)
            barrier.wait()
            try:
                adjust_lot(lot, deltas[i], "recount", user_ids[i])
                db.session.commit()
                results[i] = "ok"
            except LotError:
                db.session.rollback()
                results[i] = "refused"
            except Exception as e:  # noqa: BLE001 - the test reports any other failure
                db.session.rollback()
                results[i] = f"ERROR {type(e).__name__}: {e}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=correct, args=(i,)) for i in range(len(deltas))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _lot(app, units=10, sold=0):
    with app.app_context():
        world = CoopWorld()
        lot = record_supply_lot(world.coop, world.variant.id, units, HARVEST, [(None, units)], world.manager.id)
        if sold:
            place_paid_order(world.variant, sold)
        second = make_user(coop_id=world.coop.id)
        db.session.commit()
        return world.coop.id, lot.id, [world.manager.id, second.id]


def _stock(app, coop_id):
    with app.app_context():
        return list_lot_stock(coop_id)[0]


def test_two_managers_writing_off_at_once_cannot_take_a_lot_below_zero(app):
    coop_id, lot_id, managers = _lot(app, units=10, sold=3)
    assert sorted(_race(app, lot_id, [-6, -6], managers)) == ["ok", "refused"]
    stock = _stock(app, coop_id)
    assert (stock.remaining, stock.sold, stock.written_off) == (1, 3, 6)


def test_two_managers_adding_back_at_once_cannot_exceed_what_was_written_off(app):
    coop_id, lot_id, managers = _lot(app, units=10)
    assert _race(app, lot_id, [-5], managers[:1]) == ["ok"]
    assert sorted(_race(app, lot_id, [4, 4], managers)) == ["ok", "refused"]
    stock = _stock(app, coop_id)
    assert (stock.received, stock.remaining, stock.written_off) == (10, 9, 1)
