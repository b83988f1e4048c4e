"""Query budgets: the catalogue pages cost the same number of queries however much there is to show."""
from sqlalchemy import select

from shop.coops.models import Cooperative
from shop.extensions import db
from tests.catalog.catalog_builders import EN, add_image, add_variant
from tests.factories import add_lot, make_category, make_coop, make_household, make_product
from tests.querycount import page_queries

CATALOGUE_BUDGET = 6  # filter menus 1, count 1, page 1, variants 1, photos 1, stock 1
PRODUCT_BUDGET = 10  # product 1, variants 1, photos 1, lots 1, shares 1, lots' villages 1, related 1 + 3 for their cards
COOP_LIST_BUDGET = 1
COOP_PAGE_BUDGET = 10  # coop 1, products 1, variants 1, photos 1, stock 1; coop photos 1, member counts 1,
# villages 1, income to date 1 and this year 1 (shop.impact.services.coop_impact)


def _add_products(app, count: int, coop_slug: str | None = None) -> str:
    """Add sellable products with two sizes, lots from households and a photo each; return the coop's slug."""
    with app.app_context():
        coop = db.session.scalar(select(Cooperative).where(Cooperative.slug == coop_slug)) if coop_slug else make_coop()
        households = [make_household(coop) for _ in range(2)]
        for i in range(count):
            product = make_product(coop=coop, units=6, households=households, name_en=f"Walnut {i}")
            add_variant(product, price_fen=9000 + i, units=4, households=households)
            add_image(product)
        db.session.commit()
        return coop.slug


def _queries(app, client, url: str) -> int:
    return page_queries(app, client, url, EN)


def test_catalogue_costs_the_same_for_5_and_50_products(app, client):
    urls = ["/products", "/products?sort=price_asc&q=walnut", "/products?sort=price_desc&page=2",
            "/products?category=nope&county=nowhere&coop=ghost"]
    _add_products(app, 5)
    few = [_queries(app, client, url) for url in urls[:2]]
    _add_products(app, 45)
    many = [_queries(app, client, url) for url in urls]
    assert many[:2] == few
    assert len(set(many)) == 1 and many[0] <= CATALOGUE_BUDGET, many


def test_product_page_costs_the_same_for_1_and_3_sizes_and_lots(app, client):
    with app.app_context():
        category = make_category()
        coop = make_coop()
        households = [make_household(coop) for _ in range(4)]
        small = make_product(coop=coop, category=category, units=5, households=households[:1])
        big = make_product(coop=coop, category=category, units=5, households=households[:2])
        add_lot(big.variants[0], 7, households[2:])
        add_lot(big.variants[0], 9, households)
        for price in (9000, 12000):
            variant = add_variant(big, price_fen=price, units=3, households=households[1:])
            add_lot(variant, 5, households[:3])
            add_lot(variant, 2, [])
        for product in (small, big):
            add_image(product)
        add_image(big, position=1)
        for i in range(3):
            make_product(coop=coop, category=category, name_en=f"Related {i}")
        db.session.commit()
        slugs = small.slug, big.slug
    one, three = (_queries(app, client, f"/products/{slug}") for slug in slugs)
    assert one == three and one <= PRODUCT_BUDGET, (one, three)


def test_coop_pages_cost_the_same_for_few_and_many(app, client):
    slug = _add_products(app, 2)
    few = _queries(app, client, "/coops"), _queries(app, client, f"/coops/{slug}")
    for _ in range(8):
        _add_products(app, 1)
    _add_products(app, 30, coop_slug=slug)
    many = _queries(app, client, "/coops"), _queries(app, client, f"/coops/{slug}")
    assert few == many, (few, many)
    assert many[0] <= COOP_LIST_BUDGET and many[1] <= COOP_PAGE_BUDGET
