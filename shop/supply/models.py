from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.extensions import db
from shop.types import UTCDateTime, utcnow


class SupplyLot(db.Model):
    """Units of one variant a cooperative received at one time. Every unit on sale is in a lot.

    units_remaining is what is free to sell; reserved and sold units are traced by allocations,
    corrections by adjustments: received = remaining + allocated + written off.
    """

    __tablename__ = "supply_lots"
    __table_args__ = (
        CheckConstraint("units_received > 0", name="received_positive"),
        CheckConstraint("units_remaining >= 0", name="remaining_nonneg"),
        CheckConstraint("units_remaining <= units_received", name="remaining_le_received"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"), index=True)
    trace_code: Mapped[str] = mapped_column(String(24), unique=True)
    units_received: Mapped[int]
    units_remaining: Mapped[int]
    harvested_on: Mapped[date]
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    variant = relationship("Variant")
    shares: Mapped[list["LotShare"]] = relationship(back_populates="lot", order_by="LotShare.id")


class LotShare(db.Model):
    """A household's part of a lot, in units; no household means the cooperative's own stock.

    The shares of a lot add up to units_received (checked by record_supply_lot).
    """

    __tablename__ = "lot_shares"
    __table_args__ = (
        CheckConstraint("units > 0", name="units_positive"),
        UniqueConstraint("lot_id", "household_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("supply_lots.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    units: Mapped[int]

    lot: Mapped[SupplyLot] = relationship(back_populates="shares")
    household = relationship("Household")


class LotAdjustment(db.Model):
    """A correction of a lot's free units (spoilage, recount); appended, never edited."""

    __tablename__ = "lot_adjustments"
    __table_args__ = (CheckConstraint("units_delta <> 0", name="delta_nonzero"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("supply_lots.id"), index=True)
    units_delta: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
