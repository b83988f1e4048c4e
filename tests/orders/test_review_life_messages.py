"""Review (life): what the buyer and the manager are told after a step that raced something else."""
from datetime import timedelta

from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import Order, Shipment
from shop.orders.services import cancel_order
from shop.payments.providers import DemoProvider
from shop.supply.services import record_supply_lot
from shop.types import utcnow
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order
from tests.factories import log_in
from tests.orders.test_order_views import EN, _placed_order


def test_cancelling_an_order_whose_time_just_ran_out_says_it_is_cancelled(app, client):
    number = _placed_order(app, client)
    with app.app_context():
        db.session.scalar(select(Order)).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    page = client.post(f"/orders/{number}/cancel", follow_redirects=True, headers=EN).get_data(as_text=True)
    assert "can no longer be cancelled" not in page
    assert "This order is cancelled. Nothing was charged." in page
    with app.app_context():
        assert db.session.scalar(select(Order.status)) == "cancelled"


def test_a_demo_payment_that_lost_to_a_cancellation_does_not_say_it_was_received(app, client, monkeypatch):
    number = _placed_order(app, client)
    pay = DemoProvider.complete_demo

    def cancelled_meanwhile(self, order):  # the buyer cancelled in another tab a moment before
        cancel_order(order, "buyer")
        db.session.commit()
        return pay(self, order)

    monkeypatch.setattr(DemoProvider, "complete_demo", cancelled_meanwhile)
    page = client.post(f"/pay/{number}/demo", follow_redirects=True, headers=EN).get_data(as_text=True)
    assert "Payment received" not in page and "not awaiting payment" in page
    with app.app_context():
        assert db.session.scalar(select(Order.status)) == "cancelled"


def test_marked_shipped_does_not_claim_the_buyer_was_told_when_the_mail_failed(app, client, monkeypatch):
    with app.app_context():
        world = CoopWorld()
        record_supply_lot(world.coop, world.variant.id, 10, HARVEST, [(None, 10)], world.manager.id)
        shipment_id = place_paid_order(world.variant, 1, locale="en").shipments[0].id
        db.session.commit()
        manager = world.manager.id

    def refuse(*_args, **_kw):
        raise OSError("mail server down")

    monkeypatch.setattr("shop.orders.emails.send_mail", refuse)
    log_in(client, manager)
    page = client.post(f"/coop/shipments/{shipment_id}/ship", data={"carrier": "ems", "tracking_no": "1100123456789"},
                       follow_redirects=True, headers=EN).get_data(as_text=True)
    assert "The buyer was told" not in page and "could not be e-mailed" in page
    with app.app_context():
        assert db.session.get(Shipment, shipment_id).status == "shipped"
