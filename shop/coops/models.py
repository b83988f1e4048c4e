from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import StoredPicture
from shop.crypto import Encrypted
from shop.extensions import db
from shop.types import UTCDateTime, utcnow

COOP_STATUSES = ("pending", "approved", "rejected", "suspended")
PAYOUT_METHODS = ("stripe", "bank")


class Cooperative(db.Model):
    """The seller: a farmer cooperative in a village."""

    __tablename__ = "cooperatives"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'suspended')", name="status"),
        CheckConstraint("commission_bp BETWEEN 0 AND 10000", name="commission_bp"),
        CheckConstraint("retention_bp BETWEEN 0 AND 10000", name="retention_bp"),
        CheckConstraint("shipping_fee_fen >= 0", name="shipping_fee"),
        CheckConstraint("free_shipping_over_fen IS NULL OR free_shipping_over_fen >= 0", name="free_over"),
        CheckConstraint("payout_method IN ('stripe', 'bank')", name="payout_method"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    story_zh: Mapped[str] = mapped_column(Text, default="")
    story_en: Mapped[str] = mapped_column(Text, default="")
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    registration_no: Mapped[str] = mapped_column(String(30), default="")
    contact_name: Mapped[str] = mapped_column(String(40), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    products_summary: Mapped[str] = mapped_column(String(200), default="")
    rejection_reason: Mapped[str] = mapped_column(String(300), default="")
    commission_bp: Mapped[int] = mapped_column(default=500)
    retention_bp: Mapped[int] = mapped_column(default=1000)
    # Shipping fee rule: a flat fee per shipment, free at or above a subtotal.
    shipping_fee_fen: Mapped[int] = mapped_column(default=1000)
    free_shipping_over_fen: Mapped[int | None]
    payout_method: Mapped[str] = mapped_column(String(10), default="bank")
    stripe_account_id: Mapped[str] = mapped_column(String(40), default="")
    bank_name: Mapped[str] = mapped_column(String(60), default="")
    bank_account_name: Mapped[str] = mapped_column(String(80), default="")
    bank_account_no: Mapped[str] = mapped_column(Encrypted("cooperatives.bank_account_no"), default="")  # encrypted at rest
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    village = relationship("Village")

    @property
    def can_sell(self) -> bool:
        return self.status == "approved"

    def shipping_fee_for(self, subtotal_fen: int) -> int:
        """Return the shipping fee for one shipment of this subtotal."""
        if self.free_shipping_over_fen is not None and subtotal_fen >= self.free_shipping_over_fen:
            return 0
        return self.shipping_fee_fen


class CoopImage(StoredPicture, db.Model):
    """A photo on the cooperative's public page."""

    __tablename__ = "coop_images"
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    coop = relationship("Cooperative")
