"""Review: Stripe keeps an idempotency key for 24 hours only. A refund or a payout whose answer was lost and
that is sent again later (the cron, a staff retry) must be looked up first: the old key no longer finds what it
made, and creating it again would give the money twice."""
from datetime import timedelta

from sqlalchemy import select, update

from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.payments.models import Refund
from shop.payments.refunds import request_refund, send_refund
from shop.payouts.models import Payout
from shop.payouts.services import run_payouts, send_pending_stripe_payouts
from shop.types import utcnow
from tests.payments.conftest import get_order
from tests.payments.test_refunds import _stripe_paid
from tests.payments.test_stripe_transfers import _settled_sale

A_DAY_LATER = timedelta(days=2)


def _stripe_forgets_the_keys(fake) -> None:
    fake._idem.clear()


def test_a_refund_whose_answer_was_lost_is_looked_up_when_sent_again_after_its_key_expired(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe)
    fake_stripe.fail("lost", path="/v1/refunds")  # Stripe made it; the answer never arrived
    with app.app_context():
        refund = request_refund(get_order(o["number"]), mode="amount", amount_fen=500, key="keys-1", staff_id=None)
        db.session.commit()
        assert send_refund(refund) == "pending"
        db.session.execute(update(Refund).values(created_at=utcnow() - A_DAY_LATER))
        db.session.commit()
    fake_stripe.take_outbox()
    _stripe_forgets_the_keys(fake_stripe)
    with app.app_context():
        refund = db.session.scalar(select(Refund))
        assert send_refund(refund) == "succeeded"
        refund = db.session.scalar(select(Refund).execution_options(populate_existing=True))
        assert refund.provider_ref in fake_stripe.refunds
        assert check_ledger() == []
    assert len(fake_stripe.refunds) == 1


def test_a_transfer_whose_answer_was_lost_is_looked_up_when_sent_again_after_its_key_expired(app, fake_stripe):
    _settled_sale(app)
    fake_stripe.fail("lost", path="/v1/transfers")
    with app.app_context():
        run_payouts()
        db.session.commit()
        assert send_pending_stripe_payouts() == {"pending": 1}
        db.session.execute(update(Payout).values(created_at=utcnow() - A_DAY_LATER))
        db.session.commit()
    _stripe_forgets_the_keys(fake_stripe)
    with app.app_context():
        assert send_pending_stripe_payouts() == {"paid": 1}
        payout = db.session.scalar(select(Payout).execution_options(populate_existing=True))
        assert payout.reference in fake_stripe.transfers
        assert check_ledger() == []
    assert len(fake_stripe.transfers) == 1


def test_the_lookup_reads_every_page_of_the_payments_refunds(app, fake_stripe):
    """A lost refund, then newer refunds of the same payment: looked up a day later, it is on a later page."""
    o = _stripe_paid(app, fake_stripe)
    fake_stripe.page_size_cap = 2
    fake_stripe.fail("lost", path="/v1/refunds")
    with app.app_context():
        lost = request_refund(get_order(o["number"]), mode="amount", amount_fen=100, key="keys-lost", staff_id=None)
        db.session.commit()
        assert send_refund(lost) == "pending"
        lost_id = lost.id
        for n in range(3):
            newer = request_refund(get_order(o["number"]), mode="amount", amount_fen=100, key=f"keys-{n}",
                                   staff_id=None)
            db.session.commit()
            assert send_refund(newer) == "succeeded"
        db.session.execute(update(Refund).where(Refund.id == lost_id).values(created_at=utcnow() - A_DAY_LATER))
        db.session.commit()
    fake_stripe.take_outbox()
    _stripe_forgets_the_keys(fake_stripe)
    with app.app_context():
        assert send_refund(db.session.get(Refund, lost_id)) == "succeeded"
        assert check_ledger() == []
    assert len(fake_stripe.refunds) == 4
