"""Stripe Checkout Sessions for orders. The order and its reservation are committed before Stripe
is called, and no transaction is open while waiting for Stripe. Each try is a numbered attempt;
its idempotency key and parameters are fixed, so repeating it returns the same session."""
import re
from datetime import timedelta

from flask import current_app

from shop.web import public_url
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from shop.extensions import db
from shop.orders.models import Order, Shipment
from shop.payments import stripe_gateway as gateway
from shop.payments.models import CheckoutAttempt
from shop.types import utcnow

SESSION_MIN = timedelta(minutes=30)  # Stripe refuses a session that expires sooner than this
SESSION_MAX = timedelta(hours=24)  # ... or later than this
SLACK = timedelta(minutes=2)  # time for the request to reach Stripe
REUSE_MIN = timedelta(minutes=5)  # an open session with less time left is replaced
MAX_LINE_ITEMS = 100  # Stripe Checkout takes at most this many line items


class PaymentUnavailable(Exception):
    """Stripe could not be reached or refused; the order stays pending. The message is for the buyer."""


def extend_reservation(order: Order, now=None) -> bool:
    """Give the order enough time for a new Checkout Session (at least 30 minutes); flush."""
    now = now or utcnow()
    floor = now + SESSION_MIN + SLACK
    if order.expires_at >= floor:
        return False
    minutes = max(current_app.config["ORDER_EXPIRY_MINUTES"], 31)
    new_expiry = now + min(timedelta(minutes=minutes), SESSION_MAX)
    done = db.session.execute(
        update(Order).where(Order.id == order.id, Order.status == "pending_payment", Order.expires_at < floor)
        .values(expires_at=new_expiry).execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(order)
    return done


def latest_attempt(order_id: int) -> CheckoutAttempt | None:
    return db.session.scalar(select(CheckoutAttempt).where(CheckoutAttempt.order_id == order_id)
                             .order_by(CheckoutAttempt.attempt.desc()).limit(1))


def last_payment_failed(order_id: int) -> bool:
    """Return True if the buyer's latest Stripe payment for the order failed (e.g. a delayed bank payment)."""
    attempt = latest_attempt(order_id)
    return attempt is not None and attempt.status == "failed" and attempt.session_id is not None


def _usable(attempt: CheckoutAttempt | None, now) -> bool:
    if attempt is None:
        return False
    if attempt.status == "creating":  # outcome unknown: repeat the same request while Stripe accepts it
        return attempt.expires_at >= now + SESSION_MIN + timedelta(seconds=30)
    return attempt.status == "open" and attempt.expires_at >= now + REUSE_MIN


def prepare_attempt(order: Order) -> tuple[CheckoutAttempt, str | None]:
    """Return the attempt to use (reused or the next one) and a session to retire; flush."""
    now = utcnow()
    current = latest_attempt(order.id)
    if current is not None and current.status == "processing":  # a delayed payment is on its way
        raise PaymentUnavailable(_("Your payment is being processed. There is no need to pay again."))
    extend_reservation(order, now)
    if _usable(current, now):
        return current, None
    retire = current.session_id if current is not None and current.status == "open" else None
    if current is not None and current.status in ("creating", "open"):
        db.session.execute(update(CheckoutAttempt).where(CheckoutAttempt.id == current.id,
                                                         CheckoutAttempt.status.in_(("creating", "open")))
                           .values(status="failed").execution_options(synchronize_session=False))
    attempt = CheckoutAttempt(order_id=order.id, attempt=(current.attempt + 1) if current else 1,
                              expires_at=min(order.expires_at, now + SESSION_MAX - SLACK).replace(microsecond=0))
    db.session.add(attempt)
    db.session.flush()
    return attempt, retire


def session_params(order: Order, attempt: CheckoutAttempt) -> dict:
    """Build the Checkout Session parameters; the same order and attempt always give the same."""
    zh = order.locale.startswith("zh")
    meta = {"order_id": str(order.id), "order_number": order.number}
    items = []
    with force_locale(order.locale):
        for shipment in order.shipments:
            for line in shipment.lines:
                name = (f"{line.product_name_zh} {line.variant_name_zh}" if zh
                        else f"{line.product_name_en} {line.variant_name_en}")
                items.append({"price_data": {"currency": "cny", "unit_amount": line.unit_price_fen,
                                             "product_data": {"name": name}}, "quantity": line.quantity})
            if shipment.shipping_fee_fen:
                coop = shipment.coop_name_zh if zh else shipment.coop_name_en
                items.append({"price_data": {"currency": "cny", "unit_amount": shipment.shipping_fee_fen,
                                             "product_data": {"name": _("Shipping from %(coop)s", coop=coop)}},
                              "quantity": 1})
        if len(items) > MAX_LINE_ITEMS:  # Stripe refuses more: the order is one line of its total
            items = [{"price_data": {"currency": "cny", "unit_amount": order.total_fen,
                                     "product_data": {"name": _("Order %(number)s", number=order.number)}},
                      "quantity": 1}]
    back = public_url("payments.stripe_return", number=order.number)
    params = {
        "mode": "payment", "line_items": items, "currency": "cny", "locale": "zh" if zh else "en",
        "client_reference_id": str(order.id), "metadata": meta, "payment_intent_data": {"metadata": meta},
        "success_url": back + "?session_id={CHECKOUT_SESSION_ID}", "cancel_url": back + "?cancelled=1",
        "expires_at": int(attempt.expires_at.timestamp()), "allowed_payment_method_types": ["card"],
    }
    if current_app.config.get("STRIPE_WALLETS"):
        params["allowed_payment_method_types"] = ["card", "alipay", "wechat_pay"]
        params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    return params


def _load(order_id: int) -> Order:
    return db.session.scalar(select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
                             .options(selectinload(Order.shipments).selectinload(Shipment.lines)))


def start_stripe_checkout(order: Order) -> str:
    """Return the URL of an open Checkout Session for a pending order; commits its own short steps."""
    order_id = order.id
    try:
        attempt, retire = prepare_attempt(order)
        db.session.commit()
    except IntegrityError:  # a double click made the same attempt a moment ago: use that one
        db.session.rollback()
        attempt, retire = latest_attempt(order_id), None
    if attempt.status == "open":
        return attempt.url
    order = _load(order_id)
    params, key, attempt_id = session_params(order, attempt), attempt.idempotency_key, attempt.id
    db.session.commit()  # nothing is locked or open while Stripe works
    if retire:
        try:
            gateway.expire_checkout_session(retire)
        except gateway.GatewayError:
            current_app.logger.warning("could not expire replaced session %s", retire)
    try:
        session = gateway.create_checkout_session(params, key)
    except gateway.GatewayError as error:
        current_app.logger.warning("checkout session for order %s failed: %s", order_id, error)
        if not error.retry_same:  # Stripe answered for good: the next try is a new attempt
            db.session.execute(update(CheckoutAttempt).where(CheckoutAttempt.id == attempt_id,
                                                             CheckoutAttempt.status == "creating")
                               .values(status="failed").execution_options(synchronize_session=False))
            db.session.commit()
        raise PaymentUnavailable(_("We could not reach the payment service. Your order and its items "
                                   "are kept; please try again in a moment.")) from error
    db.session.execute(update(CheckoutAttempt).where(CheckoutAttempt.id == attempt_id,
                                                     CheckoutAttempt.status == "creating")
                       .values(status="open", session_id=session["id"], url=session["url"])
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return session["url"]


def session_to_check(order: Order, session_id: str | None) -> CheckoutAttempt | None:
    """Return our attempt for the session the buyer came back from (never another order's), or the latest."""
    if session_id and re.fullmatch(r"[A-Za-z0-9_]{1,120}", session_id):
        attempt = db.session.scalar(select(CheckoutAttempt).where(CheckoutAttempt.session_id == session_id,
                                                                  CheckoutAttempt.order_id == order.id))
        if attempt is not None:
            return attempt
    return db.session.scalar(select(CheckoutAttempt).where(CheckoutAttempt.order_id == order.id,
                                                           CheckoutAttempt.session_id.is_not(None))
                             .order_by(CheckoutAttempt.attempt.desc()).limit(1))


def confirm_return(order: Order, session_id: str | None):
    """Ask Stripe how the buyer's payment stands and apply it as the webhook would; return (state, refund).

    state is paid, processing, failed (a delayed payment failed: pay again), unpaid, review (money arrived but does not fit the order), refunding
    (paid too late or twice) or unknown (Stripe could not be asked). Calling it again changes nothing."""
    from shop.payments.fulfilment import PAID_STATES, apply_checkout_session

    if order.status in PAID_STATES:
        return "paid", None
    attempt = session_to_check(order, session_id)
    if attempt is None:
        return "unpaid", None
    db.session.commit()  # nothing open while Stripe answers
    try:
        session = gateway.retrieve_checkout_session(attempt.session_id)
    except gateway.GatewayError:
        return "unknown", None
    try:
        outcome, refund = apply_checkout_session(session)
        db.session.commit()
    except IntegrityError:  # the webhook recorded the same payment at the same moment: read what it did
        db.session.rollback()
        outcome, refund = apply_checkout_session(session)
        db.session.commit()
    states = {"paid": "paid", "already": "paid", "processing": "processing", "mismatch": "review",
              "refund": "refunding", "failed": "failed"}
    if outcome == "already":
        db.session.refresh(order)
        return ("paid" if order.status in PAID_STATES else "refunding"), None
    return states.get(outcome, "unpaid"), refund
