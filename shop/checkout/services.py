"""Placing an order: one transaction that snapshots prices, reserves units and freezes the split."""
import secrets
from collections import defaultdict
from datetime import timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from shop.accounts.models import Address, User
from shop.cart.models import Cart, CartItem
from shop.cart.services import CartView, load_cart_view
from shop.catalog.models import Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.i18n import l10n
from shop.money import MAX_PAYMENT_FEN, LotSource, format_fen, split_line
from shop.orders.emails import queue_order_mail, write_placed_mail
from shop.orders.models import Allocation, LineShare, Order, OrderLine, Shipment
from shop.supply.models import LotShare, SupplyLot
from shop.supply.stock import OutOfStock, reserve_units, take_units
from shop.types import today_local, utcnow


MAX_ORDER_FEN = MAX_PAYMENT_FEN


class CheckoutError(Exception):
    """The order cannot be placed; the message is for the buyer. The caller rolls back."""


class TotalChanged(CheckoutError):
    """The cart's total is not the one the buyer saw on the checkout page (a price, the shipping or the cart
    changed meanwhile); nothing was ordered."""


class DuplicateCheckout(Exception):
    """Another request placed the order for this checkout token first. The caller rolls back."""


def new_checkout_token() -> str:
    """Return a token that makes one checkout page place at most one order."""
    return secrets.token_urlsafe(32)


# The statements every order runs, built once, when first run (once the mappers are all defined): building
# a statement costs about as much CPU as running it.
@cache
def _by_token():
    return select(Order).where(Order.checkout_token == bindparam("token"), Order.buyer_id == bindparam("buyer"))


@cache
def _buyer_open_and_order():
    """The buyer's row FOR KEY SHARE: whether the account is open, and the order placed with the token, if any."""
    placed = (select(Order.id).where(Order.checkout_token == bindparam("token"), Order.buyer_id == User.id)
              .scalar_subquery())
    return (select(User.is_active_account, placed).where(User.id == bindparam("buyer"))
            .with_for_update(read=True, key_share=True, of=User))


@cache
def _cart_coops():
    coop_ids = (select(Product.coop_id).join(Variant, Variant.product_id == Product.id)
                .join(CartItem, CartItem.variant_id == Variant.id).where(CartItem.cart_id == bindparam("cart")))
    return (select(Cooperative).where(Cooperative.id.in_(coop_ids)).order_by(Cooperative.id)
            .with_for_update(read=True).execution_options(populate_existing=True))


@cache
def _free_lots_of_cart():
    in_cart = select(CartItem.variant_id).where(CartItem.cart_id == bindparam("cart"))
    return (select(SupplyLot.id, SupplyLot.variant_id, SupplyLot.units_remaining, LotShare.household_id, LotShare.units)
            .outerjoin(LotShare, LotShare.lot_id == SupplyLot.id)
            .where(SupplyLot.variant_id.in_(in_cart), SupplyLot.units_remaining > 0)
            .order_by(SupplyLot.variant_id, SupplyLot.received_at, SupplyLot.id, LotShare.id))


@cache
def _empty_cart():
    return delete(CartItem).where(CartItem.cart_id == bindparam("cart"))


@cache
def _insert_returning(model):
    """INSERT … RETURNING the model's objects, in the order of the rows given."""
    return insert(model).returning(model, sort_by_parameter_order=True)


@cache
def _insert(model):
    return insert(model)


def get_order_by_token(buyer_id: int, token: str) -> Order | None:
    return db.session.scalar(_by_token(), {"token": token, "buyer": buyer_id})


def _order_number() -> str:
    return f"LN{today_local():%y%m%d}{secrets.token_hex(4).upper()}"  # the date in Longnan, not in UTC


def _free_lots(cart: Cart) -> tuple[dict[int, list[tuple[int, int]]], dict[int, list[tuple[int | None, int]]]]:
    """The lots of the cart's variants that have units left, oldest first, as (lot id, units left) by
    variant, and the households' shares of those lots, read without a lock (a lot's shares never change
    once it is recorded)."""
    lots: dict[int, list[tuple[int, int]]] = defaultdict(list)
    shares: dict[int, list[tuple[int | None, int]]] = defaultdict(list)
    seen = None
    rows = db.session.connection().execute(_free_lots_of_cart(), {"cart": cart.id})
    for lot_id, variant_id, remaining, household_id, units in rows:
        if lot_id != seen:
            lots[variant_id].append((lot_id, remaining))
            seen = lot_id
        if units is not None:
            shares[lot_id].append((household_id, units))
    return lots, shares


def _plan(lots: list[tuple[int, int]], quantity: int) -> list[tuple[int, int]] | None:
    """The (lot id, units) that would give quantity units oldest lot first, or None if the lots are short."""
    plan = []
    for lot_id, remaining in lots:
        units = min(quantity, remaining)
        plan.append((lot_id, units))
        quantity -= units
        if quantity == 0:
            return plan
    return None


def _sources_by_line(allocations: dict[int, list[tuple[int, int]]],
                     shares: dict[int, list[tuple[int | None, int]]]) -> dict[int, list[LotSource]]:
    missing = {lot_id for taken in allocations.values() for lot_id, _units in taken} - set(shares)
    if missing:  # recorded, or given units back, after the shares were read
        for share in db.session.scalars(select(LotShare).where(LotShare.lot_id.in_(missing)).order_by(LotShare.id)):
            shares[share.lot_id].append((share.household_id, share.units))
    return {key: [LotSource(lot_id=lot_id, units_taken=units, shares=tuple(shares[lot_id]))
                  for lot_id, units in taken] for key, taken in allocations.items()}


class _StockMoved(Exception):
    """A planned lot refused: another order took its units, or an older lot got units back, since the plan
    was read. The stock is then taken under lock."""


def _lock_coops(cart: Cart | None) -> None:
    """Re-read the cart's cooperatives FOR SHARE (PostgreSQL), in id order, before the cart is priced: a
    suspension or a change of rates or shipping waits for this checkout to end, or this checkout sees it.
    Checkouts share the lock, so they never wait on each other here."""
    if cart is None:
        return
    db.session.scalars(_cart_coops(), {"cart": cart.id}).all()


def place_order(buyer: User, cart: Cart | None, address: Address, checkout_token: str, locale: str,
                seen_total_fen: int | None = None) -> Order:
    """Create a pending order from the cart, reserving units oldest lot first; flush, never commit.
    The buyer is mailed the order and its pay link once the caller commits (never for a replayed token).

    The stock is taken last, so that the lots stay locked only from there to the commit: the order, its
    lines and their allocations are written from a plan of the free lots read without a lock, then each
    planned lot gives its units by a conditional UPDATE (and only while no older lot of its variant has units
    free: oldest first holds). If another order emptied one in between, or an older one got units back,
    that part is rolled back and the units are taken again with the lots locked (reserve_units).
    seen_total_fen: the total the checkout page showed; an order for another total is refused (TotalChanged)."""
    db.session.flush()  # a cart or buyer just added (the demo data's): the reads below run without autoflush
    # The buyer's row FOR KEY SHARE (what the order's foreign key takes anyway, taken now): an account
    # deletion (FOR UPDATE) in progress is waited for and then refuses the order, and one that starts
    # now waits for this order and sees it open. Column reads like this one run on the session's connection,
    # without the ORM's work for entities.
    row = db.session.connection().execute(_buyer_open_and_order(), {"buyer": buyer.id, "token": checkout_token}).first()
    if row is not None and row[1] is not None:  # this very checkout, submitted again (whatever the cart holds now)
        return db.session.get(Order, row[1])
    if row is None or not row[0]:
        raise CheckoutError(_("This account is closed."))
    _lock_coops(cart)
    lots, shares = _free_lots(cart) if cart is not None else ({}, {})
    view: CartView = load_cart_view(cart, pictures=False, stock={
        variant_id: sum(remaining for _lot, remaining in held) for variant_id, held in lots.items()})
    if not view.groups:
        raise CheckoutError(_("Your cart is empty."))
    for group in view.groups:
        if not group.coop.can_sell:  # suspended (perhaps a moment ago): its items cannot be bought
            raise CheckoutError(_("%(coop)s is not selling at the moment. Please remove its items from your "
                                  "cart to place the order.", coop=l10n(group.coop, "name")))
    if not view.ok:
        raise CheckoutError(_("Some items in your cart need your attention before you can order."))
    if view.total_fen > MAX_ORDER_FEN:
        raise CheckoutError(_("An order can come to at most %(max)s. Please order fewer units, or place "
                              "several orders.", max=format_fen(MAX_ORDER_FEN)))
    if seen_total_fen is not None and view.total_fen != seen_total_fen:
        raise TotalChanged(_("Your order changed since this page was opened (a price, the shipping or your cart): "
                             "the total is now %(total)s. Please check it and place the order again.",
                             total=format_fen(view.total_fen)))

    if cart is not None:  # emptied with the order (a failure below rolls it back)
        db.session.connection().execute(_empty_cart(), {"cart": cart.id})
        db.session.expire(cart, ["items"])
    lines = sorted(view.lines, key=lambda line: line.variant_id)  # the lots' lock order: variant, oldest lot
    plan = {line.variant_id: _plan(lots.get(line.variant_id, []), line.quantity) for line in lines}
    coop_of = {line.variant_id: group.coop.id for group in view.groups for line in group.lines}
    if all(plan.values()):
        try:
            with db.session.begin_nested():  # the order and its rows, then the stock
                order = _insert_order(buyer, view, address, checkout_token, locale)
                _insert_lines(order, view, plan, shares)
                mail = write_placed_mail(order)  # before the stock is taken, while no lot is locked
                for line in lines:
                    for lot_id, units in plan[line.variant_id]:
                        if not take_units(lot_id, units, coop_of[line.variant_id], oldest=True):
                            raise _StockMoved()
            queue_order_mail("placed", order.id, mail)
            return order
        except _StockMoved:
            # The savepoint took that order's rows away, not the objects RETURNING put in the session: drop
            # them, or (SQLite reuses the ids) the new order's RETURNING hands back the old objects.
            for obj in [order, *order.shipments, *(line for s in order.shipments for line in s.lines)]:
                db.session.expunge(obj)
    order = _insert_order(buyer, view, address, checkout_token, locale)  # before the lots are locked
    taken: dict[int, list[tuple[int, int]]] = {}
    for line in lines:
        try:
            taken[line.variant_id] = reserve_units(line.variant_id, line.quantity, coop_of[line.variant_id])
        except OutOfStock as e:
            raise CheckoutError(_("Sorry, %(name)s sold out while you were shopping: %(n)d left.",
                                  name=line.product_name, n=e.available)) from e
    _insert_lines(order, view, taken, shares)
    queue_order_mail("placed", order.id, None)
    return order


# The order's rows go in by one INSERT … RETURNING per table, not through the unit of work, which costs more
# CPU than the statements: placing orders is what a busy sale multiplies.

def _insert_order(buyer: User, view: CartView, address: Address, checkout_token: str, locale: str) -> Order:
    """Insert the order for the cart view, with the prices and the address as they are now; return it, with its
    buyer, as a persistent object."""
    now = utcnow()
    try:
        order = db.session.scalars(_insert_returning(Order), [dict(
            number=_order_number(), buyer_id=buyer.id, checkout_token=checkout_token, locale=locale,
            subtotal_fen=view.subtotal_fen, shipping_fen=view.shipping_fen, total_fen=view.total_fen,
            recipient=address.recipient, mobile=address.mobile, province=address.province, city=address.city,
            district=address.district, street=address.street, placed_at=now,
            expires_at=now + timedelta(minutes=current_app.config["ORDER_EXPIRY_MINUTES"]))]).one()
    except IntegrityError:
        # The same checkout was submitted twice at once; the other request made the order.
        raise DuplicateCheckout() from None
    set_committed_value(order, "buyer", buyer)
    return order


def _insert_lines(order: Order, view: CartView, taken: dict[int, list[tuple[int, int]]],
                  shares: dict[int, list[tuple[int | None, int]]]) -> None:
    """Insert the order's shipments, lines, household shares and the allocations of `taken` (lot id, units by
    variant). The order then holds its shipments and their lines, as the mail reads them, without a query. The
    allocations go in in the lots' lock order: each takes its lot FOR KEY SHARE."""
    sources = _sources_by_line(taken, shares)
    shipments = db.session.scalars(_insert_returning(Shipment), [
        dict(order_id=order.id, coop_id=group.coop.id, coop_name_zh=group.coop.name_zh,
             coop_name_en=group.coop.name_en, commission_bp=group.coop.commission_bp,
             retention_bp=group.coop.retention_bp, subtotal_fen=group.subtotal_fen, shipping_fee_fen=group.shipping_fen)
        for group in view.groups]).all()
    rows, household_shares = [], []
    for shipment, group in zip(shipments, view.groups):
        coop = group.coop
        for item in group.lines:
            variant = view.variants[item.variant_id]
            split = split_line(item.total_fen, coop.commission_bp, coop.retention_bp, sources[variant.id])
            rows.append(dict(
                order_id=order.id, shipment_id=shipment.id, variant_id=variant.id, product_slug=variant.product.slug,
                product_name_zh=variant.product.name_zh, product_name_en=variant.product.name_en,
                variant_name_zh=variant.name_zh, variant_name_en=variant.name_en, sku=variant.sku,
                unit_price_fen=variant.price_fen, quantity=item.quantity, gross_fen=split.gross_fen,
                commission_fen=split.commission_fen, retention_fen=split.retention_fen,
                household_pool_fen=split.household_pool_fen))
            household_shares.append(split.household_shares)
    lines = db.session.scalars(_insert_returning(OrderLine), rows).all()
    set_committed_value(order, "shipments", shipments)
    for shipment in shipments:
        set_committed_value(shipment, "lines", [line for line in lines if line.shipment_id == shipment.id])
    share_rows = [dict(line_id=line.id, household_id=hh, amount_fen=fen)
                  for line, split in zip(lines, household_shares) for hh, fen in split]
    if share_rows:
        db.session.connection().execute(_insert(LineShare), share_rows)
    line_of = {line.variant_id: line.id for line in lines}
    db.session.connection().execute(_insert(Allocation), [dict(line_id=line_of[variant_id], lot_id=lot_id, units=units)
                                            for variant_id in sorted(taken) for lot_id, units in taken[variant_id]])
