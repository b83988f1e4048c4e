"""Review (life): a delivery recorded twice by a double click or the back button must not put its units on
sale twice."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.supply.models import SupplyLot
from shop.supply.services import LotRepeated, record_supply_lot
from shop.types import clock_at, utcnow
from tests.coops.test_fulfilment_builders import EN, HARVEST, CoopWorld
from tests.factories import log_in


def _world(app):
    with app.app_context():
        world = CoopWorld(households=2)
        db.session.commit()
        return world.coop.id, world.manager.id, world.variant.id, [h.id for h in world.households]


def _form(variant_id, households):
    return {"variant_id": variant_id, "unit": "units", "amount": "12", "harvested_on": "2025-10-01",
            "shares-0-household": households[0], "shares-0-amount": "7",
            "shares-1-household": households[1], "shares-1-amount": "5"}


def _units(app, variant_id):
    with app.app_context():
        return db.session.execute(select(func.count(), func.sum(SupplyLot.units_received))
                                  .where(SupplyLot.variant_id == variant_id)).one()


def test_the_same_form_posted_twice_records_one_lot(app, client):
    _coop, manager, variant, households = _world(app)
    log_in(client, manager)
    first = client.post("/coop/lots/new", data=_form(variant, households))
    again = client.post("/coop/lots/new", data=_form(variant, households), headers=EN)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]  # the label of the lot already recorded
    assert tuple(_units(app, variant)) == (1, 12)
    page = client.get(again.headers["Location"], headers=EN).get_data(as_text=True)
    assert "was not recorded again" in page


def test_a_different_delivery_or_a_later_one_is_recorded(app):
    coop_id, manager, variant, households = _world(app)
    with app.app_context():
        from shop.coops.models import Cooperative
        coop = db.session.get(Cooperative, coop_id)
        record_supply_lot(coop, variant, 12, HARVEST, [(households[0], 7), (households[1], 5)], manager, once=True)
        record_supply_lot(coop, variant, 12, HARVEST, [(households[0], 6), (households[1], 6)], manager, once=True)
        with pytest.raises(LotRepeated):
            record_supply_lot(coop, variant, 12, HARVEST, [(households[1], 5), (households[0], 7)], manager,
                              once=True)
        with clock_at(utcnow() + timedelta(minutes=3)):
            record_supply_lot(coop, variant, 12, HARVEST, [(households[0], 7), (households[1], 5)], manager, once=True)
        db.session.commit()
    assert tuple(_units(app, variant)) == (3, 36)


def test_a_double_click_on_postgresql_records_one_lot(app, needs_postgres, monkeypatch):
    import time

    from shop.supply import services

    coop_id, manager, variant, households = _world(app)
    check = services._refuse_repeat

    def slow_check(*args):  # both requests have looked before either writes, unless the look waits for the other
        check(*args)
        time.sleep(0.5)

    monkeypatch.setattr(services, "_refuse_repeat", slow_check)
    barrier = threading.Barrier(2)
    results = []

    def submit():
        with app.app_context():
            from shop.coops.models import Cooperative
            coop = db.session.get(Cooperative, coop_id)
            barrier.wait()
            try:
                record_supply_lot(coop, variant, 12, HARVEST, [(households[0], 7), (households[1], 5)], manager,
                                  once=True)
                db.session.commit()
                results.append("recorded")
            except LotRepeated:
                db.session.rollback()
                results.append("repeated")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["recorded", "repeated"]
    assert tuple(_units(app, variant)) == (1, 12)


def test_a_write_off_sent_twice_is_written_off_once(app, client):
    from shop.coops.models import Cooperative
    from shop.supply.models import LotAdjustment

    coop_id, manager, variant, households = _world(app)
    with app.app_context():
        lot = record_supply_lot(db.session.get(Cooperative, coop_id), variant, 10, HARVEST, [(None, 10)], manager)
        db.session.commit()
        lot_id = lot.id
    log_in(client, manager)
    form = {"direction": "remove", "units": "2", "reason": "spoiled in storage"}
    first = client.post(f"/coop/lots/{lot_id}/adjust", data=form)
    again = client.post(f"/coop/lots/{lot_id}/adjust", data=form)
    assert first.status_code == again.status_code == 302
    with app.app_context():
        assert db.session.get(SupplyLot, lot_id).units_remaining == 8
        assert db.session.scalar(select(func.count()).select_from(LotAdjustment)) == 1
        with clock_at(utcnow() + timedelta(minutes=3)):  # a second spoilage, later: written off too
            from shop.supply.services import adjust_lot
            adjust_lot(db.session.get(SupplyLot, lot_id), -2, "spoiled in storage", manager, once=True)
        db.session.commit()
        assert db.session.get(SupplyLot, lot_id).units_remaining == 6
