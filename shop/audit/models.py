from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import db
from shop.types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """One money or administrative action: who (None for cron and the webhook), what, on what, from where."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # e.g. "refund_requested", "payout_run", "coop_rates_changed", "handover_recorded", "user_role_changed"
    action: Mapped[str] = mapped_column(String(40), index=True)
    # What it acted on, "kind:id", e.g. "refund:12", "payout:7", "coop:3", "user:5".
    target: Mapped[str] = mapped_column(String(60), default="")
    # A short human-readable account (amounts in fen, old → new values); never a secret or a token.
    detail: Mapped[str] = mapped_column(String(500), default="")
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
