"""Catalogue reads: every page loads what it shows in a fixed number of queries."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from shop.catalog.models import Category, Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.i18n import l10n
from shop.places.models import Village
from shop.supply.models import SupplyLot


@dataclass(frozen=True)
class ProductCard:
    slug: str
    name: str
    coop_name: str
    county: str
    thumb: str | None
    min_price_fen: int | None
    sold_out: bool


def list_categories() -> list[Category]:
    """List categories in display order."""
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))


def sellable_products():
    """Select published products of approved cooperatives."""
    return (select(Product).join(Product.coop)
            .where(Product.is_published.is_(True), Cooperative.status == "approved"))


def stock_by_variant(variant_ids: list[int]) -> dict[int, int]:
    """Return free units per variant, summed over its lots, in one query."""
    if not variant_ids:
        return {}
    rows = db.session.execute(
        select(SupplyLot.variant_id, func.sum(SupplyLot.units_remaining))
        .where(SupplyLot.variant_id.in_(variant_ids)).group_by(SupplyLot.variant_id))
    return {vid: int(total or 0) for vid, total in rows}


def with_card_data(stmt):
    """Eager-load what a product card shows."""
    return stmt.options(
        joinedload(Product.coop),
        joinedload(Product.origin_village).joinedload(Village.county),
        selectinload(Product.variants), selectinload(Product.images))


def product_cards(products: list[Product]) -> list[ProductCard]:
    """Turn loaded products into cards, with one stock query for all of them."""
    active = {p.id: [v for v in p.variants if v.is_active] for p in products}
    stock = stock_by_variant([v.id for vs in active.values() for v in vs])
    cards = []
    for p in products:
        variants = active[p.id]
        cards.append(ProductCard(
            slug=p.slug, name=l10n(p, "name"), coop_name=l10n(p.coop, "name"),
            county=l10n(p.origin_village.county, "name"),
            thumb=p.images[0].thumb_filename if p.images else None,
            min_price_fen=min((v.price_fen for v in variants), default=None),
            sold_out=not any(stock.get(v.id, 0) > 0 for v in variants)))
    return cards


def list_featured_cards(limit: int = 8) -> list[ProductCard]:
    """Featured products for the home page, newest first."""
    stmt = with_card_data(sellable_products().where(Product.is_featured.is_(True))
                          .order_by(Product.created_at.desc(), Product.id.desc()).limit(limit))
    return product_cards(list(db.session.scalars(stmt).unique()))


def list_approved_coops() -> list[Cooperative]:
    """Approved cooperatives with their village and county."""
    stmt = (select(Cooperative).where(Cooperative.status == "approved")
            .options(joinedload(Cooperative.village).joinedload(Village.county))
            .order_by(Cooperative.id))
    return list(db.session.scalars(stmt))
