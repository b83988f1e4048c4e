from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.extensions import db
from shop.types import UTCDateTime, one_of, utcnow

ORDER_STATUSES = ("pending_payment", "paid", "completed", "cancelled", "partially_refunded", "refunded")
# Paid orders whose goods are still owed: a partial refund does not cancel the rest.
SHIPPABLE_ORDER_STATUSES = ("paid", "partially_refunded")
SHIPMENT_STATUSES = ("awaiting_fulfilment", "shipped", "delivered", "settled", "cancelled")



class Order(db.Model):
    """What a buyer paid for in one checkout; the address and prices are copied at sale time."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of("status", ORDER_STATUSES), name="status"),
        CheckConstraint("subtotal_fen >= 0 AND shipping_fen >= 0", name="amounts_nonneg"),
        CheckConstraint("total_fen = subtotal_fen + shipping_fen", name="total_adds_up"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # One checkout page, one order: a double submit finds the order this token made.
    checkout_token: Mapped[str] = mapped_column(String(43), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending_payment", index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    subtotal_fen: Mapped[int]
    shipping_fen: Mapped[int]
    total_fen: Mapped[int]
    recipient: Mapped[str] = mapped_column(String(40))
    mobile: Mapped[str] = mapped_column(String(11))
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(30))
    district: Mapped[str] = mapped_column(String(30))
    street: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str] = mapped_column(String(5), default="zh")
    payment_provider: Mapped[str] = mapped_column(String(20), default="demo")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(String(20), default="")
    # When the shipping address was removed after the retention period (shop/orders/retention.py).
    address_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    buyer = relationship("User")
    shipments: Mapped[list["Shipment"]] = relationship(back_populates="order", order_by="Shipment.id")
    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", order_by="OrderLine.id")


class Shipment(db.Model):
    """The part of an order one cooperative ships; rates are copied at sale time."""

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint(one_of("status", SHIPMENT_STATUSES), name="status"),
        CheckConstraint("subtotal_fen >= 0 AND shipping_fee_fen >= 0", name="amounts_nonneg"),
        UniqueConstraint("order_id", "coop_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="awaiting_fulfilment", index=True)
    coop_name_zh: Mapped[str] = mapped_column(String(80))
    coop_name_en: Mapped[str] = mapped_column(String(120))
    commission_bp: Mapped[int]
    retention_bp: Mapped[int]
    subtotal_fen: Mapped[int]
    shipping_fee_fen: Mapped[int]
    carrier: Mapped[str] = mapped_column(String(40), default="")
    tracking_no: Mapped[str] = mapped_column(String(40), default="")
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="shipments")
    lines: Mapped[list["OrderLine"]] = relationship(back_populates="shipment", order_by="OrderLine.id")


class OrderLine(db.Model):
    """One variant in an order, with its money split frozen when the order was placed."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen > 0", name="price_positive"),
        CheckConstraint("gross_fen = unit_price_fen * quantity", name="gross"),
        CheckConstraint("commission_fen + retention_fen + household_pool_fen = gross_fen", name="split_adds_up"),
        CheckConstraint("commission_fen >= 0 AND retention_fen >= 0 AND household_pool_fen >= 0",
                        name="split_nonneg"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"), index=True)
    product_slug: Mapped[str] = mapped_column(String(80))
    product_name_zh: Mapped[str] = mapped_column(String(80))
    product_name_en: Mapped[str] = mapped_column(String(120))
    variant_name_zh: Mapped[str] = mapped_column(String(40))
    variant_name_en: Mapped[str] = mapped_column(String(60))
    sku: Mapped[str] = mapped_column(String(40))
    unit_price_fen: Mapped[int]
    quantity: Mapped[int]
    gross_fen: Mapped[int]
    commission_fen: Mapped[int]
    retention_fen: Mapped[int]
    household_pool_fen: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")
    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    allocations: Mapped[list["Allocation"]] = relationship(back_populates="line", order_by="Allocation.id")
    shares: Mapped[list["LineShare"]] = relationship(order_by="LineShare.household_id")


class Allocation(db.Model):
    """Units of one lot that an order line took; released_at is set when they go back."""

    __tablename__ = "allocations"
    __table_args__ = (CheckConstraint("units > 0", name="units_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("supply_lots.id"), index=True)
    units: Mapped[int]
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    line: Mapped[OrderLine] = relationship(back_populates="allocations")
    lot = relationship("SupplyLot")


class LineShare(db.Model):
    """A household's part of a line's household pool, frozen at sale time."""

    __tablename__ = "line_shares"
    __table_args__ = (
        CheckConstraint("amount_fen >= 0", name="amount_nonneg"),
        UniqueConstraint("line_id", "household_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    amount_fen: Mapped[int]
