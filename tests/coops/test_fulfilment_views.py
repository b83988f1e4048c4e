"""Shipping through the pages: the queue, the packing slip, marking shipped, what the buyer sees."""
from sqlalchemy import select

from shop.catalog.models import Variant
from shop.extensions import db
from shop.orders.models import Shipment
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import EN, HARVEST, CoopWorld, place_paid_order
from tests.factories import log_in
from tests.querycount import count_queries


def _paid_orders(app, count=1):
    with app.app_context():
        world = CoopWorld()
        lot = record_supply_lot(world.coop, world.variant.id, 30, HARVEST,
                                [(h.id, 10) for h in world.households], world.manager.id)
        orders = [place_paid_order(world.variant, 2, locale="en") for _ in range(count)]
        db.session.commit()
        return world.manager.id, [(o.number, o.shipments[0].id, o.buyer_id) for o in orders], lot.trace_code


def test_manager_ships_with_tracking_and_the_buyer_sees_it(app, client):
    manager, [(number, shipment_id, buyer)], trace_code = _paid_orders(app)
    log_in(client, manager)
    queue = client.get("/coop/shipments", headers=EN).get_data(as_text=True)
    assert number in queue
    slip = client.get(f"/coop/shipments/{shipment_id}", headers=EN).get_data(as_text=True)
    assert trace_code in slip and "建国路 1 号" in slip and "Mark shipped" in slip
    resp = client.post(f"/coop/shipments/{shipment_id}/ship", data={"carrier": "shunfeng", "tracking_no": "sf 1234-5678-90123"})
    assert resp.status_code == 302
    assert number not in client.get("/coop/shipments", headers=EN).get_data(as_text=True).split("Recently shipped")[0]
    again = client.post(f"/coop/shipments/{shipment_id}/ship", data={"carrier": "ems", "tracking_no": "1100123456789"})
    assert again.status_code == 409
    assert app.extensions["outbox"][-1]["To"].startswith("user")
    log_in(client, buyer)
    order_page = client.get(f"/orders/{number}", headers=EN).get_data(as_text=True)
    assert "SF Express SF1234567890123" in order_page and "Shipped" in order_page
    assert 'href="https://www.kuaidi100.com/chaxun?com=shunfeng&amp;nu=SF1234567890123"' in order_page
    with app.app_context():
        assert db.session.scalar(select(Shipment.carrier)) == "顺丰速运"


def test_a_bad_tracking_number_is_refused_and_nothing_changes(app, client):
    manager, [(number, shipment_id, buyer)], _ = _paid_orders(app)
    log_in(client, manager)
    for data, message in (({"carrier": "", "tracking_no": "SF1234567890123"}, "Choose the carrier"),
                          ({"carrier": "顺丰", "tracking_no": "SF1234567890123"}, "Choose the carrier"),
                          ({"carrier": "ems", "tracking_no": "<script>"}, "they look like 1100123456789"),
                          ({"carrier": "shunfeng", "tracking_no": "YT1234567890123"}, "not a SF Express tracking"),
                          ({"carrier": "other", "tracking_no": "DB123456"}, "Enter the name of the carrier"),
                          ({"carrier": "other", "carrier_other": "德邦", "tracking_no": "x" * 41}, "4 to 40")):
        resp = client.post(f"/coop/shipments/{shipment_id}/ship", data=data, headers=EN)
        assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Shipment.status)) == "awaiting_fulfilment"


def test_shipment_queue_needs_a_fixed_number_of_queries(app, client):
    manager, _, _ = _paid_orders(app, 1)
    log_in(client, manager)

    def queries():
        with app.app_context():
            with count_queries(db.engine) as statements:
                assert client.get("/coop/shipments").status_code == 200
            return len(statements)

    one = queries()
    with app.app_context():
        for _ in range(4):
            place_paid_order(db.session.scalar(select(Variant)), 1)
        db.session.commit()
    assert queries() == one


def test_another_carrier_is_shown_as_typed_without_a_tracking_link(app, client):
    manager, [(number, shipment_id, buyer)], _ = _paid_orders(app)
    log_in(client, manager)
    resp = client.post(f"/coop/shipments/{shipment_id}/ship",
                       data={"carrier": "other", "carrier_other": " 德邦快递 ", "tracking_no": "db-20261205"})
    assert resp.status_code == 302
    log_in(client, buyer)
    order_page = client.get(f"/orders/{number}", headers=EN).get_data(as_text=True)
    assert "德邦快递 DB20261205" in order_page and "kuaidi100" not in order_page
