"""`ledger check`: every money invariant of docs/DOMAIN.md, verified over the whole database with a
fixed number of aggregate queries. Each violation is one sentence naming what is wrong.

The comparisons happen in the database: each query joins the sums it needs and returns only the rows that
break an invariant, so the check reads back what it reports, not the ledger (1,000,000 order lines are
checked without loading them into Python)."""
from sqlalchemy import and_, case, func, literal_column, null, or_, select, union_all

from shop.extensions import db
from shop.ledger.models import PAYABLE, LedgerPosting, LedgerTransaction
from shop.orders.models import LineShare, Order, OrderLine, Shipment
from shop.payments.models import Payment, Refund, RefundLine, RefundShipping
from shop.payouts.models import Payout

P = LedgerPosting
T = LedgerTransaction
PAID_STATES = ("paid", "completed", "partially_refunded", "refunded")
PART = {"commission": "F", "retention_pending": "K", "retention_payable": "K",
        "household_pending": "H", "household_payable": "H"}


def _sum(column):
    return func.coalesce(func.sum(column), 0)


def _unbalanced() -> list[str]:
    sums = (select(P.txn_id, func.sum(P.amount_fen).label("total")).group_by(P.txn_id)
            .having(func.sum(P.amount_fen) != 0).subquery())
    return [f"transaction {key} does not balance: {int(total):+d} fen" for key, total in db.session.execute(
        select(T.key, sums.c.total).join(sums, sums.c.txn_id == T.id).order_by(T.id))]


def _payments() -> list[str]:
    problems = []
    paid = Order.status.in_(PAID_STATES)
    count = (select(T.order_id, func.count().label("n")).where(T.kind == "payment")
             .group_by(T.order_id).subquery())
    posted = func.coalesce(count.c.n, 0)
    for number, status, times in db.session.execute(
            select(Order.number, Order.status, posted).outerjoin(count, count.c.order_id == Order.id)
            .where(or_(and_(paid, posted != 1), and_(~paid, posted > 0))).order_by(Order.id)):
        if status in PAID_STATES:
            problems.append(f"order {number} is {status} but its payment is posted {times} times")
        else:
            problems.append(f"order {number} is {status} but a payment is posted")
    cash = (select(P.order_id, func.sum(P.amount_fen).label("fen")).where(P.kind == "payment", P.account == "cash")
            .group_by(P.order_id).subquery())
    problems += [f"order {number}: payment posted {int(fen)} fen, order total {total}"
                 for number, fen, total in db.session.execute(
                     select(Order.number, cash.c.fen, Order.total_fen).join(cash, cash.c.order_id == Order.id)
                     .where(cash.c.fen != Order.total_fen).order_by(Order.id))]
    # The payment postings of each line equal the split frozen on it. Posted and frozen parts side by
    # side, one row per line and household (F and K on the line's row without a household), summed; only
    # the rows where a part differs come back.
    zero = literal_column("0")

    def posted_as(accounts):
        return case((P.account.in_(accounts), -P.amount_fen), else_=zero)

    sides = union_all(
        select(P.line_id.label("line_id"), P.household_id.label("hh"), posted_as(("commission",)).label("pf"),
               posted_as(("retention_pending", "retention_payable")).label("pk"),
               posted_as(("household_pending", "household_payable")).label("ph"),
               zero.label("ff"), zero.label("fk"), zero.label("fh"))
        .where(P.kind == "payment", P.line_id.is_not(None), P.account.in_(tuple(PART))),
        select(OrderLine.id, null(), zero, zero, zero, OrderLine.commission_fen, OrderLine.retention_fen, zero)
        .join(Order, Order.id == OrderLine.order_id).where(paid),
        select(LineShare.line_id, LineShare.household_id, zero, zero, zero, zero, zero, LineShare.amount_fen)
        .join(OrderLine, OrderLine.id == LineShare.line_id).join(Order, Order.id == OrderLine.order_id).where(paid),
    ).subquery()
    s = sides.c
    pf, pk, ph, ff, fk, fh = (func.sum(c) for c in (s.pf, s.pk, s.ph, s.ff, s.fk, s.fh))
    wrong = []
    for line_id, hh, *sums in db.session.execute(
            select(s.line_id, s.hh, pf, pk, ph, ff, fk, fh).group_by(s.line_id, s.hh)
            .having(or_(pf != ff, pk != fk, ph != fh))):
        for part, posted_fen, frozen_fen in zip("FKH", sums[:3], sums[3:]):
            if posted_fen != frozen_fen:
                wrong.append(((line_id, part, hh), int(posted_fen), int(frozen_fen)))
    problems += [f"line {key[0]} part {key[1]}{key[2] or ''}: posted {posted_fen} fen, frozen {frozen_fen}"
                 for key, posted_fen, frozen_fen in sorted(wrong, key=lambda w: str(w[0]))]
    return problems


def _parts_and_refunds() -> list[str]:
    problems = []
    # No part of a line (F, K, a household's share) below zero, and what is left of a line equals its
    # gross less what succeeded refunds gave back of it (so a fully refunded line is zero everywhere).
    # (Grouped in the order of ix_ledger_postings_line_household_account, which holds every column needed.)
    of_lines = (P.line_id.is_not(None), P.account.in_(tuple(PART)))
    for line_id, hh, account, total in db.session.execute(
            select(P.line_id, P.household_id, P.account, func.sum(P.amount_fen)).where(*of_lines)
            .group_by(P.line_id, P.household_id, P.account).having(func.sum(P.amount_fen) > 0)
            .order_by(P.line_id, P.household_id, P.account)):
        problems.append(f"line {line_id}: {account}{' household ' + str(hh) if hh else ''} is below zero "
                        f"({-int(total)} fen)")
    left = (select(P.line_id, (-func.sum(P.amount_fen)).label("fen")).where(*of_lines).group_by(P.line_id)
            .subquery())
    refunded = (select(RefundLine.line_id, func.sum(RefundLine.amount_fen).label("fen")).join(Refund)
                .where(Refund.status == "succeeded").group_by(RefundLine.line_id).subquery())
    expected = OrderLine.gross_fen - func.coalesce(refunded.c.fen, 0)
    for line_id, fen, by_refunds in db.session.execute(
            select(OrderLine.id, left.c.fen, expected).join(left, left.c.line_id == OrderLine.id)
            .outerjoin(refunded, refunded.c.line_id == OrderLine.id).where(left.c.fen != expected)
            .order_by(OrderLine.id)):
        problems.append(f"line {line_id}: {int(fen)} fen left in the ledger, {int(by_refunds)} by its refunds")
    for shipment_id, total in db.session.execute(
            select(P.shipment_id, func.sum(P.amount_fen)).where(P.account.in_(("shipping_pending", "shipping_payable")),
                                                                 P.shipment_id.is_not(None))
            .group_by(P.shipment_id).having(func.sum(P.amount_fen) > 0)):
        problems.append(f"shipment {shipment_id}: shipping is below zero ({-int(total)} fen)")
    # Each refund is allocated in full, and posted exactly when (and once) it succeeded.
    by_lines = (select(RefundLine.refund_id, func.sum(RefundLine.amount_fen).label("fen"))
                .group_by(RefundLine.refund_id).subquery())
    by_shipping = (select(RefundShipping.refund_id, func.sum(RefundShipping.amount_fen).label("fen"))
                   .group_by(RefundShipping.refund_id).subquery())
    count = select(T.refund_id, func.count().label("n")).where(T.refund_id.is_not(None)).group_by(T.refund_id).subquery()
    allocated = func.coalesce(by_lines.c.fen, 0) + func.coalesce(by_shipping.c.fen, 0)
    posted = func.coalesce(count.c.n, 0)
    flagged = Refund.flag_id.is_not(None)
    succeeded = Refund.status == "succeeded"
    for rid, amount, status, is_flagged, fen, times in db.session.execute(
            select(Refund.id, Refund.amount_fen, Refund.status, flagged, allocated, posted)
            .outerjoin(by_lines, by_lines.c.refund_id == Refund.id)
            .outerjoin(by_shipping, by_shipping.c.refund_id == Refund.id)
            .outerjoin(count, count.c.refund_id == Refund.id)
            .where(or_(and_(~flagged, allocated != Refund.amount_fen), and_(succeeded, posted != 1),
                       and_(~succeeded, posted != 0)))
            .order_by(Refund.id)):
        if not is_flagged and int(fen) != amount:
            problems.append(f"refund {rid} of {amount} fen is allocated {int(fen)} fen")
        if (status == "succeeded") != (times == 1) or times > 1:
            problems.append(f"refund {rid} is {status} and posted {times} times")
    return problems


def _settlement_and_payouts() -> list[str]:
    problems = []
    settled = select(T.shipment_id).where(T.kind == "settlement").distinct().subquery()
    for shipment_id, status, posted in db.session.execute(
            select(Shipment.id, Shipment.status, settled.c.shipment_id.is_not(None))
            .outerjoin(settled, settled.c.shipment_id == Shipment.id)
            .where(or_(and_(Shipment.status == "settled", settled.c.shipment_id.is_(None)),
                       and_(Shipment.status != "settled", settled.c.shipment_id.is_not(None))))
            .order_by(Shipment.id)):
        problems.append(f"shipment {shipment_id} is {status} but its settlement is "
                        f"{'posted' if posted else 'missing'}")
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
    # Each payout is posted for its amount, and its payment is posted exactly when it is paid.
    transit = (select(T.payout_id, func.sum(P.amount_fen).label("fen")).join(P, P.txn_id == T.id)
               .where(T.kind == "payout", P.account == "payout_transit").group_by(T.payout_id).subquery())
    paid_posted = select(T.payout_id).where(T.kind == "payout_paid").distinct().subquery()
    posted = -func.coalesce(transit.c.fen, 0)
    for payout_id, amount, kind, status, fen, paid in db.session.execute(
            select(Payout.id, Payout.amount_fen, Payout.kind, Payout.status, posted, paid_posted.c.payout_id.is_not(None))
            .outerjoin(transit, transit.c.payout_id == Payout.id)
            .outerjoin(paid_posted, paid_posted.c.payout_id == Payout.id)
            .where(or_(posted != Payout.signed_fen,
                       and_(Payout.status == "paid", paid_posted.c.payout_id.is_(None)),
                       and_(Payout.status != "paid", paid_posted.c.payout_id.is_not(None))))
            .order_by(Payout.id)):
        if int(fen) != (-amount if kind == "reversal" else amount):
            problems.append(f"payout {payout_id} of {amount} fen is posted as {int(fen)}")
        if (status == "paid") != bool(paid):
            problems.append(f"payout {payout_id} is {status} but its payment is {'posted' if paid else 'missing'}")
    return problems


def _cash() -> list[str]:
    """What the platform holds = payments received − refunds − payouts paid (+ transfers reversed)."""
    received = db.session.scalar(select(_sum(Payment.amount_fen)).where(Payment.status == "succeeded"))
    refunded = db.session.scalar(select(_sum(Refund.amount_fen)).where(Refund.status == "succeeded"))
    paid_out = db.session.scalar(select(_sum(Payout.signed_fen)).where(Payout.status == "paid"))
    cash = db.session.scalar(select(_sum(P.amount_fen)).where(P.account == "cash"))
    expected = int(received) - int(refunded) - int(paid_out)
    if int(cash) != expected:
        return [f"cash in the ledger is {int(cash)} fen; payments − refunds − payouts = {expected}"]
    return []


def _roll_up_differences(stored, fresh, key: tuple[str, ...], sums: tuple[str, ...]):
    """Rows of a roll-up (stored) that differ from the same sums recomputed from the postings (fresh):
    (key..., first sum's difference)."""
    both = union_all(select(*[stored.c[k] for k in key], *[stored.c[c] for c in sums]),
                     select(*[fresh.c[k] for k in key], *[-fresh.c[c] for c in sums])).subquery()
    return db.session.execute(
        select(*[both.c[k] for k in key], func.sum(both.c[sums[0]])).group_by(*[both.c[k] for k in key])
        .having(or_(*[func.sum(both.c[c]) != 0 for c in sums]))).all()


def _income_roll_up() -> list[str]:
    """The household income roll-up the reports read equals the postings, month by month."""
    from shop.ledger.models import HouseholdIncomeMonth as R
    from shop.ledger.rollup import income_from_postings
    from shop.reports.periods import local_month

    rows = _roll_up_differences(R.__table__, income_from_postings(local_month()).subquery(),
                                ("household_id", "month"), ("income_fen", "shares"))
    return [f"household {hh}, {month}: the income roll-up is off the postings by {int(fen)} fen"
            f" (or in shares settled)" for hh, month, fen in rows]


def _months_roll_up() -> list[str]:
    """The monthly roll-up of all postings (earnings page, dashboard) equals the postings."""
    from shop.ledger.models import LedgerMonth as M
    from shop.ledger.rollup import MONTH_KEY, months_from_postings
    from shop.reports.periods import local_month

    rows = _roll_up_differences(M.__table__, months_from_postings(local_month()).subquery(), MONTH_KEY,
                                ("amount_fen", "units"))
    return [f"cooperative {coop}, {account} {kind}, household {hh}, product {slug or '-'}, {month}: the monthly"
            f" roll-up is off the postings by {int(fen)} fen (or in units)"
            for coop, account, kind, hh, slug, month, fen in rows]


def check_ledger() -> list[str]:
    """Return every violation of the money invariants (empty when the books are right)."""
    return (_unbalanced() + _payments() + _parts_and_refunds() + _settlement_and_payouts() + _cash()
            + _income_roll_up() + _months_roll_up())
