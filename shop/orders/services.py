"""The order lifecycle. Every transition is a conditional UPDATE on the current status, so a
transition happens exactly once however many requests, webhooks or commands race for it."""
import re
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from shop.catalog.models import Product, ProductImage
from shop.extensions import db
from shop.orders.models import SHIPPABLE_ORDER_STATUSES, Allocation, LineShare, Order, OrderLine, Shipment
from shop.supply.models import SupplyLot
from shop.supply.stock import return_units
from shop.types import utcnow


ORDER_NUMBER = re.compile(r"[A-Za-z0-9]{1,24}")


def transition(model, row_id: int, from_status: str | tuple[str, ...], **values) -> bool:
    statuses = (from_status,) if isinstance(from_status, str) else from_status
    result = db.session.execute(
        update(model).where(model.id == row_id, model.status.in_(statuses)).values(**values)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def refresh_order(obj) -> None:
    db.session.refresh(obj)
    for rel in ("shipments",):
        if hasattr(obj, rel):
            for child in getattr(obj, rel):
                db.session.refresh(child)


def release_order_units(order_id: int) -> int:
    """Return every unreleased unit of an order to the lot it came from, exactly once."""
    # Same lock order as reserve_units (variant, then oldest lot), so a release never deadlocks a checkout.
    allocations = db.session.scalars(
        select(Allocation).join(Allocation.line).join(SupplyLot, Allocation.lot_id == SupplyLot.id)
        .where(OrderLine.order_id == order_id, Allocation.released_at.is_(None))
        .order_by(SupplyLot.variant_id, SupplyLot.received_at, SupplyLot.id, Allocation.id)).all()
    now, total = utcnow(), 0
    for alloc in allocations:
        claimed = db.session.execute(
            update(Allocation).where(Allocation.id == alloc.id, Allocation.released_at.is_(None))
            .values(released_at=now).execution_options(synchronize_session=False)).rowcount
        if claimed:
            return_units(alloc.lot_id, alloc.units)
            total += alloc.units
    return total


def cancel_order(order: Order, reason: str, due_by: datetime | None = None) -> bool:
    """Cancel an unpaid order (expired by due_by, if given) and release its units; False if it was not."""
    still_due = () if due_by is None else (Order.expires_at <= due_by,)  # a just-extended reservation lives on
    if not db.session.execute(
            update(Order).where(Order.id == order.id, Order.status == "pending_payment", *still_due)
            .values(status="cancelled", cancelled_at=utcnow(), cancel_reason=reason)
            .execution_options(synchronize_session=False)).rowcount:
        refresh_order(order)
        return False
    db.session.execute(update(Shipment).where(Shipment.order_id == order.id).values(status="cancelled")
                       .execution_options(synchronize_session=False))
    release_order_units(order.id)
    refresh_order(order)
    return True


def expire_if_due(order: Order, now: datetime | None = None) -> bool:
    """Cancel the order if its payment time ran out; True if this call expired it."""
    now = now or utcnow()
    if order.status == "pending_payment" and order.expires_at <= now:
        return cancel_order(order, "expired", due_by=now)
    return False


def expire_due_orders(now: datetime | None = None) -> int:
    """Expire every unpaid order whose time ran out; return how many this call expired."""
    now = now or utcnow()
    ids = db.session.scalars(select(Order.id).where(Order.status == "pending_payment", Order.expires_at <= now)
                             .order_by(Order.id)).all()
    return sum(expire_if_due(db.session.get(Order, order_id), now) for order_id in ids)


def confirm_receipt(order: Order, shipment_id: int) -> bool:
    """Mark a shipped shipment delivered; complete the order once every shipment has arrived."""
    shipment = next((s for s in order.shipments if s.id == shipment_id), None)
    if shipment is None or not deliver_shipment(shipment.id):
        return False
    complete_order_if_delivered(order.id)
    refresh_order(order)
    return True


def is_order_number(number: str) -> bool:
    """Tell whether text can be an order number (so odd bytes such as NUL never reach the database)."""
    return ORDER_NUMBER.fullmatch(number or "") is not None


def get_buyer_order(buyer_id: int, number: str) -> Order | None:
    """Return the buyer's order with its shipments and lines, or None (also for other buyers' orders)."""
    if not is_order_number(number):
        return None
    return db.session.scalar(
        select(Order).where(Order.number == number, Order.buyer_id == buyer_id)
        .options(selectinload(Order.shipments).selectinload(Shipment.lines)))


def list_buyer_orders(buyer_id: int, page: int, per_page: int):
    """Page through the buyer's orders, newest first, with their shipments and lines."""
    stmt = (select(Order).where(Order.buyer_id == buyer_id).order_by(Order.placed_at.desc(), Order.id.desc())
            .options(selectinload(Order.shipments).selectinload(Shipment.lines)))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def list_line_thumbnails(orders) -> dict[str, str]:
    """Return the first photo's thumbnail of each product the orders' lines bought, by product slug (1 query)."""
    slugs = {line.product_slug for order in orders for shipment in order.shipments for line in shipment.lines}
    if not slugs:
        return {}
    rows = db.session.execute(select(Product.slug, ProductImage.thumb_filename).join(ProductImage.product)
                              .where(Product.slug.in_(slugs))
                              .order_by(Product.slug, ProductImage.position.desc(), ProductImage.id.desc()))
    return {slug: thumb for slug, thumb in rows}  # the last row of a slug wins: its first photo


def hold_seconds_left(order: Order, now: datetime | None = None) -> int:
    """Return how many seconds an unpaid order still holds its units (0 once its time is up)."""
    return max(int((order.expires_at - (now or utcnow())).total_seconds()), 0)


def deliver_shipment(shipment_id: int, now: datetime | None = None) -> bool:
    """Mark a shipped shipment delivered, once; False if it was not in transit."""
    return transition(Shipment, shipment_id, "shipped", status="delivered", delivered_at=now or utcnow())


def complete_order_if_delivered(order_id: int) -> bool:
    """Complete a paid order once none of its shipments is still open (the rule confirm_receipt uses)."""
    # Lock the order first: two shipments delivered at once must not both miss the last one.
    db.session.execute(select(Order.id).where(Order.id == order_id).with_for_update())
    open_left = db.session.scalar(select(func.count()).select_from(Shipment).where(
        Shipment.order_id == order_id, Shipment.status.in_(("awaiting_fulfilment", "shipped"))))
    return open_left == 0 and transition(Order, order_id, SHIPPABLE_ORDER_STATUSES, status="completed")


def summarize_support(order_id: int) -> dict:
    """Count the households an order's lines pay and name their villages — never the households. A share of
    zero fen pays nothing: its household is not counted (as in the paid mail, shop/orders/emails.py)."""
    from shop.households.models import Household
    from shop.places.models import Village

    rows = db.session.execute(
        select(Village.name_zh, Village.name_en, func.count(func.distinct(Household.id)))
        .select_from(LineShare).join(OrderLine, LineShare.line_id == OrderLine.id)
        .join(Household, LineShare.household_id == Household.id).join(Village, Household.village_id == Village.id)
        .where(OrderLine.order_id == order_id, LineShare.amount_fen > 0)
        .group_by(Village.id, Village.name_zh, Village.name_en)
        .order_by(Village.name_en)).all()
    households = db.session.scalar(
        select(func.count(func.distinct(LineShare.household_id))).join(OrderLine, LineShare.line_id == OrderLine.id)
        .where(OrderLine.order_id == order_id, LineShare.amount_fen > 0))
    return {"households": households or 0, "villages": [SimpleNamespace(name_zh=zh, name_en=en) for zh, en, _n in rows]}


def mark_refunded(order_id: int, whole: bool) -> bool:
    """Move a paid order to refunded (whole) or partially refunded; False if it was not paid."""
    if whole:
        db.session.execute(update(Shipment).where(Shipment.order_id == order_id,
                                                  Shipment.status == "awaiting_fulfilment")
                           .values(status="cancelled").execution_options(synchronize_session=False))
    return transition(Order, order_id, ("paid", "completed", "partially_refunded"),
                       status="refunded" if whole else "partially_refunded")
