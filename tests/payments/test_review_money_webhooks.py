"""Review of the money paths against what an independent Stripe-compatible server may send: events
that disagree with what was already recorded must never un-pay an order or poison its books."""
import copy

from sqlalchemy import func, select

from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.payments.models import Payment, PaymentFlag, Refund
from shop.payments.refunds import refund_summary, request_refund, send_refund
from tests.factories import log_in
from tests.payments.conftest import get_order, make_pending_order


def _open_session(app, fake, **kw):
    o = make_pending_order(app, **kw)
    client = app.test_client()
    log_in(client, o["buyer_id"])
    o["session_id"] = client.get(f"/pay/{o['number']}").headers["Location"].rsplit("/", 1)[1]
    return o


def _again(event: dict, fake, **changes) -> dict:
    """Another event (new id) about the same session, with some fields of the session changed."""
    other = copy.deepcopy(event)
    other["id"] = fake._id("evt")
    other["data"]["object"].update(changes)
    return other


def test_a_later_event_with_another_amount_for_the_paid_session_leaves_the_payment_refundable(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    paid = fake_stripe.complete(o["session_id"])
    assert fake_stripe.deliver(paid) == [200]
    # The same session (same payment intent) reported again, with another amount and then another currency.
    assert fake_stripe.deliver(_again(paid, fake_stripe, amount_total=o["total"] + 100)) == [200]
    assert fake_stripe.deliver(_again(paid, fake_stripe, currency="usd")) == [200]
    with app.app_context():
        order = get_order(o["number"])
        assert order.status == "paid"
        assert db.session.scalar(select(func.count(Payment.id))) == 1
        # The order's own payment is not "stray": nothing offers to refund it as money held for review.
        assert db.session.scalar(select(func.count(PaymentFlag.id))) == 0
        summary = refund_summary(order)
        assert summary.payment is not None and summary.refundable_fen == o["total"]
        refund = request_refund(order, mode="whole", key="review-money-1", staff_id=None)
        db.session.commit()
        assert send_refund(refund) == "succeeded"
        assert get_order(o["number"]).status == "refunded"
        assert db.session.scalar(select(Refund.amount_fen)) == o["total"]
        assert check_ledger() == []
