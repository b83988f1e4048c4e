"""The command-line jobs: `flask --app shop ledger check` and `flask --app shop orders settle`."""
from datetime import timedelta

from sqlalchemy import select

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.ledger.models import LedgerPosting, LedgerTransaction
from shop.orders.models import Shipment
from shop.orders.services import deliver_shipment
from shop.payments.refunds import request_refund, send_refund
from shop.payouts.services import mark_payout_paid, run_payouts
from shop.payouts.settlement import settle_due_shipments
from shop.types import utcnow
from tests.ledger.ledger_world import Walnuts, after_refund_window, buy, quick_user


def _ship_and_deliver(order, delivered_at):
    (shipment,) = order.shipments
    assert ship_shipment(shipment, "中国邮政", "EMS1234567890", now=delivered_at - timedelta(days=2))
    assert deliver_shipment(shipment.id, delivered_at)
    return shipment.id


def test_ledger_check_exits_0_on_consistent_books_and_1_naming_an_unbalanced_transaction(app, monkeypatch):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 0, result.output
    assert "The ledger is consistent." in result.output

    monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", 1)
    with app.app_context():  # a paid, settled and paid-out order, and one refunded in part
        w = Walnuts()
        _ship_and_deliver(buy(quick_user(), (w.variant, 2)), utcnow())
        assert settle_due_shipments(after_refund_window()) == 1
        (payout,) = run_payouts().payouts
        assert mark_payout_paid(payout.id, "BANK-1")
        other = buy(quick_user(), (w.variant, 1))
        assert send_refund(request_refund(other, mode="amount", key="part", staff_id=None, amount_fen=123)) == \
            "succeeded"
        db.session.commit()
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 0, result.output
    assert "VIOLATION" not in result.output

    with app.app_context():  # a transaction with a single posting: money from nowhere
        now = utcnow()
        db.session.add(LedgerTransaction(key="test:one-sided", kind="stray_payment", posted_at=now, postings=[
            LedgerPosting(kind="stray_payment", posted_at=now, account="suspense", amount_fen=250)]))
        db.session.commit()
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 1, result.output
    assert "VIOLATION: transaction test:one-sided does not balance: +250 fen" in result.output
    # Written past post(), it is not in the monthly roll-up either, and the check says so.
    assert "VIOLATION: cooperative 0, suspense stray_payment, household 0, product -" in result.output
    assert "2 violation(s)." in result.output


def test_orders_settle_settles_only_shipments_delivered_more_than_the_refund_window_ago(app):
    days = app.config["REFUND_WINDOW_DAYS"]
    with app.app_context():
        w = Walnuts()
        now = utcnow()
        due = _ship_and_deliver(buy(quick_user(), (w.variant, 1)), now - timedelta(days=days, minutes=5))
        long_ago = _ship_and_deliver(buy(quick_user(), (w.variant, 1)), now - timedelta(days=days + 30))
        not_yet = _ship_and_deliver(buy(quick_user(), (w.variant, 1)), now - timedelta(days=days, minutes=-5))
        today = _ship_and_deliver(buy(quick_user(), (w.variant, 1)), now)
        in_transit = buy(quick_user(), (w.variant, 1)).shipments[0]
        assert ship_shipment(in_transit, "中国邮政", "EMS1", now=now - timedelta(days=days + 30))
        in_transit = in_transit.id
        unpaid = buy(quick_user(), (w.variant, 1), pay=False).shipments[0].id
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["orders", "settle"])
    assert result.exit_code == 0, result.output
    assert "Settled 2 shipment(s)." in result.output

    with app.app_context():
        status = dict(db.session.execute(select(Shipment.id, Shipment.status)).all())
        assert status == {due: "settled", long_ago: "settled", not_yet: "delivered", today: "delivered",
                          in_transit: "shipped", unpaid: "awaiting_fulfilment"}
        settled = set(db.session.scalars(select(LedgerTransaction.shipment_id)
                                         .where(LedgerTransaction.kind == "settlement")))
        assert settled == {due, long_ago}
        assert check_ledger() == []

    result = app.test_cli_runner().invoke(args=["orders", "settle"])  # again: nothing more is due
    assert result.exit_code == 0 and "Settled 0 shipment(s)." in result.output
