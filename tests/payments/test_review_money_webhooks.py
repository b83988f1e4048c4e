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


def _refund_event(fake, obj: dict) -> dict:
    return {"id": fake._id("evt"), "object": "event", "type": "refund.updated", "data": {"object": obj}}


def test_a_refund_event_that_names_our_refund_but_another_payment_or_amount_settles_nothing(app, fake_stripe):
    """refund_id in the metadata is only our row number (another shop on the same Stripe account has the
    same numbers): a refund of another payment, or of another amount, never settles ours."""
    from tests.payments.test_refunds import _stripe_paid

    mine, other = _stripe_paid(app, fake_stripe), _stripe_paid(app, fake_stripe)
    fake_stripe.refund_status = "pending"
    with app.app_context():
        refund = request_refund(get_order(mine["number"]), mode="amount", amount_fen=500, key="review-money-2",
                                staff_id=None)
        db.session.commit()
        assert send_refund(refund) == "pending"
        refund_id, re_id = refund.id, refund.provider_ref
    fake_stripe.take_outbox()
    other_pi = fake_stripe.sessions[other["session_id"]]["payment_intent"]
    mine_pi = fake_stripe.sessions[mine["session_id"]]["payment_intent"]
    events = [
        _refund_event(fake_stripe, {"id": "re_elsewhere", "object": "refund", "amount": 500, "currency": "cny",
                                    "payment_intent": other_pi, "status": "succeeded",
                                    "metadata": {"refund_id": str(refund_id)}}),
        _refund_event(fake_stripe, {"id": re_id, "object": "refund", "amount": 900, "currency": "cny",
                                    "payment_intent": mine_pi, "status": "succeeded",
                                    "metadata": {"refund_id": str(refund_id)}}),
        _refund_event(fake_stripe, {"id": "re_second_one", "object": "refund", "amount": 500, "currency": "cny",
                                    "payment_intent": mine_pi, "status": "succeeded",
                                    "metadata": {"refund_id": str(refund_id)}}),
    ]
    for event in events:
        assert fake_stripe.deliver(event) == [200]
    with app.app_context():
        assert db.session.get(Refund, refund_id).status == "pending"
        assert get_order(mine["number"]).status == "paid"
        flagged = set(db.session.execute(select(PaymentFlag.provider_ref, PaymentFlag.reason)))
        assert flagged == {(other_pi, "refund_mismatch"), (mine_pi, "refund_mismatch")}
        assert check_ledger() == []
    # Stripe's own word on our refund (its id, our amount) still settles it.
    fake_stripe.deliver(fake_stripe.set_refund_status(re_id, "succeeded"))
    with app.app_context():
        assert db.session.get(Refund, refund_id).status == "succeeded"
        assert get_order(mine["number"]).status == "partially_refunded"
        assert check_ledger() == []


def test_a_refund_form_token_reused_on_another_order_is_refused_not_reported_as_that_orders_refund(app):
    from shop.payments.providers import DemoProvider
    from shop.payments.refunds import RefundError

    first, second = make_pending_order(app), make_pending_order(app)
    with app.app_context():
        for o in (first, second):
            DemoProvider().complete_demo(get_order(o["number"]))
        db.session.commit()
        refund = request_refund(get_order(first["number"]), mode="whole", key="staff-same-token", staff_id=None)
        db.session.commit()
        try:
            other = request_refund(get_order(second["number"]), mode="whole", key="staff-same-token", staff_id=None)
        except RefundError:
            other = None
        assert other is None or other.order_id == get_order(second["number"]).id
        assert request_refund(get_order(first["number"]), mode="whole", key="staff-same-token",
                              staff_id=None).id == refund.id  # the same form sent twice is still one refund


def test_a_pending_refund_settles_from_stripes_charge_refund_updated_event(app, fake_stripe):
    """Stripe sends charge.refund.updated (the older name of refund.updated) to endpoints that chose it."""
    from tests.payments.test_refunds import _stripe_paid

    o = _stripe_paid(app, fake_stripe)
    fake_stripe.refund_status = "pending"
    with app.app_context():
        refund = request_refund(get_order(o["number"]), mode="amount", amount_fen=300, key="review-money-3",
                                staff_id=None)
        db.session.commit()
        assert send_refund(refund) == "pending"
        refund_id, re_id = refund.id, refund.provider_ref
    fake_stripe.take_outbox()
    updated = fake_stripe.set_refund_status(re_id, "succeeded")
    assert fake_stripe.deliver({**updated, "type": "charge.refund.updated"}) == [200]
    with app.app_context():
        assert db.session.get(Refund, refund_id).status == "succeeded"
        assert get_order(o["number"]).status == "partially_refunded"
        assert check_ledger() == []
