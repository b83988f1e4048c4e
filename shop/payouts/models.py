"""Payouts: money sent from the platform to a cooperative for its settled, unpaid balance, and the
handover of each household's part of it. The amounts live in the ledger; these rows say where the
money went and what became of it."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, case
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.crypto import Encrypted
from shop.extensions import db
from shop.types import UTCDateTime, one_of, utcnow

PAYOUT_STATUSES = ("pending", "paid", "failed", "cancelled")
# A transfer sends money to the cooperative; a reversal takes back part of an earlier Stripe transfer when
# refunds after it leave the cooperative owing the platform (its amount is positive, its money flows back).
PAYOUT_KINDS = ("transfer", "reversal")
HANDOVER_METHODS = ("cash", "bank")


class PayoutRun(db.Model):
    """One run of ``payouts run`` (or the staff button): the payouts it made form one bank batch."""

    __tablename__ = "payout_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    payouts: Mapped[list["Payout"]] = relationship(back_populates="run", order_by="Payout.id")


class Payout(db.Model):
    """Money owed to one cooperative, sent by bank transfer or Stripe Connect; the payee is copied."""

    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(one_of("status", PAYOUT_STATUSES), name="status"),
        CheckConstraint("method IN ('bank', 'stripe')", name="method"),
        CheckConstraint("attempt >= 1", name="attempt"),
        CheckConstraint(one_of("kind", PAYOUT_KINDS), name="kind"),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reverses"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payout_runs.id"), index=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    amount_fen: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10), default="transfer", server_default="transfer")
    # For a reversal: the paid Stripe transfer it takes money back from.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))
    method: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    # Each try has its own number: a Stripe transfer's idempotency key is payout-<id>-try-<attempt>.
    attempt: Mapped[int] = mapped_column(default=1)
    payee_name: Mapped[str] = mapped_column(String(80), default="")
    bank_name: Mapped[str] = mapped_column(String(60), default="")
    bank_account_no: Mapped[str] = mapped_column(Encrypted("payouts.bank_account_no"), default="")  # encrypted at rest
    stripe_account_id: Mapped[str] = mapped_column(String(40), default="")
    # The bank's reference or the Stripe transfer id, once paid.
    reference: Mapped[str] = mapped_column(String(80), default="")
    failure_reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    run: Mapped[PayoutRun | None] = relationship(back_populates="payouts")
    coop = relationship("Cooperative")
    reverses: Mapped["Payout | None"] = relationship(remote_side=[id])

    @property
    def number(self) -> str:
        return f"PO{self.id:06d}"

    @property
    def reverses_number(self) -> str:
        return f"PO{self.reverses_id:06d}" if self.reverses_id else ""

    @property
    def transfer_reference(self) -> str:
        """The reference the bank sees: a new one for each try, since banks refuse a repeated reference."""
        return self.number if self.attempt == 1 else f"{self.number}-{self.attempt}"

    @hybrid_property
    def signed_fen(self) -> int:
        """What leaves the platform's cash when this is paid: a reversal brings money back."""
        return -self.amount_fen if self.kind == "reversal" else self.amount_fen

    @signed_fen.inplace.expression
    @classmethod
    def _signed_fen_sql(cls):
        return case((cls.kind == "reversal", -cls.amount_fen), else_=cls.amount_fen)

    @property
    def idempotency_key(self) -> str:
        return f"payout-{self.id}-try-{self.attempt}"


class Handover(db.Model):
    """A cooperative's record that it handed a household its part of a paid payout; written once."""

    __tablename__ = "payout_handovers"
    __table_args__ = (
        CheckConstraint(one_of("method", HANDOVER_METHODS), name="method"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("payout_id", "household_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    amount_fen: Mapped[int]
    handed_over_on: Mapped[date]
    method: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
