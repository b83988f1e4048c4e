"""Payouts to cooperatives with a Stripe Connect account: a transfer per payout try, sent after commit
with an idempotency key, so a timeout, a crash or a second run never pays twice."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.orders.services import confirm_receipt
from shop.payouts.models import Payout
from shop.payouts.services import retry_payout, run_payouts, send_pending_stripe_payouts
from shop.payouts.settlement import settle_due_shipments
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order

LATER = datetime.now(timezone.utc) + timedelta(days=30)


def _settled_sale(app, account: str = "acct_test_longnan") -> int:
    app.config["PAYOUT_MINIMUM_FEN"] = 1
    with app.app_context():
        world = CoopWorld(payout_method="stripe", stripe_account_id=account)
        record_supply_lot(world.coop, world.variant.id, 30, HARVEST, [(h.id, 10) for h in world.households],
                          world.manager.id)
        order = place_paid_order(world.variant, 2)
        ship_shipment(order.shipments[0], "SF", "SF1234567890")
        confirm_receipt(order, order.shipments[0].id)
        settle_due_shipments(LATER)
        db.session.commit()
        return world.coop.id


def _payouts():
    return db.session.scalars(select(Payout).order_by(Payout.id).execution_options(populate_existing=True)).all()


def test_a_stripe_payout_is_one_transfer_even_after_a_timeout(app, fake_stripe):
    _settled_sale(app)
    fake_stripe.fail("timeout", path="/v1/transfers")
    with app.app_context():
        run_payouts()
        db.session.commit()
        assert send_pending_stripe_payouts() == {"pending": 1}  # unknown outcome: kept pending
        assert send_pending_stripe_payouts() == {"paid": 1}  # same key: Stripe returns the transfer
        assert send_pending_stripe_payouts() == {}
        (payout,) = _payouts()
        assert payout.status == "paid" and payout.reference.startswith("tr_")
        assert check_ledger() == []
    assert len(fake_stripe.transfers) == 1
    (transfer,) = fake_stripe.transfers.values()
    assert transfer["amount"] == payout.amount_fen and transfer["destination"] == "acct_test_longnan"
    keys = {key for method, path, _params, key in fake_stripe.requests if path == "/v1/transfers"}
    assert keys == {f"payout-{payout.id}-try-1"}


def test_a_refused_transfer_fails_and_a_retry_pays_once(app, fake_stripe):
    _settled_sale(app, account="acct_test_unknown")
    with app.app_context():
        run_payouts()
        db.session.commit()
        assert send_pending_stripe_payouts() == {"failed": 1}
        (payout,) = _payouts()
        assert payout.status == "failed" and "destination" in payout.failure_reason
        fake_stripe.connected_accounts.add("acct_test_unknown")
        assert retry_payout(payout.id)
        db.session.commit()
        assert send_pending_stripe_payouts() == {"paid": 1}
        (payout,) = _payouts()
        assert (payout.status, payout.attempt) == ("paid", 2)
        assert check_ledger() == []
    assert len(fake_stripe.transfers) == 1
