from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from shop.crypto import Encrypted, blind_index, blind_indexes
from shop.extensions import db
from shop.types import UTCDateTime, utcnow


class Household(db.Model):
    """A member household. Only the fields income tracking needs (DOMAIN.md, Privacy)."""

    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint("members_count BETWEEN 1 AND 30", name="members"),
        CheckConstraint("poor_status IN ('none', 'proposed', 'confirmed')", name="poor_status"),
        CheckConstraint("poor_since_year IS NULL OR poor_since_year BETWEEN 2000 AND 2100", name="poor_year"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # Membership: the cooperative the household belongs to, and since when.
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    joined_on: Mapped[date]
    head_name: Mapped[str] = mapped_column(String(40))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    members_count: Mapped[int]
    # Registered-poor (建档立卡): a coop may propose it, only staff confirm it.
    poor_status: Mapped[str] = mapped_column(String(10), default="none")
    poor_since_year: Mapped[int | None]
    # Why staff last declined a proposal, shown to the cooperative; cleared by a new proposal or a confirmation.
    poor_decline_reason: Mapped[str | None] = mapped_column(String(300))
    # Encrypted at rest (shop/crypto.py); the blind index keeps codes unique and findable.
    registry_code: Mapped[str] = mapped_column(Encrypted("households.registry_code"))
    registry_code_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(Encrypted("households.phone"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when staff anonymised a household that left: name, code and phone are gone for good, the income
    # history stays under the pseudonym, so every total stays true.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    coop = relationship("Cooperative")
    village = relationship("Village")

    @validates("registry_code")
    def _index_registry_code(self, _key, value):
        self.registry_code_index = blind_index(value)
        return value

    @classmethod
    def with_registry_code(cls, code: str):
        """SQL for "this household's registry code is `code`" (through the blind index)."""
        return cls.registry_code_index.in_(blind_indexes(code))

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def pseudonym(self) -> str:
        """What stands for the household once its name is erased."""
        return f"H{self.id:06d}"

    @property
    def is_registered_poor(self) -> bool:
        return self.poor_status == "confirmed"


def mask(value: str | None, keep: int = 3) -> str:
    """Show only the last characters of a code or phone number."""
    if not value:
        return ""
    return "*" * max(len(value) - keep, 0) + value[-keep:]


class HouseholdAccessLog(db.Model):
    """Who looked at, exported or changed household data, and when; appended, never edited."""

    __tablename__ = "household_access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    # The households concerned, e.g. "17" or "17,18,20" for a list view.
    household_ids: Mapped[str] = mapped_column(String(2000), default="")
    # For a reveal: which field was shown in full ("registry_code", "phone"); the client's address.
    field: Mapped[str | None] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
