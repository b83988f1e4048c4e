"""The page Stripe sends the buyer back to: it asks Stripe and tells the truth, applies a payment the
webhook has not delivered yet exactly as the webhook would, and a reload changes nothing."""
from sqlalchemy import func, select

from shop.extensions import db
from shop.payments.models import Payment, StripeEvent
from tests.factories import log_in
from tests.payments.conftest import get_order, make_pending_order

EN = {"Accept-Language": "en"}


def _paying_buyer(app, fake):
    o = make_pending_order(app)
    client = app.test_client()
    log_in(client, o["buyer_id"])
    o["session_id"] = client.get(f"/pay/{o['number']}").headers["Location"].rsplit("/", 1)[1]
    return o, client


def _return(client, o, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return client.get(f"/pay/{o['number']}/return?{query}", headers=EN)


def test_paid_before_the_webhook_arrives_shows_paid_and_a_reload_changes_nothing(app, fake_stripe):
    o, client = _paying_buyer(app, fake_stripe)
    event = fake_stripe.complete(o["session_id"])  # the webhook is held back
    for _ in range(2):
        page = _return(client, o, session_id=o["session_id"])
        assert page.status_code == 200 and "Payment received" in page.get_data(as_text=True)
    assert fake_stripe.deliver(event) == [200]  # the late webhook adds nothing
    with app.app_context():
        assert get_order(o["number"]).status == "paid"
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1


def test_cancelled_on_stripe_shows_not_paid_with_a_way_to_pay(app, fake_stripe):
    o, client = _paying_buyer(app, fake_stripe)
    text = _return(client, o, cancelled=1).get_data(as_text=True)
    assert "Not paid yet" in text and "Nothing was charged" in text and f"/pay/{o['number']}" in text
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"


def test_delayed_payment_shows_processing(app, fake_stripe):
    o, client = _paying_buyer(app, fake_stripe)
    fake_stripe.complete(o["session_id"], paid=False)
    text = _return(client, o, session_id=o["session_id"]).get_data(as_text=True)
    assert "being processed" in text
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"


def test_another_orders_session_id_proves_nothing(app, fake_stripe):
    mine, client = _paying_buyer(app, fake_stripe)
    theirs, _ = _paying_buyer(app, fake_stripe)
    fake_stripe.complete(theirs["session_id"])
    text = _return(client, mine, session_id=theirs["session_id"]).get_data(as_text=True)
    assert "Not paid yet" in text
    with app.app_context():
        assert get_order(mine["number"]).status == "pending_payment"
        assert get_order(theirs["number"]).status == "pending_payment"  # only its own buyer's page or webhook


def test_stripe_unreachable_shows_that_we_could_not_confirm(app, fake_stripe):
    o, client = _paying_buyer(app, fake_stripe)
    fake_stripe.complete(o["session_id"])
    fake_stripe.fail("500", path="/v1/checkout/sessions/", method="GET")
    text = _return(client, o, session_id=o["session_id"]).get_data(as_text=True)
    assert "could not confirm" in text
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"
    assert "Payment received" in _return(client, o, session_id=o["session_id"]).get_data(as_text=True)


def test_return_page_is_only_for_the_buyer(app, fake_stripe):
    o, _ = _paying_buyer(app, fake_stripe)
    stranger = app.test_client()
    assert stranger.get(f"/pay/{o['number']}/return").status_code == 302  # to the login page
    with app.app_context():
        from tests.factories import make_user

        other = make_user().id
        db.session.commit()
    log_in(stranger, other)
    assert stranger.get(f"/pay/{o['number']}/return").status_code == 404


def test_a_stripe_timeout_on_the_return_page_changes_nothing(app, fake_stripe):
    o, client = _paying_buyer(app, fake_stripe)
    fake_stripe.complete(o["session_id"])
    fake_stripe.fail("timeout", path="/v1/checkout/sessions/", method="GET")
    assert "could not confirm" in _return(client, o, session_id=o["session_id"]).get_data(as_text=True)
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"
