"""The catalogue through its pages: the GET filter form, bad parameters, product and cooperative pages."""
import re

import pytest

from shop.extensions import db
from tests.catalog.catalog_builders import EN, ZH, add_image, add_variant, days_ago, named_coop
from tests.factories import add_lot, make_category, make_coop, make_household, make_product, make_village


def _ids(app, build):
    """Run build() in its own app context, commit, and return what it returned (plain values only)."""
    with app.app_context():
        result = build()
        db.session.commit()
        return result


def _get(client, url, headers=EN):
    resp = client.get(url, headers=headers)
    return resp.status_code, resp.get_data(as_text=True)


# --- /products ------------------------------------------------------------------------------

def test_catalogue_lists_sellable_products_with_a_get_filter_form(app, client):
    _ids(app, lambda: [make_product(name_en="Shanhe walnuts"), make_product(name_en="Hidden", published=False)])
    status, page = _get(client, "/products")
    assert status == 200
    assert "Shanhe walnuts" in page and "Hidden" not in page
    assert re.search(r'<form method="get" action="/products"', page)
    assert 'name="q"' in page and 'name="category"' in page and 'name="county"' in page
    assert 'name="coop"' in page and 'name="sort"' in page and "csrf_token" not in page


def test_catalogue_filters_and_marks_the_chosen_values(app, client):
    def build():
        nuts, village = make_category(), make_village()
        coop = make_coop(village=village)
        make_product(coop=coop, category=nuts, name_en="Cheng walnuts")
        make_product(category=nuts, name_en="Other walnuts")
        make_product(coop=coop, name_en="Cheng honey")
        return nuts.slug, village.county.slug, coop.slug

    category, county, coop = _ids(app, build)
    _, page = _get(client, f"/products?category={category}&county={county}&coop={coop}")
    assert "Cheng walnuts" in page and "Other walnuts" not in page and "Cheng honey" not in page
    assert f'<option selected value="{category}">' in page and f'<option selected value="{coop}">' in page
    _, page = _get(client, f"/products?county={county}")
    assert "Cheng walnuts" in page and "Cheng honey" in page and "Other walnuts" not in page


def test_search_in_chinese_and_english_through_the_page(app, client):
    _ids(app, lambda: [make_product(name_zh="成县薄皮核桃", name_en="Thin-shell walnuts"),
                       make_product(name_zh="大红袍花椒", name_en="Dahongpao Sichuan Pepper")])
    _, page = _get(client, "/products?q=核桃", ZH)
    assert "成县薄皮核桃" in page and "大红袍花椒" not in page
    _, page = _get(client, "/products?q=PEPPER", ZH)
    assert "大红袍花椒" in page and "成县薄皮核桃" not in page
    assert 'value="PEPPER"' in page  # the box keeps what was typed


def test_sorting_by_price_through_the_page(app, client):
    _ids(app, lambda: [make_product(name_en="Mid", price_fen=5000), make_product(name_en="Dear", price_fen=9000),
                       make_product(name_en="Cheap", price_fen=1000)])
    _, page = _get(client, "/products?sort=price_asc")
    assert page.index("Cheap") < page.index("Mid") < page.index("Dear")
    _, page = _get(client, "/products?sort=price_desc")
    assert page.index("Dear") < page.index("Mid") < page.index("Cheap")
    assert '<option selected value="price_desc">' in page


def test_empty_state_says_nothing_matched_and_offers_to_clear_filters(app, client):
    _ids(app, lambda: make_product(name_en="Shanhe walnuts").id)
    status, page = _get(client, "/products?q=durian")
    assert status == 200
    assert "Nothing matched." in page and "durian" in page
    assert re.search(r'<a class="button" href="/products">Clear filters</a>', page)


def test_empty_shop_says_no_products_yet(app, client):
    status, page = _get(client, "/products")
    assert status == 200 and "No products yet." in page


@pytest.mark.parametrize("query", [
    "category=no-such&county=nowhere&coop=ghost", "page=-3", "page=abc", "page=0", "page=", "sort=bogus",
    "q=" + "核" * 500, "q=%25%25%25", "q=_", "page=99999999999999999999999999", "page=" + "9" * 5000,
    "category=&county=&coop=&sort=&q=", "category=a&category=b", "q=%00", "q=wal%00nut%01",
    "category=%00&coop=%00", "sort=price_asc;DROP TABLE products"])
def test_bad_parameters_never_error(app, client, query):
    _ids(app, lambda: make_product(name_en="Shanhe walnuts").id)
    status, page = _get(client, f"/products?{query}")
    assert status == 200
    assert "Shanhe walnuts" in page or "Nothing matched." in page or "There is nothing on page" in page


def test_unknown_filter_values_are_ignored(app, client):
    _ids(app, lambda: make_product(name_en="Shanhe walnuts").id)
    _, page = _get(client, "/products?category=no-such&county=nowhere&coop=ghost&sort=bogus&page=-3")
    assert "Shanhe walnuts" in page
    assert '<option selected value="">All categories</option>' in page
    assert '<option selected value="newest">' in page


def test_pages_link_to_each_other_and_keep_the_filters(app, client):
    def build():
        nuts = make_category()
        for i in range(13):
            make_product(category=nuts, name_en=f"Nut {i:02d}", created_at=days_ago(i))
        return nuts.slug

    category = _ids(app, build)
    _, first = _get(client, f"/products?category={category}")
    assert "Page 1 of 2" in first and "13 products" in first
    assert f'href="/products?category={category}&amp;page=2"' in first
    _, second = _get(client, f"/products?category={category}&page=2")
    assert "Nut 12" in second and "Nut 00" not in second
    assert f'href="/products?category={category}"' in second  # back to page 1


def test_a_page_past_the_end_shows_the_empty_state_with_a_way_back(app, client):
    _ids(app, lambda: make_product(name_en="Shanhe walnuts").id)
    status, page = _get(client, "/products?q=wal&page=7")
    assert status == 200
    assert "There is nothing on page 7." in page and "Shanhe walnuts" not in page
    assert 'href="/products?q=wal"' in page


def test_sold_out_products_are_shown_as_sold_out(app, client):
    _ids(app, lambda: make_product(name_en="Empty shelf", units=0).id)
    _, page = _get(client, "/products")
    assert "Empty shelf" in page and "Sold out" in page


# --- /products/<slug> -----------------------------------------------------------------------

def test_product_page_shows_sizes_stock_and_add_to_cart_forms(app, client):
    def build():
        product = make_product(name_en="Thin-shell walnuts", price_fen=6800, units=3)
        box = add_variant(product, price_fen=12800, units=40)
        gone = add_variant(product, price_fen=2500, units=0)
        return product.slug, product.variants[0].id, box.id, gone.id

    slug, few, many, gone = _ids(app, build)
    status, page = _get(client, f"/products/{slug}")
    assert status == 200
    assert "¥68.00" in page and "¥128.00" in page and "¥25.00" in page
    assert "Only 3 left" in page and "40 available" in page and "Sold out" in page
    forms = re.findall(r'<form method="post" action="/cart/add".*?</form>', page, re.S)
    assert len(forms) == 2  # none for the sold-out size
    for form, vid in zip(forms, sorted([few, many])):
        assert f'name="variant_id" value="{vid}"' in form
        assert re.search(r'type="number" name="quantity" value="1" min="1" max="99"', form)
        assert '<input type="hidden" name="csrf_token" value="' in form
    assert f'name="variant_id" value="{gone}"' not in page


def test_product_page_shows_photos_origin_coop_and_related(app, client):
    def build():
        nuts = make_category()
        coop = make_coop(story_en="We dry every husk in the sun.\nSecond paragraph.")
        product = make_product(coop=coop, category=nuts, name_en="Shanhe walnuts")
        image = add_image(product)
        add_image(product, position=1)
        make_product(category=nuts, name_en="Walnut kernels")
        return product.slug, image.filename, image.thumb_filename, coop.slug, coop.village.name_en

    slug, full, thumb, coop_slug, village = _ids(app, build)
    _, page = _get(client, f"/products/{slug}")
    assert f"/media/{full}" in page and f"/media/{thumb}" in page
    assert village in page and f'href="/coops/{coop_slug}"' in page
    assert "We dry every husk in the sun." in page and "Second paragraph." not in page
    assert "Walnut kernels" in page  # related product card


def test_product_page_shows_harvest_dates_and_trace_codes_of_lots_on_sale(app, client):
    def build():
        product = make_product(units=0)
        on_sale = add_lot(product.variants[0], 8, [])
        sold = add_lot(product.variants[0], 8, [])
        sold.units_remaining = 0
        return product.slug, on_sale.trace_code, sold.trace_code

    slug, on_sale, sold = _ids(app, build)
    _, page = _get(client, f"/products/{slug}")
    assert on_sale in page and sold not in page
    assert '<time datetime="2025-10-01">' in page


def test_product_page_counts_households_but_never_names_them(app, client):
    def build():
        coop = make_coop()
        households = [make_household(coop) for _ in range(3)]
        product = make_product(coop=coop, units=9, households=households)
        return product.slug, [h.head_name for h in households], [h.registry_code for h in households]

    slug, heads, codes = _ids(app, build)
    for headers in (EN, ZH):
        _, page = _get(client, f"/products/{slug}", headers)
        for secret in heads + codes:
            assert secret not in page
    _, page = _get(client, f"/products/{slug}")
    assert "3 households contributed to the batches on sale." in page


def test_product_page_shows_where_each_yuan_goes(app, client):
    def build():
        coop = make_coop(commission_bp=500, retention_bp=1000)
        return make_product(coop=coop, price_fen=6800, units=10, households=[make_household(coop)]).slug

    _, page = _get(client, f"/products/{_ids(app, build)}")
    assert "Of each ¥1.00 you pay, ¥0.86 reaches the households that grew it." in page
    parts = re.search(r'<dl class="split-parts">.*?</dl>', page, re.S).group(0)
    cells = re.findall(r'<dd>(¥[\d.,]+) <span class="muted">([\d.]+%)</span></dd>', parts)
    assert cells == [("¥58.14", "85.5%"), ("¥6.46", "9.5%"), ("¥3.40", "5%")]


@pytest.mark.parametrize("kind", ["unpublished", "pending", "suspended", "rejected", "unknown"])
def test_product_page_is_404_unless_on_sale(app, client, kind):
    def build():
        if kind == "unpublished":
            return make_product(published=False).slug
        if kind == "unknown":
            return "no-such-product"
        return make_product(coop=make_coop(status=kind)).slug

    status, _ = _get(client, f"/products/{_ids(app, build)}")
    assert status == 404


def test_product_page_in_chinese_uses_chinese_fields(app, client):
    slug = _ids(app, lambda: make_product(name_zh="成县薄皮核桃", name_en="Thin-shell walnuts", units=2).slug)
    _, page = _get(client, f"/products/{slug}", ZH)
    assert "成县薄皮核桃" in page and "Thin-shell walnuts" not in page


# --- /coops ---------------------------------------------------------------------------------

def test_coop_list_shows_approved_coops_with_place_and_product_count(app, client):
    def build():
        coop = named_coop("Hetaoping Walnut Cooperative")
        make_product(coop=coop)
        make_product(coop=coop)
        make_product(coop=coop, published=False)
        named_coop("Waiting Cooperative", status="pending")
        named_coop("Paused Cooperative", status="suspended")
        return coop.village.name_en, coop.village.county.name_en

    village, county = _ids(app, build)
    status, page = _get(client, "/coops")
    assert status == 200
    assert "Hetaoping Walnut Cooperative" in page and f"{county} · {village} · 2 products" in page
    assert "Waiting Cooperative" not in page and "Paused Cooperative" not in page


def test_coop_page_shows_profile_story_and_products(app, client):
    def build():
        coop = named_coop("Jiaoping Pepper Cooperative", story_en="First paragraph.\nSecond paragraph.")
        make_product(coop=coop, name_en="Dahongpao pepper")
        make_product(coop=coop, name_en="Secret pepper", published=False)
        make_product(name_en="Somebody else's walnuts")
        return coop.slug, coop.village.name_en, coop.village.county.name_en

    slug, village, county = _ids(app, build)
    status, page = _get(client, f"/coops/{slug}")
    assert status == 200
    assert "Jiaoping Pepper Cooperative" in page and village in page and county in page
    assert "<p>First paragraph.</p>" in page and "<p>Second paragraph.</p>" in page
    assert "Dahongpao pepper" in page
    assert "Secret pepper" not in page and "Somebody else" not in page


@pytest.mark.parametrize("status_", ["pending", "suspended", "rejected", None])
def test_coop_page_is_404_unless_approved(app, client, status_):
    slug = _ids(app, lambda: make_coop(status=status_).slug) if status_ else "no-such-coop"
    status, _ = _get(client, f"/coops/{slug}")
    assert status == 404
