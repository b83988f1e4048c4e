"""Stripe webhooks: a verified event is recorded under its unique id in the same transaction as its
effect, so a replayed or parallel duplicate event changes nothing. Handlers come from one table."""
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shop.extensions import db
from shop.payments import fulfilment, refunds
from shop.payments.models import Refund, StripeEvent


def _completed(obj: dict):
    return fulfilment.apply_checkout_session(obj)


def _async_failed(obj: dict):
    return fulfilment.fail_async_payment(obj), None


def _expired(obj: dict):
    return fulfilment.expire_session(obj), None


def _charge_refunded(obj: dict):
    return refunds.check_charge_refunds(obj), None


def _refund_changed(obj: dict):
    return refunds.sync_provider_refund(obj), None


HANDLERS = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _completed,
    "checkout.session.async_payment_failed": _async_failed,
    "checkout.session.expired": _expired,
    "charge.refunded": _charge_refunded,
    "refund.created": _refund_changed,
    "refund.updated": _refund_changed,
    "refund.failed": _refund_changed,
    "charge.refund.updated": _refund_changed,  # the older name of refund.updated, still sent to endpoints that chose it
}


# What the handlers read from an event's object, and the type each must have when present.
FIELDS = {"id": str, "metadata": dict, "payment_intent": str, "client_reference_id": str, "status": str,
          "payment_status": str, "currency": str, "amount_total": int, "amount": int, "amount_refunded": int}


def _fits(value, kind) -> bool:
    if value is None:
        return True
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31
    if kind is str:
        return isinstance(value, str) and len(value) <= 120
    return isinstance(value, kind)


def is_well_formed(event: dict) -> bool:
    """Return True if a verified event has what the handlers read, each of the right type and size."""
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not (isinstance(event.get("id"), str) and 0 < len(event["id"]) <= 120 and isinstance(event.get("type"), str)
            and len(event["type"]) <= 80 and isinstance(obj, dict) and isinstance(obj.get("id"), str)):
        return False
    if obj.get("currency") is not None and len(str(obj["currency"])) != 3:
        return False
    return all(_fits(obj.get(name), kind) for name, kind in FIELDS.items())


def record_event(event: dict) -> tuple[str, Refund | None]:
    """Record a verified event and apply its effect in this transaction; "duplicate" if seen; flush."""
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "ignored", None
    if db.session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event["id"])) is not None:
        return "duplicate", None
    db.session.add(StripeEvent(event_id=event["id"], type=event["type"]))
    db.session.flush()  # a parallel copy of this event waits here, then fails on the unique id
    return handler(event["data"]["object"])


def process_event(event: dict) -> str:
    """Apply one verified event exactly once, commit, then send any refund it queued; return the outcome."""
    try:
        outcome, refund = record_event(event)
        db.session.commit()
    except IntegrityError:  # the same event (or the same payment) was handled by a parallel delivery
        db.session.rollback()
        return "duplicate"
    if refund is not None:
        try:
            refunds.send_refund(refund)
        except Exception:  # the refund stays pending on the staff review list
            db.session.rollback()
            current_app.logger.exception("automatic refund %s could not be sent", refund.id)
    return outcome
