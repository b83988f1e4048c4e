"""Applying what Stripe says about a Checkout Session to its order, idempotently. The webhook and the
return page both call these; every change is a conditional UPDATE or a row under a unique key, so
two events for one session, or an event and a page load, take effect once, and never backwards."""
from flask import current_app
from sqlalchemy import select, update

from shop.extensions import db
from shop.ledger.services import post_stray_payment
from shop.orders.models import Order
from shop.payments.services import mark_paid
from shop.payments.models import CheckoutAttempt, Payment, PaymentFlag, Refund
from shop.types import utcnow

PAID_STATES = ("paid", "completed", "partially_refunded", "refunded")


def find_session_order(session: dict) -> tuple[Order | None, CheckoutAttempt | None]:
    """Return the order a Checkout Session belongs to (and our attempt for it), or (None, None)."""
    attempt = db.session.scalar(select(CheckoutAttempt).where(CheckoutAttempt.session_id == session["id"]))
    if attempt is not None:
        return db.session.get(Order, attempt.order_id), attempt
    meta = session.get("metadata") or {}
    ref = str(session.get("client_reference_id") or meta.get("order_id") or "")
    order = db.session.get(Order, int(ref)) if ref.isdecimal() and len(ref) < 10 else None
    if order is None or meta.get("order_number") != order.number:  # ids alone are guessable
        return None, None
    return order, None


def _set_attempt(attempt: CheckoutAttempt | None, status: str, from_statuses: tuple[str, ...]) -> None:
    if attempt is not None:
        db.session.execute(update(CheckoutAttempt).where(CheckoutAttempt.id == attempt.id,
                                                         CheckoutAttempt.status.in_(from_statuses))
                           .values(status=status).execution_options(synchronize_session=False))


def flag_payment(order: Order, reason: str, ref: str, amount_fen: int, currency: str, detail: str = "") -> PaymentFlag:
    """Put a payment on the staff review list, once per payment and reason; flush."""
    flag = db.session.scalar(select(PaymentFlag).where(PaymentFlag.provider_ref == ref, PaymentFlag.reason == reason))
    if flag is None:
        flag = PaymentFlag(order_id=order.id, reason=reason, provider_ref=ref, amount_fen=amount_fen,
                           currency=currency.upper(), detail=detail[:300])
        db.session.add(flag)
        db.session.flush()
        current_app.logger.warning("payment flagged for review: order %s, reason %s, paid %s %s, due %s %s",
                                   order.number, reason, amount_fen, currency.upper(), order.total_fen, order.currency)
    return flag


def _record_stray_payment(order: Order, ref: str, amount_fen: int, currency: str) -> Payment:
    """Record money that arrived but does not pay the order (so that reconciliation sees it)."""
    payment = db.session.scalar(select(Payment).where(Payment.provider_ref == ref))
    if payment is None:
        payment = Payment(order_id=order.id, provider="stripe", provider_ref=ref, amount_fen=amount_fen,
                          currency=currency.upper(), status="succeeded")
        db.session.add(payment)
        db.session.flush()
        post_stray_payment(payment.id, order.id, amount_fen)
    return payment


def queue_refund(order: Order, payment: Payment, flag: PaymentFlag, key: str | None = None) -> Refund:
    """Write a pending refund of a whole flagged payment, once per key (default: once per flag); flush."""
    key = key or f"flag-{flag.id}"
    refund = db.session.scalar(select(Refund).where(Refund.idempotency_key == key))
    if refund is None:
        refund = Refund(order_id=order.id, payment_id=payment.id, provider=payment.provider,
                        idempotency_key=key, amount_fen=payment.amount_fen,
                        currency=payment.currency, reason=flag.reason, flag_id=flag.id)
        db.session.add(refund)
        db.session.flush()
    return refund


def apply_payment(order: Order, attempt: CheckoutAttempt | None, ref: str, amount_fen: int | None,
                  currency: str) -> tuple[str, Refund | None]:
    """Mark the order paid by this payment once; flag (and queue a refund for) money that cannot pay it."""
    amount_fen = amount_fen or 0
    if db.session.scalar(select(Payment.id).where(Payment.provider_ref == ref)) is not None:
        # Recorded already: a later event about the same payment (whatever amount it says) changes nothing,
        # so it can never make the order's own payment look like money held for review.
        mismatched = db.session.scalar(select(PaymentFlag.id).where(PaymentFlag.provider_ref == ref,
                                                                    PaymentFlag.reason == "amount_mismatch"))
        return ("mismatch" if mismatched else "already"), None
    if amount_fen != order.total_fen or currency.upper() != order.currency:
        if amount_fen > 0:
            _record_stray_payment(order, ref, amount_fen, currency)
        flag_payment(order, "amount_mismatch", ref, amount_fen, currency,
                     f"paid {amount_fen} {currency.upper()}, due {order.total_fen} {order.currency}")
        return "mismatch", None
    if mark_paid(order, "stripe", ref, amount_fen, currency):
        _set_attempt(attempt, "complete", ("creating", "open", "processing", "failed", "expired"))
        return "paid", None
    if db.session.scalar(select(Payment.id).where(Payment.provider_ref == ref)) is not None:
        return "already", None  # another event for the same payment got there first
    payment = _record_stray_payment(order, ref, amount_fen, currency)
    if order.status == "cancelled":  # its units went back on sale: never re-reserve them, give the money back
        flag = flag_payment(order, "late_payment", ref, amount_fen, currency, "paid after the order was cancelled")
    else:
        flag = flag_payment(order, "duplicate_payment", ref, amount_fen, currency, "the order was already paid")
    return "refund", queue_refund(order, payment, flag)


def apply_checkout_session(session: dict) -> tuple[str, Refund | None]:
    """Apply a Checkout Session's state to its order; return the outcome and any refund to send."""
    order, attempt = find_session_order(session)
    if order is None:
        return "unknown", None
    if session.get("status") != "complete":
        return ("paid" if order.status in PAID_STATES else "open"), None
    if session.get("payment_status") == "unpaid":  # a delayed method: wait for async_payment_*
        _set_attempt(attempt, "processing", ("creating", "open"))  # never back from failed or expired
        if order.status in PAID_STATES:
            return "paid", None
        if attempt is not None:
            db.session.refresh(attempt)
            if attempt.status == "failed":  # async_payment_failed came first: the buyer may pay again
                return "failed", None
        return "processing", None
    if session.get("payment_status") != "paid":
        return "ignored", None
    ref = session.get("payment_intent") or session["id"]
    return apply_payment(order, attempt, ref, session.get("amount_total"), session.get("currency") or "")


def fail_async_payment(session: dict) -> str:
    """Note that a delayed payment failed; the order stays payable until it expires (never un-paid)."""
    order, attempt = find_session_order(session)
    if order is None:
        return "unknown"
    _set_attempt(attempt, "failed", ("processing", "open", "creating"))
    return "failed"


def expire_session(session: dict) -> str:
    """Note that a session expired; release the order's units once if its own time has run out too."""
    from shop.orders.services import expire_if_due

    order, attempt = find_session_order(session)
    if order is None:
        return "unknown"
    _set_attempt(attempt, "expired", ("creating", "open"))
    return "released" if expire_if_due(order, utcnow()) else "kept"
