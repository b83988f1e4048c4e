"""Buyer addresses are kept only as long as they serve the order (docs/DOMAIN.md, Privacy).

An order's shipping address (recipient, mobile, province, city, district, street) is removed once the order
was placed more than ADDRESS_RETENTION_DAYS ago and nothing about it is still open: every shipment settled
or cancelled (or the order cancelled) and no refund waiting on the provider. Money, lines and the ledger
are untouched, so every report and `ledger check` stay the same.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, select

from shop.extensions import db
from shop.orders.models import Order, Shipment
from shop.payments.models import Refund
from shop.types import utcnow

ADDRESS_FIELDS = ("recipient", "mobile", "province", "city", "district", "street")


def order_is_open():
    """SQL for "something about this order is still going on": awaiting payment, a shipment not yet settled
    (nor cancelled) in an order that is not cancelled, or a refund waiting on the provider."""
    open_shipment = exists().where(Shipment.order_id == Order.id, Shipment.status.not_in(("settled", "cancelled")))
    open_refund = exists().where(Refund.order_id == Order.id, Refund.status == "pending")
    return (Order.status == "pending_payment") | open_refund | ((Order.status != "cancelled") & open_shipment)


def purgeable_orders():
    """SQL for the orders whose address is due to go."""
    cutoff = utcnow() - timedelta(days=current_app.config["ADDRESS_RETENTION_DAYS"])
    return select(Order).where(Order.address_purged_at.is_(None), Order.placed_at < cutoff, ~order_is_open())


def purge_order_address(order: Order) -> None:
    """Remove one order's shipping address (also used when a buyer deletes their account)."""
    for name in ADDRESS_FIELDS:
        setattr(order, name, "")
    order.address_purged_at = utcnow()


def purge_old_addresses(dry_run: bool = False) -> int:
    """Remove the addresses of every order due; return how many. The caller commits (one transaction)."""
    orders = db.session.scalars(purgeable_orders().with_for_update(skip_locked=True)).all()
    if not dry_run:
        for order in orders:
            purge_order_address(order)
    return len(orders)
