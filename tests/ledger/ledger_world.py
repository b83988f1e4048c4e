"""Builders and ledger read-outs shared by the ledger tests (no tests here).

Everything goes through the production services (place_order, mark_paid, ship_shipment, confirm_receipt,
settle_due_shipments, request_refund / settle_refund, run_payouts…); the read-outs below only sum the
ledger's postings, so that a test compares the books with numbers it worked out by hand."""
from collections import defaultdict
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from shop.checkout.services import new_checkout_token, place_order
from shop.extensions import db
from shop.ledger.models import LedgerPosting, LedgerTransaction
from shop.orders.models import Order
from shop.payments.services import mark_paid
from shop.supply.services import record_supply_lot
from shop.types import utcnow
from tests.factories import make_address, make_cart, make_coop, make_household, make_product, n, quick_user

HARVEST_DAYS_AGO = 30
FAMILY = {"commission": "F", "retention_pending": "K", "retention_payable": "K",
          "household_pending": "H", "household_payable": "H"}


class Walnuts:
    """The worked example of docs/DOMAIN.md: a cooperative at 500 bp commission and 1,000 bp retention, a
    shipping fee, three households A, B and C, and 1 kg walnuts at ¥68.00 from one lot they supplied 50/30/20."""

    def __init__(self, price_fen: int = 6800, shares: tuple[int, ...] = (50, 30, 20), shipping_fee_fen: int = 1000,
                 commission_bp: int = 500, retention_bp: int = 1000):
        self.coop = make_coop(commission_bp=commission_bp, retention_bp=retention_bp,
                              shipping_fee_fen=shipping_fee_fen, bank_name="农村信用社",
                              bank_account_name="核桃合作社", bank_account_no="6228480000000000001")
        self.manager = quick_user(coop_id=self.coop.id)
        self.households = [make_household(self.coop, poor=i == 0) for i in range(len(shares))]
        self.product = make_product(coop=self.coop, units=0, price_fen=price_fen, name_zh="成县薄皮核桃")
        self.variant = self.product.variants[0]
        harvest = (utcnow() - timedelta(days=HARVEST_DAYS_AGO)).date()
        self.lot = record_supply_lot(self.coop, self.variant.id, sum(shares), harvest,
                                     [(hh.id, units) for hh, units in zip(self.households, shares)], self.manager.id)

    @property
    def household_ids(self) -> list[int]:
        return [hh.id for hh in self.households]


def buy(buyer, *items, pay: bool = True) -> Order:
    """Place an order for (variant, quantity) items as the buyer, and pay it with the demo provider."""
    order = place_order(buyer, make_cart(buyer, *items), make_address(buyer), new_checkout_token(), "zh")
    if pay:
        assert mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
    db.session.flush()
    return order


def after_refund_window(days: int = 1):
    """A moment `days` after the refund window of something delivered now has closed."""
    return utcnow() + timedelta(days=current_app.config["REFUND_WINDOW_DAYS"] + days)


def line_parts(line_id: int) -> dict[tuple[str, int | None], int]:
    """What is left of a line's parts in the ledger: {("F"|"K", None) or ("H", household id): fen}."""
    parts: dict[tuple[str, int | None], int] = defaultdict(int)
    for account, hh, total in db.session.execute(
            select(LedgerPosting.account, LedgerPosting.household_id, func.sum(LedgerPosting.amount_fen))
            .where(LedgerPosting.line_id == line_id, LedgerPosting.account.in_(tuple(FAMILY)))
            .group_by(LedgerPosting.account, LedgerPosting.household_id)):
        parts[(FAMILY[account], hh)] -= int(total)
    return dict(parts)


def refund_reversal(refund_id: int) -> dict[tuple[str, int | None], int]:
    """What the refund's ledger transaction gave back of each line part (summed over its lines)."""
    parts: dict[tuple[str, int | None], int] = defaultdict(int)
    for account, hh, total in db.session.execute(
            select(LedgerPosting.account, LedgerPosting.household_id, func.sum(LedgerPosting.amount_fen))
            .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.txn_id)
            .where(LedgerTransaction.key == f"refund:{refund_id}", LedgerPosting.account.in_(tuple(FAMILY)))
            .group_by(LedgerPosting.account, LedgerPosting.household_id)):
        parts[(FAMILY[account], hh)] += int(total)
    return dict(parts)


def account_balance(account: str, coop_id: int | None = None, shipment_id: int | None = None) -> int:
    """The signed sum of an account's postings (positive = debit), optionally for one coop or shipment."""
    stmt = select(func.coalesce(func.sum(LedgerPosting.amount_fen), 0)).where(LedgerPosting.account == account)
    if coop_id is not None:
        stmt = stmt.where(LedgerPosting.coop_id == coop_id)
    if shipment_id is not None:
        stmt = stmt.where(LedgerPosting.shipment_id == shipment_id)
    return int(db.session.scalar(stmt))


def coop_payable(coop_id: int) -> int:
    """What the cooperative is owed now on settled shipments and not yet paid out (fen, positive)."""
    return -int(db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount_fen), 0)).where(
        LedgerPosting.coop_id == coop_id,
        LedgerPosting.account.in_(("retention_payable", "shipping_payable", "household_payable")))))


def posting_sums() -> dict[tuple, int]:
    """Every posting summed per (account, coop, household, shipment, line): the books, order-free."""
    return {(account, coop, hh, sid, lid): int(total) for account, coop, hh, sid, lid, total in db.session.execute(
        select(LedgerPosting.account, LedgerPosting.coop_id, LedgerPosting.household_id, LedgerPosting.shipment_id,
               LedgerPosting.line_id, func.sum(LedgerPosting.amount_fen))
        .group_by(LedgerPosting.account, LedgerPosting.coop_id, LedgerPosting.household_id,
                  LedgerPosting.shipment_id, LedgerPosting.line_id)) if total}
