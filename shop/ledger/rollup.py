"""The ledger's monthly roll-ups, written by post() in the same transaction as the postings and recomputed from
the postings by `ledger check`:

  - household_income_months (HouseholdIncomeMonth): household income, for the staff reports;
  - ledger_months (LedgerMonth): every posting summed by cooperative, account, kind, household, product and
    month, for the cooperative's earnings page and the staff dashboard."""
from collections import defaultdict

from sqlalchemy import and_, bindparam, case, delete, func, insert, literal, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shop.extensions import db
from shop.ledger.models import HouseholdIncomeMonth as R, LedgerMonth as M, LedgerPosting as P, LedgerTransaction
from shop.orders.models import Allocation, OrderLine
from shop.supply.models import LotShare, SupplyLot
from shop.types import SHOP_TZ

INCOME_KINDS = ("settlement", "refund")
SALE_KINDS = ("payment", "refund")  # the kinds whose line postings are rolled up per product too
MONTH_KEY = ("coop_id", "account", "kind", "household_id", "product_slug", "month")


def household_units(*columns):
    """SELECT columns and the households' units in thousandths (their parts of the lots allocations took) FROM
    allocations with their lots and shares; the caller adds the conditions and the grouping."""
    return (select(*columns, func.round(func.sum(Allocation.units * LotShare.units * 1000.0 / SupplyLot.units_received))
                   .label("units"))
            .select_from(Allocation).join(LotShare, LotShare.lot_id == Allocation.lot_id)
            .join(SupplyLot, SupplyLot.id == Allocation.lot_id))


def units_milli():
    """(line_id, household_id, units in thousandths): each household's part of the lots a line was sold from."""
    return (household_units(Allocation.line_id, LotShare.household_id)
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
    _add(R, ("household_id", "month"), ("income_fen", "units_milli", "shares"),
         [{"household_id": hh, "month": month, "income_fen": fen, "units_milli": u, "shares": n}
          for hh, (fen, u, n) in sorted(sums.items())])


def roll_up_months(txn: LedgerTransaction) -> None:
    """Add a just-posted transaction to the month rows of ledger_months, in the caller's transaction."""
    lines = {p.line_id for p in txn.postings if p.line_id is not None} if txn.kind in SALE_KINDS else set()
    products = {line_id: (slug, qty) for line_id, slug, qty in db.session.execute(
        select(OrderLine.id, OrderLine.product_slug, OrderLine.quantity).where(OrderLine.id.in_(lines)))} \
        if lines else {}
    month = txn.posted_at.astimezone(SHOP_TZ).strftime("%Y-%m")
    # A line's units are counted once, on its first posting of the payment (a part of 0 fen, such as the
    # commission of a cooperative without one, has no posting), as line_units() counts them in SQL.
    first: dict[int, int] = {}
    if txn.kind == "payment":
        for p in txn.postings:
            if p.line_id is not None:
                first[p.line_id] = min(first.get(p.line_id, p.id), p.id)
    sums = defaultdict(lambda: [0, 0])
    for p in txn.postings:
        slug, qty = products.get(p.line_id, ("", 0))
        row = sums[(p.coop_id or 0, p.account, txn.kind, p.household_id or 0, slug, month)]
        row[0] += p.amount_fen
        if p.line_id is not None and first.get(p.line_id) == p.id:
            row[1] += qty
    _add(M, MONTH_KEY, ("amount_fen", "units"),
         [dict(zip(MONTH_KEY, key), amount_fen=fen, units=units) for key, (fen, units) in sorted(sums.items())])


_UPSERTS: dict = {}


def _add(model, key: tuple[str, ...], summed: tuple[str, ...], values: list[dict]) -> None:
    """Upsert roll-up rows, adding to the sums of rows that exist. The rows come in one order (their key's),
    so that two transactions touching the same rows cannot deadlock. One statement per table and dialect,
    compiled once and run for all the rows (executemany)."""
    if not values:
        return
    dialect = db.session.get_bind().dialect.name
    stmt = _UPSERTS.get((model, dialect))
    if stmt is None:
        insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert_(model).values({c: bindparam(c) for c in (*key, *summed)})
        stmt = _UPSERTS[(model, dialect)] = stmt.on_conflict_do_update(
            index_elements=[getattr(model, c) for c in key],
            set_={c: getattr(model, c) + getattr(stmt.excluded, c) for c in summed})
    db.session.execute(stmt, values)


def income_from_postings(month):
    """The roll-up's money recomputed from the postings: (household_id, month, income, shares).

    Units are not recomputed: they are what the line held when it settled, and a later restock releases
    allocations without a posting to date it by."""
    return (select(P.household_id, month.label("month"), (-func.sum(P.amount_fen)).label("income_fen"),
                   func.sum(case((P.kind == "settlement", 1), else_=0)).label("shares"))
            .where(P.account == "household_payable", P.kind.in_(INCOME_KINDS), P.household_id.is_not(None))
            .group_by(P.household_id, month))


def first_line_postings(*where):
    """(line_id, first_id): each line's first posting of its payment, the one that counts the line's units in
    ledger_months (not its commission posting: a part of 0 fen is never posted, and a cooperative without
    commission, or a line whose commission rounds to 0, still sells). Conditions on the time or the cooperative
    keep a line's payment postings together (they share both), so `where` may narrow the search to them."""
    return (select(P.line_id.label("line_id"), func.min(P.id).label("first_id"))
            .where(P.kind == "payment", P.line_id.is_not(None), *where).group_by(P.line_id).subquery("first_postings"))


def line_units(first):
    """SQL for a posting's units in ledger_months, with OrderLine joined on its line and first_line_postings()
    outer-joined on first_id = the posting's id: the line's quantity on that posting, 0 on every other."""
    return case((first.c.first_id.is_not(None), func.coalesce(OrderLine.quantity, 0)), else_=0)


def months_from_postings(month):
    """ledger_months recomputed from the postings: (coop_id, account, kind, household_id, product_slug, month,
    amount_fen, units), the same sums post() adds up row by row."""
    sale_line = and_(P.kind.in_(SALE_KINDS), P.line_id.is_not(None))
    slug = case((sale_line, OrderLine.product_slug), else_=literal(""))
    first = first_line_postings()
    units = line_units(first)
    keys = (func.coalesce(P.coop_id, 0), P.account, P.kind, func.coalesce(P.household_id, 0), slug, month)
    return (select(*[k.label(name) for k, name in zip(keys, MONTH_KEY)],
                   func.sum(P.amount_fen).label("amount_fen"), func.sum(units).label("units"))
            .select_from(P).outerjoin(OrderLine, OrderLine.id == P.line_id)
            .outerjoin(first, first.c.first_id == P.id).group_by(*keys))



def rebuild_ledger_months() -> int:
    """Recompute ledger_months from the postings, under a lock that holds post() off meanwhile; return the rows.

    For a database whose postings were written past post() (a bulk load), or to repair the roll-up when
    `ledger check` finds it off. The caller commits."""
    from shop.reports.periods import local_month

    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE ledger_months IN EXCLUSIVE MODE"))
    db.session.execute(delete(M))
    db.session.execute(insert(M).from_select([*MONTH_KEY, "amount_fen", "units"],
                                             months_from_postings(local_month())))
    return db.session.scalar(select(func.count()).select_from(M))
