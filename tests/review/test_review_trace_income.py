"""Review: a lot's trace income after a restocking refund of a line that took units from two lots."""
from sqlalchemy import func, select

from shop.extensions import db
from shop.ledger.models import LedgerPosting
from shop.payments.refunds import request_refund, settle_refund
from shop.supply.services import record_supply_lot
from shop.trace.services import lot_income
from tests.factories import make_household, quick_user
from tests.ledger.ledger_world import Walnuts, buy


def test_a_restocked_refund_of_one_unit_does_not_drop_the_other_lots_households_money(ctx):
    """Two units, one from each lot, each lot grown by different households. One unit is refunded and put
    back; restocking releases the newest allocation (the second lot's). The refund took its money from
    every household of the line in proportion, so the second lot's household still has half of its
    share on the line in the ledger; lot_income weights by the units the line *holds now* (only the
    first lot), where that household has no part, so its money counts on no trace page at all."""
    w = Walnuts(shares=(1,))  # a lot of one unit, from household A
    other = make_household(w.coop)
    second = record_supply_lot(w.coop, w.variant.id, 5, w.lot.harvested_on, [(other.id, 5)], w.manager.id)
    order = buy(quick_user(), (w.variant, 2))  # one unit from each lot
    line = order.lines[0]
    refund = request_refund(order, key="one-unit", staff_id=None, mode="lines", quantities={line.id: 1},
                            restock=True)
    assert settle_refund(refund.id)
    db.session.flush()
    ledger = -int(db.session.scalar(select(func.sum(LedgerPosting.amount_fen)).where(
        LedgerPosting.line_id == line.id, LedgerPosting.account == "household_pending",
        LedgerPosting.household_id == other.id)))
    assert ledger > 0  # the second lot's household still earns on this line
    assert lot_income(second.id).pending_fen == ledger
    assert lot_income(w.lot.id).pending_fen + lot_income(second.id).pending_fen == -int(db.session.scalar(
        select(func.sum(LedgerPosting.amount_fen)).where(LedgerPosting.line_id == line.id,
                                                         LedgerPosting.account == "household_pending",
                                                         LedgerPosting.household_id.is_not(None))))
