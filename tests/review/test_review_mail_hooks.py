"""Review: the order mail hooks must never cost a payment."""
from sqlalchemy import select, text

from shop.extensions import db
from shop.orders import emails
from shop.orders.models import Order
from shop.payments.models import Payment
from shop.payments.services import mark_paid
from tests.mail.conftest import grown_by, load_order, place


def test_a_database_error_while_writing_the_receipt_does_not_silently_lose_the_payment(app, ctx, outbox,
                                                                                       needs_postgres,
                                                                                       monkeypatch):
    """On PostgreSQL a failed statement aborts the whole transaction. The receipt's writer runs inside the
    payment's transaction (before_commit) and its exception is swallowed, so the COMMIT that follows is
    turned into a ROLLBACK by the server: the receipt is mailed, the payment is gone."""
    placed = place(grown_by((3,)))

    def broken_writer(order_id):
        db.session.execute(text("SELECT 1 / 0"))  # e.g. a statement timeout or a lock timeout

    monkeypatch.setitem(emails.WRITERS, "paid", broken_writer)
    order = load_order(placed.order_id)
    assert mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
    db.session.commit()
    db.session.remove()
    assert db.session.scalar(select(Order.status).where(Order.id == placed.order_id)) == "paid"
    assert db.session.scalar(select(Payment.id).where(Payment.order_id == placed.order_id)) is not None


def test_a_shipped_mail_that_cannot_be_written_does_not_fail_the_request_after_the_commit(app, ctx, outbox,
                                                                                          monkeypatch):
    """The view commits the shipment, then writes and sends the mail. Sending is guarded (deliver), writing
    is not: a template or database error there answers 500 for a parcel that is already marked shipped."""
    from jinja2 import TemplateError

    from shop.coops import fulfilment
    from shop.coops.fulfilment import notify_buyer_shipped, ship_shipment

    placed = place(grown_by((3,)))
    order = load_order(placed.order_id)
    assert mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
    db.session.commit()
    shipment = load_order(placed.order_id).shipments[0]
    assert ship_shipment(shipment, "中国邮政 EMS", "EMS1234567890CN")
    db.session.commit()

    def broken(shipment_id):
        raise TemplateError("a translation with a bad placeholder")

    monkeypatch.setattr(fulfilment, "shipped_mail", broken)
    assert notify_buyer_shipped(shipment) is False
