"""Placing an order: one transaction that snapshots prices, reserves units and freezes the split."""
import secrets
from collections import defaultdict
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from shop.accounts.models import Address, User
from shop.cart.models import Cart, CartItem
from shop.cart.services import CartView, load_cart_view
from shop.catalog.models import Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.i18n import l10n
from shop.money import LotSource, split_line
from shop.orders.emails import queue_order_mail
from shop.orders.models import Allocation, LineShare, Order, OrderLine, Shipment
from shop.supply.models import LotShare, SupplyLot
from shop.supply.stock import OutOfStock, reserve_units
from shop.types import today_local, utcnow


class CheckoutError(Exception):
    """The order cannot be placed; the message is for the buyer. The caller rolls back."""


class DuplicateCheckout(Exception):
    """Another request placed the order for this checkout token first. The caller rolls back."""


def new_checkout_token() -> str:
    """Return a token that makes one checkout page place at most one order."""
    return secrets.token_urlsafe(32)


def get_order_by_token(buyer_id: int, token: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.checkout_token == token, Order.buyer_id == buyer_id))


def _order_number() -> str:
    return f"LN{today_local():%y%m%d}{secrets.token_hex(4).upper()}"  # the date in Longnan, not in UTC


def _lot_shares(variant_ids) -> dict[int, list[tuple[int | None, int]]]:
    """The households' shares of the variants' lots that have units left, read before the lots are locked
    (a lot's shares never change once it is recorded), so that the lock is held for less."""
    shares: dict[int, list[tuple[int | None, int]]] = defaultdict(list)
    for lot_id, household_id, units in db.session.execute(
            select(LotShare.lot_id, LotShare.household_id, LotShare.units)
            .join(SupplyLot, SupplyLot.id == LotShare.lot_id)
            .where(SupplyLot.variant_id.in_(variant_ids), SupplyLot.units_remaining > 0).order_by(LotShare.id)):
        shares[lot_id].append((household_id, units))
    return shares


def _sources_by_line(allocations: dict[int, list[tuple[int, int]]],
                     shares: dict[int, list[tuple[int | None, int]]]) -> dict[int, list[LotSource]]:
    missing = {lot_id for taken in allocations.values() for lot_id, _units in taken} - set(shares)
    if missing:  # recorded, or given units back, after the shares were read
        for share in db.session.scalars(select(LotShare).where(LotShare.lot_id.in_(missing)).order_by(LotShare.id)):
            shares[share.lot_id].append((share.household_id, share.units))
    return {key: [LotSource(lot_id=lot_id, units_taken=units, shares=tuple(shares[lot_id]))
                  for lot_id, units in taken] for key, taken in allocations.items()}


def _lock_coops(cart: Cart | None) -> None:
    """Re-read the cart's cooperatives FOR SHARE (PostgreSQL), in id order, before the cart is priced: a
    suspension or a change of rates or shipping waits for this checkout to end, or this checkout sees it.
    Checkouts share the lock, so they never wait on each other here."""
    if cart is None:
        return
    coop_ids = (select(Product.coop_id).join(Variant, Variant.product_id == Product.id)
                .join(CartItem, CartItem.variant_id == Variant.id).where(CartItem.cart_id == cart.id))
    db.session.scalars(select(Cooperative).where(Cooperative.id.in_(coop_ids)).order_by(Cooperative.id)
                       .with_for_update(read=True).execution_options(populate_existing=True)).all()


def place_order(buyer: User, cart: Cart | None, address: Address, checkout_token: str, locale: str) -> Order:
    """Create a pending order from the cart, reserving units oldest lot first; flush, never commit.
    The buyer is mailed the order and its pay link once the caller commits (never for a replayed token)."""
    existing = get_order_by_token(buyer.id, checkout_token)
    if existing is not None:
        return existing
    # The buyer's row FOR KEY SHARE (what the order's foreign key takes anyway, taken now): an account
    # deletion (FOR UPDATE) in progress is waited for and then refuses the order, and one that starts
    # now waits for this order and sees it open.
    if not db.session.scalar(select(User.is_active_account).where(User.id == buyer.id)
                             .with_for_update(read=True, key_share=True)):
        raise CheckoutError(_("This account is closed."))
    _lock_coops(cart)
    view: CartView = load_cart_view(cart, pictures=False)
    if not view.groups:
        raise CheckoutError(_("Your cart is empty."))
    for group in view.groups:
        if not group.coop.can_sell:  # suspended (perhaps a moment ago): its items cannot be bought
            raise CheckoutError(_("%(coop)s is not selling at the moment. Please remove its items from your "
                                  "cart to place the order.", coop=l10n(group.coop, "name")))
    if not view.ok:
        raise CheckoutError(_("Some items in your cart need your attention before you can order."))

    now = utcnow()
    order = Order(number=_order_number(), buyer_id=buyer.id, checkout_token=checkout_token, locale=locale,
                  subtotal_fen=view.subtotal_fen, shipping_fen=view.shipping_fen, total_fen=view.total_fen,
                  recipient=address.recipient, mobile=address.mobile, province=address.province,
                  city=address.city, district=address.district, street=address.street, placed_at=now,
                  expires_at=now + timedelta(minutes=current_app.config["ORDER_EXPIRY_MINUTES"]))
    db.session.add(order)
    if cart is not None:
        cart.items.clear()  # with the order's insert, before the lots are locked (a failure below rolls it back)
    try:
        db.session.flush()
    except IntegrityError:
        # The same checkout was submitted twice at once; the other request made the order.
        raise DuplicateCheckout() from None
    shares = _lot_shares({line.variant_id for line in view.lines})
    variants = {v.id: v for v in db.session.scalars(  # the cart's, with their products, read with the cart
        select(Variant).where(Variant.id.in_([line.variant_id for line in view.lines])).join(Variant.product)
        .options(contains_eager(Variant.product)))}
    coop_of = {line.variant_id: group.coop.id for group in view.groups for line in group.lines}
    # Reserve in one fixed order (variant id) so two carts never wait on each other in a circle. From here to the
    # commit the lots stay locked: nothing below reads what could have been read before.
    taken: dict[int, list[tuple[int, int]]] = {}
    for line in sorted(view.lines, key=lambda line: line.variant_id):
        try:
            taken[line.variant_id] = reserve_units(line.variant_id, line.quantity, coop_of[line.variant_id])
        except OutOfStock as e:
            raise CheckoutError(_("Sorry, %(name)s sold out while you were shopping: %(n)d left.",
                                  name=line.product_name, n=e.available)) from e
    sources = _sources_by_line(taken, shares)

    for group in view.groups:
        coop = group.coop
        shipment = Shipment(order=order, coop_id=coop.id, coop_name_zh=coop.name_zh, coop_name_en=coop.name_en,
                            commission_bp=coop.commission_bp, retention_bp=coop.retention_bp,
                            subtotal_fen=group.subtotal_fen, shipping_fee_fen=group.shipping_fen)
        db.session.add(shipment)
        for item in group.lines:
            variant = variants[item.variant_id]
            split = split_line(item.total_fen, coop.commission_bp, coop.retention_bp, sources[variant.id])
            line = OrderLine(
                order=order, shipment=shipment, variant_id=variant.id, product_slug=variant.product.slug,
                product_name_zh=variant.product.name_zh, product_name_en=variant.product.name_en,
                variant_name_zh=variant.name_zh, variant_name_en=variant.name_en, sku=variant.sku,
                unit_price_fen=variant.price_fen, quantity=item.quantity, gross_fen=split.gross_fen,
                commission_fen=split.commission_fen, retention_fen=split.retention_fen,
                household_pool_fen=split.household_pool_fen)
            line.allocations = [Allocation(lot_id=lot_id, units=units) for lot_id, units in taken[variant.id]]
            line.shares = [LineShare(household_id=hh, amount_fen=fen) for hh, fen in split.household_shares]
            db.session.add(line)
    db.session.flush()
    queue_order_mail("placed", order.id)
    return order

