"""The household income roll-up per month (HouseholdIncomeMonth): written by post() for every settlement or refund
that moves household_payable money, and recomputed from the postings by `ledger check`."""
from collections import defaultdict

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shop.extensions import db
from shop.ledger.models import HouseholdIncomeMonth as R, LedgerPosting as P, LedgerTransaction
from shop.orders.models import Allocation
from shop.supply.models import LotShare, SupplyLot
from shop.types import SHOP_TZ

INCOME_KINDS = ("settlement", "refund")


def units_milli():
    """(line_id, household_id, units in thousandths): each household's part of the lots a line was sold from."""
    return (select(Allocation.line_id, LotShare.household_id,
                   func.round(func.sum(Allocation.units * LotShare.units * 1000.0 / SupplyLot.units_received))
                   .label("units"))
            .join(LotShare, LotShare.lot_id == Allocation.lot_id).join(SupplyLot, SupplyLot.id == Allocation.lot_id)
            .where(Allocation.released_at.is_(None)).group_by(Allocation.line_id, LotShare.household_id))


def roll_up_income(txn: LedgerTransaction) -> None:
    """Add a just-posted transaction's household income to the month rows, in the caller's transaction."""
    postings = [p for p in txn.postings if p.account == "household_payable" and p.household_id is not None]
    if txn.kind not in INCOME_KINDS or not postings:
        return
    lines = {p.line_id for p in postings}
    units = {}
    if txn.kind == "settlement":
        sub = units_milli().where(Allocation.line_id.in_(lines)).subquery()
        units = {(line, hh): int(u or 0) for line, hh, u in db.session.execute(select(sub))}
    month = txn.posted_at.astimezone(SHOP_TZ).strftime("%Y-%m")
    sums = defaultdict(lambda: [0, 0, 0])
    for p in postings:
        row = sums[p.household_id]
        row[0] -= p.amount_fen
        if txn.kind == "settlement":
            row[1] += units.get((p.line_id, p.household_id), 0)
            row[2] += 1
    values = [{"household_id": hh, "month": month, "income_fen": fen, "units_milli": u, "shares": n}
              for hh, (fen, u, n) in sorted(sums.items())]  # one order: no deadlocks
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(R).values(values)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[R.household_id, R.month],
        set_={c: getattr(R, c) + getattr(stmt.excluded, c) for c in ("income_fen", "units_milli", "shares")}))


def income_from_postings(month):
    """The roll-up's money recomputed from the postings: (household_id, month, income, shares).

    Units are not recomputed: they are what the line held when it settled, and a later restock releases
    allocations without a posting to date it by."""
    return (select(P.household_id, month.label("month"), (-func.sum(P.amount_fen)).label("income_fen"),
                   func.sum(case((P.kind == "settlement", 1), else_=0)).label("shares"))
            .where(P.account == "household_payable", P.kind.in_(INCOME_KINDS), P.household_id.is_not(None))
            .group_by(P.household_id, month))
