"""Coop portal catalogue: products and variants (services and views), and the access matrix of every
route of shop/coops/views_catalog.py."""
import re

import pytest
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import func, select

from shop.catalog.images import save_product_image
from shop.catalog.models import Product, Variant
from shop.coops import services as svc
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.orders.models import OrderLine
from tests.factories import (add_lot, make_address, make_cart, make_category, make_coop, make_household,
                             make_product, make_user)
from tests.factories import log_in as sign_in

MY_MODULES = ("shop.coops.views_catalog",)
ID_ARGS = ("product_id", "variant_id", "image_id", "household_id")


@pytest.fixture
def en(ctx):
    """A service-test session whose messages are in English (outside a request the shop speaks Chinese)."""
    with force_locale("en"):
        yield ctx


def _product_fields(category_id, village_id, **kw):
    return {"name_zh": "成县薄皮核桃", "name_en": "Cheng thin-shell walnuts", "description_zh": "薄皮",
            "description_en": "Thin shell", "category_id": category_id, "origin_village_id": village_id, **kw}


def _variant_fields(**kw):
    return {"sku": "CX-WAL-1KG", "name_zh": "1 kg 礼盒", "name_en": "1 kg box", "price_fen": 6800,
            "net_weight_g": 1000, "is_active": True, **kw}


def _manager(coop=None, status="approved"):
    coop = coop or make_coop(status=status)
    return coop, make_user(coop_id=coop.id)


# --- services ---------------------------------------------------------------------------------

def test_created_product_is_an_unpublished_draft_of_the_managers_coop(en):
    coop, _ = _manager()
    product = svc.create_product(coop, **_product_fields(make_category().id, coop.village_id))
    assert (product.coop_id, product.is_published) == (coop.id, False)
    assert product.slug and svc.get_coop_product(coop.id, product.id) is product


def test_product_with_unknown_category_is_refused(en):
    coop, _ = _manager()
    with pytest.raises(svc.PortalError) as refused:
        svc.create_product(coop, **_product_fields(987654, coop.village_id))
    assert refused.value.field == "category_id"


def test_publishing_needs_an_active_variant(en):
    coop, _ = _manager()
    product = svc.create_product(coop, **_product_fields(make_category().id, coop.village_id))
    with pytest.raises(svc.PortalError, match="variant"):
        svc.publish_product(product)
    svc.add_variant(product, **_variant_fields())
    svc.publish_product(product)
    assert product.is_published


@pytest.mark.parametrize("status", ["pending", "suspended", "rejected"])
def test_a_cooperative_not_approved_cannot_publish(en, status):
    coop, _ = _manager(status=status)
    product = svc.create_product(coop, **_product_fields(make_category().id, coop.village_id))
    svc.add_variant(product, **_variant_fields())
    with pytest.raises(svc.PortalError, match="not approved"):
        svc.publish_product(product)
    assert not product.is_published


def test_unpublish_hides_the_product(en):
    product = make_product(published=True)
    svc.unpublish_product(product)
    assert db.session.scalar(select(Product.is_published).where(Product.id == product.id)) is False


def test_duplicate_sku_is_refused_with_a_clear_message_even_in_other_case(en):
    other = make_product()
    other.variants[0].sku = "CX-WAL-1KG"
    coop, _ = _manager()
    product = svc.create_product(coop, **_product_fields(make_category().id, coop.village_id))
    with pytest.raises(svc.PortalError, match="CX-WAL-1KG is already used") as refused:
        svc.add_variant(product, **_variant_fields(sku="cx-wal-1kg"))
    assert refused.value.field == "sku"


def test_editing_a_variant_may_keep_its_own_sku_but_not_take_another(en):
    product = make_product()
    first = product.variants[0]
    second = svc.add_variant(product, **_variant_fields(sku="SECOND-1"))
    svc.update_variant(second, **_variant_fields(sku="SECOND-1", price_fen=7000))
    assert second.price_fen == 7000
    with pytest.raises(svc.PortalError):
        svc.update_variant(second, **_variant_fields(sku=first.sku))


def test_a_price_change_never_alters_an_order_already_placed(en):
    from shop.checkout.services import new_checkout_token, place_order

    product = make_product(price_fen=6800, units=5)
    variant = product.variants[0]
    buyer = make_user()
    order = place_order(buyer, make_cart(buyer, (variant, 2)), make_address(buyer), new_checkout_token(), "zh")
    total_before = order.total_fen
    svc.update_variant(variant, **_variant_fields(sku=variant.sku, price_fen=9900))
    db.session.commit()
    db.session.expire_all()
    line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order.id))
    assert (line.unit_price_fen, line.gross_fen) == (6800, 13600)
    assert order.total_fen == total_before
    assert db.session.get(Variant, variant.id).price_fen == 9900


def test_reads_of_the_product_list_take_a_fixed_number_of_queries(en):
    from tests.querycount import count_queries

    coop, _ = _manager()
    for _ in range(3):
        make_product(coop=coop)
    db.session.commit()
    coop_id = coop.id
    db.session.expire_all()
    with count_queries(db.engine) as statements:
        products = svc.list_coop_products(coop_id)
        [(p.category.name_zh, [v.sku for v in p.variants], p.images) for p in products]
    assert len(products) == 3 and len(statements) <= 3


# --- views --------------------------------------------------------------------------------------

def _setup(app, status="approved"):
    with app.app_context():
        coop, manager = _manager(status=status)
        category = make_category()
        db.session.commit()
        return {"coop": coop.id, "user": manager.id, "category": category.id, "village": coop.village_id}


def test_manager_creates_a_product_adds_a_variant_and_publishes_it(app, client):
    ids = _setup(app)
    sign_in(client, ids["user"])
    answer = client.post("/coop/products/new", data=_product_fields(ids["category"], ids["village"]))
    assert answer.status_code == 302
    product_id = int(re.search(r"/coop/products/(\d+)", answer.location).group(1))
    form = {"sku": "cx-1kg", "name_zh": "1 kg 礼盒", "name_en": "1 kg box", "price": "¥68.50",
            "net_weight_g": "1000", "is_active": "y"}
    assert client.post(f"/coop/products/{product_id}/variants/new", data=form).status_code == 302
    assert client.post(f"/coop/products/{product_id}/publish").status_code == 302
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert product.is_published
        assert [(v.sku, v.price_fen) for v in product.variants] == [("CX-1KG", 6850)]
        add_lot(product.variants[0], 3, [])
        db.session.commit()
        slug = product.slug
    listing = client.get("/products").get_data(as_text=True)
    assert "成县薄皮核桃" in listing and client.get(f"/products/{slug}").status_code == 200


def test_pending_cooperative_is_told_it_cannot_publish(app, client):
    ids = _setup(app, status="pending")
    with app.app_context():
        product = make_product(coop=db.session.get(Cooperative, ids["coop"]), published=False)
        db.session.commit()
        product_id = product.id
    sign_in(client, ids["user"])
    answer = client.post(f"/coop/products/{product_id}/publish")
    assert answer.status_code == 409
    assert "尚未获准销售" in answer.get_data(as_text=True)  # told in Chinese, the default language
    with app.app_context():
        assert not db.session.get(Product, product_id).is_published


@pytest.mark.parametrize("price, message", [("abc", "Enter the price in yuan"), ("0", "more than zero"),
                                            ("1.234", "Enter the price in yuan")])
def test_bad_prices_are_refused_next_to_the_field(app, client, price, message):
    ids = _setup(app)
    with app.app_context():
        product_id = make_product(coop=db.session.get(Cooperative, ids["coop"])).id
        db.session.commit()
    sign_in(client, ids["user"])
    answer = client.post(f"/coop/products/{product_id}/variants/new", headers={"Accept-Language": "en"},
                         data={"sku": "NEW-1", "name_zh": "袋", "name_en": "bag", "price": price,
                               "net_weight_g": "x"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in page and "Enter a weight from 1 to 100000 grams" in page
    assert "Not a valid" not in page


def test_duplicate_sku_shows_a_clear_message_in_chinese(app, client):
    ids = _setup(app)
    with app.app_context():
        product = make_product(coop=db.session.get(Cooperative, ids["coop"]))
        db.session.commit()
        product_id, sku = product.id, product.variants[0].sku
    sign_in(client, ids["user"])
    answer = client.post(f"/coop/products/{product_id}/variants/new", headers={"Accept-Language": "zh"},
                         data={"sku": sku, "name_zh": "袋", "name_en": "bag", "price": "10", "net_weight_g": "250"})
    assert answer.status_code == 400
    assert sku in answer.get_data(as_text=True) and "SKU" in answer.get_data(as_text=True)


def test_posted_extra_fields_change_nothing(app, client):
    ids = _setup(app)
    with app.app_context():
        other = make_coop()
        db.session.commit()
        other_id = other.id
    sign_in(client, ids["user"])
    data = _product_fields(ids["category"], ids["village"], coop_id=other_id, is_published="y",
                           is_featured="y", slug="hijack", status="approved")
    answer = client.post("/coop/products/new", data=data)
    assert answer.status_code == 302
    with app.app_context():
        product = db.session.scalar(select(Product))
        assert (product.coop_id, product.is_published, product.is_featured) == (ids["coop"], False, False)
        assert product.slug != "hijack"
        product_id = product.id
    answer = client.post(f"/coop/products/{product_id}/variants/new",
                         data={"sku": "A-1", "name_zh": "袋", "name_en": "bag", "price": "10",
                               "net_weight_g": "250", "product_id": "1", "is_active": "y"})
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Variant.product_id).where(Variant.sku == "A-1")) == product_id


# --- access matrix --------------------------------------------------------------------------------

def _my_rules(app):
    """Every rule served by this part's modules, with the id arguments it takes."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if view.__module__ in MY_MODULES:
            yield rule


def _small_jpeg() -> Image.Image:
    return Image.new("RGB", (40, 30), (150, 90, 40))


def _two_coops(app):
    with app.app_context():
        mine, manager = _manager()
        theirs = make_coop()
        product = make_product(coop=theirs)
        image = save_product_image(product, _small_jpeg())
        household = make_household(theirs)
        own_product = make_product(coop=mine)
        db.session.commit()
        return manager.id, {"product_id": product.id, "variant_id": product.variants[0].id, "image_id": image.id,
                            "household_id": household.id}, own_product.id


def test_every_route_with_another_cooperatives_ids_answers_404_on_every_method(app, client):
    manager_id, theirs, _ = _two_coops(app)
    sign_in(client, manager_id)
    checked = 0
    for rule in _my_rules(app):
        if not set(rule.arguments) & set(ID_ARGS):
            continue
        url = rule.build({name: theirs[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in ("GET", "POST"):
            answer = client.open(url, method=method, data={"name_zh": "x", "sku": "Z-1", "price": "1"})
            expected = 404 if method in rule.methods else 405  # 405 says nothing about the object either
            assert answer.status_code == expected, (method, url, answer.status_code)
            checked += 1
    assert checked >= 16
    with app.app_context():  # and nothing of theirs changed
        assert db.session.get(Product, theirs["product_id"]).name_zh != "x"
        assert db.session.get(Variant, theirs["variant_id"]).sku != "Z-1"


def test_every_portal_route_answers_404_to_a_signed_in_buyer(app, client):
    with app.app_context():
        buyer = make_user()
        db.session.commit()
        buyer_id = buyer.id
    manager_id, theirs, _ = _two_coops(app)
    sign_in(client, buyer_id)
    for rule in _my_rules(app):
        if rule.endpoint == "coop.apply":
            continue
        url = rule.build({name: theirs[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert client.open(url, method=method).status_code == 404, (method, url)


def test_anonymous_visitors_are_sent_to_log_in(app, client):
    assert client.get("/coop/products").status_code == 302
    assert "/account/login" in client.get("/coop/members").location


def test_own_product_page_lists_variants_and_photo_form(app, client):
    manager_id, _, own_product_id = _two_coops(app)
    sign_in(client, manager_id)
    page = client.get(f"/coop/products/{own_product_id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "¥68.00" in page
    assert client.get("/coop/products").status_code == 200


def test_product_list_shows_only_the_managers_own_products(app, client):
    manager_id, theirs, _ = _two_coops(app)
    sign_in(client, manager_id)
    page = client.get("/coop/products").get_data(as_text=True)
    with app.app_context():
        other = db.session.get(Product, theirs["product_id"])
        assert other.name_zh not in page


def test_a_duplicate_sku_that_slips_past_the_check_still_gets_the_clear_message(en, monkeypatch):
    taken = make_product().variants[0].sku
    product = make_product()
    monkeypatch.setattr(svc, "_sku_taken", lambda sku, variant_id: False)  # as if a concurrent save won the race
    with pytest.raises(svc.PortalError, match="already used"):
        svc.add_variant(product, **_variant_fields(sku=taken))
    # Only the savepoint was rolled back: the rest of the transaction is intact and usable.
    assert db.session.scalar(select(func.count()).select_from(Variant)) == 2
