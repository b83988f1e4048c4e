"""What staff see and do about money: orders with their payments, refunds and flags; flagged payments."""
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from shop.audit.services import record_audit
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


ACCOUNT_LABELS = {
    "cash": _l("Cash held by the platform"), "commission": _l("Platform commission"),
    "suspense": _l("Held for review"), "retention_pending": _l("Cooperative retention (not yet settled)"),
    "retention_payable": _l("Cooperative retention (payable)"),
    "shipping_pending": _l("Shipping fee (not yet settled)"), "shipping_payable": _l("Shipping fee (payable)"),
    "household_pending": _l("Household share (not yet settled)"),
    "household_payable": _l("Household share (payable)"), "payout_transit": _l("Paid out, not yet confirmed")}
PROVIDER_LABELS = {"stripe": _l("Stripe"), "demo": _l("Demonstration payment")}
TXN_LABELS = {"payment": _l("Payment"), "refund": _l("Refund"), "settlement": _l("Settlement"),
              "stray_payment": _l("Payment held for review"), "stray_refund": _l("Held payment returned")}


class ShareRow(NamedTuple):
    household_id: int
    head_name: str
    village_zh: str
    village_en: str
    amount_fen: int


@dataclass(frozen=True)
class OrderTrace:
    """Where an order's money went, for staff: the buyer's e-mail, each line's household shares (names
    shown to staff only) and every ledger posting of the order, its refunds and its settlements."""

    buyer_email: str
    shares: dict[int, list["ShareRow"]]  # by line
    postings: list  # (key, kind, posted_at, account, household name, fen)


def get_order_trace(order: Order, viewer_id: int) -> OrderTrace:
    """Return the order's split and postings and log that staff saw its households (3 queries)."""
    from shop.accounts.models import User
    from shop.households.models import Household
    from shop.households.services import log_household_access
    from shop.ledger.models import LedgerPosting, LedgerTransaction
    from shop.orders.models import LineShare
    from shop.places.models import Village

    shares: dict[int, list] = {}
    names: dict[int, str] = {}
    for line_id, hid, name, vzh, ven, fen in db.session.execute(
            select(LineShare.line_id, Household.id, Household.head_name, Village.name_zh, Village.name_en,
                   LineShare.amount_fen)
            .join(Household, Household.id == LineShare.household_id).join(Village, Village.id == Household.village_id)
            .where(LineShare.line_id.in_([ln.id for ln in order.lines])).order_by(LineShare.line_id, Household.id)):
        shares.setdefault(line_id, []).append(ShareRow(hid, name, vzh, ven, fen))
        names[hid] = name
    postings = [(key, kind, at, account, names.get(hid, "") if hid else "", fen) for key, kind, at, account, hid, fen
                in db.session.execute(
                    select(LedgerTransaction.key, LedgerTransaction.kind, LedgerTransaction.posted_at,
                           LedgerPosting.account, LedgerPosting.household_id, LedgerPosting.amount_fen)
                    .join(LedgerPosting, LedgerPosting.txn_id == LedgerTransaction.id)
                    .where(LedgerTransaction.order_id == order.id).order_by(LedgerPosting.id))]
    if names:
        log_household_access(viewer_id, "view_order_split", sorted(names))
    email = db.session.scalar(select(User.email).where(User.id == order.buyer_id)) or ""
    return OrderTrace(email, shares, postings)


@dataclass(frozen=True)
class OrderSearch:
    """What staff look for: text (an order number or part of one, a buyer's mobile, or an e-mail), a
    cooperative with a shipment in the order, a status, and the Shanghai dates it was placed."""

    text: str = ""
    coop_id: int | None = None
    status: str = ""
    start: date | None = None
    end: date | None = None


MOBILE = re.compile(r"1\d{10}")


def list_staff_orders(search: OrderSearch, page: int, per_page: int):
    """Page through the orders that match, newest first (2 queries)."""
    from shop.accounts.models import User
    from shop.reports.periods import start_of

    stmt = select(Order).order_by(Order.placed_at.desc(), Order.id.desc())
    text = search.text.strip()
    if "@" in text:  # e-mail addresses are stored lower-case
        stmt = stmt.where(Order.buyer_id.in_(select(User.id).where(User.email == text.lower())))
    elif MOBILE.fullmatch(text.replace(" ", "").replace("-", "")):
        stmt = stmt.where(Order.mobile == text.replace(" ", "").replace("-", ""))
    elif number := re.sub(r"[^A-Za-z0-9]", "", text).upper()[:24]:
        stmt = stmt.where(Order.number.contains(number, autoescape=True))
    if search.coop_id:
        stmt = stmt.where(Order.id.in_(select(Shipment.order_id).where(Shipment.coop_id == search.coop_id)))
    if search.status:
        stmt = stmt.where(Order.status == search.status)
    if search.start:
        stmt = stmt.where(Order.placed_at >= start_of(search.start))
    if search.end:
        stmt = stmt.where(Order.placed_at < start_of(search.end + timedelta(days=1)))
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
    """Close a flag with a note, once (audited); flush."""
    done = db.session.execute(update(PaymentFlag).where(PaymentFlag.id == flag.id, PaymentFlag.resolved_at.is_(None))
                              .values(resolved_at=utcnow(), resolved_by_id=staff_id, resolution=note[:300])
                              .execution_options(synchronize_session=False)).rowcount == 1
    if done:
        record_audit("flag_resolved", f"flag:{flag.id}", f"{flag.reason}, {flag.amount_fen} fen: {note}", staff_id)
    return done
