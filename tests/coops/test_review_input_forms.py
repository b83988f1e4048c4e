"""Review (bad input): the cooperative portal's forms, posted with fields left out or mangled, answer with the
form again (or a 4xx) and change nothing; never a server error."""
from sqlalchemy import select

from shop.catalog.models import Product
from shop.extensions import db
from tests.factories import make_category, make_coop, make_product, make_user
from tests.factories import log_in as sign_in


def _manager_with_product(app, client):
    with app.app_context():
        coop = make_coop()
        product = make_product(coop=coop, category=make_category())
        user_id, product_id, village_id, category_id = (make_user(coop_id=coop.id).id, product.id,
                                                        coop.village_id, product.category_id)
        db.session.commit()
    sign_in(client, user_id)
    return product_id, {"name_zh": "成县核桃", "name_en": "Cheng walnuts", "category_id": str(category_id),
                        "origin_village_id": str(village_id), "description_zh": "薄皮", "description_en": "Thin"}


def _descriptions(app, product_id):
    with app.app_context():
        return db.session.execute(select(Product.description_zh, Product.description_en)
                                  .where(Product.id == product_id)).one()


def test_a_product_posted_without_its_description_fields_is_saved_with_empty_descriptions(app, client):
    """The optional description boxes left out of the post (a script, an old page) mean "no description",
    not a NULL the database refuses with a 500."""
    product_id, fields = _manager_with_product(app, client)
    for missing in ("description_zh", "description_en"):
        data = {k: v for k, v in fields.items() if k != missing}
        resp = client.post(f"/coop/products/{product_id}", data=data)
        assert resp.status_code == 302, missing
        assert "" in _descriptions(app, product_id)


def test_a_new_product_posted_without_descriptions_is_created(app, client):
    _, fields = _manager_with_product(app, client)
    data = {k: v for k, v in fields.items() if not k.startswith("description")}
    resp = client.post("/coop/products/new", data=data)
    assert resp.status_code == 302
    with app.app_context():
        created = db.session.execute(select(Product).where(Product.name_zh == "成县核桃")).scalar_one()
        assert (created.description_zh, created.description_en) == ("", "")


def test_a_price_no_payment_could_carry_is_refused_next_to_the_field(app, client):
    """Up to ¥10,000,000 parses, but one payment carries at most ¥999,999.99: such a unit could never be bought."""
    from shop.catalog.models import Variant

    product_id, _ = _manager_with_product(app, client)
    for price, status in (("1,000,000.00", 400), ("10000000", 400), ("999,999.99", 302)):
        resp = client.post(f"/coop/products/{product_id}/variants/new", headers={"Accept-Language": "en"},
                           data={"sku": f"BIG-{status}", "name_zh": "袋", "name_en": "bag", "price": price,
                                 "net_weight_g": "500"})
        assert resp.status_code == status, price
        if status == 400:
            assert "The price may be at most ¥999,999.99." in resp.get_data(as_text=True)
    with app.app_context():
        prices = db.session.scalars(select(Variant.price_fen).where(Variant.sku.like("BIG-%"))).all()
        assert prices == [99_999_999]
