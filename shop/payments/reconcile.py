"""Reconciliation: compare what the shop recorded about Stripe money with what Stripe reports."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from shop.extensions import db
from shop.orders.models import Order
from shop.payments import stripe_gateway as gateway
from shop.payments.models import Payment, Refund


@dataclass(frozen=True)
class Difference:
    """One disagreement between the shop and Stripe about one order."""

    order: str  # order number (or Stripe's reference when the order is unknown)
    what: str
    ours_fen: int
    stripe_fen: int


def _stripe_view(since: datetime):
    paid: dict[str, dict[str, int]] = defaultdict(dict)  # order id -> payment intent -> amount
    for session in gateway.list_checkout_sessions(since):
        if session.get("status") == "complete" and session.get("payment_status") == "paid":
            order_id = str(session.get("client_reference_id") or (session.get("metadata") or {}).get("order_id", ""))
            paid[order_id][session.get("payment_intent") or session["id"]] = session.get("amount_total") or 0
    refunded: dict[str, int] = defaultdict(int)  # payment intent -> refunded amount
    for refund in gateway.list_refunds(since):
        if refund.get("status") == "succeeded":
            refunded[refund.get("payment_intent")] += refund.get("amount") or 0
    return paid, refunded


def reconcile_since(since: datetime) -> list[Difference]:
    """Return, by order, every difference between our Stripe payments and refunds and Stripe's."""
    stripe_paid, stripe_refunded = _stripe_view(since)
    ids = [int(i) for i in stripe_paid if i.isdigit() and len(i) < 10]
    orders = {o.id: o for o in db.session.scalars(select(Order).where(or_(Order.placed_at >= since,
                                                                         Order.id.in_(ids))))}
    payments = db.session.scalars(select(Payment).where(Payment.order_id.in_(orders), Payment.provider == "stripe",
                                                        Payment.status == "succeeded").order_by(Payment.id)).all()
    refunds = db.session.scalars(select(Refund).where(Refund.payment_id.in_([p.id for p in payments]),
                                                      Refund.status == "succeeded")).all()
    ours_paid: dict[str, dict[str, int]] = defaultdict(dict)
    for p in payments:
        ours_paid[str(p.order_id)][p.provider_ref] = p.amount_fen
    ours_refunded: dict[str, int] = defaultdict(int)
    by_payment = {p.id: p.provider_ref for p in payments}
    for r in refunds:
        ours_refunded[by_payment[r.payment_id]] += r.amount_fen

    diffs = []
    for order_id in sorted(set(stripe_paid) | set(ours_paid), key=lambda i: (len(i), i)):
        order = orders.get(int(order_id)) if order_id.isdigit() and len(order_id) < 10 else None
        label = order.number if order else f"client_reference_id={order_id or '?'}"
        theirs, ours = stripe_paid.get(order_id, {}), ours_paid.get(order_id, {})
        for ref in sorted(set(theirs) | set(ours)):
            if theirs.get(ref, 0) != ours.get(ref, 0):
                what = ("paid at Stripe, not recorded by the shop" if ref not in ours else
                        "recorded by the shop, not paid at Stripe" if ref not in theirs else "amounts differ")
                diffs.append(Difference(label, f"payment {ref}: {what}", ours.get(ref, 0), theirs.get(ref, 0)))
            if stripe_refunded.get(ref, 0) != ours_refunded.get(ref, 0):
                diffs.append(Difference(label, f"refunds of {ref} differ", ours_refunded.get(ref, 0),
                                        stripe_refunded.get(ref, 0)))
    return diffs
