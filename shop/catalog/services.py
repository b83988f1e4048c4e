"""Catalogue reads: every page loads what it shows in a fixed number of queries."""
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import defer, joinedload, selectinload

from shop.catalog.models import Category, Product, Variant
from shop.coops.models import CoopImage, Cooperative
from shop.extensions import db
from shop.i18n import l10n
from shop.money import BP_WHOLE, LotSource, apply_bp, split_exact, split_line
from shop.places.models import County, Village
from shop.supply.models import SupplyLot
from shop.trace.services import lot_places


@dataclass(frozen=True)
class ProductCard:
    slug: str
    name: str
    coop_name: str
    county: str
    thumb: str | None
    min_price_fen: int | None
    sold_out: bool
    coop_id: int = 0  # which cooperative's changes make a cached page showing this card render again


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


# A cooperative's columns no public page shows: left unread (the bank account is encrypted, and decrypting it
# for every product card cost time for nothing).
PRIVATE_COOP_COLUMNS = (Cooperative.registration_no, Cooperative.contact_name, Cooperative.contact_phone,
                        Cooperative.contact_email, Cooperative.products_summary, Cooperative.rejection_reason,
                        Cooperative.payout_method, Cooperative.stripe_account_id, Cooperative.bank_name,
                        Cooperative.bank_account_name, Cooperative.bank_account_no)


def public_coop_columns(path=None):
    """Loader options that skip PRIVATE_COOP_COLUMNS, on a relationship path or the selected cooperative."""
    return [(path.defer(c) if path is not None else defer(c)) for c in PRIVATE_COOP_COLUMNS]


def with_card_data(stmt):
    """Eager-load what a product card shows."""
    return stmt.options(
        *public_coop_columns(joinedload(Product.coop)),
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
            sold_out=not any(stock.get(v.id, 0) > 0 for v in variants), coop_id=p.coop_id))
    return cards


def list_featured_cards(limit: int = 8) -> list[ProductCard]:
    """Featured products for the home page, newest first."""
    stmt = with_card_data(sellable_products().where(Product.is_featured.is_(True))
                          .order_by(Product.created_at.desc(), Product.id.desc()).limit(limit))
    return product_cards(list(db.session.scalars(stmt).unique()))


def list_approved_coops() -> list[Cooperative]:
    """Approved cooperatives with their village and county."""
    stmt = (select(Cooperative).where(Cooperative.status == "approved")
            .options(joinedload(Cooperative.village).joinedload(Village.county), *public_coop_columns())
            .order_by(Cooperative.id))
    return list(db.session.scalars(stmt))


# --- The catalogue page -------------------------------------------------------------------

SORTS = ("newest", "price_asc", "price_desc")
MAX_SEARCH_CHARS = 100
MAX_SEARCH_TERMS = 5
MAX_PAGE = 10_000  # deeper pages are past the end anyway; keeps OFFSET within any integer type
SEARCHED_COLUMNS = (Product.name_zh, Product.name_en, Product.description_zh, Product.description_en)


@dataclass(frozen=True)
class CatalogQuery:
    """What a buyer asked the catalogue for, already cleaned: unknown values are None."""

    q: str = ""
    category: str | None = None
    county: str | None = None
    coop: str | None = None
    sort: str = "newest"
    page: int = 1

    def args(self, **changes) -> dict[str, str | int]:
        """Return the non-default parameters, for links that keep the filters."""
        values = {"q": self.q, "category": self.category, "county": self.county, "coop": self.coop,
                  "sort": None if self.sort == "newest" else self.sort, "page": None, **changes}
        return {k: v for k, v in values.items() if v not in (None, "", 1)}

    @property
    def has_filters(self) -> bool:
        return bool(self.category or self.county or self.coop)

    @property
    def is_filtered(self) -> bool:
        return bool(self.q) or self.has_filters


@dataclass(frozen=True)
class FilterChoices:
    """(slug, name) pairs for the filter menus."""

    categories: list[tuple[str, str]]
    counties: list[tuple[str, str]]
    coops: list[tuple[str, str]]


@dataclass(frozen=True)
class CatalogPage:
    cards: list[ProductCard]
    total: int
    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return 1 < self.page <= self.pages

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def past_end(self) -> bool:
        return self.total > 0 and self.page > self.pages


def load_filter_choices() -> FilterChoices:
    """Load the categories, counties and approved cooperatives a buyer can filter by, in one query."""
    def part(kind: int, model, position, *where):
        return select(literal(kind).label("kind"), position.label("position"), model.id.label("id"),
                      model.slug.label("slug"), model.name_zh.label("name_zh"),
                      model.name_en.label("name_en")).where(*where)

    stmt = union_all(part(0, Category, Category.position), part(1, County, literal(0)),
                     part(2, Cooperative, literal(0), Cooperative.status == "approved"))
    menus: tuple[list, list, list] = ([], [], [])
    for row in db.session.execute(stmt.order_by("kind", "position", "id")):
        menus[row.kind].append((row.slug, l10n(row, "name")))
    return FilterChoices(*menus)


def escape_like(term: str) -> str:
    """Escape LIKE wildcards so that a buyer's % and _ match themselves (escape char: backslash)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean_search(q: str | None) -> str:
    """Drop control characters (PostgreSQL refuses NUL), collapse spaces, cut to MAX_SEARCH_CHARS."""
    text = "".join(ch for ch in (q or "")[:MAX_SEARCH_CHARS * 4] if unicodedata.category(ch) != "Cc" or ch.isspace())
    return " ".join(text.split())[:MAX_SEARCH_CHARS]


def search_terms(q: str) -> list[str]:
    """Split a search into at most MAX_SEARCH_TERMS words; Chinese needs no spaces (LIKE finds parts)."""
    return clean_search(q).split()[:MAX_SEARCH_TERMS]


def filter_products(stmt, query: CatalogQuery):
    """Narrow a product select to the query's search words and filters."""
    for term in search_terms(query.q):
        pattern = f"%{escape_like(term)}%"
        stmt = stmt.where(or_(*(col.ilike(pattern, escape="\\") for col in SEARCHED_COLUMNS)))
    if query.category:
        stmt = stmt.where(Product.category_id.in_(select(Category.id).where(Category.slug == query.category)))
    if query.county:
        stmt = stmt.where(Product.origin_village_id.in_(
            select(Village.id).join(Village.county).where(County.slug == query.county)))
    if query.coop:
        stmt = stmt.where(Cooperative.slug == query.coop)
    return stmt


def sort_products(stmt, sort: str):
    """Order products: newest first, or by the price of the cheapest active variant."""
    if sort not in ("price_asc", "price_desc"):
        return stmt.order_by(Product.created_at.desc(), Product.id.desc())
    cheapest = (select(Variant.product_id, func.min(Variant.price_fen).label("price_fen"))
                .where(Variant.is_active.is_(True)).group_by(Variant.product_id).subquery())
    price = cheapest.c.price_fen.asc() if sort == "price_asc" else cheapest.c.price_fen.desc()
    # Products without an active variant have no price: last either way.
    return (stmt.outerjoin(cheapest, cheapest.c.product_id == Product.id)
            .order_by(price.nulls_last(), Product.id))


def search_products(query: CatalogQuery, per_page: int) -> CatalogPage:
    """Find one page of sellable products for a catalogue query, as cards."""
    stmt = filter_products(sellable_products(), query)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = -(-total // per_page)
    if query.page > pages:
        return CatalogPage([], total, query.page, pages)
    page_stmt = with_card_data(sort_products(stmt, query.sort).limit(per_page)
                               .offset((query.page - 1) * per_page))
    return CatalogPage(product_cards(list(db.session.scalars(page_stmt).unique())), total, query.page, pages)


# --- The product page ---------------------------------------------------------------------

LOW_STOCK = 5
STORY_EXCERPT_CHARS = 120


@dataclass(frozen=True)
class MoneySplit:
    """Where a price goes: platform fee + cooperative + households == price, in fen and in bp of it."""

    price_fen: int
    platform_fen: int
    coop_fen: int
    households_fen: int
    platform_bp: int
    coop_bp: int
    households_bp: int

    def per_yuan(self) -> dict[str, int]:
        """Return the same split for ¥1.00, in fen that add up to 100 (a tie rounds the households up)."""
        parts = [("households", self.households_fen), ("coop", self.coop_fen), ("platform", self.platform_fen)]
        return dict(split_exact(100, parts))


@dataclass(frozen=True)
class VariantView:
    id: int
    name: str
    price_fen: int
    units_available: int
    split: MoneySplit

    @property
    def sold_out(self) -> bool:
        return self.units_available <= 0

    @property
    def low_stock(self) -> bool:
        return 0 < self.units_available <= LOW_STOCK


@dataclass(frozen=True)
class LotView:
    variant_name: str
    harvested_on: date
    trace_code: str
    villages: tuple[str, ...] = ()  # where its households live, "village, county", in the page's language


@dataclass(frozen=True)
class ImageView:
    filename: str
    thumb: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class ProductPage:
    slug: str
    name: str
    description: str
    category_slug: str
    category_name: str
    county: str
    village: str
    coop_slug: str
    coop_name: str
    coop_story_excerpt: str
    images: list[ImageView]
    variants: list[VariantView]
    lots: list[LotView]
    households_count: int
    related: list[ProductCard]
    villages: tuple[str, ...] = ()  # where the units on sale come from, each once
    coop_id: int = 0

    @property
    def coop_ids(self) -> set[int]:
        """The cooperatives this page shows (its own and its related products'), for the page cache."""
        return {self.coop_id, *(card.coop_id for card in self.related)}

    @property
    def headline_split(self) -> MoneySplit | None:
        """The split of the cheapest variant on sale (or of the cheapest at all)."""
        on_sale = [v for v in self.variants if not v.sold_out] or self.variants
        return on_sale[0].split if on_sale else None


def split_price(price_fen: int, coop: Cooperative, next_lot: SupplyLot | None) -> MoneySplit:
    """Split one unit's price as an order line would, taking it from the lot sold next."""
    shares = tuple((s.household_id, s.units) for s in next_lot.shares) if next_lot else ()
    if shares:
        line = split_line(price_fen, coop.commission_bp, coop.retention_bp,
                          [LotSource(next_lot.id, 1, shares)])
        platform, coop_part, households = line.commission_fen, line.retention_fen, line.household_pool_fen
    else:  # nothing on sale: show what the rates promise
        platform = apply_bp(price_fen, coop.commission_bp)
        coop_part = apply_bp(price_fen - platform, coop.retention_bp)
        households = price_fen - platform - coop_part
    bp = dict(split_exact(BP_WHOLE, [("platform", platform), ("coop", coop_part), ("households", households)]))
    return MoneySplit(price_fen, platform, coop_part, households, bp["platform"], bp["coop"], bp["households"])


SENTENCE_ENDS = ("。", "！", "？", ". ", "! ", "? ")


def excerpt(text: str, limit: int = STORY_EXCERPT_CHARS) -> str:
    """Return the first paragraph of a text, cut at a sentence end within limit characters if there is one."""
    first = next((p.strip() for p in text.splitlines() if p.strip()), "")
    if len(first) <= limit:
        return first
    cut = max(first.rfind(end, 0, limit) for end in SENTENCE_ENDS)
    if cut >= limit // 3:
        return first[:cut + 1]
    return first[:limit - 1].rstrip() + "…"  # Chinese has no spaces to cut at


def lots_on_sale(variant_ids: list[int]) -> list[SupplyLot]:
    """Lots with free units, oldest received first (the order units are sold in), with their shares."""
    if not variant_ids:
        return []
    return list(db.session.scalars(
        select(SupplyLot).where(SupplyLot.variant_id.in_(variant_ids), SupplyLot.units_remaining > 0)
        .options(selectinload(SupplyLot.shares))
        .order_by(SupplyLot.received_at, SupplyLot.id)))


def list_related_cards(product: Product, limit: int = 4) -> list[ProductCard]:
    """Other sellable products of the same category, newest first."""
    stmt = with_card_data(sellable_products()
                          .where(Product.category_id == product.category_id, Product.id != product.id)
                          .order_by(Product.created_at.desc(), Product.id.desc()).limit(limit))
    return product_cards(list(db.session.scalars(stmt).unique()))


def get_product_page(slug: str) -> ProductPage | None:
    """Load everything the product page shows, or None if the product is not on sale."""
    stmt = with_card_data(sellable_products().where(Product.slug == slug)).options(joinedload(Product.category))
    product = db.session.scalars(stmt).unique().first()
    if product is None:
        return None
    variants = [v for v in product.variants if v.is_active]
    lots = lots_on_sale([v.id for v in variants])
    names = {v.id: l10n(v, "name") for v in variants}
    views = []
    for v in variants:
        own = [lot for lot in lots if lot.variant_id == v.id]
        views.append(VariantView(v.id, names[v.id], v.price_fen, sum(lot.units_remaining for lot in own),
                                 split_price(v.price_fen, product.coop, own[0] if own else None)))
    households = {s.household_id for lot in lots for s in lot.shares if s.household_id is not None}
    village = product.origin_village
    # The households' villages of each lot on sale (one query); a lot of the cooperative's own stock comes from
    # the product's village.
    places = lot_places([lot.id for lot in lots])
    home = f"{l10n(village, 'name')}, {l10n(village.county, 'name')}"
    lot_villages = {lot.id: tuple(f"{l10n(p, 'village')}, {l10n(p, 'county')}" for p in places.get(lot.id, ()))
                    or (home,) for lot in lots}
    return ProductPage(
        slug=product.slug, name=l10n(product, "name"), description=l10n(product, "description"),
        category_slug=product.category.slug, category_name=l10n(product.category, "name"),
        county=l10n(village.county, "name"), village=l10n(village, "name"),
        coop_slug=product.coop.slug, coop_name=l10n(product.coop, "name"),
        coop_story_excerpt=excerpt(l10n(product.coop, "story")),
        images=[ImageView(i.filename, i.thumb_filename, i.width, i.height, l10n(i, "alt") or l10n(product, "name"))
                for i in product.images],
        variants=views,
        lots=sorted((LotView(names[lot.variant_id], lot.harvested_on, lot.trace_code, lot_villages[lot.id])
                     for lot in lots), key=lambda lot: (lot.harvested_on, lot.trace_code), reverse=True),
        households_count=len(households), related=list_related_cards(product),
        villages=tuple(dict.fromkeys(v for lot in lots for v in lot_villages[lot.id])), coop_id=product.coop_id)


# --- Cooperative pages --------------------------------------------------------------------

COOP_PAGE_PRODUCTS = 24


@dataclass(frozen=True)
class CoopSummary:
    slug: str
    name: str
    county: str
    village: str
    product_count: int


@dataclass(frozen=True)
class CoopProfile:
    slug: str
    name: str
    county: str
    village: str
    story_paragraphs: list[str]
    cards: list[ProductCard]
    has_more: bool
    images: list[ImageView] = field(default_factory=list)
    impact: dict = field(default_factory=dict)  # shop.impact.services.coop_impact: counts and income only
    coop_id: int = 0


def _sellable_count():
    return (select(func.count(Product.id))
            .where(Product.coop_id == Cooperative.id, Product.is_published.is_(True))
            .correlate(Cooperative).scalar_subquery())


def list_coop_summaries() -> list[CoopSummary]:
    """Approved cooperatives with where they are and how many products they sell, in one query."""
    stmt = (select(Cooperative, _sellable_count()).where(Cooperative.status == "approved")
            .options(joinedload(Cooperative.village).joinedload(Village.county), *public_coop_columns())
            .order_by(Cooperative.id))
    return [CoopSummary(c.slug, l10n(c, "name"), l10n(c.village.county, "name"), l10n(c.village, "name"), count)
            for c, count in db.session.execute(stmt).unique()]


def get_coop_profile(slug: str) -> CoopProfile | None:
    """Load an approved cooperative's profile, photos, public figures (counts and income, no household) and
    its products as cards, or None (pending, rejected or suspended cooperatives have no public page)."""
    from shop.impact.services import coop_impact

    coop = db.session.scalars(
        select(Cooperative).where(Cooperative.slug == slug, Cooperative.status == "approved")
        .options(joinedload(Cooperative.village).joinedload(Village.county), *public_coop_columns())).first()
    if coop is None:
        return None
    stmt = with_card_data(sellable_products().where(Product.coop_id == coop.id)
                          .order_by(Product.created_at.desc(), Product.id.desc()).limit(COOP_PAGE_PRODUCTS + 1))
    cards = product_cards(list(db.session.scalars(stmt).unique()))
    story = [p.strip() for p in l10n(coop, "story").splitlines() if p.strip()]
    images = [ImageView(i.filename, i.thumb_filename, i.width, i.height, l10n(i, "alt") or l10n(coop, "name"))
              for i in db.session.scalars(select(CoopImage).where(CoopImage.coop_id == coop.id)
                                          .order_by(CoopImage.position, CoopImage.id))]
    return CoopProfile(coop.slug, l10n(coop, "name"), l10n(coop.village.county, "name"), l10n(coop.village, "name"),
                       story, cards[:COOP_PAGE_PRODUCTS], len(cards) > COOP_PAGE_PRODUCTS, images, coop_impact(coop.id),
                       coop.id)
