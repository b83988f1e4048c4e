"""Order e-mails to the buyer: placed (the pay link and when the hold ends), paid (a receipt, and how
much of it reaches how many households in how many villages), refunded and shipped. Each is a plain-text
and an HTML template under templates/mail/, written in the order's language, whatever language the
request that caused it speaks (a webhook, a staff member's refund, a cron job).

Placed, paid and refunded follow a state change made inside a database transaction, by several callers
(the checkout page, the demo payment, Stripe's webhook and return page, staff refunds, cron). So the
service that makes the change only queues the mail (queue_order_mail), on the real transition: it is
written just before that transaction commits, sent just after, and dropped if the transaction rolls
back. A replayed webhook or a second confirmation of a payment changes nothing, so it queues nothing; a
rolled-back change sends nothing; and a mail server that fails is logged while the payment stays made.

Nothing here names a household: the paid mail gives a total, a count of households (fewer than three
is said as such) and a count of villages."""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Callable, Iterator

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction, joinedload, selectinload

from shop.extensions import db
from shop.households.models import Household
from shop.mail import send_mail
from shop.orders.carriers import carrier_name
from shop.orders.models import LineShare, Order, OrderLine, Shipment

QUEUED = "order_mail_queued"  # session.info: (kind, id, transaction, mail written or None) for the commit
READY = "order_mail_ready"  # session.info: written mails, sent once the commit is done
FEWEST_HOUSEHOLDS_NAMED = 3  # below this, a count of households is said as "fewer than three"

_suppressed: ContextVar[bool] = ContextVar("order_mail_suppressed", default=False)


@dataclass(frozen=True)
class Mail:
    """One written e-mail: both parts, ready to send without touching the database."""

    to: str
    subject: str
    text: str
    html: str
    about: str  # for the log when it cannot be sent: kind and order number, no address


@dataclass(frozen=True)
class Support:
    """What an order's goods bring to the households who grew them, from its frozen line shares."""

    amount_fen: int
    households: int  # distinct households with a share above zero
    villages: int  # distinct villages of those households

    @property
    def few_households(self) -> bool:
        return 0 < self.households < FEWEST_HOUSEHOLDS_NAMED


def order_support(order_id: int) -> Support:
    """Sum the order's household shares and count their distinct households and villages (1 query).

    These are the shares frozen when the order was placed, which the payment posts to the ledger one
    for one; a share of zero fen brings nothing, so its household is not counted."""
    amount, households, villages = db.session.execute(
        select(func.coalesce(func.sum(LineShare.amount_fen), 0), func.count(func.distinct(LineShare.household_id)),
               func.count(func.distinct(Household.village_id)))
        .select_from(LineShare).join(OrderLine, LineShare.line_id == OrderLine.id)
        .join(Household, LineShare.household_id == Household.id)
        .where(OrderLine.order_id == order_id, LineShare.amount_fen > 0)).one()
    return Support(int(amount), households, villages)


# --- writing the mails ------------------------------------------------------------------------------

def _load_order(order_id: int) -> Order | None:
    """The order with its buyer, shipments and lines, as the database has them now (statuses move by
    UPDATE statements that the objects in the session do not see)."""
    return db.session.scalar(select(Order).where(Order.id == order_id).options(
        joinedload(Order.buyer), selectinload(Order.shipments).selectinload(Shipment.lines))
        .execution_options(populate_existing=True))


def _write(order: Order, kind: str, subject: Callable[[], str], **context) -> Mail:
    """Render mail/<kind>.txt and .html, and the subject, in the order's language."""
    with force_locale(order.locale or "zh"):
        return Mail(to=order.buyer.email, subject=subject(),
                    text=render_template(f"mail/{kind}.txt", order=order, **context),
                    html=render_template(f"mail/{kind}.html", order=order, **context),
                    about=f"{kind} mail for order {order.number}")


def placed_mail(order_id: int) -> Mail | None:
    """The order was placed: what it holds, what it costs, where to pay and until when.

    None once the order is no longer awaiting payment (placed and paid in one transaction: the
    receipt says it all)."""
    order = _load_order(order_id)
    if order is None or order.status != "pending_payment":
        return None
    return _placed(order)


def _placed(order: Order) -> Mail:
    from shop.web import public_url

    return _write(order, "order_placed", lambda: _("We received your order %(number)s", number=order.number),
                  pay_url=public_url("payments.start", number=order.number),
                  order_url=public_url("orders.detail", number=order.number))


def write_placed_mail(order: Order) -> Mail | None:
    """Write the placed mail now from the order as this session holds it (its buyer, shipments and lines
    added, not yet flushed), for queue_order_mail: placing an order writes it before it takes the stock, so
    that no lot is locked while it is written. None when no mail goes out, or if it cannot be written (then it is
    written from the database at the commit, as any other)."""
    if _suppressed.get():
        return None
    try:
        return _placed(order)
    except Exception:  # a mail that cannot be written must not cost the buyer the order
        current_app.logger.exception("placed mail for order %s could not be written early", order.id)
        return None


def paid_mail(order_id: int) -> Mail | None:
    """The receipt: lines, shipping per cooperative, the total paid, and what it brings to households."""
    from shop.web import public_url

    order = _load_order(order_id)
    if order is None:
        return None
    return _write(order, "order_paid", lambda: _("Receipt for your order %(number)s", number=order.number),
                  support=order_support(order.id), order_url=public_url("orders.detail", number=order.number))


def refund_mail(refund_id: int) -> Mail | None:
    """A refund succeeded: what it gave back, as it was allocated (lines, shipping fees), and how much."""
    from shop.payments.models import Refund
    from shop.web import public_url

    refund = db.session.scalar(select(Refund).where(Refund.id == refund_id)
                               .options(selectinload(Refund.lines), selectinload(Refund.shipping)))
    order = _load_order(refund.order_id) if refund is not None else None
    if order is None:
        return None
    lines = {line.id: line for s in order.shipments for line in s.lines}
    shipments = {s.id: s for s in order.shipments}
    so_far = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
        Refund.order_id == order.id, Refund.status == "succeeded", Refund.flag_id.is_(None)))
    return _write(order, "order_refunded", lambda: _("Refund for your order %(number)s", number=order.number),
                  refund=refund, refunded_lines=[(lines[rl.line_id], rl) for rl in refund.lines],
                  refunded_shipping=[(shipments[rs.shipment_id], rs) for rs in refund.shipping],
                  refunded_total_fen=int(so_far),
                  order_url=public_url("orders.detail", number=order.number))


def shipped_mail(shipment_id: int) -> Mail | None:
    """A cooperative shipped its part of the order: carrier, tracking number, what is in the parcel."""
    from shop.web import public_url

    shipment = db.session.get(Shipment, shipment_id)
    order = _load_order(shipment.order_id) if shipment is not None else None
    if order is None:
        return None
    shipment = next(s for s in order.shipments if s.id == shipment_id)
    return _write(order, "order_shipped", lambda: _("Your order %(number)s is on its way", number=order.number),
                  shipment=shipment, carrier=carrier_name(shipment.carrier),
                  order_url=public_url("orders.detail", number=order.number))


WRITERS: dict[str, Callable[[int], Mail | None]] = {
    "placed": placed_mail, "paid": paid_mail, "refunded": refund_mail, "shipped": shipped_mail}


def deliver(mail: Mail) -> bool:
    """Send a written mail; a failing mail server is logged, never raised (what caused the mail stands)."""
    try:
        send_mail(mail.to, mail.subject, mail.text, mail.html)
    except Exception:  # smtplib's errors are OSErrors, but nothing a mail server does may undo a payment
        current_app.logger.exception("%s not sent", mail.about)
        return False
    return True


# --- after the commit -------------------------------------------------------------------------------

@contextmanager
def order_mail_suppressed() -> Iterator[None]:
    """Queue no order mail inside the block (the demo seed walks thousands of orders through the services)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def queue_order_mail(kind: str, object_id: int, written: Mail | None = None) -> None:
    """Send the mail `kind` about this order (or refund, or shipment) once the current transaction
    commits; drop it if the transaction (or the savepoint it was queued in) rolls back. `written`: the
    mail as already written (write_placed_mail); otherwise it is written just before the commit."""
    if kind not in WRITERS:
        raise ValueError(f"no order mail called {kind!r}")
    if _suppressed.get():
        return
    session = db.session()
    where = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(QUEUED, []).append((kind, object_id, where, written))


def _inside(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(db.session, "before_commit")
def _write_queued(session: Session) -> None:
    """Write the queued mails while the transaction can still read the data (after the commit it cannot)."""
    if session.in_nested_transaction() or not session.info.get(QUEUED):
        return  # a savepoint released: its mails wait for the real commit
    queued = session.info.pop(QUEUED)
    ready = session.info.setdefault(READY, [])
    session.flush()  # the transaction's own changes: their errors are the caller's, not a mail's
    paid = {object_id for kind, object_id, *_rest in queued if kind == "paid"}
    for kind, object_id, _where, written in queued:
        if kind == "placed" and object_id in paid:
            continue  # placed and paid in one transaction: the receipt says it all
        if written is not None:
            ready.append(written)
            continue
        try:
            # In a savepoint: on PostgreSQL a failed statement aborts the whole transaction, and the
            # COMMIT that follows would silently roll the payment back while the mail goes out.
            with session.begin_nested():
                mail = WRITERS[kind](object_id)
        except Exception:  # a mail that cannot be written must not cost the buyer the payment
            current_app.logger.exception("%s mail for %s could not be written", kind, object_id)
            continue
        if mail is not None:
            ready.append(mail)


@event.listens_for(db.session, "after_commit")
def _send_ready(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for mail in session.info.pop(READY, []):
        deliver(mail)


@event.listens_for(db.session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:  # a savepoint: only what was queued inside it
        session.info[QUEUED] = [q for q in session.info.get(QUEUED, []) if not _inside(q[2], previous_transaction)]
    else:
        session.info.pop(QUEUED, None)
        session.info.pop(READY, None)


@event.listens_for(db.session, "after_transaction_end")
def _drop_left_over(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:  # closed without a commit: nothing goes out
        session.info.pop(QUEUED, None)
        session.info.pop(READY, None)
