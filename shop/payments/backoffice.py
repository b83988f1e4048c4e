"""What staff see and do about money: orders with their payments, refunds and flags; flagged payments."""
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from shop.extensions import db
from shop.orders.models import Order, Shipment
from shop.orders.services import is_order_number
from shop.payments.fulfilment import queue_refund
from shop.payments.models import Payment, PaymentFlag, Refund
from shop.payments.refunds import RefundError, RefundSummary, refund_summary
from shop.types import utcnow

REFUND_LABELS = {"pending": _l("In progress"), "succeeded": _l("Refunded"), "failed": _l("Failed")}
FLAG_LABELS = {
    "amount_mismatch": _l("The amount or currency paid does not match the order."),
    "late_payment": _l("Paid after the order was cancelled and its items went back on sale."),
    "duplicate_payment": _l("Paid a second time for an order that was already paid."),
    "refund_mismatch": _l("Stripe refunded money that no refund of ours accounts for."),
    "refund_failed": _l("A refund failed after it was reported as done."),
}

@dataclass(frozen=True)
class OrderMoney:
    """One order with everything staff need to refund it."""

    order: Order
    payments: list[Payment]
    refunds: list[Refund]
    flags: list[PaymentFlag]
    summary: RefundSummary


def list_staff_orders(query: str, page: int, per_page: int):
    """Page through orders, newest first, optionally those whose number contains the query."""
    stmt = select(Order).order_by(Order.placed_at.desc(), Order.id.desc())
    query = re.sub(r"[^A-Za-z0-9]", "", query or "").upper()[:24]
    if query:
        stmt = stmt.where(Order.number.contains(query))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def get_order_money(number: str) -> OrderMoney | None:
    """Return an order with its lines, payments, refunds and flags, or None."""
    if not is_order_number(number):
        return None
    order = db.session.scalar(select(Order).where(Order.number == number).options(
        selectinload(Order.shipments).selectinload(Shipment.lines), selectinload(Order.lines)))
    if order is None:
        return None
    payments = list(db.session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)))
    refunds = list(db.session.scalars(select(Refund).where(Refund.order_id == order.id)
                                      .options(selectinload(Refund.lines)).order_by(Refund.id)))
    flags = list(db.session.scalars(select(PaymentFlag).where(PaymentFlag.order_id == order.id)
                                    .order_by(PaymentFlag.id)))
    return OrderMoney(order, payments, refunds, flags, refund_summary(order))


def get_refund(refund_id: int) -> Refund | None:
    return db.session.get(Refund, refund_id)


def get_flag(flag_id: int) -> PaymentFlag | None:
    return db.session.get(PaymentFlag, flag_id)


def list_open_flags() -> list[tuple[PaymentFlag, list[Refund]]]:
    """Return flagged payments not yet resolved (oldest first) with their refunds."""
    flags = list(db.session.scalars(select(PaymentFlag).where(PaymentFlag.resolved_at.is_(None))
                                    .options(selectinload(PaymentFlag.order)).order_by(PaymentFlag.id)))
    refunds = db.session.scalars(select(Refund).where(Refund.flag_id.in_([f.id for f in flags]))).all()
    return [(f, [r for r in refunds if r.flag_id == f.id]) for f in flags]


def refund_flagged_payment(flag: PaymentFlag) -> Refund:
    """Queue a refund of the whole flagged payment (once); flush. The caller sends it after commit."""
    payment = db.session.scalar(select(Payment).where(Payment.provider_ref == flag.provider_ref))
    if flag.resolved_at is not None or payment is None or flag.reason not in (
            "amount_mismatch", "late_payment", "duplicate_payment"):
        raise RefundError(_("This payment cannot be refunded from here."))
    existing = db.session.scalar(select(Refund).where(Refund.flag_id == flag.id, Refund.status != "failed"))
    if existing is not None:
        return existing
    failed = db.session.scalar(select(Refund).where(Refund.flag_id == flag.id, Refund.status == "failed"))
    # After a failure, a new request needs a new key.
    key = f"flag-{flag.id}-{utcnow():%Y%m%d%H%M%S}" if failed is not None else None
    return queue_refund(flag.order, payment, flag, key)


def resolve_flag(flag: PaymentFlag, staff_id: int, note: str) -> bool:
    """Close a flag with a note, once; flush."""
    return db.session.execute(update(PaymentFlag).where(PaymentFlag.id == flag.id, PaymentFlag.resolved_at.is_(None))
                              .values(resolved_at=utcnow(), resolved_by_id=staff_id, resolution=note[:300])
                              .execution_options(synchronize_session=False)).rowcount == 1
