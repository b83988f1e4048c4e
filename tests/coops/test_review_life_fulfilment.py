"""Review (life): the packing slip of an order that was partly refunded."""
import re

from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import Order, OrderLine, Shipment
from shop.payments.refunds import request_refund, send_refund
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import EN, HARVEST, CoopWorld, place_paid_order
from tests.factories import log_in


def _partly_refunded(app, refund_units=1, restock=True, status="partially_refunded"):
    """An order of 3 units, paid, with refund_units of them refunded (and put back on sale)."""
    app.config["STRIPE_SECRET_KEY"] = ""
    with app.app_context():
        world = CoopWorld()
        record_supply_lot(world.coop, world.variant.id, 30, HARVEST, [(h.id, 10) for h in world.households],
                          world.manager.id)
        order = place_paid_order(world.variant, 3, locale="en")
        db.session.commit()
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order.id))
        refund = request_refund(order, mode="lines", key="life-1", staff_id=None,
                                quantities={line.id: refund_units}, restock=restock)
        db.session.commit()
        assert send_refund(refund) == "succeeded"
        assert db.session.get(Order, order.id, populate_existing=True).status == status
        return world.manager.id, order.shipments[0].id


def _qty_cells(page: str) -> list[str]:
    return re.findall(r'<td class="num">(\d+)</td>', page)


def test_the_rest_of_a_partly_refunded_order_can_be_marked_shipped_from_its_slip(app, client):
    manager, shipment_id = _partly_refunded(app)
    log_in(client, manager)
    slip = client.get(f"/coop/shipments/{shipment_id}", headers=EN).get_data(as_text=True)
    assert "Mark shipped" in slip and "tracking_no" in slip
    resp = client.post(f"/coop/shipments/{shipment_id}/ship", data={"carrier": "ems", "tracking_no": "1100123456789"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Shipment, shipment_id).status == "shipped"


def test_the_slip_and_the_queue_ask_only_for_the_units_not_refunded(app, client):
    manager, shipment_id = _partly_refunded(app, refund_units=1)
    log_in(client, manager)
    slip = client.get(f"/coop/shipments/{shipment_id}", headers=EN).get_data(as_text=True)
    assert _qty_cells(slip) == ["2"], slip  # 3 bought, 1 refunded and back on sale: 2 go in the parcel
    assert "1 of 3 refunded" in slip
    assert re.findall(r"</code> × (\d+)", slip) == ["2"]  # the lots of what is sent, not the restocked allocation
    queue = client.get("/coop/shipments", headers=EN).get_data(as_text=True)
    assert "× 2" in queue and "× 3" not in queue


def test_the_dashboard_counts_a_partly_refunded_order_still_to_ship(app):
    from shop.coops.portal import load_dashboard

    manager, shipment_id = _partly_refunded(app)
    with app.app_context():
        coop_id = db.session.get(Shipment, shipment_id).coop_id
        assert load_dashboard(coop_id)["to_ship"] == 1  # as the queue lists it


def test_a_slip_already_shipped_still_shows_what_the_parcel_held(app, client):
    from shop.coops.fulfilment import ship_shipment

    app.config["STRIPE_SECRET_KEY"] = ""
    with app.app_context():
        world = CoopWorld()
        record_supply_lot(world.coop, world.variant.id, 30, HARVEST, [(h.id, 10) for h in world.households],
                          world.manager.id)
        order = place_paid_order(world.variant, 3, locale="en")
        assert ship_shipment(order.shipments[0], "EMS", "1100123456789")
        db.session.commit()
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order.id))
        refund = request_refund(order, mode="lines", key="life-2", staff_id=None, quantities={line.id: 1})
        db.session.commit()
        assert send_refund(refund) == "succeeded"
        manager, shipment_id = world.manager.id, order.shipments[0].id
    log_in(client, manager)
    slip = client.get(f"/coop/shipments/{shipment_id}", headers=EN).get_data(as_text=True)
    assert _qty_cells(slip) == ["3"] and "refunded: do not send" not in slip


def test_a_shipment_whose_every_item_was_refunded_offers_nothing_to_ship(app, client):
    # Every unit refunded: the refund took the shipping fee too, so the order is refunded and the shipment closed.
    manager, shipment_id = _partly_refunded(app, refund_units=3, restock=True, status="refunded")
    with app.app_context():
        assert db.session.get(Shipment, shipment_id).status == "cancelled"
    log_in(client, manager)
    slip = client.get(f"/coop/shipments/{shipment_id}", headers=EN).get_data(as_text=True)
    assert "tracking_no" not in slip
