"""Carts for guests (a token in the session) and buyers; read in a fixed number of queries."""
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from flask import session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import joinedload

from shop.cart.models import MAX_QUANTITY, Cart, CartItem
from shop.catalog.models import Product, Variant
from shop.catalog.services import stock_by_variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.i18n import l10n
from shop.types import utcnow

SESSION_KEY = "cart_token"
# A guest cart nobody has touched for this long is abandoned (its cookie is long gone): `orders purge-carts`.
GUEST_CART_DAYS = 30


class CartError(Exception):
    """A cart change that cannot be made; the message is for the buyer."""


@dataclass
class CartLine:
    item_id: int
    variant_id: int
    product_slug: str
    product_name: str
    variant_name: str
    thumb: str | None
    unit_price_fen: int
    quantity: int
    available: int
    sellable: bool

    @property
    def total_fen(self) -> int:
        return self.unit_price_fen * self.quantity

    @property
    def problem(self) -> str:
        if not self.sellable or self.available == 0:
            return _("No longer available. Please remove it.")
        if self.quantity > self.available:
            return _("Only %(n)d left. Please lower the quantity.", n=self.available)
        return ""


@dataclass
class CartGroup:
    coop: Cooperative
    lines: list[CartLine] = field(default_factory=list)

    @property
    def subtotal_fen(self) -> int:
        return sum(line.total_fen for line in self.lines)

    @property
    def shipping_fen(self) -> int:
        return self.coop.shipping_fee_for(self.subtotal_fen)


@dataclass
class CartView:
    groups: list[CartGroup]
    variants: dict[int, Variant] = field(default_factory=dict)  # the lines' variants, with their products, by id

    @property
    def lines(self) -> list[CartLine]:
        return [line for g in self.groups for line in g.lines]

    @property
    def subtotal_fen(self) -> int:
        return sum(g.subtotal_fen for g in self.groups)

    @property
    def shipping_fen(self) -> int:
        return sum(g.shipping_fen for g in self.groups)

    @property
    def total_fen(self) -> int:
        return self.subtotal_fen + self.shipping_fen

    @property
    def ok(self) -> bool:
        return bool(self.groups) and not any(line.problem for line in self.lines)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)


def get_cart(create: bool = False) -> Cart | None:
    """Return the current visitor's cart, creating it if asked."""
    if current_user.is_authenticated:
        cart = db.session.scalar(select(Cart).where(Cart.user_id == current_user.id))
        if cart is None and create:
            cart = Cart(user_id=current_user.id)
            db.session.add(cart)
            db.session.flush()
        return cart
    token = session.get(SESSION_KEY)
    cart = db.session.scalar(select(Cart).where(Cart.token == token)) if token else None
    if cart is None and create:
        cart = Cart(token=secrets.token_urlsafe(32))
        db.session.add(cart)
        db.session.flush()
        session[SESSION_KEY] = cart.token
    return cart


def _sellable_variant(variant_id: int) -> Variant:
    variant = db.session.scalar(
        select(Variant).join(Variant.product).join(Product.coop)
        .where(Variant.id == variant_id, Variant.is_active.is_(True), Product.is_published.is_(True),
               Cooperative.status == "approved"))
    if variant is None:
        raise CartError(_("That product is not available."))
    return variant


def _check_quantity(variant_id: int, quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise CartError(_("Please choose a quantity from 1 to %(max)d.", max=MAX_QUANTITY))
    available = stock_by_variant([variant_id]).get(variant_id, 0)
    if available == 0:
        raise CartError(_("Sorry, this is sold out."))
    if quantity > available:
        raise CartError(_("Only %(n)d left. Please choose %(n)d or fewer.", n=available))


def add_to_cart(cart: Cart, variant_id: int, quantity: int) -> CartItem:
    """Add units of a variant, refusing more than is available."""
    _sellable_variant(variant_id)
    item = next((i for i in cart.items if i.variant_id == variant_id), None)
    total = quantity + (item.quantity if item else 0)
    _check_quantity(variant_id, total)
    if item is None:
        item = CartItem(variant_id=variant_id, quantity=total)
        cart.items.append(item)
    item.quantity = total
    _touch(cart)
    db.session.flush()
    return item


def _touch(cart: Cart) -> None:
    """A guest cart in use is not abandoned (a buyer's lives as long as the account)."""
    if cart.user_id is None:
        cart.updated_at = utcnow()


def purge_guest_carts(now=None) -> int:
    """Delete the guest carts untouched for GUEST_CART_DAYS, with their items; return how many. Flush only."""
    stale = select(Cart.id).where(Cart.user_id.is_(None), Cart.updated_at < (now or utcnow()) - timedelta(
        days=GUEST_CART_DAYS)).scalar_subquery()
    db.session.execute(delete(CartItem).where(CartItem.cart_id.in_(stale)))
    return db.session.execute(delete(Cart).where(Cart.id.in_(stale))).rowcount


def set_quantity(cart: Cart, item_id: int, quantity: int) -> None:
    """Change a line's quantity; zero removes it."""
    item = next((i for i in cart.items if i.id == item_id), None)
    if item is None:
        raise CartError(_("That item is no longer in your cart."))
    if quantity == 0:
        cart.items.remove(item)
    else:
        _check_quantity(item.variant_id, quantity)
        item.quantity = quantity
    _touch(cart)
    db.session.flush()


def merge_guest_cart(user) -> None:
    """Move the guest cart of this session into the user's cart, adding quantities."""
    token = session.pop(SESSION_KEY, None)
    guest = db.session.scalar(select(Cart).where(Cart.token == token)) if token else None
    if guest is None:
        return
    own = db.session.scalar(select(Cart).where(Cart.user_id == user.id))
    if own is None:
        guest.user_id, guest.token = user.id, None
        db.session.flush()
        return
    mine = {i.variant_id: i for i in own.items}
    for item in guest.items:
        if item.variant_id in mine:
            mine[item.variant_id].quantity = min(MAX_QUANTITY, mine[item.variant_id].quantity + item.quantity)
        else:
            own.items.append(CartItem(variant_id=item.variant_id, quantity=item.quantity))
    db.session.delete(guest)
    db.session.flush()


@cache
def _cart_items(pictures: bool):
    """The cart's items with their variants, products and cooperatives (and pictures), built once: the cart
    and checkout pages and every order run it."""
    product = joinedload(CartItem.variant).joinedload(Variant.product)
    return (select(CartItem).where(CartItem.cart_id == bindparam("cart")).order_by(CartItem.id)
            .options(product.joinedload(Product.coop), *([product.selectinload(Product.images)] if pictures else [])))


def load_cart_view(cart: Cart | None, pictures: bool = True, stock: dict[int, int] | None = None) -> CartView:
    """Load the cart's lines grouped by cooperative, with stock, in a fixed number of queries (one less
    without the pictures, which placing an order does not show, and one less when the caller read the stock:
    free units by variant)."""
    if cart is None:
        return CartView(groups=[])
    items = list(db.session.scalars(_cart_items(pictures), {"cart": cart.id}))
    stock = stock_by_variant([i.variant_id for i in items]) if stock is None else stock
    groups: dict[int, CartGroup] = defaultdict(lambda: None)  # type: ignore[arg-type]
    for item in items:
        variant, product = item.variant, item.variant.product
        group = groups[product.coop_id] or CartGroup(coop=product.coop)
        groups[product.coop_id] = group
        group.lines.append(CartLine(
            item_id=item.id, variant_id=variant.id, product_slug=product.slug,
            product_name=l10n(product, "name"), variant_name=l10n(variant, "name"),
            thumb=product.images[0].thumb_filename if pictures and product.images else None,
            unit_price_fen=variant.price_fen, quantity=item.quantity, available=stock.get(variant.id, 0),
            sellable=variant.is_active and product.is_published and product.coop.can_sell))
    return CartView(groups=list(groups.values()), variants={item.variant_id: item.variant for item in items})
