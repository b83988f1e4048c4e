"""The walnut example of docs/DOMAIN.md, end to end through the services: placed, paid, shipped, delivered,
settled after the refund window, paid out, and handed on to households A, B and C."""
import pytest
from sqlalchemy import select

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.ledger.models import LedgerTransaction
from shop.orders.services import confirm_receipt
from shop.payouts.models import Payout
from shop.payouts.services import build_statement, mark_payout_paid, record_handover, run_payouts
from shop.payouts.settlement import settle_due_shipments
from shop.types import today_local
from tests.ledger.ledger_world import (Walnuts, account_balance, after_refund_window, buy, coop_payable, line_parts,
                                       quick_user)


@pytest.fixture
def low_minimum(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", 100)


def test_walnuts_from_order_to_household_handover(ctx, low_minimum):
    w = Walnuts()
    a, b, c = w.household_ids
    order = buy(quick_user(), (w.variant, 2))
    (line,) = order.lines
    (shipment,) = order.shipments

    # Placed: the split is frozen on the line, exactly as the worked example says.
    assert (order.subtotal_fen, order.shipping_fen, order.total_fen) == (13_600, 1_000, 14_600)
    assert (line.gross_fen, line.commission_fen, line.retention_fen, line.household_pool_fen) == \
        (13_600, 680, 1_292, 11_628)
    assert [(s.household_id, s.amount_fen) for s in line.shares] == [(a, 5_814), (b, 3_488), (c, 2_326)]

    # Paid: cash in, every part owed and pending.
    assert order.status == "paid"
    assert account_balance("cash") == 14_600
    assert account_balance("commission") == -680
    assert account_balance("retention_pending", w.coop.id) == -1_292
    assert account_balance("shipping_pending", w.coop.id) == -1_000
    assert account_balance("household_pending", w.coop.id) == -11_628
    assert line_parts(line.id) == {("F", None): 680, ("K", None): 1_292, ("H", a): 5_814, ("H", b): 3_488,
                                   ("H", c): 2_326}
    assert check_ledger() == []

    # Shipped and delivered: nothing is payable before the refund window has passed.
    assert ship_shipment(shipment, "中国邮政", "EMS1234567890")
    assert confirm_receipt(order, shipment.id)
    assert order.status == "completed"
    assert settle_due_shipments() == 0
    assert run_payouts() is None
    assert check_ledger() == []

    # Settled after the window: pending becomes payable.
    assert settle_due_shipments(after_refund_window()) == 1
    db.session.refresh(shipment)
    assert shipment.status == "settled"
    assert db.session.scalar(select(LedgerTransaction.kind).where(
        LedgerTransaction.key == f"settle:shipment:{shipment.id}")) == "settlement"
    for pending in ("retention_pending", "shipping_pending", "household_pending"):
        assert account_balance(pending, w.coop.id) == 0
    assert coop_payable(w.coop.id) == 1_292 + 1_000 + 11_628 == 13_920
    assert check_ledger() == []

    # Paid out: one payout of everything payable; a second run finds nothing to pay.
    run = run_payouts()
    (payout,) = run.payouts
    assert (payout.coop_id, payout.amount_fen, payout.status, payout.method) == (w.coop.id, 13_920, "pending", "bank")
    assert run_payouts() is None
    assert coop_payable(w.coop.id) == 0
    assert account_balance("payout_transit", w.coop.id) == -13_920
    assert check_ledger() == []
    assert mark_payout_paid(payout.id, "BANK-REF-1")
    assert not mark_payout_paid(payout.id, "BANK-REF-1")  # paid once
    assert account_balance("payout_transit", w.coop.id) == 0
    assert account_balance("cash") == 14_600 - 13_920 == 680  # what is left is the commission
    assert check_ledger() == []

    # The distribution statement: A 5,814, B 3,488, C 2,326, plus retention and shipping.
    payout = db.session.get(Payout, payout.id, populate_existing=True)
    statement = build_statement(payout)
    assert [(r.household_id, r.amount_fen) for r in statement.households] == [(a, 5_814), (b, 3_488), (c, 2_326)]
    assert (statement.retention_fen, statement.shipping_fen, statement.households_fen) == (1_292, 1_000, 11_628)
    assert statement.households_fen + statement.retention_fen + statement.shipping_fen == payout.amount_fen

    for household_id, method in ((a, "cash"), (b, "bank"), (c, "cash")):
        record_handover(payout, household_id, today_local(), method, w.manager.id)
    statement = build_statement(payout)
    assert statement.waiting == []
    assert [(r.household_id, r.handover.amount_fen, r.handover.method) for r in statement.households] == \
        [(a, 5_814, "cash"), (b, 3_488, "bank"), (c, 2_326, "cash")]
    assert check_ledger() == []
