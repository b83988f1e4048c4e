"""Review: a refund that leaves a shipment not yet shipped with nothing to send refunds its shipping fee in the
same refund and closes the shipment when the refund succeeds, so that the order can end (and its address go,
and its buyer leave). A shipment on its way, or with something still to send, keeps its fee."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.accounts.services import DeletionRefused, delete_account
from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.orders.models import OrderLine, Shipment
from shop.orders.services import confirm_receipt
from shop.payments.models import Refund
from shop.payouts.settlement import settle_shipment
from shop.types import utcnow
from tests.payments.test_refunds import EN, _demo_paid, _refund, _staff, _stripe_paid, _token
from tests.payments.conftest import get_order

PRICE, FEE = 6800, 1000  # the factories' price per unit and the cooperatives' default shipping fee


@pytest.fixture
def demo(app):
    saved = app.config["STRIPE_SECRET_KEY"]
    app.config["STRIPE_SECRET_KEY"] = ""  # the demo shop: refunds succeed at once
    yield
    app.config["STRIPE_SECRET_KEY"] = saved


def _shipments(number):
    """The order's shipments in line order (A ships the first line, B the second), freshly read."""
    order = get_order(number)
    lines = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    return [db.session.get(Shipment, line.shipment_id, populate_existing=True) for line in lines]


def _refunds():
    return db.session.scalars(select(Refund).order_by(Refund.id).execution_options(populate_existing=True)).all()


def _two_coops(app, **kw):
    o = _demo_paid(app, quantity=2, units=5, products=2, **kw)
    with app.app_context():
        a, b = _shipments(o["number"])
        assert (a.shipping_fee_fen, b.shipping_fee_fen, a.id != b.id) == (FEE, FEE, True)
        assert o["total"] == 2 * (2 * PRICE + FEE)
    return o


def _deliver_and_settle_b(app, o):
    with app.app_context():
        _a, b = _shipments(o["number"])
        assert ship_shipment(b, "sf", "SF1234567890")
        assert confirm_receipt(get_order(o["number"]), b.id)
        db.session.commit()
        assert get_order(o["number"]).status == "completed"
        with pytest.raises(DeletionRefused):  # B is delivered, not settled: still open
            delete_account(o["buyer_id"], "secret-pass-1")
        db.session.rollback()
        assert settle_shipment(b.id, utcnow() + timedelta(days=app.config["REFUND_WINDOW_DAYS"] + 1))
        db.session.commit()
        assert check_ledger() == []
        assert delete_account(o["buyer_id"], "secret-pass-1")
        db.session.commit()


def test_refunding_every_unit_of_a_shipment_by_line_refunds_its_fee_and_closes_it(app, demo):
    o = _two_coops(app)
    staff = _staff(app)
    assert _refund(staff, o["number"], _token(staff, o["number"]), mode="lines",
                   **{"quantities-0": "2"}).status_code == 302
    with app.app_context():
        (refund,) = _refunds()
        a, b = _shipments(o["number"])
        assert (refund.status, refund.amount_fen) == ("succeeded", 2 * PRICE + FEE)
        assert sum(rl.amount_fen for rl in refund.lines) + sum(rs.amount_fen for rs in refund.shipping) \
            == refund.amount_fen
        assert [(rs.shipment_id, rs.amount_fen) for rs in refund.shipping] == [(a.id, FEE)]
        assert (a.status, b.status) == ("cancelled", "awaiting_fulfilment")
        assert get_order(o["number"]).status == "partially_refunded"
        assert check_ledger() == []
        with pytest.raises(DeletionRefused):  # B is still to send
            delete_account(o["buyer_id"], "secret-pass-1")
        db.session.rollback()
    page = staff.get(f"/staff/orders/{o['number']}", headers=EN).get_data(as_text=True)
    assert "of which shipping ¥10.00" in page
    _deliver_and_settle_b(app, o)


def test_an_amount_covering_all_of_a_shipments_lines_refunds_its_fee_through_stripe(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe, quantity=2, units=5, products=2)
    staff = _staff(app)
    assert _refund(staff, o["number"], _token(staff, o["number"]), mode="amount",
                   amount=f"{2 * PRICE // 100}.00").status_code == 302
    (stripe_refund,) = fake_stripe.refunds.values()
    assert stripe_refund["amount"] == 2 * PRICE + FEE
    with app.app_context():
        (refund,) = _refunds()
        a, b = _shipments(o["number"])
        assert (refund.status, refund.amount_fen) == ("succeeded", 2 * PRICE + FEE)
        assert [(rs.shipment_id, rs.amount_fen) for rs in refund.shipping] == [(a.id, FEE)]
        assert (a.status, b.status) == ("cancelled", "awaiting_fulfilment")
        assert check_ledger() == []
    _deliver_and_settle_b(app, o)


def test_the_shipment_closes_only_when_the_refund_succeeds(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe, quantity=2, units=5, products=2)
    fake_stripe.refund_status = "pending"
    staff = _staff(app)
    _refund(staff, o["number"], _token(staff, o["number"]), mode="lines", **{"quantities-0": "2"})
    with app.app_context():
        (refund,) = _refunds()
        assert (refund.status, refund.amount_fen) == ("pending", 2 * PRICE + FEE)
        assert _shipments(o["number"])[0].status == "awaiting_fulfilment"
        from shop.payments.refunds import settle_refund
        assert settle_refund(refund.id)
        db.session.commit()
        assert _shipments(o["number"])[0].status == "cancelled"
        assert check_ledger() == []


def test_a_whole_refund_is_as_before(app, demo):
    o = _two_coops(app)
    staff = _staff(app)
    assert _refund(staff, o["number"], _token(staff, o["number"])).status_code == 302
    with app.app_context():
        (refund,) = _refunds()
        assert refund.amount_fen == o["total"]
        assert sorted(rs.amount_fen for rs in refund.shipping) == [FEE, FEE]
        assert {s.status for s in _shipments(o["number"])} == {"cancelled"}
        assert get_order(o["number"]).status == "refunded"
        assert check_ledger() == []


def test_a_shipped_shipment_keeps_its_fee(app, demo):
    o = _two_coops(app)
    with app.app_context():
        assert ship_shipment(_shipments(o["number"])[0], "sf", "SF1234567890")
        db.session.commit()
    staff = _staff(app)
    _refund(staff, o["number"], _token(staff, o["number"]), mode="lines", **{"quantities-0": "2"})
    with app.app_context():
        (refund,) = _refunds()
        assert (refund.status, refund.amount_fen, refund.shipping) == ("succeeded", 2 * PRICE, [])
        assert _shipments(o["number"])[0].status == "shipped"
        assert check_ledger() == []


def test_a_shipment_partly_refunded_keeps_its_fee_until_its_last_unit_goes(app, demo):
    o = _two_coops(app)
    staff = _staff(app)
    _refund(staff, o["number"], _token(staff, o["number"]), mode="lines", **{"quantities-0": "1"})
    with app.app_context():
        (first,) = _refunds()
        assert (first.amount_fen, first.shipping) == (PRICE, [])
        assert _shipments(o["number"])[0].status == "awaiting_fulfilment"
        assert check_ledger() == []
    _refund(staff, o["number"], _token(staff, o["number"]), mode="lines", **{"quantities-0": "1"})
    with app.app_context():
        _first, second = _refunds()
        assert second.amount_fen == PRICE + FEE
        assert _shipments(o["number"])[0].status == "cancelled"
        assert check_ledger() == []
    _deliver_and_settle_b(app, o)


def test_an_amount_short_of_a_shipments_lines_keeps_its_fee(app, demo):
    o = _two_coops(app)
    staff = _staff(app)
    _refund(staff, o["number"], _token(staff, o["number"]), mode="amount", amount=f"{(2 * PRICE - 1) / 100:.2f}")
    with app.app_context():
        (refund,) = _refunds()
        assert (refund.amount_fen, refund.shipping) == (2 * PRICE - 1, [])
        assert _shipments(o["number"])[0].status == "awaiting_fulfilment"
        assert check_ledger() == []


def test_b_delivered_first_then_a_emptied_completes_the_order(app, demo):
    o = _two_coops(app)
    with app.app_context():
        b = _shipments(o["number"])[1]
        assert ship_shipment(b, "sf", "SF1234567890") and confirm_receipt(get_order(o["number"]), b.id)
        db.session.commit()
        assert get_order(o["number"]).status == "paid"
    staff = _staff(app)
    _refund(staff, o["number"], _token(staff, o["number"]), mode="lines", **{"quantities-0": "2"})
    with app.app_context():
        assert _shipments(o["number"])[0].status == "cancelled"
        assert get_order(o["number"]).status == "completed"
        assert check_ledger() == []


def test_the_refund_form_says_the_fee_of_an_emptied_shipment_goes_too(app, demo):
    o = _two_coops(app)
    page = _staff(app).get(f"/staff/orders/{o['number']}", headers=EN).get_data(as_text=True)
    assert "gets its shipping fee refunded too" in page
