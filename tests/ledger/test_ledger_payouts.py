"""Payouts on the worked walnut order: a refund after a payout comes off the next one (household by
household), a failed payout is paid once after a retry, a cancelled one is owed again, and nobody is paid
below the minimum."""
import pytest

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.ledger.services import payable_balances
from shop.orders.services import confirm_receipt
from shop.payments.refunds import request_refund, settle_refund
from shop.payouts.models import Payout
from shop.payouts.services import (build_statement, cancel_payout, mark_payout_failed, mark_payout_paid,
                                   retry_payout, run_payouts)
from shop.payouts.settlement import settle_due_shipments
from tests.ledger.ledger_world import Walnuts, account_balance, after_refund_window, buy, coop_payable, quick_user

SETTLED = 1_292 + 11_628 + 1_000  # K + H + shipping of one walnut order (2 × 6,800 + 1,000 shipping)


@pytest.fixture
def minimum(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", 1)
    return lambda fen: monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", fen)


def _settled_order(w: Walnuts, days: int = 1):
    order = buy(quick_user(), (w.variant, 2))
    (shipment,) = order.shipments
    assert ship_shipment(shipment, "中国邮政", "EMS1234567890")
    assert confirm_receipt(order, shipment.id)
    assert settle_due_shipments(after_refund_window(days)) == 1
    return order


def _statement(payout_id: int):
    s = build_statement(db.session.get(Payout, payout_id, populate_existing=True))
    return [(r.household_id, r.amount_fen) for r in s.households], s.retention_fen, s.shipping_fen


def test_a_refund_after_a_payout_comes_off_the_next_payout_household_by_household(ctx, minimum):
    w = Walnuts()
    a, b, c = w.household_ids
    first = _settled_order(w)
    (payout,) = run_payouts().payouts
    assert payout.amount_fen == SETTLED
    assert mark_payout_paid(payout.id, "BANK-1")

    # One of the two units comes back after the money went out: exactly half of every part (F 340).
    refund = request_refund(first, mode="lines", key="after-payout", staff_id=None, quantities={first.lines[0].id: 1})
    assert settle_refund(refund.id)
    assert coop_payable(w.coop.id) == -(6_800 - 340)
    assert payable_balances(w.coop.id) == [("household_payable", a, -2_907), ("household_payable", b, -1_744),
                                           ("household_payable", c, -1_163), ("retention_payable", None, -646)]
    assert run_payouts() is None  # nothing to pay while the cooperative owes
    assert check_ledger() == []

    _settled_order(w, days=2)
    (second,) = run_payouts().payouts
    assert second.amount_fen == SETTLED - 6_460 == 7_460
    assert _statement(second.id) == ([(a, 5_814 - 2_907), (b, 3_488 - 1_744), (c, 2_326 - 1_163)], 1_292 - 646, 1_000)
    assert coop_payable(w.coop.id) == 0
    assert mark_payout_paid(second.id, "BANK-2")
    assert account_balance("cash") == 2 * 14_600 - 6_800 - SETTLED - 7_460
    assert check_ledger() == []


def test_a_failed_payout_stays_set_aside_and_a_retry_pays_it_once(ctx, minimum):
    w = Walnuts()
    _settled_order(w)
    (payout,) = run_payouts().payouts
    assert mark_payout_failed(payout.id, "account closed")
    assert not mark_payout_failed(payout.id, "again")
    assert not mark_payout_paid(payout.id, "late answer")  # a failed payout is paid only after a retry
    assert run_payouts() is None  # its money is set aside, not owed again
    assert account_balance("payout_transit", w.coop.id) == -SETTLED
    assert check_ledger() == []

    assert retry_payout(payout.id)
    assert not retry_payout(payout.id)
    payout = db.session.get(Payout, payout.id, populate_existing=True)
    assert (payout.status, payout.attempt, payout.idempotency_key) == ("pending", 2, f"payout-{payout.id}-try-2")
    assert mark_payout_paid(payout.id, "BANK-2")
    assert not mark_payout_paid(payout.id, "BANK-2")
    assert not retry_payout(payout.id) and not cancel_payout(payout.id)
    assert account_balance("payout_transit", w.coop.id) == 0
    assert account_balance("cash") == 14_600 - SETTLED
    assert check_ledger() == []


def test_a_cancelled_payout_is_owed_again_exactly_and_paid_by_the_next_run(ctx, minimum):
    w = Walnuts()
    _settled_order(w)
    owed = payable_balances(w.coop.id)
    (payout,) = run_payouts().payouts
    assert not cancel_payout(payout.id)  # only a failed payout can be given up
    assert mark_payout_failed(payout.id, "wrong account number")
    assert cancel_payout(payout.id)
    assert not cancel_payout(payout.id)
    assert not retry_payout(payout.id) and not mark_payout_paid(payout.id, "late")
    assert payable_balances(w.coop.id) == owed
    assert account_balance("payout_transit", w.coop.id) == 0
    assert check_ledger() == []

    (again,) = run_payouts().payouts
    assert again.id != payout.id and again.amount_fen == SETTLED
    assert mark_payout_paid(again.id, "BANK-3")
    assert account_balance("cash") == 14_600 - SETTLED
    assert check_ledger() == []


def test_nobody_is_paid_below_the_minimum(ctx, minimum):
    minimum(SETTLED + 1)
    w = Walnuts()
    _settled_order(w)
    assert run_payouts() is None
    _settled_order(w, days=2)
    (payout,) = run_payouts().payouts
    assert payout.amount_fen == 2 * SETTLED
    assert check_ledger() == []
