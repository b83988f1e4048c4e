"""`ledger check`: every money invariant of docs/DOMAIN.md, verified over the whole database with a
fixed number of aggregate queries. Each violation is one sentence naming what is wrong."""
from sqlalchemy import func, select

from shop.extensions import db
from shop.ledger.models import PAYABLE, LedgerPosting, LedgerTransaction
from shop.orders.models import LineShare, Order, OrderLine, Shipment
from shop.payments.models import Payment, Refund, RefundLine, RefundShipping
from shop.payouts.models import Payout

P = LedgerPosting
PAID_STATES = ("paid", "completed", "partially_refunded", "refunded")
PART = {"commission": "F", "retention_pending": "K", "retention_payable": "K",
        "household_pending": "H", "household_payable": "H"}


def _sum(column):
    return func.coalesce(func.sum(column), 0)


def _unbalanced() -> list[str]:
    return [f"transaction {key} does not balance: {int(total):+d} fen" for key, total in db.session.execute(
        select(LedgerTransaction.key, func.sum(P.amount_fen)).join(P, P.txn_id == LedgerTransaction.id)
        .group_by(LedgerTransaction.key).having(func.sum(P.amount_fen) != 0))]


def _payments() -> list[str]:
    problems = []
    posted = dict(db.session.execute(
        select(LedgerTransaction.order_id, func.count()).where(LedgerTransaction.kind == "payment")
        .group_by(LedgerTransaction.order_id)).all())
    orders = db.session.execute(select(Order.id, Order.number, Order.status, Order.total_fen)).all()
    for order_id, number, status, _total in orders:
        count = posted.get(order_id, 0)
        if status in PAID_STATES and count != 1:
            problems.append(f"order {number} is {status} but its payment is posted {count} times")
        elif status not in PAID_STATES and count:
            problems.append(f"order {number} is {status} but a payment is posted")
    cash = dict(db.session.execute(select(P.order_id, func.sum(P.amount_fen))
                                   .where(P.kind == "payment", P.account == "cash").group_by(P.order_id)).all())
    problems += [f"order {number}: payment posted {int(cash[oid])} fen, order total {total}"
                 for oid, number, status, total in orders if oid in cash and int(cash[oid]) != total]
    # The payment postings of each line equal the split frozen on it.
    frozen: dict[tuple, int] = {}
    for line_id, f, k in db.session.execute(select(OrderLine.id, OrderLine.commission_fen, OrderLine.retention_fen)
                                            .join(Order).where(Order.status.in_(PAID_STATES))):
        frozen[(line_id, "F", None)] = f
        frozen[(line_id, "K", None)] = k
    for line_id, hh, fen in db.session.execute(
            select(LineShare.line_id, LineShare.household_id, LineShare.amount_fen).join(OrderLine)
            .join(Order).where(Order.status.in_(PAID_STATES))):
        frozen[(line_id, "H", hh)] = fen
    posted_parts: dict[tuple, int] = {}
    for line_id, account, hh, total in db.session.execute(
            select(P.line_id, P.account, P.household_id, func.sum(P.amount_fen))
            .where(P.kind == "payment", P.line_id.is_not(None)).group_by(P.line_id, P.account, P.household_id)):
        key = (line_id, PART[account], hh)
        posted_parts[key] = posted_parts.get(key, 0) - int(total)
    for key in sorted(set(frozen) | set(posted_parts), key=str):
        if frozen.get(key, 0) != posted_parts.get(key, 0):
            problems.append(f"line {key[0]} part {key[1]}{key[2] or ''}: posted {posted_parts.get(key, 0)} fen, "
                            f"frozen {frozen.get(key, 0)}")
    return problems


def _parts_and_refunds() -> list[str]:
    problems = []
    # No part of a line (F, K, a household's share) below zero, and what is left of a line equals its
    # gross less what succeeded refunds gave back of it (so a fully refunded line is zero everywhere).
    left: dict[int, int] = {}
    for line_id, account, hh, total in db.session.execute(
            select(P.line_id, P.account, P.household_id, func.sum(P.amount_fen))
            .where(P.line_id.is_not(None), P.account.in_(tuple(PART))).group_by(P.line_id, P.account, P.household_id)):
        left[line_id] = left.get(line_id, 0) - int(total)
        if total > 0:
            problems.append(f"line {line_id}: {account}{' household ' + str(hh) if hh else ''} is below zero "
                            f"({-int(total)} fen)")
    refunded = dict(db.session.execute(select(RefundLine.line_id, func.sum(RefundLine.amount_fen))
                                       .join(Refund).where(Refund.status == "succeeded")
                                       .group_by(RefundLine.line_id)).all())
    for line_id, gross in db.session.execute(select(OrderLine.id, OrderLine.gross_fen)
                                             .where(OrderLine.id.in_(list(left)))):
        if left[line_id] != gross - int(refunded.get(line_id) or 0):
            problems.append(f"line {line_id}: {left[line_id]} fen left in the ledger, "
                            f"{gross - int(refunded.get(line_id) or 0)} by its refunds")
    for shipment_id, total in db.session.execute(
            select(P.shipment_id, func.sum(P.amount_fen)).where(P.account.in_(("shipping_pending", "shipping_payable")),
                                                                 P.shipment_id.is_not(None))
            .group_by(P.shipment_id).having(func.sum(P.amount_fen) > 0)):
        problems.append(f"shipment {shipment_id}: shipping is below zero ({-int(total)} fen)")
    # Each refund is allocated in full, and posted exactly when (and once) it succeeded.
    allocated = {rid: int(fen) for rid, fen in db.session.execute(
        select(RefundLine.refund_id, func.sum(RefundLine.amount_fen)).group_by(RefundLine.refund_id))}
    for rid, fen in db.session.execute(select(RefundShipping.refund_id, func.sum(RefundShipping.amount_fen))
                                       .group_by(RefundShipping.refund_id)):
        allocated[rid] = allocated.get(rid, 0) + int(fen)
    posted = dict(db.session.execute(select(LedgerTransaction.refund_id, func.count())
                                     .where(LedgerTransaction.refund_id.is_not(None))
                                     .group_by(LedgerTransaction.refund_id)).all())
    for rid, amount, status, flagged in db.session.execute(
            select(Refund.id, Refund.amount_fen, Refund.status, Refund.flag_id.is_not(None))):
        if not flagged and allocated.get(rid, 0) != amount:
            problems.append(f"refund {rid} of {amount} fen is allocated {allocated.get(rid, 0)} fen")
        if (status == "succeeded") != (posted.get(rid, 0) == 1) or posted.get(rid, 0) > 1:
            problems.append(f"refund {rid} is {status} and posted {posted.get(rid, 0)} times")
    return problems


def _settlement_and_payouts() -> list[str]:
    problems = []
    settled = set(db.session.scalars(select(LedgerTransaction.shipment_id).where(LedgerTransaction.kind == "settlement")))
    for shipment_id, status in db.session.execute(select(Shipment.id, Shipment.status)):
        if (status == "settled") != (shipment_id in settled):
            problems.append(f"shipment {shipment_id} is {status} but its settlement is "
                            f"{'posted' if shipment_id in settled else 'missing'}")
    for shipment_id, total in db.session.execute(
            select(P.shipment_id, func.sum(P.amount_fen)).join(Shipment, Shipment.id == P.shipment_id)
            .where(Shipment.status == "settled", P.account.like("%_pending"))
            .group_by(P.shipment_id).having(func.sum(P.amount_fen) != 0)):
        problems.append(f"shipment {shipment_id} is settled but {-int(total)} fen is still pending")
    # A payout never pays more than the cooperative was owed, net of refunds, just before it.
    per_txn = (select(P.coop_id, P.txn_id, P.kind, func.sum(P.amount_fen).label("s"))
               .where(P.account.in_(PAYABLE)).group_by(P.coop_id, P.txn_id, P.kind).subquery())
    running = select(per_txn.c.coop_id, per_txn.c.txn_id, per_txn.c.kind, per_txn.c.s,
                     (func.sum(per_txn.c.s).over(partition_by=per_txn.c.coop_id, order_by=per_txn.c.txn_id)
                      - per_txn.c.s).label("before")).subquery()
    for coop_id, txn_id, paid, before in db.session.execute(
            select(running.c.coop_id, running.c.txn_id, running.c.s, running.c.before)
            .where(running.c.kind == "payout", running.c.s > -running.c.before)):
        problems.append(f"cooperative {coop_id}: payout transaction {txn_id} paid {int(paid)} fen, "
                        f"only {-int(before)} was owed")
    posted = dict(db.session.execute(select(LedgerTransaction.payout_id, func.sum(P.amount_fen))
                                     .join(P, P.txn_id == LedgerTransaction.id)
                                     .where(LedgerTransaction.kind == "payout", P.account == "payout_transit")
                                     .group_by(LedgerTransaction.payout_id)).all())
    paid_posted = set(db.session.scalars(select(LedgerTransaction.payout_id)
                                         .where(LedgerTransaction.kind == "payout_paid")))
    for payout_id, amount, status in db.session.execute(select(Payout.id, Payout.amount_fen, Payout.status)):
        if -int(posted.get(payout_id) or 0) != amount:
            problems.append(f"payout {payout_id} of {amount} fen is posted as {-int(posted.get(payout_id) or 0)}")
        if (status == "paid") != (payout_id in paid_posted):
            problems.append(f"payout {payout_id} is {status} but its payment is "
                            f"{'posted' if payout_id in paid_posted else 'missing'}")
    return problems


def _cash() -> list[str]:
    """What the platform holds = payments received − refunds − payouts paid."""
    received = db.session.scalar(select(_sum(Payment.amount_fen)).where(Payment.status == "succeeded"))
    refunded = db.session.scalar(select(_sum(Refund.amount_fen)).where(Refund.status == "succeeded"))
    paid_out = db.session.scalar(select(_sum(Payout.amount_fen)).where(Payout.status == "paid"))
    cash = db.session.scalar(select(_sum(P.amount_fen)).where(P.account == "cash"))
    expected = int(received) - int(refunded) - int(paid_out)
    if int(cash) != expected:
        return [f"cash in the ledger is {int(cash)} fen; payments − refunds − payouts = {expected}"]
    return []


def check_ledger() -> list[str]:
    """Return every violation of the money invariants (empty when the books are right)."""
    return _unbalanced() + _payments() + _parts_and_refunds() + _settlement_and_payouts() + _cash()


