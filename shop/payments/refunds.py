"""Refunds: a whole order, chosen lines or an amount, through the provider that took the money.
A refund is a row written before the provider is asked (its idempotency key makes a replay or a
retry after a timeout return the same refund); amounts are never edited, only the status moves,
once, from pending to succeeded or failed. Settling applies its effects exactly once."""
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from shop.audit.services import record_audit
from shop.extensions import db
from shop.ledger.services import post_refund, post_stray_refund
from shop.money import fill_in_order
from shop.orders.emails import queue_order_mail
from shop.orders.models import Allocation, Order, OrderLine, Shipment
from shop.orders.services import complete_order_if_delivered, mark_refunded, transition
from shop.payments.models import Payment, PaymentFlag, Refund, RefundLine, RefundShipping
from shop.supply.models import SupplyLot
from shop.supply.stock import return_units, take_units
from shop.types import utcnow

REFUNDABLE_STATES = ("paid", "completed", "partially_refunded")
STRAY_REASONS = ("amount_mismatch", "late_payment", "duplicate_payment")


class RefundError(Exception):
    """The refund cannot be made; the message is for staff. The caller rolls back."""


@dataclass(frozen=True)
class RefundSummary:
    """What was paid for an order, what went back, and what can still go back (pending refunds count
    as gone, so that no refund, whatever its mode, can give anything back twice)."""

    payment: Payment | None
    refunded_fen: int  # succeeded
    pending_fen: int
    refundable_fen: int
    units_left: dict[int, int]  # order line id -> units not yet refunded
    line_left_fen: dict[int, int]  # order line id -> fen of the line not yet refunded
    shipping_left_fen: dict[int, int]  # shipment id -> fen of its shipping fee not yet refunded


def get_order_payment(order_id: int) -> Payment | None:
    """Return the payment that paid the order (not money flagged as stray), or None."""
    stray = select(PaymentFlag.provider_ref).where(PaymentFlag.order_id == order_id,
                                                  PaymentFlag.reason.in_(STRAY_REASONS))
    return db.session.scalar(select(Payment).where(Payment.order_id == order_id, Payment.status == "succeeded",
                                                   Payment.provider_ref.not_in(stray))
                             .order_by(Payment.id).limit(1))


def refund_summary(order: Order) -> RefundSummary:
    """Return how much of the order was refunded and what is left, per line and shipment (5 queries)."""
    payment = get_order_payment(order.id)
    if payment is None:
        return RefundSummary(None, 0, 0, 0, {}, {}, {})
    totals = dict(db.session.execute(select(Refund.status, func.sum(Refund.amount_fen))
                                     .where(Refund.payment_id == payment.id).group_by(Refund.status)).all())
    live = (Refund.payment_id == payment.id, Refund.status != "failed")
    taken = {line_id: (int(qty), int(fen)) for line_id, qty, fen in db.session.execute(
        select(RefundLine.line_id, func.sum(RefundLine.quantity), func.sum(RefundLine.amount_fen))
        .join(Refund, Refund.id == RefundLine.refund_id).where(*live).group_by(RefundLine.line_id))}
    shipping_taken = dict(db.session.execute(
        select(RefundShipping.shipment_id, func.sum(RefundShipping.amount_fen))
        .join(Refund, Refund.id == RefundShipping.refund_id).where(*live).group_by(RefundShipping.shipment_id)).all())
    lines = db.session.execute(select(OrderLine.id, OrderLine.quantity, OrderLine.gross_fen)
                               .where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
    fees = db.session.execute(select(Shipment.id, Shipment.shipping_fee_fen)
                              .where(Shipment.order_id == order.id).order_by(Shipment.id)).all()
    line_left = {line_id: gross - taken.get(line_id, (0, 0))[1] for line_id, _qty, gross in lines}
    shipping_left = {sid: fee - int(shipping_taken.get(sid) or 0) for sid, fee in fees}
    refunded, pending = totals.get("succeeded") or 0, totals.get("pending") or 0
    return RefundSummary(payment, refunded, pending, sum(line_left.values()) + sum(shipping_left.values()),
                         {line_id: qty - taken.get(line_id, (0, 0))[0] for line_id, qty, _gross in lines},
                         line_left, shipping_left)


def get_refund_by_key(key: str) -> Refund | None:
    return db.session.scalar(select(Refund).where(Refund.idempotency_key == key))


def _allocate(order: Order, summary: RefundSummary, mode: str, amount_fen: int,
              quantities: dict[int, int]) -> tuple[dict[int, tuple[int, int]], list[tuple[int, int]]]:
    """Return what a refund gives back: {line id: (units, fen)} and [(shipment id, fen)].

    whole: everything left. lines: the chosen units at their price, each line capped at what is left
    of it. amount: lines first in line order, each up to what is left of it, then shipping fees in
    shipment order."""
    if mode == "whole":
        return ({line_id: (summary.units_left[line_id], fen) for line_id, fen in summary.line_left_fen.items() if fen},
                [(sid, fen) for sid, fen in summary.shipping_left_fen.items() if fen])
    if mode == "lines":
        picked = {line_id: qty for line_id, qty in quantities.items() if qty}
        if not picked:
            raise RefundError(_("Choose at least one item to refund."))
        prices = {line.id: line.unit_price_fen for line in order.lines}
        if any(line_id not in prices or not 0 < qty <= summary.units_left[line_id] for line_id, qty in picked.items()):
            raise RefundError(_("You chose more items than are left to refund."))
        chosen = {line_id: (qty, min(prices[line_id] * qty, summary.line_left_fen[line_id]))
                  for line_id, qty in sorted(picked.items())}
        if any(fen <= 0 for _qty, fen in chosen.values()):
            raise RefundError(_("Nothing is left to refund on an item you chose."))
        return chosen, []
    if mode != "amount":
        raise RefundError(_("Choose what to refund."))
    if not 0 < amount_fen <= summary.refundable_fen:
        raise RefundError(_("The refund must be more than zero and at most what is left to refund."))
    room = [(("line", k), fen) for k, fen in summary.line_left_fen.items()] + \
        [(("ship", k), fen) for k, fen in summary.shipping_left_fen.items()]
    taken = fill_in_order(amount_fen, room)
    return ({k: (0, fen) for (where, k), fen in taken if where == "line"},
            [(k, fen) for (where, k), fen in taken if where == "ship"])


def _with_emptied_fees(order: Order, summary: RefundSummary, lines: dict[int, tuple[int, int]],
                       shipping: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Add to a refund the rest of the shipping fee of each shipment not yet shipped that it leaves with nothing
    of its lines to refund (nothing to send): the buyer gets the fee back in the same refund, and the shipment is
    cancelled when the refund succeeds. A shipment on its way, or with something still to send, keeps its fee."""
    taking = dict(shipping)
    touched = {line.shipment_id for line in order.lines if line.id in lines}
    waiting = set(db.session.scalars(select(Shipment.id).where(Shipment.order_id == order.id,
                                                               Shipment.id.in_(touched),
                                                               Shipment.status == "awaiting_fulfilment")))
    for sid in sorted(waiting):
        if all(summary.line_left_fen[line.id] == lines.get(line.id, (0, 0))[1]
               for line in order.lines if line.shipment_id == sid):
            rest = summary.shipping_left_fen[sid] - taking.get(sid, 0)
            if rest > 0:
                taking[sid] = taking.get(sid, 0) + rest
    return sorted(taking.items())


def _close_emptied_shipments(refund: Refund) -> int:
    """Cancel the shipments not yet shipped that this succeeded refund touched and that succeeded refunds have
    now given back in full (every line and the shipping fee): nothing is left to send or to settle. Complete the
    order if its other shipments are done. Return how many were cancelled; flush."""
    touched = set(db.session.scalars(select(OrderLine.shipment_id).where(
        OrderLine.id.in_([rl.line_id for rl in refund.lines])))) | {rs.shipment_id for rs in refund.shipping}
    done = (Refund.payment_id == refund.payment_id, Refund.status == "succeeded")
    line_back = dict(db.session.execute(
        select(RefundLine.line_id, func.sum(RefundLine.amount_fen)).join(Refund, Refund.id == RefundLine.refund_id)
        .where(*done).group_by(RefundLine.line_id)).all())
    fee_back = dict(db.session.execute(
        select(RefundShipping.shipment_id, func.sum(RefundShipping.amount_fen))
        .join(Refund, Refund.id == RefundShipping.refund_id).where(*done).group_by(RefundShipping.shipment_id)).all())
    closed = 0
    for shipment in db.session.scalars(select(Shipment).where(Shipment.id.in_(touched),
                                                              Shipment.status == "awaiting_fulfilment")
                                       .options(selectinload(Shipment.lines)).order_by(Shipment.id)):
        empty = all(int(line_back.get(line.id) or 0) >= line.gross_fen for line in shipment.lines)
        if empty and int(fee_back.get(shipment.id) or 0) >= shipment.shipping_fee_fen:
            closed += transition(Shipment, shipment.id, "awaiting_fulfilment", status="cancelled")
    if closed:
        complete_order_if_delivered(refund.order_id)
    return closed


def _same_order(refund: Refund, order: Order) -> Refund:
    """The refund a form's key already made, if it is this order's (a key copied to another order's form is not)."""
    if refund.order_id != order.id:
        raise RefundError(_("The form expired. Please reload the page."))
    return refund


def request_refund(order: Order, *, mode: str, key: str, staff_id: int | None, amount_fen: int = 0,
                   quantities: dict[int, int] | None = None, restock: bool = False, reason: str = "") -> Refund:
    """Write a pending refund of the whole order, chosen lines or an amount, allocated to lines and
    shipping fees now; flush (the provider is asked after commit)."""
    existing = get_refund_by_key(key)
    if existing is not None:  # the same form sent twice
        return _same_order(existing, order)
    db.session.execute(select(Order.id).where(Order.id == order.id).with_for_update())  # one refund at a time
    existing = get_refund_by_key(key)
    if existing is not None:  # the same form, sent twice at once: the other one got the lock first
        return _same_order(existing, order)
    db.session.refresh(order)
    if order.status not in REFUNDABLE_STATES:
        raise RefundError(_("Only paid orders can be refunded."))
    summary = refund_summary(order)
    if summary.payment is None or summary.refundable_fen <= 0:
        raise RefundError(_("Nothing is left to refund on this order."))
    lines, shipping = _allocate(order, summary, mode, amount_fen, quantities or {})
    shipping = _with_emptied_fees(order, summary, lines, shipping)
    amount_fen = sum(fen for _qty, fen in lines.values()) + sum(fen for _sid, fen in shipping)
    if not 0 < amount_fen <= summary.refundable_fen:
        raise RefundError(_("The refund must be more than zero and at most what is left to refund."))
    refund = Refund(order_id=order.id, payment_id=summary.payment.id, provider=summary.payment.provider,
                    idempotency_key=key, amount_fen=amount_fen, currency=summary.payment.currency,
                    restock=restock and any(qty for qty, _fen in lines.values()), reason=reason[:200],
                    created_by_id=staff_id,
                    lines=[RefundLine(line_id=line_id, quantity=qty, amount_fen=fen)
                           for line_id, (qty, fen) in sorted(lines.items())],
                    shipping=[RefundShipping(shipment_id=sid, amount_fen=fen) for sid, fen in shipping])
    db.session.add(refund)
    db.session.flush()
    record_audit("refund_requested", f"refund:{refund.id}", f"order {order.number}, {amount_fen} fen ({mode}"
                 f"{', restock' if refund.restock else ''}){': ' + reason if reason else ''}", staff_id)
    return refund


def _restock(refund: Refund) -> int:
    """Put refunded units back on sale in the lots they came from.

    The allocation is released whole, and the units still sold are allocated again from the same
    lot, so every lot keeps received = free + reserved + sold + written off."""
    returned, now = 0, utcnow()
    # Lock the lots in reserve_units' order (variant, then oldest lot) before touching any of them.
    lot_ids = select(Allocation.lot_id).where(Allocation.line_id.in_([rl.line_id for rl in refund.lines]))
    db.session.execute(select(SupplyLot.id).where(SupplyLot.id.in_(lot_ids))
                       .order_by(SupplyLot.variant_id, SupplyLot.received_at, SupplyLot.id).with_for_update())
    for rline in refund.lines:
        need = rline.quantity
        if not need:
            continue
        allocations = db.session.scalars(select(Allocation).where(
            Allocation.line_id == rline.line_id, Allocation.released_at.is_(None)).order_by(Allocation.id.desc()))
        for alloc in allocations:
            units = min(alloc.units, need)
            if not units or not db.session.execute(
                    update(Allocation).where(Allocation.id == alloc.id, Allocation.released_at.is_(None))
                    .values(released_at=now).execution_options(synchronize_session=False)).rowcount:
                continue
            return_units(alloc.lot_id, alloc.units)
            kept = alloc.units - units
            if kept:
                if not take_units(alloc.lot_id, kept):  # cannot fail: the units were returned just above
                    raise RuntimeError(f"lot {alloc.lot_id} lost units during a restock")
                db.session.add(Allocation(line_id=alloc.line_id, lot_id=alloc.lot_id, units=kept))
            need -= units
            returned += units
    db.session.flush()
    return returned


def _move(refund_id: int, **values) -> bool:
    return db.session.execute(update(Refund).where(Refund.id == refund_id, Refund.status == "pending")
                              .values(**values).execution_options(synchronize_session=False)).rowcount == 1


def settle_refund(refund_id: int, provider_ref: str | None = None) -> bool:
    """Mark a pending refund succeeded and apply its effects, exactly once; flush. The buyer is told what
    came back once the caller commits."""
    values = {"status": "succeeded", "settled_at": utcnow()} | ({"provider_ref": provider_ref} if provider_ref else {})
    if not _move(refund_id, **values):
        return False
    refund = db.session.get(Refund, refund_id)
    db.session.refresh(refund)
    if refund.flag_id is None:  # a refund of the order's own payment moves the order
        # One settling refund of an order at a time: a second one waits here, then counts this one as refunded
        # (else two partial refunds settling at once both see a partial refund, and the order never ends refunded).
        # The shipments first, in id order, then the order: the order in which a delivery (deliver_shipment, then
        # complete_order_if_delivered) and settlement take them, so that none of them deadlocks with a refund.
        db.session.execute(select(Shipment.id).where(Shipment.order_id == refund.order_id).order_by(Shipment.id)
                           .with_for_update())
        db.session.execute(select(Order.id).where(Order.id == refund.order_id).with_for_update())
        refunded = db.session.scalar(select(func.sum(Refund.amount_fen)).where(
            Refund.payment_id == refund.payment_id, Refund.status == "succeeded"))
        whole = refunded >= refund.payment.amount_fen
        mark_refunded(refund.order_id, whole)
        if refund.restock:
            _restock(refund)
        post_refund(refund.id, refund.order_id, refund.amount_fen,
                    [(rl.line_id, rl.amount_fen) for rl in refund.lines],
                    [(rs.shipment_id, rs.amount_fen) for rs in refund.shipping])
        _close_emptied_shipments(refund)
    else:
        post_stray_refund(refund.id, refund.order_id, refund.amount_fen)
        db.session.execute(update(PaymentFlag).where(PaymentFlag.id == refund.flag_id,
                                                     PaymentFlag.resolved_at.is_(None))
                           .values(resolved_at=utcnow(), resolution="refunded")
                           .execution_options(synchronize_session=False))
    queue_order_mail("refunded", refund_id)
    return True


def fail_refund(refund_id: int, detail: str, provider_ref: str | None = None) -> bool:
    """Mark a pending refund failed (nothing went back), once; flush."""
    values = {"status": "failed", "settled_at": utcnow()} | ({"provider_ref": provider_ref} if provider_ref else {})
    done = _move(refund_id, **values)
    if done:
        current_app.logger.warning("refund %s failed: %s", refund_id, detail)
    return done


def send_refund(refund: Refund) -> str:
    """Ask the provider to pay a pending refund and record its answer; commits (call with nothing locked)."""
    refund_id = refund.id
    if refund.status != "pending":
        return refund.status
    if refund.provider == "demo":  # no money moves in the demonstration
        settle_refund(refund_id, f"demo_refund_{refund_id}")
        db.session.commit()
        return "succeeded"
    from shop.payments import stripe_gateway as gateway

    params = {"payment_intent": refund.payment.provider_ref, "amount": refund.amount_fen,
              "metadata": {"order_id": str(refund.order_id), "refund_id": str(refund_id)}}
    key, provider_ref, intent = refund.idempotency_key, refund.provider_ref, refund.payment.provider_ref
    key_may_be_gone = refund.created_at < utcnow() - gateway.KEY_KEPT
    db.session.commit()
    answer = None
    if not provider_ref and key_may_be_gone:  # the old key may no longer find what it made: look it up first
        try:
            answer = gateway.find_refund(intent, refund_id)
        except gateway.GatewayError:
            return "pending"
        if answer is not None:
            return record_provider_refund(refund_id, answer)
    try:
        if provider_ref:  # Stripe took it and said pending: ask how it stands, never create it again
            answer = gateway.retrieve_refund(provider_ref)
        else:
            answer = gateway.create_refund(params, key)
    except gateway.GatewayError as error:
        if error.retry_same or provider_ref:
            return "pending"  # unknown: retrying with the same key (or id) finds the refund if it was made
        answer = None
        if error.server_error:  # a 500 may have made it, and the same key only replays the 500: look it up
            try:
                answer = gateway.find_refund(intent, refund_id)
            except gateway.GatewayError:
                return "pending"
            if answer is None and not error.replayed:
                return "pending"  # look again on the next run
        if answer is None:
            fail_refund(refund_id, str(error))
            db.session.commit()
            return "failed"
    return record_provider_refund(refund_id, answer)


def record_provider_refund(refund_id: int, answer: dict) -> str:
    """Apply the provider's view of one of our refunds; commits."""
    status = answer.get("status")
    try:
        if status == "succeeded":
            settle_refund(refund_id, answer["id"])
        elif status in ("failed", "canceled"):
            fail_refund(refund_id, f"provider says {status}", answer["id"])
        else:
            db.session.execute(update(Refund).where(Refund.id == refund_id, Refund.provider_ref.is_(None))
                               .values(provider_ref=answer["id"]).execution_options(synchronize_session=False))
        db.session.commit()
    except IntegrityError:  # the webhook recorded the same answer at the same moment
        db.session.rollback()
    return db.session.get(Refund, refund_id, populate_existing=True).status


def sync_provider_refund(answer: dict) -> str:
    """Apply a refund.* event: settle or fail our refund, or flag one made outside the shop; flush."""
    meta = answer.get("metadata") or {}
    refund = db.session.scalar(select(Refund).where(Refund.provider_ref == answer["id"]))
    if refund is None and (ref := str(meta.get("refund_id", ""))).isdecimal() and len(ref) < 10:
        refund = db.session.get(Refund, int(meta["refund_id"]))
    if refund is not None and not _is_our_refund(refund, answer):  # another payment's or amount: not ours
        refund = None
    status = answer.get("status")
    if refund is not None:
        if status == "succeeded":
            return "settled" if settle_refund(refund.id, None if refund.provider_ref else answer["id"]) else "same"
        if status in ("failed", "canceled"):
            if refund.status == "succeeded":  # Stripe could not return money it said was returned
                flag = _flag_for_payment(refund.payment, "refund_failed", answer["id"], refund.amount_fen,
                                         f"refund {answer['id']} {status} after it succeeded")
                return "flagged" if flag else "unknown"
            return "failed" if fail_refund(refund.id, f"provider says {status}") else "same"
        return "pending"
    payment = db.session.scalar(select(Payment).where(Payment.provider_ref == answer.get("payment_intent")))
    if payment is None or status != "succeeded":
        return "unknown"
    _flag_for_payment(payment, "refund_mismatch", payment.provider_ref, answer.get("amount") or 0,
                      f"refund {answer['id']} made outside the shop")
    return "flagged"


def _is_our_refund(refund: Refund, answer: dict) -> bool:
    """True if the provider's refund is of our refund's payment and amount, and not another refund than the one
    the provider made for it (the metadata is only our row id)."""
    intent, amount = answer.get("payment_intent"), answer.get("amount")
    same_payment = intent is None or intent == refund.payment.provider_ref
    same_amount = amount is None or amount == refund.amount_fen
    return same_payment and same_amount and refund.provider_ref in (None, answer["id"])


def _flag_for_payment(payment: Payment | None, reason: str, ref: str, amount_fen: int, detail: str):
    """Flag a payment's refunds for staff: one flag per payment and reason, however many events say so."""
    from shop.payments.fulfilment import flag_payment

    if payment is None:
        return None
    return flag_payment(db.session.get(Order, payment.order_id), reason, ref, amount_fen, payment.currency, detail)


def check_charge_refunds(charge: dict) -> str:
    """Apply charge.refunded: flag the payment if Stripe refunded more than our refunds say; flush."""
    payment = db.session.scalar(select(Payment).where(Payment.provider_ref == charge.get("payment_intent")))
    if payment is None:
        return "unknown"
    ours = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
        Refund.payment_id == payment.id, Refund.status != "failed"))
    theirs = charge.get("amount_refunded") or 0
    if theirs > ours:
        _flag_for_payment(payment, "refund_mismatch", payment.provider_ref, theirs - ours,
                          f"Stripe refunded {theirs}, our refunds {ours}")
        return "flagged"
    return "matches"
