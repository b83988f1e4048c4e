"""Payouts to cooperatives with a Stripe Connect account: a transfer per payout try, sent after commit
with an idempotency key, so a timeout, a crash or a second run never pays twice."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.orders.services import confirm_receipt
from shop.payouts.models import Payout
from shop.ledger.services import payable_balances
from shop.orders.models import Order
from shop.payments.refunds import request_refund, settle_refund
from shop.payouts.services import cancel_payout, retry_payout, run_payouts, send_pending_stripe_payouts
from shop.payouts.settlement import settle_due_shipments
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order

LATER = datetime.now(timezone.utc) + timedelta(days=30)


def _sell_and_settle(world: CoopWorld, units: int = 2) -> Order:
    order = place_paid_order(world.variant, units)
    ship_shipment(order.shipments[0], "SF", "SF1234567890")
    confirm_receipt(order, order.shipments[0].id)
    settle_due_shipments(LATER)
    db.session.commit()
    return order


def _stripe_world(app, account: str = "acct_test_longnan") -> CoopWorld:
    app.config["PAYOUT_MINIMUM_FEN"] = 1
    world = CoopWorld(payout_method="stripe", stripe_account_id=account)
    record_supply_lot(world.coop, world.variant.id, 30, HARVEST, [(h.id, 10) for h in world.households],
                      world.manager.id)
    return world


def _settled_sale(app, account: str = "acct_test_longnan") -> tuple[int, int]:
    """A settled sale of two units by a Stripe cooperative; returns (coop id, order id)."""
    with app.app_context():
        world = _stripe_world(app, account)
        return world.coop.id, _sell_and_settle(world).id


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


def _paid_transfer_then_refund(app, fake_stripe, units: int = 1) -> tuple[int, Payout]:
    """Pay the settled sale out by transfer, then refund units of it: the cooperative owes the platform."""
    coop_id, order_id = _settled_sale(app)
    with app.app_context():
        run_payouts()
        db.session.commit()
        assert send_pending_stripe_payouts() == {"paid": 1}
        order = db.session.get(Order, order_id)
        refund = request_refund(order, mode="lines", key="after-transfer", staff_id=None,
                                quantities={order.lines[0].id: units})
        assert settle_refund(refund.id)
        db.session.commit()
        owed_back = -sum(owed for _a, _h, owed in payable_balances(coop_id))
        assert owed_back > 0
        (transfer,) = _payouts()
        return owed_back, transfer


def test_a_refund_after_a_stripe_transfer_is_taken_back_by_a_reversal_once(app, fake_stripe):
    owed_back, transfer = _paid_transfer_then_refund(app, fake_stripe)
    with app.app_context():
        run = run_payouts()
        db.session.commit()
        (reversal,) = run.payouts
        assert (reversal.kind, reversal.amount_fen, reversal.reverses_id) == ("reversal", owed_back, transfer.id)
        assert reversal.signed_fen == -owed_back
        assert run_payouts() is None  # what was owed back is set aside: nothing more to reverse
        fake_stripe.fail("timeout", path=f"/v1/transfers/{transfer.reference}/reversals")
        assert send_pending_stripe_payouts() == {"pending": 1}
        assert send_pending_stripe_payouts() == {"paid": 1}  # the same key: one reversal
        reversal = _payouts()[-1]
        assert reversal.status == "paid" and reversal.reference.startswith("trr_")
        assert payable_balances(transfer.coop_id) == []
        assert check_ledger() == []
    assert len(fake_stripe.transfer_reversals) == 1
    assert fake_stripe.transfers[transfer.reference]["amount_reversed"] == owed_back
    keys = {key for _m, path, _p, key in fake_stripe.requests if path.endswith("/reversals")}
    assert keys == {f"payout-{reversal.id}-try-1"}


def test_a_refused_reversal_is_retried_or_cancelled_and_then_owed_again(app, fake_stripe):
    owed_back, transfer = _paid_transfer_then_refund(app, fake_stripe)
    fake_stripe.drained_accounts.add("acct_test_longnan")
    with app.app_context():
        run_payouts()
        db.session.commit()
        assert send_pending_stripe_payouts() == {"failed": 1}
        reversal = _payouts()[-1]
        assert "Insufficient" in reversal.failure_reason and check_ledger() == []
        assert cancel_payout(reversal.id)
        db.session.commit()
        assert -sum(owed for _a, _h, owed in payable_balances(transfer.coop_id)) == owed_back  # owed again
        fake_stripe.drained_accounts.clear()
        run = run_payouts()  # a new reversal; the cancelled one does not count against the transfer
        db.session.commit()
        assert send_pending_stripe_payouts() == {"paid": 1}
        assert [p.kind for p in run.payouts] == ["reversal"] and check_ledger() == []
    assert fake_stripe.transfers[transfer.reference]["amount_reversed"] == owed_back


def test_no_reversal_beyond_what_is_left_of_one_transfer(app, fake_stripe):
    """Two sales paid in two transfers, then both refunded: no single transfer holds the whole debt, so
    nothing is reversed and the next payouts deduct it (as for a bank cooperative)."""
    with app.app_context():
        world = _stripe_world(app)
        orders = []
        for _ in range(2):
            orders.append(_sell_and_settle(world))
            run_payouts()
            db.session.commit()
            assert send_pending_stripe_payouts() == {"paid": 1}
        for n, order in enumerate(orders):
            assert settle_refund(request_refund(order, mode="whole", key=f"all-{n}", staff_id=None).id)
        db.session.commit()
        owed_back = -sum(owed for _a, _h, owed in payable_balances(world.coop.id))
        assert owed_back > max(p.amount_fen for p in _payouts())
        assert run_payouts() is None
        assert check_ledger() == []


def test_a_retried_bank_payout_has_a_new_reference_in_the_batch(app):
    from shop.payouts.services import bank_batch_csv, mark_payout_failed

    app.config["PAYOUT_MINIMUM_FEN"] = 1
    with app.app_context():
        world = CoopWorld(payout_method="bank")
        record_supply_lot(world.coop, world.variant.id, 30, HARVEST, [(h.id, 10) for h in world.households],
                          world.manager.id)
        order = place_paid_order(world.variant, 2)
        ship_shipment(order.shipments[0], "SF", "SF1234567890")
        confirm_receipt(order, order.shipments[0].id)
        settle_due_shipments(LATER)
        run = run_payouts()
        (payout,) = run.payouts
        assert payout.number in bank_batch_csv(run) and payout.transfer_reference == payout.number
        assert mark_payout_failed(payout.id, "account closed") and retry_payout(payout.id)
        db.session.refresh(payout)
        assert f"{payout.number}-2" in bank_batch_csv(run)
        assert check_ledger() == []


def test_staff_run_then_send_from_the_page_and_see_the_reversal(app, client, fake_stripe):
    """The run button only creates payouts; the send button asks Stripe; a reversal shows as money back."""
    from tests.factories import log_in, make_user

    en = {"Accept-Language": "en"}
    owed_back, transfer = _paid_transfer_then_refund(app, fake_stripe)
    with app.app_context():
        staff_id = make_user(is_staff=True).id
        db.session.commit()
    log_in(client, staff_id)
    page = client.post("/staff/payouts/run", headers=en, follow_redirects=True).get_data(as_text=True)
    assert "1 payout(s)" in page and "Send 1 Stripe payout now" in page and "Reversal of " + transfer.number in page
    assert fake_stripe.transfer_reversals == {}  # nothing sent inside the run's request
    page = client.post("/staff/payouts/send", headers=en, follow_redirects=True).get_data(as_text=True)
    assert "1 Paid out" in page and "Send 1 Stripe payout" not in page
    with app.app_context():
        reversal = _payouts()[-1]
        assert reversal.kind == "reversal" and reversal.status == "paid" and check_ledger() == []
    detail = client.get(f"/staff/payouts/{reversal.id}", headers=en).get_data(as_text=True)
    assert f"-¥{owed_back // 100}.{owed_back % 100:02d}" in detail and "takes back part of Stripe transfer" in detail
    page = client.post("/staff/payouts/send", headers=en, follow_redirects=True).get_data(as_text=True)
    assert "No Stripe payout is waiting" in page
