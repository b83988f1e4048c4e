"""`flask payments reconcile`: silent and exit 0 when the shop and Stripe agree; each difference by order
and exit 1 when they do not (a dropped webhook, a refund made outside the shop)."""
from datetime import date, timedelta

from tests.factories import log_in
from tests.payments.conftest import make_pending_order


def _session(app, fake, **kw):
    o = make_pending_order(app, **kw)
    buyer = app.test_client()
    log_in(buyer, o["buyer_id"])
    o["session_id"] = buyer.get(f"/pay/{o['number']}").headers["Location"].rsplit("/", 1)[1]
    return o


def _reconcile(app, since=None):
    since = since or (date.today() - timedelta(days=1)).isoformat()
    return app.test_cli_runner().invoke(args=["payments", "reconcile", "--since", since])


def test_reconcile_agrees_when_every_payment_and_refund_was_recorded(app, fake_stripe):
    fake_stripe.page_size_cap = 2
    for _ in range(3):  # two pages of Stripe's list
        o = _session(app, fake_stripe)
        fake_stripe.deliver(fake_stripe.complete(o["session_id"]))
    pi = fake_stripe.sessions[o["session_id"]]["payment_intent"]
    _session(app, fake_stripe)  # open, unpaid: nothing to compare
    result = _reconcile(app)
    assert result.exit_code == 0, result.output
    assert "No differences." in result.output
    fake_stripe._create_refund({"payment_intent": pi, "amount": "100"})  # outside the shop
    result = _reconcile(app)
    assert result.exit_code == 1 and f"refunds of {pi} differ" in result.output and o["number"] in result.output


def test_reconcile_lists_a_payment_whose_webhook_never_arrived(app, fake_stripe):
    o = _session(app, fake_stripe)
    fake_stripe.complete(o["session_id"])
    fake_stripe.take_outbox()  # dropped
    result = _reconcile(app)
    assert result.exit_code == 1
    assert o["number"] in result.output and "paid at Stripe, not recorded by the shop" in result.output


def test_reconcile_needs_stripe_and_a_date(app, fake_stripe):
    assert _reconcile(app, since="yesterday").exit_code == 2
    app.config["STRIPE_SECRET_KEY"] = ""
    result = _reconcile(app)
    assert result.exit_code == 1 and "not configured" in result.output
