"""Review: the buyer's return page and Stripe's webhook arrive at the same moment (they usually do). Whatever
the session says, both answer without an error and the payment is recorded once."""
import threading

from sqlalchemy import func, select

from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.payments.models import Payment, PaymentFlag
from tests.factories import log_in
from tests.payments.conftest import make_pending_order


def _race(app, fake, amount_delta: int) -> list[int]:
    o = make_pending_order(app)
    buyer = app.test_client()
    log_in(buyer, o["buyer_id"])
    session_id = buyer.get(f"/pay/{o['number']}").headers["Location"].rsplit("/", 1)[1]
    event = fake.complete(session_id, amount_total=o["total"] + amount_delta)
    barrier, codes = threading.Barrier(3), []

    def webhook():
        barrier.wait()
        codes.extend(fake.deliver(event))

    def back_from_stripe():
        client = app.test_client()
        log_in(client, o["buyer_id"])
        barrier.wait()
        codes.append(client.get(f"/pay/{o['number']}/return?session_id={session_id}").status_code)

    threads = [threading.Thread(target=webhook), threading.Thread(target=back_from_stripe),
               threading.Thread(target=back_from_stripe)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return codes


def test_a_mismatched_payment_seen_by_the_webhook_and_the_return_page_at_once(app, fake_stripe, needs_postgres):
    for _ in range(6):
        assert _race(app, fake_stripe, amount_delta=100) == [200, 200, 200]
    with app.app_context():
        assert db.session.scalar(select(func.count(Payment.id))) == 6
        assert db.session.scalar(select(func.count(PaymentFlag.id))) == 6
        assert check_ledger() == []


def test_a_payment_seen_by_the_webhook_and_the_return_page_at_once(app, fake_stripe, needs_postgres):
    for _ in range(6):
        assert sorted(_race(app, fake_stripe, amount_delta=0)) == [200, 200, 200]
    with app.app_context():
        assert db.session.scalar(select(func.count(Payment.id))) == 6
        assert check_ledger() == []
