"""Fulfilment: the cooperative's paid shipments to pack and ship, packing slips, and delivery."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from shop.extensions import db
from shop.orders.emails import deliver, shipped_mail
from shop.orders.models import SHIPPABLE_ORDER_STATUSES, Allocation, Order, OrderLine, Shipment
from shop.orders.services import complete_order_if_delivered, deliver_shipment
from shop.types import utcnow

# Orders a coop manager may see: paid at some point. Unpaid and cancelled orders are not theirs to ship.
VISIBLE_ORDER_STATUSES = ("paid", "completed", "partially_refunded", "refunded")
RECENTLY_SHIPPED = 20


class ShipError(Exception):
    """The shipment cannot be marked shipped now; the message is for the manager."""


def list_shipments_to_ship(coop_id: int) -> list[Shipment]:
    """Return the cooperative's shipments of paid orders awaiting fulfilment, oldest payment first."""
    return list(db.session.scalars(
        select(Shipment).join(Shipment.order)
        .where(Shipment.coop_id == coop_id, Shipment.status == "awaiting_fulfilment",
               Order.status.in_(SHIPPABLE_ORDER_STATUSES))
        .options(contains_eager(Shipment.order), selectinload(Shipment.lines))
        .order_by(Order.paid_at, Shipment.id)))


def list_recently_shipped(coop_id: int, limit: int = RECENTLY_SHIPPED) -> list[Shipment]:
    """Return the cooperative's latest shipped or delivered shipments, newest first."""
    return list(db.session.scalars(
        select(Shipment).join(Shipment.order)
        .where(Shipment.coop_id == coop_id, Shipment.status.in_(("shipped", "delivered", "settled")))
        .options(contains_eager(Shipment.order))
        .order_by(Shipment.shipped_at.desc(), Shipment.id.desc()).limit(limit)))


def get_packing_slip(coop_id: int, shipment_id: int) -> Shipment | None:
    """Return the cooperative's shipment of a paid order with its lines and their lots, or None."""
    return db.session.scalar(
        select(Shipment).join(Shipment.order)
        .where(Shipment.id == shipment_id, Shipment.coop_id == coop_id, Order.status.in_(VISIBLE_ORDER_STATUSES))
        .options(contains_eager(Shipment.order),
                 selectinload(Shipment.lines).selectinload(OrderLine.allocations).joinedload(Allocation.lot)))


def refunded_units(shipments: list[Shipment]) -> dict[int, int]:
    """Units of the shipments' lines that a refund gave back (pending ones too, as the refund form counts them),
    by line id: they are not to go in the parcel (a restock put them back on sale). One query."""
    from shop.payments.models import Refund, RefundLine

    line_ids = [line.id for shipment in shipments for line in shipment.lines]
    if not line_ids:
        return {}
    return {line_id: int(units) for line_id, units in db.session.execute(
        select(RefundLine.line_id, func.sum(RefundLine.quantity)).join(Refund, Refund.id == RefundLine.refund_id)
        .where(RefundLine.line_id.in_(line_ids), Refund.status != "failed").group_by(RefundLine.line_id)) if units}


def ship_shipment(shipment: Shipment, carrier: str, tracking_no: str, now: datetime | None = None) -> bool:
    """Mark a paid order's shipment shipped with its carrier and tracking number, once."""
    paid = select(Order.id).where(Order.id == shipment.order_id, Order.status.in_(SHIPPABLE_ORDER_STATUSES))
    done = db.session.execute(
        update(Shipment).where(Shipment.id == shipment.id, Shipment.status == "awaiting_fulfilment",
                               Shipment.order_id.in_(paid))
        .values(status="shipped", carrier=carrier.strip(), tracking_no=tracking_no.strip(),
                shipped_at=now or utcnow())
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(shipment)
    return done


def notify_buyer_shipped(shipment: Shipment) -> bool:
    """Email the buyer, in the order's language, that a parcel is on its way; call after the commit. A
    mail server that fails is logged: the parcel is shipped all the same, and the order page shows it."""
    try:
        mail = shipped_mail(shipment.id)
    except Exception:  # the parcel is shipped and committed: a mail that cannot be written must not answer 500
        current_app.logger.exception("shipped mail for shipment %s could not be written", shipment.id)
        db.session.rollback()
        return False
    return mail is not None and deliver(mail)


def auto_deliver_shipments(now: datetime | None = None) -> int:
    """Mark shipments delivered AUTO_DELIVER_DAYS after shipping, completing their orders; return how many."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["AUTO_DELIVER_DAYS"])
    due = db.session.execute(select(Shipment.id, Shipment.order_id)
                             .where(Shipment.status == "shipped", Shipment.shipped_at <= cutoff)
                             .order_by(Shipment.order_id, Shipment.id)).all()
    count = 0
    for shipment_id, order_id in due:
        if deliver_shipment(shipment_id, now):
            count += 1
            complete_order_if_delivered(order_id)
    return count
