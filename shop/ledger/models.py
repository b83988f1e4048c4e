"""The ledger: append-only, double-entry. A transaction is one event (a payment, a refund, a settlement,
a payout); its postings are signed amounts in fen (positive = debit, negative = credit) that add up to
zero. Nothing here is ever updated or deleted; a correction is a new transaction. docs/DOMAIN.md
describes the accounts."""
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.extensions import db
from shop.types import UTCDateTime, one_of, utcnow

# Where money sits. Accounts with a coop or household name it in the posting's coop_id / household_id.
ACCOUNTS = (
    "cash",                # the platform's money at the payment provider / bank (debit balance)
    "commission",          # platform revenue (credit)
    "suspense",            # money received that pays no order (wrong amount, late, twice) until returned
    "retention_pending", "retention_payable",   # the cooperative's retention K, before / after settlement
    "shipping_pending", "shipping_payable",     # the cooperative's shipping fees
    "household_pending", "household_payable",   # a household's share of the pool H
    "payout_transit",      # paid out to the cooperative, not yet confirmed by the bank / Stripe
)
PENDING_TO_PAYABLE = {"retention_pending": "retention_payable", "shipping_pending": "shipping_payable",
                      "household_pending": "household_payable"}
PAYABLE = tuple(PENDING_TO_PAYABLE.values())
TXN_KINDS = ("payment", "refund", "settlement", "payout", "payout_paid", "payout_cancelled",
             "stray_payment", "stray_refund")


class LedgerTransaction(db.Model):
    """One money event; its unique key makes it happen exactly once (e.g. ``refund:34``)."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (CheckConstraint(one_of("kind", TXN_KINDS), name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), index=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    postings: Mapped[list["LedgerPosting"]] = relationship(back_populates="txn", order_by="LedgerPosting.id")


class LedgerPosting(db.Model):
    """One side of a transaction: a signed amount on one account (positive debit, negative credit).

    The transaction's kind and time are copied here so that reports read one table."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint(one_of("account", ACCOUNTS), name="account"),
        CheckConstraint("amount_fen <> 0", name="amount_nonzero"),
        CheckConstraint("household_id IS NULL OR account IN ('household_pending', 'household_payable')",
                        name="household_account"),
        # Covering indexes (PostgreSQL INCLUDE), so that the cooperative's earnings, its payable balances and
        # `ledger check` read sums from an index in the order they group by, not from the table
        # (docs/PERFORMANCE.md). SQLite builds them without the included columns.
        Index("ix_ledger_postings_coop_report", "coop_id", "account", "kind", "household_id", "posted_at",
              postgresql_include=["line_id", "amount_fen"]),
        Index("ix_ledger_postings_line_household_account", "line_id", "household_id", "account",
              postgresql_include=["kind", "amount_fen"]),
        Index("ix_ledger_postings_txn_id", "txn_id", postgresql_include=["amount_fen"]),
        Index("ix_ledger_postings_household_account", "household_id", "account"),
        # The household income of a few days (a period that cuts into a month; shop/reports/income.py).
        Index("ix_ledger_postings_household_income", "posted_at",
              postgresql_include=["household_id", "line_id", "kind", "amount_fen"],
              postgresql_where=text("account = 'household_payable'"), sqlite_where=text("account = 'household_payable'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    kind: Mapped[str] = mapped_column(String(20))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    account: Mapped[str] = mapped_column(String(20))
    coop_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    txn: Mapped[LedgerTransaction] = relationship(back_populates="postings")


class HouseholdIncomeMonth(db.Model):
    """Household income per Shanghai month: the household_payable postings of settlements and refunds,
    summed. A roll-up the reports read instead of millions of postings (by category they read the postings);
    post() keeps it in the same transaction as the postings and `ledger check` proves it equals them."""

    __tablename__ = "household_income_months"
    __table_args__ = (
        UniqueConstraint("household_id", "month"),
        Index("ix_household_income_months_month", "month", "household_id",
              postgresql_include=["income_fen", "units_milli", "shares"]),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM in Shanghai
    income_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # settled shares less refunds after settlement
    # Units the household supplied to the lines settled (its part of each lot), in thousandths.
    units_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    shares: Mapped[int] = mapped_column(default=0)  # (line, household) shares settled


class LedgerMonth(db.Model):
    """The postings summed per Shanghai month, cooperative, household, account and kind, and per product
    for sales and refunds: the roll-up the earnings page and the dashboard read instead of the postings.

    No cooperative, household or product is 0 or '' (not NULL, so that the key is unique); these columns are
    keys of a derived table, not foreign keys. post() keeps it in the same transaction as the postings (one
    upsert, rows taken in key order) and `ledger check` proves it equals them. `units` counts each line's
    quantity once, on the line's first posting of its payment (rollup.line_units): not on its commission
    posting, which a line without commission does not have."""

    __tablename__ = "ledger_months"
    __table_args__ = (
        UniqueConstraint("coop_id", "account", "kind", "household_id", "product_slug", "month",
                         name="uq_ledger_months_key"),
        # The dashboard: every cooperative's payable balance, and the household income of some months.
        Index("ix_ledger_months_account_kind_month", "account", "kind", "month",
              postgresql_include=["coop_id", "household_id", "amount_fen"]),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(default=0)
    household_id: Mapped[int] = mapped_column(default=0)
    product_slug: Mapped[str] = mapped_column(String(80), default="")  # sales and refunds of lines only
    account: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM in Shanghai
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    units: Mapped[int] = mapped_column(BigInteger, default=0)
