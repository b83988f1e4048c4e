import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from shop.extensions import db
from shop.types import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    """Anyone who signs in. Every user can buy; flags and coop_id add roles."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60), default="")
    locale: Mapped[str | None] = mapped_column(String(5))
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # A coop manager manages exactly one cooperative.
    coop_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every session id: raising it ends every session signed in before (logout, password change).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    coop = relationship("Cooperative", foreign_keys=[coop_id])
    addresses = relationship("Address", order_by="Address.id", cascade="all, delete-orphan")

    @property
    def password_fingerprint(self) -> str:
        """A short digest of the password hash: it changes whenever the password does."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:20]

    def get_id(self) -> str:
        # The session names the session version and the password too: raising the one or changing the other
        # signs out every session that holds the old id, even a copied cookie.
        return f"{self.id}:{self.session_version or 0}:{self.password_fingerprint}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_coop_manager(self) -> bool:
        return self.coop_id is not None

    @property
    def can_staff(self) -> bool:
        return self.is_staff or self.is_admin


class Address(db.Model):
    """A saved delivery address, in Chinese order: province, city, district, street."""

    __tablename__ = "addresses"
    __table_args__ = (CheckConstraint("length(mobile) = 11", name="mobile_len"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(40))
    mobile: Mapped[str] = mapped_column(String(11))
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(30))
    district: Mapped[str] = mapped_column(String(30))
    street: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def one_line(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.street}"
