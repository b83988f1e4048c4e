"""Settlement: a delivered shipment's money becomes payable once the refund window has passed."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from shop.extensions import db
from shop.ledger.services import post_settlement
from shop.orders.models import Shipment
from shop.orders.services import transition
from shop.types import utcnow


def settle_shipment(shipment_id: int, now: datetime | None = None) -> bool:
    """Move a delivered shipment to settled and post its pending money as payable, once."""
    if not transition(Shipment, shipment_id, "delivered", status="settled", settled_at=now or utcnow()):
        return False
    post_settlement(db.session.get(Shipment, shipment_id, populate_existing=True))
    return True


def list_due_shipments(now: datetime, lock: bool = False) -> list[int]:
    """Return the ids of shipments delivered more than REFUND_WINDOW_DAYS before now (locked, in id order, if asked)."""
    cutoff = now - timedelta(days=current_app.config["REFUND_WINDOW_DAYS"])
    stmt = select(Shipment.id).where(Shipment.status == "delivered", Shipment.delivered_at <= cutoff) \
        .order_by(Shipment.id)
    return list(db.session.scalars(stmt.with_for_update() if lock else stmt))


def settle_due_shipments(now: datetime | None = None) -> int:
    """Settle every shipment whose refund window has passed; return how many this call settled."""
    now = now or utcnow()
    # One transaction settles them all, each settlement adding to the roll-up rows of its households. Lock every
    # shipment first, in id order as a refund does (post_refund), so that the batch never holds roll-up rows while
    # it waits for a shipment that a refund has locked and the refund waits for those rows (a deadlock).
    return sum(settle_shipment(shipment_id, now) for shipment_id in list_due_shipments(now, lock=True))
