"""Recording money received for an order: the payment row, the order's move to paid and its ledger
postings, in one transaction."""
from shop.extensions import db
from shop.ledger.services import post_payment
from shop.orders.emails import queue_order_mail
from shop.orders.models import Order
from shop.orders.services import refresh_order, transition
from shop.payments.models import Payment
from shop.types import utcnow


class PaymentMismatch(Exception):
    """The amount or currency paid is not what the order asks for."""


def mark_paid(order: Order, provider: str, provider_ref: str, amount_fen: int, currency: str) -> bool:
    """Record a payment, mark the order paid and post it to the ledger, once; False if it was not awaiting payment.
    Only this one transition queues the receipt, so a replayed webhook or a second confirmation sends none."""
    if amount_fen != order.total_fen or currency.upper() != order.currency:
        raise PaymentMismatch(f"order {order.number}: paid {amount_fen} {currency}, due {order.total_fen}")
    if not transition(Order, order.id, "pending_payment", status="paid", paid_at=utcnow(),
                      payment_provider=provider):
        refresh_order(order)
        return False
    db.session.add(Payment(order_id=order.id, provider=provider, provider_ref=provider_ref,
                           amount_fen=amount_fen, currency=currency.upper(), status="succeeded"))
    post_payment(order, amount_fen)
    queue_order_mail("paid", order.id)
    refresh_order(order)
    return True
