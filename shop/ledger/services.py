"""Writing to the ledger. Each function appends one balanced transaction under a unique key, in the
caller's database transaction (flush, never commit), so a posting happens together with the state
change that causes it, exactly once. Balances are sums; nothing is ever updated."""
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from shop.coops.models import Cooperative
from shop.extensions import db
from shop.ledger.models import PAYABLE, PENDING_TO_PAYABLE, LedgerPosting, LedgerTransaction
from shop.ledger.rollup import roll_up_income, roll_up_months
from shop.money import reverse_parts
from shop.orders.models import LineShare, Order, OrderLine, Shipment
from shop.types import utcnow

LINE_ACCOUNTS = ("commission", "retention_pending", "retention_payable", "household_pending", "household_payable")


class LedgerError(Exception):
    """A transaction that does not balance or would take a part below zero: a bug, never posted."""


@dataclass(frozen=True)
class Entry:
    """One posting to be written: positive debit, negative credit."""

    account: str
    amount_fen: int
    coop_id: int | None = None
    household_id: int | None = None
    shipment_id: int | None = None
    line_id: int | None = None


def post(key: str, kind: str, entries: list[Entry], *, order_id: int | None = None, refund_id: int | None = None,
         shipment_id: int | None = None, payout_id: int | None = None) -> LedgerTransaction | None:
    """Append a balanced transaction under a unique key; None if the key was posted already."""
    if sum(e.amount_fen for e in entries) != 0:
        raise LedgerError(f"{key} does not balance: {entries}")
    if db.session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.key == key)) is not None:
        return None
    now = utcnow()
    txn = LedgerTransaction(key=key, kind=kind, order_id=order_id, refund_id=refund_id, shipment_id=shipment_id,
                            payout_id=payout_id, posted_at=now)
    txn.postings = [LedgerPosting(kind=kind, posted_at=now, order_id=order_id, account=e.account, coop_id=e.coop_id,
                                  household_id=e.household_id, shipment_id=e.shipment_id, line_id=e.line_id,
                                  amount_fen=e.amount_fen) for e in entries if e.amount_fen]
    db.session.add(txn)
    db.session.flush()
    roll_up_months(txn)
    roll_up_income(txn)
    return txn


def post_payment(order: Order, amount_fen: int) -> LedgerTransaction | None:
    """Post a paid order: the money in, and each line's commission, retention and household shares,
    and each shipment's fee, owed (pending until the shipment settles)."""
    shipments = {s.id: s for s in db.session.scalars(select(Shipment).where(Shipment.order_id == order.id))}
    lines = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    shares = defaultdict(list)
    for share in db.session.scalars(select(LineShare).where(LineShare.line_id.in_([ln.id for ln in lines]))
                                    .order_by(LineShare.line_id, LineShare.household_id)):
        shares[share.line_id].append(share)
    entries = [Entry("cash", amount_fen)]
    for line in lines:
        where = {"coop_id": shipments[line.shipment_id].coop_id, "shipment_id": line.shipment_id, "line_id": line.id}
        entries += [Entry("commission", -line.commission_fen, **where),
                    Entry("retention_pending", -line.retention_fen, **where)]
        entries += [Entry("household_pending", -s.amount_fen, household_id=s.household_id, **where)
                    for s in shares[line.id]]
    entries += [Entry("shipping_pending", -s.shipping_fee_fen, coop_id=s.coop_id, shipment_id=s.id)
                for s in shipments.values()]
    return post(f"payment:order:{order.id}", "payment", entries, order_id=order.id)


def post_stray_payment(payment_id: int, order_id: int, amount_fen: int) -> LedgerTransaction | None:
    """Post money that arrived but pays no order: held in suspense until it is returned."""
    return post(f"stray:payment:{payment_id}", "stray_payment",
                [Entry("cash", amount_fen), Entry("suspense", -amount_fen)], order_id=order_id)


def post_stray_refund(refund_id: int, order_id: int, amount_fen: int) -> LedgerTransaction | None:
    """Post the return of money held in suspense."""
    return post(f"refund:{refund_id}", "stray_refund",
                [Entry("suspense", amount_fen), Entry("cash", -amount_fen)], order_id=order_id, refund_id=refund_id)


def line_parts_left(line_ids: list[int]) -> dict[int, list[tuple[tuple[str, int | None], int]]]:
    """Return what is still unrefunded of each line: [(("F"|"K"|"H", household), fen)], in reversal order
    (commission, retention, then households by id), read from the ledger."""
    family = {"commission": "F", "retention_pending": "K", "retention_payable": "K",
              "household_pending": "H", "household_payable": "H"}
    sums: dict[int, dict[tuple[str, int | None], int]] = {line_id: {("F", None): 0, ("K", None): 0}
                                                          for line_id in line_ids}
    rows = db.session.execute(
        select(LedgerPosting.line_id, LedgerPosting.account, LedgerPosting.household_id,
               func.sum(LedgerPosting.amount_fen))
        .where(LedgerPosting.line_id.in_(line_ids), LedgerPosting.account.in_(LINE_ACCOUNTS))
        .group_by(LedgerPosting.line_id, LedgerPosting.account, LedgerPosting.household_id))
    for line_id, account, household_id, total in rows:
        part = (family[account], household_id)
        sums[line_id][part] = sums[line_id].get(part, 0) - int(total)
    order = {"F": 0, "K": 1, "H": 2}
    return {line_id: sorted(parts.items(), key=lambda p: (order[p[0][0]], p[0][1] or 0))
            for line_id, parts in sums.items()}


def post_refund(refund_id: int, order_id: int, amount_fen: int, line_amounts: list[tuple[int, int]],
                shipping_amounts: list[tuple[int, int]]) -> LedgerTransaction | None:
    """Post a refund that succeeded: each line's refunded amount split over what is left of its
    commission, retention and household shares (exact largest remainder), refunded shipping off the
    cooperative, from the payable accounts where the shipment has settled."""
    if sum(fen for _, fen in line_amounts) + sum(fen for _, fen in shipping_amounts) != amount_fen:
        raise LedgerError(f"refund {refund_id} is not allocated in full")
    lines = {ln.id: ln for ln in db.session.scalars(select(OrderLine).where(
        OrderLine.id.in_([line_id for line_id, _ in line_amounts])))}
    shipment_ids = sorted({ln.shipment_id for ln in lines.values()} | {sid for sid, _ in shipping_amounts})
    # Settlement moves a shipment's money from pending to payable: lock the shipments so that the
    # refund reverses it where it is now.
    shipments = {s.id: s for s in db.session.scalars(select(Shipment).where(Shipment.id.in_(shipment_ids))
                                                     .order_by(Shipment.id).with_for_update())}
    for s in shipments.values():
        db.session.refresh(s)
    # A payout run locks the cooperative, reads its payable balance and posts the payout: share-lock the
    # cooperatives (in id order, as the run does) before this refund's transaction is written, so that it
    # is numbered after any payout that could not see it, and a run that starts now waits to see it.
    coop_ids = sorted({s.coop_id for s in shipments.values()})
    db.session.execute(select(Cooperative.id).where(Cooperative.id.in_(coop_ids)).order_by(Cooperative.id)
                       .with_for_update(read=True))
    left = line_parts_left(list(lines))
    entries = [Entry("cash", -amount_fen)]
    for line_id, fen in line_amounts:
        shipment = shipments[lines[line_id].shipment_id]
        state = "payable" if shipment.status == "settled" else "pending"
        where = {"coop_id": shipment.coop_id, "shipment_id": shipment.id, "line_id": line_id}
        try:
            reversal = reverse_parts(fen, left[line_id])
        except ValueError as error:
            raise LedgerError(f"refund {refund_id} line {line_id}: {error}") from error
        for (part, household_id), back in reversal:
            account = {"F": "commission", "K": f"retention_{state}", "H": f"household_{state}"}[part]
            entries.append(Entry(account, back, household_id=household_id, **where))
    for shipment_id, fen in shipping_amounts:
        shipment = shipments[shipment_id]
        state = "payable" if shipment.status == "settled" else "pending"
        entries.append(Entry(f"shipping_{state}", fen, coop_id=shipment.coop_id, shipment_id=shipment_id))
    return post(f"refund:{refund_id}", "refund", entries, order_id=order_id, refund_id=refund_id)


def post_settlement(shipment: Shipment) -> LedgerTransaction | None:
    """Post a shipment's settlement: what is left of its pending money becomes payable, line by line
    (so that income can be traced to products and categories)."""
    rows = db.session.execute(
        select(LedgerPosting.account, LedgerPosting.line_id, LedgerPosting.household_id,
               func.sum(LedgerPosting.amount_fen))
        .where(LedgerPosting.shipment_id == shipment.id, LedgerPosting.account.in_(tuple(PENDING_TO_PAYABLE)))
        .group_by(LedgerPosting.account, LedgerPosting.line_id, LedgerPosting.household_id)).all()
    entries = []
    for account, line_id, household_id, total in sorted(rows, key=lambda r: (r[0], r[1] or 0, r[2] or 0)):
        where = {"coop_id": shipment.coop_id, "household_id": household_id, "shipment_id": shipment.id,
                 "line_id": line_id}
        entries += [Entry(account, -int(total), **where), Entry(PENDING_TO_PAYABLE[account], int(total), **where)]
    return post(f"settle:shipment:{shipment.id}", "settlement", entries, order_id=shipment.order_id,
                shipment_id=shipment.id)


def payable_balances(coop_id: int) -> list[tuple[str, int | None, int]]:
    """Return what the cooperative is owed on settled shipments, per payable account and household
    (fen owed, so positive; a refund after a payout can make one negative)."""
    return [(account, household_id, -int(total)) for account, household_id, total in db.session.execute(
        select(LedgerPosting.account, LedgerPosting.household_id, func.sum(LedgerPosting.amount_fen))
        .where(LedgerPosting.coop_id == coop_id, LedgerPosting.account.in_(PAYABLE))
        .group_by(LedgerPosting.account, LedgerPosting.household_id)
        .order_by(LedgerPosting.account, LedgerPosting.household_id)) if total]


def post_payout(payout_id: int, coop_id: int, balances: list[tuple[str, int | None, int]]) -> LedgerTransaction:
    """Post a payout: the payable balances it covers move to money in transit to the cooperative."""
    entries = [Entry(account, owed, coop_id=coop_id, household_id=household_id)
               for account, household_id, owed in balances]
    entries.append(Entry("payout_transit", -sum(owed for _, _, owed in balances), coop_id=coop_id))
    txn = post(f"payout:{payout_id}", "payout", entries, payout_id=payout_id)
    if txn is None:
        raise LedgerError(f"payout {payout_id} was posted already")
    return txn


def post_payout_paid(payout_id: int, coop_id: int, amount_fen: int) -> LedgerTransaction | None:
    """Post the money of a payout leaving the platform."""
    return post(f"payout-paid:{payout_id}", "payout_paid",
                [Entry("payout_transit", amount_fen, coop_id=coop_id), Entry("cash", -amount_fen)],
                payout_id=payout_id)


def post_payout_cancelled(payout_id: int) -> LedgerTransaction | None:
    """Post a payout given up after it failed: what it covered is owed again, exactly as it was."""
    original = db.session.scalars(select(LedgerPosting).join(LedgerTransaction)
                                  .where(LedgerTransaction.key == f"payout:{payout_id}")).all()
    entries = [Entry(p.account, -p.amount_fen, coop_id=p.coop_id, household_id=p.household_id) for p in original]
    return post(f"payout-cancelled:{payout_id}", "payout_cancelled", entries, payout_id=payout_id)
