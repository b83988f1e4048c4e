from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.extensions import db
from shop.types import UTCDateTime, one_of, utcnow

ATTEMPT_STATUSES = ("creating", "open", "processing", "complete", "failed", "expired")
REFUND_STATUSES = ("pending", "succeeded", "failed")
FLAG_REASONS = ("amount_mismatch", "late_payment", "duplicate_payment", "refund_mismatch", "refund_failed")



class Payment(db.Model):
    """Money received for an order, as the provider reported it; appended, never edited."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('succeeded', 'processing', 'failed')", name="status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str] = mapped_column(String(120), unique=True)
    amount_fen: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckoutAttempt(db.Model):
    """One try at a Stripe Checkout Session for an order; its number makes the idempotency key."""

    __tablename__ = "checkout_attempts"
    __table_args__ = (
        CheckConstraint(one_of("status", ATTEMPT_STATUSES), name="status"),
        UniqueConstraint("order_id", "attempt"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    attempt: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="creating")
    # The session expiry sent to Stripe: part of the parameters, so a retry sends exactly the same.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    session_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    url: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def idempotency_key(self) -> str:
        return f"checkout-order-{self.order_id}-attempt-{self.attempt}"


class StripeEvent(db.Model):
    """A webhook event already handled; written in the same transaction as its effect."""

    __tablename__ = "stripe_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentFlag(db.Model):
    """A payment staff must look at: wrong amount, arrived too late, paid twice, a refund gone wrong."""

    __tablename__ = "payment_flags"
    __table_args__ = (
        CheckConstraint(one_of("reason", FLAG_REASONS), name="reason"),
        UniqueConstraint("provider_ref", "reason"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str] = mapped_column(String(120))
    amount_fen: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    detail: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str] = mapped_column(String(300), default="")

    order = relationship("Order")


class Refund(db.Model):
    """Money given back for an order; the amount is never edited, only the status follows the provider."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(one_of("status", REFUND_STATUSES), name="status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    # One refund request, one key: a double submit or a retry after a timeout finds this row.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    amount_fen: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    restock: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(200), default="")
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("payment_flags.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list["RefundLine"]] = relationship(order_by="RefundLine.id")
    shipping: Mapped[list["RefundShipping"]] = relationship(order_by="RefundShipping.id")
    payment: Mapped[Payment] = relationship()
    order = relationship("Order")


class RefundLine(db.Model):
    """What a refund gives back of one order line: an amount, and the units returned (0 for an amount)."""

    __tablename__ = "refund_lines"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_nonneg"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("refund_id", "line_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int]
    amount_fen: Mapped[int]


class RefundShipping(db.Model):
    """What a refund gives back of one shipment's shipping fee."""

    __tablename__ = "refund_shipping"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("refund_id", "shipment_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), index=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    amount_fen: Mapped[int]
