"""Shipping paid orders: the queue, packing slips, the shipped transition, the buyer's mail, auto-delivery."""
from datetime import timedelta

from sqlalchemy import select

from shop.checkout.services import new_checkout_token, place_order
from shop.coops.fulfilment import (auto_deliver_shipments, get_packing_slip, list_shipments_to_ship,
                                   notify_buyer_shipped, ship_shipment)
from shop.orders.models import Order, Shipment
from shop.extensions import db
from shop.orders.services import confirm_receipt
from shop.payments.services import mark_paid
from shop.supply.services import record_supply_lot
from shop.types import utcnow
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order
from tests.factories import make_address, make_cart, make_coop, make_product, make_user


def _stocked_world(units=20):
    world = CoopWorld()
    lot = record_supply_lot(world.coop, world.variant.id, units, HARVEST,
                            [(world.households[0].id, units)], world.manager.id)
    return world, lot


def test_queue_holds_paid_shipments_oldest_payment_first(ctx):
    world, _lot = _stocked_world()
    first, second = place_paid_order(world.variant, 1), place_paid_order(world.variant, 1)
    place_paid_order(world.variant, 1, pay=False)  # unpaid: not the coop's to ship yet
    first.paid_at = utcnow() - timedelta(hours=1)
    ctx.flush()
    assert [s.order_id for s in list_shipments_to_ship(world.coop.id)] == [first.id, second.id]
    assert list_shipments_to_ship(make_coop().id) == []


def test_packing_slip_shows_lines_and_lot_trace_codes_only_to_the_coop(ctx):
    world, lot = _stocked_world()
    order = place_paid_order(world.variant, 2)
    slip = get_packing_slip(world.coop.id, order.shipments[0].id)
    assert [(line.sku, line.quantity) for line in slip.lines] == [(world.variant.sku, 2)]
    assert [a.lot.trace_code for a in slip.lines[0].allocations] == [lot.trace_code]
    assert get_packing_slip(make_coop().id, order.shipments[0].id) is None
    unpaid = place_paid_order(world.variant, 1, pay=False)
    assert get_packing_slip(world.coop.id, unpaid.shipments[0].id) is None


def test_shipping_happens_once_and_only_for_paid_orders(ctx):
    world, _lot = _stocked_world()
    order = place_paid_order(world.variant, 1)
    shipment = order.shipments[0]
    assert ship_shipment(shipment, " 顺丰 ", " SF1234567890 ")
    assert (shipment.status, shipment.carrier, shipment.tracking_no) == ("shipped", "顺丰", "SF1234567890")
    assert shipment.shipped_at is not None
    assert not ship_shipment(shipment, "EMS", "EMS999999")
    assert shipment.tracking_no == "SF1234567890"
    unpaid = place_paid_order(world.variant, 1, pay=False)
    assert not ship_shipment(unpaid.shipments[0], "EMS", "EMS999999")
    assert unpaid.shipments[0].status == "awaiting_fulfilment"


def test_the_buyer_is_emailed_in_the_orders_language(app, ctx):
    world, _lot = _stocked_world()
    outbox = app.extensions.setdefault("outbox", [])
    for locale, expected in (("zh", "已发货"), ("en", "on its way")):
        order = place_paid_order(world.variant, 1, locale=locale)
        ship_shipment(order.shipments[0], "EMS", "EMS12345678")
        with app.test_request_context():
            notify_buyer_shipped(order.shipments[0])
        mail = outbox[-1]
        assert mail["To"] == order.buyer.email and expected in mail["Subject"]
        for kind in ("plain", "html"):
            body = mail.get_body(preferencelist=(kind,)).get_content()
            assert "EMS12345678" in body and order.number in body


def test_auto_delivery_waits_the_configured_days_and_completes_orders(app, ctx):
    world, _lot = _stocked_world()
    old, recent = place_paid_order(world.variant, 1), place_paid_order(world.variant, 1)
    days = app.config["AUTO_DELIVER_DAYS"]
    ship_shipment(old.shipments[0], "EMS", "EMS00000001", now=utcnow() - timedelta(days=days, minutes=1))
    ship_shipment(recent.shipments[0], "EMS", "EMS00000002", now=utcnow() - timedelta(days=days - 1))
    assert auto_deliver_shipments() == 1
    assert auto_deliver_shipments() == 0
    ctx.expire_all()
    assert (old.status, old.shipments[0].status) == ("completed", "delivered")
    assert old.shipments[0].delivered_at is not None
    assert (recent.status, recent.shipments[0].status) == ("paid", "shipped")


def test_auto_delivery_leaves_an_order_open_while_another_coop_has_not_shipped(app, ctx):
    world, _lot = _stocked_world()
    other = make_product(coop=make_coop(), units=5).variants[0]
    buyer = make_user()
    order = place_order(buyer, make_cart(buyer, (world.variant, 1), (other, 1)), make_address(buyer),
                        new_checkout_token(), "zh")
    mark_paid(order, "demo", "demo_x", order.total_fen, "CNY")
    mine = next(s for s in order.shipments if s.coop_id == world.coop.id)
    ship_shipment(mine, "EMS", "EMS00000003", now=utcnow() - timedelta(days=30))
    assert auto_deliver_shipments() == 1
    ctx.expire_all()
    assert order.status == "paid"
    theirs = next(s for s in order.shipments if s.coop_id != world.coop.id)
    ship_shipment(theirs, "EMS", "EMS00000004")
    assert confirm_receipt(order, theirs.id)
    assert order.status == "completed"


def test_auto_deliver_command_reports_what_it_did(app):
    with app.app_context():
        world, _lot = _stocked_world()
        order = place_paid_order(world.variant, 1)
        ship_shipment(order.shipments[0], "EMS", "EMS00000005", now=utcnow() - timedelta(days=60))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["orders", "auto-deliver"])
    assert result.exit_code == 0 and "Marked 1 shipment(s) delivered." in result.output
    with app.app_context():
        assert db.session.scalar(select(Order.status)) == "completed"
        assert db.session.scalar(select(Shipment.status)) == "delivered"
