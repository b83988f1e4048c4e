"""The product page's data: stock per size, lots on sale, households, the money split, related products."""
from datetime import date

from shop.catalog.services import excerpt, get_product_page, split_price
from shop.extensions import db
from shop.supply.models import LotShare, SupplyLot
from tests.catalog.catalog_builders import add_image, add_variant, days_ago
from tests.factories import add_lot, make_category, make_coop, make_household, make_product


def test_unsellable_or_unknown_products_have_no_page(ctx):
    hidden = make_product(published=False)
    pending = make_product(coop=make_coop(status="pending"))
    suspended = make_product(coop=make_coop(status="suspended"))
    for slug in (hidden.slug, pending.slug, suspended.slug, "no-such-product"):
        assert get_product_page(slug) is None


def test_units_available_sum_the_lots_of_each_size(ctx):
    product = make_product(price_fen=2500, units=4)
    add_lot(product.variants[0], 7, [])
    box = add_variant(product, price_fen=9800, units=0)
    retired = add_variant(product, price_fen=100, units=50, active=False)
    page = get_product_page(product.slug)
    sizes = {v.id: v for v in page.variants}
    assert retired.id not in sizes  # inactive sizes are not offered
    assert sizes[product.variants[0].id].units_available == 11
    assert sizes[box.id].units_available == 0 and sizes[box.id].sold_out


def test_low_stock_is_flagged_at_five_or_fewer(ctx):
    product = make_product(units=5)
    add_variant(product, price_fen=9000, units=6)
    flags = [(v.units_available, v.low_stock, v.sold_out) for v in get_product_page(product.slug).variants]
    assert flags == [(5, True, False), (6, False, False)]


def test_lots_on_sale_show_harvest_dates_and_trace_codes(ctx):
    product = make_product(units=0)
    variant = product.variants[0]
    old = add_lot(variant, 5, [])
    new = add_lot(variant, 5, [])
    empty = add_lot(variant, 5, [])
    old.harvested_on, new.harvested_on = date(2024, 9, 1), date(2025, 9, 20)
    empty.units_remaining = 0
    db.session.flush()
    lots = get_product_page(product.slug).lots
    assert [(lot.harvested_on, lot.trace_code) for lot in lots] == [
        (date(2025, 9, 20), new.trace_code), (date(2024, 9, 1), old.trace_code)]


def test_households_are_counted_once_over_the_lots_on_sale(ctx):
    coop = make_coop()
    a, b, c, d = (make_household(coop) for _ in range(4))
    product = make_product(coop=coop, units=10, households=[a, b])
    add_lot(product.variants[0], 9, [b, c])  # b again: counted once
    sold = add_lot(product.variants[0], 4, [d])
    sold.units_remaining = 0  # nothing of d's left on sale
    add_variant(product, price_fen=9000, units=6, households=[c])
    db.session.flush()
    assert get_product_page(product.slug).households_count == 3


def test_split_follows_the_domain_formula_for_a_known_rate(ctx):
    coop = make_coop(commission_bp=500, retention_bp=1000)
    hh = make_household(coop)
    product = make_product(coop=coop, price_fen=6800, units=10, households=[hh])
    split = get_product_page(product.slug).variants[0].split
    # F = 6800 × 5 % = 340; K = (6800 − 340) × 10 % = 646; H = 5814 (DOMAIN.md).
    assert (split.platform_fen, split.coop_fen, split.households_fen) == (340, 646, 5814)
    assert (split.platform_bp, split.coop_bp, split.households_bp) == (500, 950, 8550)
    assert split.per_yuan() == {"households": 86, "coop": 9, "platform": 5}  # 85.5 fen rounds half up


def test_split_uses_the_lot_sold_next_and_keeps_own_stock_with_the_coop(ctx):
    coop = make_coop(commission_bp=500, retention_bp=1000)
    hh = make_household(coop)
    product = make_product(coop=coop, price_fen=6800, units=0)
    lot = SupplyLot(variant=product.variants[0], trace_code="T-OWN-1", units_received=10, units_remaining=10,
                    harvested_on=date(2025, 9, 1), received_at=days_ago(5))
    db.session.add_all([lot, LotShare(lot=lot, household=hh, units=6), LotShare(lot=lot, household=None, units=4)])
    add_lot(product.variants[0], 10, [hh], days_ago=1)  # newer: sold after the first one
    db.session.flush()
    split = get_product_page(product.slug).variants[0].split
    # H = 5814; 60 % to the household = 3488.4 → 3488, the coop's own 40 % (2325.6 → 2326) joins K.
    assert (split.platform_fen, split.coop_fen, split.households_fen) == (340, 646 + 2326, 3488)
    assert split.platform_fen + split.coop_fen + split.households_fen == 6800
    assert split.platform_bp + split.coop_bp + split.households_bp == 10000


def test_split_of_a_sold_out_size_shows_what_the_rates_promise(ctx):
    coop = make_coop(commission_bp=300, retention_bp=700)
    split = split_price(1999, coop, None)
    assert (split.platform_fen, split.coop_fen, split.households_fen) == (60, 136, 1803)
    assert sum(split.per_yuan().values()) == 100


def test_page_has_photos_origin_and_coop_story(ctx):
    coop = make_coop(story_zh="合作社成立于二〇一六年。全村贫困户都已入社。\n第二段。", story_en="Founded in 2016.")
    product = make_product(coop=coop)
    second, first = add_image(product, position=1), add_image(product, position=0)
    page = get_product_page(product.slug)
    assert [i.filename for i in page.images] == [first.filename, second.filename]
    assert page.images[0].thumb == first.thumb_filename
    assert page.coop_slug == coop.slug and page.coop_story_excerpt == "合作社成立于二〇一六年。全村贫困户都已入社。"
    assert page.village == coop.village.name_zh and page.county == coop.village.county.name_zh


def test_related_products_share_the_category_and_stop_at_four(ctx):
    nuts = make_category()
    product = make_product(category=nuts)
    for i in range(5):
        make_product(category=nuts, name_zh=f"相关{i}", created_at=days_ago(i))
    make_product(category=nuts, name_zh="未上架", published=False)
    make_product(name_zh="别类")
    related = [c.name for c in get_product_page(product.slug).related]
    assert related == ["相关0", "相关1", "相关2", "相关3"]


def test_excerpt_cuts_long_stories(ctx):
    assert excerpt("短。\n第二段") == "短。"
    assert excerpt("好" * 300, 10) == "好" * 9 + "…"
    assert excerpt("Short sentence here. " + "x" * 200, 50) == "Short sentence here."
