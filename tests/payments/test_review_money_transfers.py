"""Review: a Stripe Connect transfer (or reversal) answered with a 5xx may have been made. Stripe saves the
500 under the idempotency key, so a retry replays it; the payout must be looked up, never sent again under a
new key (which would pay the cooperative twice)."""
from sqlalchemy import select

from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.ledger.services import payable_balances
from shop.payouts.models import Payout
from shop.payouts.services import retry_payout, run_payouts, send_pending_stripe_payouts
from tests.payments.fake_stripe import StripeHTTPError
from tests.payments.test_stripe_transfers import _paid_transfer_then_refund, _settled_sale


def _payouts():
    return db.session.scalars(select(Payout).order_by(Payout.id).execution_options(populate_existing=True)).all()


def _made_then_500(fake, name: str, times: int = 1):
    """Make the next `times` calls of the fake's `name` do their work, then answer 500 (saved under the key)."""
    original = getattr(fake, name)
    left = [times]

    def made_then_failed(*args):
        answer = original(*args)
        if left[0] <= 0:
            return answer
        left[0] -= 1
        raise StripeHTTPError(500, "api_error", "Something went wrong on Stripe's end.")

    setattr(fake, name, made_then_failed)


def test_a_transfer_made_but_answered_500_is_found_and_paid_once(app, fake_stripe):
    _settled_sale(app)
    _made_then_500(fake_stripe, "_create_transfer")
    with app.app_context():
        run_payouts()
        db.session.commit()
        counts = send_pending_stripe_payouts()
        (payout,) = _payouts()
        assert payout.status != "failed", counts  # a failed payout invites a retry under a new key
        send_pending_stripe_payouts()
        (payout,) = _payouts()
        assert payout.status == "paid" and payout.reference in fake_stripe.transfers
        assert not retry_payout(payout.id)
        assert check_ledger() == []
    assert len(fake_stripe.transfers) == 1


def test_a_transfer_answered_500_and_not_made_fails_and_a_retry_pays_once(app, fake_stripe):
    _settled_sale(app)
    fake_stripe.fail("500", path="/v1/transfers")
    with app.app_context():
        run_payouts()
        db.session.commit()
        send_pending_stripe_payouts()
        send_pending_stripe_payouts()  # the same key replays the 500 and Stripe holds no transfer: failed
        (payout,) = _payouts()
        assert payout.status == "failed"
        assert retry_payout(payout.id)
        db.session.commit()
        assert send_pending_stripe_payouts() == {"paid": 1}
        assert check_ledger() == []
    assert len(fake_stripe.transfers) == 1


def test_a_reversal_made_but_answered_500_is_found_and_taken_back_once(app, fake_stripe):
    owed_back, transfer = _paid_transfer_then_refund(app, fake_stripe)
    _made_then_500(fake_stripe, "_create_transfer_reversal")
    with app.app_context():
        run_payouts()
        db.session.commit()
        send_pending_stripe_payouts()
        reversal = _payouts()[-1]
        assert reversal.status != "failed"
        send_pending_stripe_payouts()
        reversal = _payouts()[-1]
        assert reversal.status == "paid" and reversal.reference in fake_stripe.transfer_reversals
        assert payable_balances(transfer.coop_id) == []
        assert check_ledger() == []
    assert len(fake_stripe.transfer_reversals) == 1
    assert fake_stripe.transfers[transfer.reference]["amount_reversed"] == owed_back


def test_a_refused_reversal_retried_after_the_cooperative_moved_to_bank_stays_a_stripe_reversal(app, fake_stripe):
    """Money owed back is taken back from the Stripe transfer; it can never become a bank payment to the
    cooperative (the batch CSV would send it the money the books say came back)."""
    from shop.coops.models import Cooperative
    from shop.payouts.services import bank_batch_csv

    owed_back, transfer = _paid_transfer_then_refund(app, fake_stripe)
    fake_stripe.drained_accounts.add("acct_test_longnan")
    with app.app_context():
        run = run_payouts()
        db.session.commit()
        assert send_pending_stripe_payouts() == {"failed": 1}
        reversal = _payouts()[-1]
        db.session.get(Cooperative, reversal.coop_id).payout_method = "bank"
        db.session.commit()
        fake_stripe.drained_accounts.clear()
        assert retry_payout(reversal.id)
        db.session.commit()
        reversal = _payouts()[-1]
        assert (reversal.kind, reversal.method, reversal.attempt) == ("reversal", "stripe", 2)
        assert reversal.number not in bank_batch_csv(db.session.get(type(run), run.id))
        assert send_pending_stripe_payouts() == {"paid": 1}
        assert payable_balances(transfer.coop_id) == [] and check_ledger() == []
    assert fake_stripe.transfers[transfer.reference]["amount_reversed"] == owed_back
