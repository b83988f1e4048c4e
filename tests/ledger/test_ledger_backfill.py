"""Migration 0005 brings the orders and refunds made before the ledger into it: its backfill() must write
exactly the books the services write today, and allocate old refunds (which had no allocation) the same
way request_refund does."""
import importlib.util
from pathlib import Path

from sqlalchemy import delete, select

from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.ledger.models import LedgerPosting, LedgerTransaction
from shop.orders.services import cancel_order
from shop.payments.fulfilment import apply_payment
from shop.payments.models import Refund, RefundLine, RefundShipping
from shop.payments.refunds import fail_refund, request_refund, settle_refund
from tests.factories import make_coop, make_product
from tests.ledger.ledger_world import Walnuts, buy, posting_sums, quick_user

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0005_ledger_refunds_allocated_payouts.py"


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0005_under_test", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _allocations() -> dict[int, tuple[list, list]]:
    lines = db.session.execute(select(RefundLine.refund_id, RefundLine.line_id, RefundLine.quantity,
                                      RefundLine.amount_fen).order_by(RefundLine.refund_id, RefundLine.line_id)).all()
    shipping = db.session.execute(select(RefundShipping.refund_id, RefundShipping.shipment_id,
                                         RefundShipping.amount_fen)
                                  .order_by(RefundShipping.refund_id, RefundShipping.shipment_id)).all()
    return {rid: ([tuple(r[1:]) for r in lines if r[0] == rid], [tuple(r[1:]) for r in shipping if r[0] == rid])
            for rid in db.session.scalars(select(Refund.id).order_by(Refund.id))}


def _refund(order, key, settle=True, **kw) -> Refund:
    refund = request_refund(order, key=key, staff_id=None, **kw)
    if settle:
        assert settle_refund(refund.id)
    return refund


def test_backfill_writes_the_same_books_as_the_services(ctx):
    w = Walnuts()
    walnuts = w.variant
    other = make_product(coop=make_coop(shipping_fee_fen=800), price_fen=1_234, units=20).variants[0]

    # Two amount refunds, the second reaching into the shipping fee.
    a = buy(quick_user(), (walnuts, 2))
    amount_refunds = [_refund(a, "a-1", mode="amount", amount_fen=5_000).id,
                      _refund(a, "a-2", mode="amount", amount_fen=9_000).id]
    # A lines refund, a failed amount refund, and a lines refund still pending.
    b = buy(quick_user(), (walnuts, 3))
    _refund(b, "b-1", mode="lines", quantities={b.lines[0].id: 1}, restock=True)
    failed = _refund(b, "b-2", settle=False, mode="amount", amount_fen=100)
    assert fail_refund(failed.id, "refused")
    amount_refunds.append(failed.id)
    _refund(b, "b-3", settle=False, mode="lines", quantities={b.lines[0].id: 1})
    # An order from two cooperatives refunded whole: its lines were recorded, its shipping was not.
    c = buy(quick_user(), (walnuts, 1), (other, 2))
    whole = _refund(c, "c-whole", mode="whole")
    assert len(whole.shipping) == 2
    # A payment made twice: the second is held in suspense, then given back.
    d = buy(quick_user(), (other, 1))
    outcome, stray_refund = apply_payment(d, None, "pi_paid_twice", d.total_fen, "CNY")
    assert outcome == "refund"
    assert settle_refund(stray_refund.id)
    # Orders that were never paid are not in the books.
    buy(quick_user(), (other, 1), pay=False)
    cancel_order(buy(quick_user(), (walnuts, 1), pay=False), "buyer")
    db.session.flush()

    assert check_ledger() == []
    books, allocations = posting_sums(), _allocations()
    keys = set(db.session.scalars(select(LedgerTransaction.key)))
    assert {"stray:payment:" + str(stray_refund.payment_id), f"refund:{stray_refund.id}"} <= keys

    # The database as migration 0005 finds it: no ledger, no shipping allocations, and no allocation at
    # all for amount refunds.
    db.session.execute(delete(LedgerPosting))
    db.session.execute(delete(LedgerTransaction))
    db.session.execute(delete(RefundShipping))
    db.session.execute(delete(RefundLine).where(RefundLine.refund_id.in_(amount_refunds)))
    db.session.flush()
    assert posting_sums() == {}

    _migration().backfill(db.session.connection())
    db.session.expire_all()

    assert set(db.session.scalars(select(LedgerTransaction.key))) == keys
    assert posting_sums() == books
    assert _allocations() == allocations
    assert check_ledger() == []
